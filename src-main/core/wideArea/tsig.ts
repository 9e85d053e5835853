// TSIG (RFC 8945): a DNS message signed with a key shared with the server, by HMAC (node:crypto).
// We sign our UPDATEs and check the server's signed answers; the digest is computed exactly as
// §4.3.3 says: (for a response, the request's MAC first) the message without its TSIG record and
// with its original ID, then the TSIG variables, names in canonical form.

import { createHmac, timingSafeEqual } from 'node:crypto';
import { canonicalName, decodeName, DNS_CLASS, DNS_TYPE, encodeName, encodeRecord, layoutOf } from './dnsWire.js';

/** RFC 8945 §6: the algorithms, by the names tsig-keygen writes; hmac-sha256 is its default. */
export const TSIG_ALGORITHMS = {
  'hmac-md5.sig-alg.reg.int': 'md5',
  'hmac-sha1': 'sha1',
  'hmac-sha224': 'sha224',
  'hmac-sha256': 'sha256',
  'hmac-sha384': 'sha384',
  'hmac-sha512': 'sha512',
} as const;
export type TsigAlgorithm = keyof typeof TSIG_ALGORITHMS;

/** RFC 8945 §10: 300 s of clock difference allowed. */
export const TSIG_FUDGE_S = 300;
/** RFC 8945 §5.2.3: the server's time when its answer says our time was off (BADTIME). */
const TSIG_ERRORS: Record<number, string> = {
  16: 'BADSIG: the server computed another signature (the secret differs)',
  17: 'BADKEY: the server does not know a key of this name and algorithm',
  18: 'BADTIME: the clocks of this device and the server differ by more than 5 minutes',
  22: 'BADTRUNC: the server did not accept a truncated signature',
};

export interface TsigKey {
  /** The key's name, as in `key "name" { ... }`. */
  name: string;
  algorithm: TsigAlgorithm;
  secret: Buffer;
}

/** What a TSIG record says (RFC 8945 §4.2). */
export interface TsigRecord {
  keyName: string;
  algorithm: string;
  timeSigned: number;
  fudge: number;
  mac: Buffer;
  originalId: number;
  error: number;
  otherData: Buffer;
}

function u48(seconds: number): Buffer {
  const out = Buffer.alloc(6);
  out.writeUInt16BE(Math.floor(seconds / 2 ** 32) & 0xffff, 0);
  out.writeUInt32BE(seconds >>> 0, 2);
  return out;
}

function u16(value: number): Buffer {
  const out = Buffer.alloc(2);
  out.writeUInt16BE(value, 0);
  return out;
}

/** RFC 8945 §4.3.3: the TSIG variables, in the digest after the message. */
function tsigVariables(keyName: string, algorithm: string, timeSigned: number, fudge: number, error: number, otherData: Buffer): Buffer {
  const classAndTtl = Buffer.alloc(6);
  classAndTtl.writeUInt16BE(DNS_CLASS.ANY, 0);
  return Buffer.concat([encodeName(canonicalName(keyName)), classAndTtl, encodeName(canonicalName(algorithm)), u48(timeSigned), u16(fudge), u16(error), u16(otherData.length), otherData]);
}

/** The MAC of `parts` one after another under `key` (its algorithm's HMAC, RFC 2104). */
export function hmac(key: TsigKey, parts: Buffer[]): Buffer {
  const h = createHmac(TSIG_ALGORITHMS[key.algorithm], key.secret);
  for (const p of parts) h.update(p);
  return h.digest();
}

/** Signs `message` (a complete message without TSIG): returns it with its TSIG record, and the MAC (to check the answer with). */
export function signMessage(message: Buffer, key: TsigKey, timeSignedS: number = Math.floor(Date.now() / 1000)): { signed: Buffer; mac: Buffer } {
  const mac = hmac(key, [message, tsigVariables(key.name, key.algorithm, timeSignedS, TSIG_FUDGE_S, 0, Buffer.alloc(0))]);
  const rdata = Buffer.concat([encodeName(key.algorithm), u48(timeSignedS), u16(TSIG_FUDGE_S), u16(mac.length), mac, u16(message.readUInt16BE(0)), u16(0), u16(0)]);
  const record = encodeRecord({ name: key.name, type: DNS_TYPE.TSIG, klass: DNS_CLASS.ANY, ttl: 0, rdata });
  const signed = Buffer.concat([message, record]);
  signed.writeUInt16BE(message.readUInt16BE(10) + 1, 10); // ARCOUNT counts the TSIG record
  return { signed, mac };
}

