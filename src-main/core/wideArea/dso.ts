// DNS Stateful Operations (RFC 8490) and the TLVs of DNS Push Notifications (RFC 8765), as bytes.
// A DSO message is a DNS message with OPCODE 6 and all four section counts zero, followed by TLVs
// (16-bit type, 16-bit length, data); over TCP or TLS each message has a 2-byte length before it
// (RFC 1035 §4.2.2). Anything that breaks these rules is a format error, which ends the session
// (RFC 8490 §5.4), so decoding throws DsoFormatError instead of guessing.
//
// Records in a PUSH are DNS resource records written one after another, names uncompressed (a TLV
// stands alone: there is no message for a pointer to point into). Their TTL says what changed
// (RFC 8765 §6.3.1): up to 0x7FFFFFFF a record was added; 0xFFFFFFFF one record was removed;
// 0xFFFFFFFE every record of the name (of one type, or of every type with TYPE ANY) was removed.

import { DNS_CLASS, DNS_TYPE, encodeName, encodeRecord, type WireRecord } from './dnsWire.js';

export const DSO_OPCODE = 6;
/** RFC 8490 §10.3 and RFC 8765 §10.2: the DSO TLV types. */
export const DSO_TYPE = { keepalive: 0x0001, retryDelay: 0x0002, encryptionPadding: 0x0003, subscribe: 0x0040, push: 0x0041, unsubscribe: 0x0042, reconfirm: 0x0043 } as const;
/** RFC 8490 §10.2: "DSO-TYPE Not Implemented", the answer to a request whose primary TLV is unknown. */
export const RCODE_DSOTYPENI = 11;
/** RFC 8765 §6.3.1: the TTLs that mean a removal. */
export const TTL_REMOVE_ONE = 0xffffffff;
export const TTL_REMOVE_ALL = 0xfffffffe;
/** RFC 1035 §4.2.2: the 2-byte length before each message over TCP. */
export const DSO_MESSAGE_MAX_BYTES = 65535;
/** TLVs read from one message at most (a hostile server's thousands of tiny TLVs cost a bounded loop). */
const TLVS_PER_MESSAGE_MAX = 64;
/** Records read from one PUSH at most (65,535 bytes hold about 5,000 of the smallest). */
export const PUSH_RECORDS_MAX = 1024;
const HEADER_BYTES = 12;
const QR = 0x8000;
const LABEL_MAX_BYTES = 63;
const NAME_MAX_BYTES = 255;

export class DsoFormatError extends Error {}

export interface DsoTlv {
  type: number;
  data: Buffer;
}

export interface DsoMessage {
  /** Non-zero for a request and its response; 0 for a unidirectional message (RFC 8490 §5.4). */
  id: number;
  response: boolean;
  rcode: number;
  /** The first is the primary TLV; a response may have none. */
  tlvs: DsoTlv[];
}

export function encodeDso(m: DsoMessage): Buffer {
  const header = Buffer.alloc(HEADER_BYTES);
  header.writeUInt16BE(m.id & 0xffff, 0);
  header.writeUInt16BE((m.response ? QR : 0) | (DSO_OPCODE << 11) | (m.rcode & 0xf), 2);
  const tlvs = m.tlvs.map((t) => {
    if (t.data.length > 0xffff) throw new RangeError(`a DSO TLV of ${t.data.length} bytes (65,535 at most)`);
    const head = Buffer.alloc(4);
    head.writeUInt16BE(t.type, 0);
    head.writeUInt16BE(t.data.length, 2);
    return Buffer.concat([head, t.data]);
  });
  const out = Buffer.concat([header, ...tlvs]);
  if (out.length > DSO_MESSAGE_MAX_BYTES) throw new RangeError(`a DSO message of ${out.length} bytes (65,535 at most)`);
  return out;
}