/** The TSIG record of a message (the last of its additional section) and the bytes the MAC covers; null when it has none. */
export function readTsig(buf: Buffer): { record: TsigRecord; unsigned: Buffer } | null {
  const layout = layoutOf(buf);
  const start = layout.recordOffsets.at(-1);
  if (start === undefined || layout.counts[3] === 0) return null;
  const owner = decodeName(buf, start);
  let offset = start + owner.bytes;
  if (buf.readUInt16BE(offset) !== DNS_TYPE.TSIG) return null;
  offset += 10; // type, class, TTL, RDLENGTH
  const algorithm = decodeName(buf, offset);
  offset += algorithm.bytes;
  const timeSigned = buf.readUInt16BE(offset) * 2 ** 32 + buf.readUInt32BE(offset + 2);
  const fudge = buf.readUInt16BE(offset + 6);
  const macSize = buf.readUInt16BE(offset + 8);
  offset += 10;
  const mac = buf.subarray(offset, offset + macSize);
  offset += macSize;
  const originalId = buf.readUInt16BE(offset);
  const error = buf.readUInt16BE(offset + 2);
  const otherLength = buf.readUInt16BE(offset + 4);
  const otherData = buf.subarray(offset + 6, offset + 6 + otherLength);
  if (offset + 6 + otherLength > buf.length || mac.length !== macSize) throw new Error('a TSIG record runs past the end of its message');
  // §4.3.3: the message as it was before the TSIG record was added, with its original ID.
  const unsigned = Buffer.from(buf.subarray(0, start));
  unsigned.writeUInt16BE(originalId, 0);
  unsigned.writeUInt16BE(layout.counts[3] - 1, 10);
  return { record: { keyName: owner.name, algorithm: algorithm.name, timeSigned, fudge, mac: Buffer.from(mac), originalId, error, otherData: Buffer.from(otherData) }, unsigned };
}

export type TsigCheck = { ok: true } | { ok: false; reason: string };

/**
 * Checks the TSIG of a message against `key`: of a response to a request whose MAC was
 * `requestMac` (RFC 8945 §5.3), or of a request when `requestMac` is null (§5.2).
 */
export function verifyMessage(buf: Buffer, key: TsigKey, requestMac: Buffer | null, nowS: number = Math.floor(Date.now() / 1000)): TsigCheck {
  let found: ReturnType<typeof readTsig>;
  try {
    found = readTsig(buf);
  } catch (err) {
    return { ok: false, reason: `its signature could not be read (${(err as Error).message})` };
  }
  if (!found) return { ok: false, reason: 'it is not signed' };
  const { record, unsigned } = found;
  if (record.error !== 0) return { ok: false, reason: TSIG_ERRORS[record.error] ?? `TSIG error ${record.error}` };
  if (canonicalName(record.keyName) !== canonicalName(key.name) || canonicalName(record.algorithm) !== key.algorithm) return { ok: false, reason: `it is signed with another key (${record.keyName}, ${record.algorithm})` };
  const prefix = requestMac ? [u16(requestMac.length), requestMac] : [];
  const expected = hmac(key, [...prefix, unsigned, tsigVariables(record.keyName, record.algorithm, record.timeSigned, record.fudge, record.error, record.otherData)]);
  if (record.mac.length !== expected.length || !timingSafeEqual(record.mac, expected)) return { ok: false, reason: 'its signature does not match our key (BADSIG)' };
  if (Math.abs(nowS - record.timeSigned) > record.fudge) return { ok: false, reason: `it was signed at a time ${Math.abs(nowS - record.timeSigned)} s from ours (BADTIME)` };
  return { ok: true };
}

/** What the TSIG of a refused answer says went wrong, in words; null when it says nothing. */
export function tsigErrorOf(buf: Buffer): string | null {
  try {
    const error = readTsig(buf)?.record.error ?? 0;
    return error === 0 ? null : (TSIG_ERRORS[error] ?? `TSIG error ${error}`);
  } catch {
    return null;
  }
}