/** Reads one DSO message; throws DsoFormatError for anything else (another opcode, records in a section, a TLV cut short). */
export function decodeDso(buf: Buffer): DsoMessage {
  if (buf.length < HEADER_BYTES) throw new DsoFormatError(`a message of ${buf.length} bytes, shorter than a DNS header`);
  const flags = buf.readUInt16BE(2);
  const opcode = (flags >> 11) & 0xf;
  if (opcode !== DSO_OPCODE) throw new DsoFormatError(`a message with OPCODE ${opcode} on a DSO session`);
  for (let i = 4; i < HEADER_BYTES; i += 2) if (buf.readUInt16BE(i) !== 0) throw new DsoFormatError('a DSO message with records in a DNS section');
  const tlvs: DsoTlv[] = [];
  let offset = HEADER_BYTES;
  while (offset < buf.length) {
    if (tlvs.length >= TLVS_PER_MESSAGE_MAX) throw new DsoFormatError(`a DSO message with more than ${TLVS_PER_MESSAGE_MAX} TLVs`);
    if (offset + 4 > buf.length) throw new DsoFormatError('a DSO TLV cut short in its type or length');
    const type = buf.readUInt16BE(offset);
    const length = buf.readUInt16BE(offset + 2);
    if (offset + 4 + length > buf.length) throw new DsoFormatError(`a DSO TLV of type ${type} longer than its message`);
    tlvs.push({ type, data: buf.subarray(offset + 4, offset + 4 + length) });
    offset += 4 + length;
  }
  return { id: buf.readUInt16BE(0), response: (flags & QR) !== 0, rcode: flags & 0xf, tlvs };
}

// ---- KEEPALIVE (RFC 8490 §7.1) and RETRY DELAY (§7.2)

export interface Keepalive {
  /** How long a session with nothing outstanding may stay open (ms; 0xFFFFFFFF: forever). */
  inactivityMs: number;
  /** How often the client must send something (ms; 0xFFFFFFFF: never). */
  intervalMs: number;
}

export function keepaliveTlv(k: Keepalive): DsoTlv {
  const data = Buffer.alloc(8);
  data.writeUInt32BE(k.inactivityMs >>> 0, 0);
  data.writeUInt32BE(k.intervalMs >>> 0, 4);
  return { type: DSO_TYPE.keepalive, data };
}

export function readKeepalive(data: Buffer): Keepalive {
  if (data.length !== 8) throw new DsoFormatError(`a KEEPALIVE TLV of ${data.length} bytes (8 expected)`);
  return { inactivityMs: data.readUInt32BE(0), intervalMs: data.readUInt32BE(4) };
}

export function retryDelayTlv(delayMs: number): DsoTlv {
  const data = Buffer.alloc(4);
  data.writeUInt32BE(delayMs >>> 0);
  return { type: DSO_TYPE.retryDelay, data };
}

export function readRetryDelay(data: Buffer): number {
  if (data.length !== 4) throw new DsoFormatError(`a RETRY DELAY TLV of ${data.length} bytes (4 expected)`);
  return data.readUInt32BE(0);
}

// ---- SUBSCRIBE, UNSUBSCRIBE (RFC 8765 §6.2, §6.4)

export interface Subscription {
  name: string;
  type: number;
  klass: number;
}

export function subscribeTlv(s: Subscription): DsoTlv {
  const fixed = Buffer.alloc(4);
  fixed.writeUInt16BE(s.type, 0);
  fixed.writeUInt16BE(s.klass, 2);
  return { type: DSO_TYPE.subscribe, data: Buffer.concat([encodeName(s.name), fixed]) };
}

export function readSubscribe(data: Buffer): Subscription {
  const { name, end } = readName(data, 0);
  if (end + 4 !== data.length) throw new DsoFormatError('a SUBSCRIBE TLV that is not a name, a type and a class');
  return { name, type: data.readUInt16BE(end), klass: data.readUInt16BE(end + 2) };
}

/** RFC 8765 §6.4: UNSUBSCRIBE names the message ID of the SUBSCRIBE it ends. */
export function unsubscribeTlv(subscribeId: number): DsoTlv {
  const data = Buffer.alloc(2);
  data.writeUInt16BE(subscribeId);
  return { type: DSO_TYPE.unsubscribe, data };
}

export function readUnsubscribe(data: Buffer): number {
  if (data.length !== 2) throw new DsoFormatError(`an UNSUBSCRIBE TLV of ${data.length} bytes (2 expected)`);
  return data.readUInt16BE(0);
}

/**
 * RFC 8765 §6.5: a record the client believes stale (a device no longer answers at it): its name,
 * type, class and RDATA, with no TTL and no RDATA length (the TLV's length ends it). Unidirectional.
 */
export interface Reconfirm extends Subscription {
  rdata: Buffer;
}

export function reconfirmTlv(r: Reconfirm): DsoTlv {
  const fixed = Buffer.alloc(4);
  fixed.writeUInt16BE(r.type, 0);
  fixed.writeUInt16BE(r.klass, 2);
  return { type: DSO_TYPE.reconfirm, data: Buffer.concat([encodeName(r.name), fixed, r.rdata]) };
}

export function readReconfirm(data: Buffer): Reconfirm {
  const { name, end } = readName(data, 0);
  if (end + 4 > data.length) throw new DsoFormatError('a RECONFIRM TLV cut short in its type or class');
  return { name, type: data.readUInt16BE(end), klass: data.readUInt16BE(end + 2), rdata: Buffer.from(data.subarray(end + 4)) };
}

// ---- PUSH (RFC 8765 §6.3)

export type PushChange =
  | { kind: 'add'; record: WireRecord }
  | { kind: 'remove'; record: WireRecord }
  /** Every record of `name` and `klass` of `type` (DNS_TYPE.ANY: of every type) is gone. */
  | { kind: 'remove-all'; name: string; type: number; klass: number };

export function pushTlv(changes: readonly PushChange[]): DsoTlv {
  const records = changes.map((c) =>
    c.kind === 'add'
      ? encodeRecord({ ...c.record, ttl: Math.min(c.record.ttl, 0x7fffffff) })
      : c.kind === 'remove'
        ? encodeRecord({ ...c.record, ttl: TTL_REMOVE_ONE })
        : encodeRecord({ name: c.name, type: c.type, klass: c.klass, ttl: TTL_REMOVE_ALL, rdata: Buffer.alloc(0) }),
  );
  return { type: DSO_TYPE.push, data: Buffer.concat(records) };
}

/** The changes one PUSH TLV carries, in order; throws DsoFormatError on a record cut short or a compressed name. */
export function readPush(data: Buffer): PushChange[] {
  const out: PushChange[] = [];
  let offset = 0;
  while (offset < data.length) {
    if (out.length >= PUSH_RECORDS_MAX) throw new DsoFormatError(`a PUSH with more than ${PUSH_RECORDS_MAX} records`);
    const { name, end } = readName(data, offset);
    if (end + 10 > data.length) throw new DsoFormatError('a PUSH record cut short in its type, class, TTL or length');
    const type = data.readUInt16BE(end);
    const klass = data.readUInt16BE(end + 2);
    const ttl = data.readUInt32BE(end + 4);
    const length = data.readUInt16BE(end + 8);
    const rdataStart = end + 10;
    if (rdataStart + length > data.length) throw new DsoFormatError('a PUSH record whose data runs past its TLV');
    const record: WireRecord = { name, type, klass, ttl, rdata: Buffer.from(data.subarray(rdataStart, rdataStart + length)) };
    offset = rdataStart + length;
    if (ttl === TTL_REMOVE_ALL) {
      if (length !== 0) throw new DsoFormatError('a PUSH removal of a whole record set with data');
      out.push({ kind: 'remove-all', name, type, klass });
    } else if (ttl === TTL_REMOVE_ONE) out.push({ kind: 'remove', record });
    else if (ttl <= 0x7fffffff && type !== DNS_TYPE.ANY && klass !== DNS_CLASS.ANY) out.push({ kind: 'add', record });
    else throw new DsoFormatError(`a PUSH record with TTL ${ttl}, which means nothing (RFC 8765 §6.3.1)`);
  }
  return out;
}

/** An uncompressed name at `offset` (RFC 1035 §3.1), lowercase kept as sent; throws on a pointer, a long label or name. */
function readName(buf: Buffer, offset: number): { name: string; end: number } {
  const labels: string[] = [];
  let at = offset;
  for (;;) {
    if (at >= buf.length) throw new DsoFormatError('a name cut short');
    const length = buf[at] as number;
    if (length === 0) break;
    if (length > LABEL_MAX_BYTES) throw new DsoFormatError('a compressed or malformed name in a DSO TLV (names there stand uncompressed)');
    if (at + 1 + length > buf.length) throw new DsoFormatError('a label cut short');
    labels.push(buf.toString('utf8', at + 1, at + 1 + length).replace(/[.\\]/g, (c) => `\\${c}`));
    at += 1 + length;
    if (at - offset + 1 > NAME_MAX_BYTES) throw new DsoFormatError('a name longer than 255 bytes');
  }
  return { name: labels.join('.'), end: at + 1 };
}
