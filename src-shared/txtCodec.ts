// The TXT record of a `_sd._udp` instance (DESIGN §1): encoding and decoding loop over the table
// of which key carries which field (TXT_KEYS, peerMetadata.ts). Encoding keeps every limit;
// decoding is lenient and hands what it read to cleanDeviceMetadata, once.
// Works on bytes (Uint8Array) so that it runs in Node and in the renderer alike.

import { toDisplayText } from './displayText.js';
import { isRemoteIdentity } from './identity.js';
import {
  LIBRARIES_OMITTED_TXT_KEY,
  LIBRARIES_TXT_MAX,
  TXT_KEYS,
  cleanDeviceMetadata,
  isUuid,
  type AdvertisedMetadata,
  type DeviceMetadata,
  type PeerLibrary,
  type TxtKey,
  type UncheckedDeviceMetadata,
} from './peerMetadata.js';

/** RFC 6763 §6.1: each TXT string is a length byte and at most 255 bytes. */
export const TXT_STRING_MAX_BYTES = 255;
/** The whole TXT stays well under one Ethernet packet (DESIGN §1). */
export const TXT_RECORD_BUDGET_BYTES = 1300;
/** Text is cleaned to at most this many characters, then cut to its bytes (no value keeps more than 255, so this cap never shows). */
const TXT_TEXT_CLEAN_MAX_CHARS = 1000;

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: false });

/** Cuts `text` to at most `maxBytes` of UTF-8 without splitting a character. */
export function truncateUtf8(text: string, maxBytes: number): string {
  if (utf8Encoder.encode(text).length <= maxBytes) return text;
  let out = '';
  let used = 0;
  for (const ch of text) {
    const size = utf8Encoder.encode(ch).length;
    if (used + size > maxBytes) break;
    out += ch;
    used += size;
  }
  return out;
}

/** `key=value` as it may leave the node: no control or bidi character in the value, within the key's bytes and the string's 255; null: the key is left out. */
function txtString({ key, write, maxBytes = TXT_STRING_MAX_BYTES }: TxtKey, meta: AdvertisedMetadata): Uint8Array | null {
  const value = write?.(meta) ?? null;
  if (value === null) return null;
  const room = Math.min(maxBytes, TXT_STRING_MAX_BYTES - utf8Encoder.encode(`${key}=`).length);
  return utf8Encoder.encode(`${key}=${truncateUtf8(toDisplayText(value, TXT_TEXT_CLEAN_MAX_CHARS), room)}`);
}

export interface EncodedTxt {
  strings: Uint8Array[];
  /** Bytes on the wire: each string plus its length byte. */
  byteLength: number;
  librariesIncluded: number;
  librariesOmitted: number;
}

const wireBytes = (strings: readonly Uint8Array[]): number => strings.reduce((sum, s) => sum + 1 + s.length, 0);

/**
 * The library entries that fit in `roomBytes`, in order; those that do not are counted in
 * `libraries_omitted` (written last), for which room is kept whenever some may not fit.
 */
function libraryStrings(libraries: readonly PeerLibrary[], roomBytes: number): { strings: Uint8Array[]; included: number; omitted: number } {
  const valid = libraries.filter((l) => isUuid(l.uuid) && isRemoteIdentity(l.identity));
  // `libraries_omitted=N` with N <= valid.length: as many digits at most.
  const omittedReserve = 1 + utf8Encoder.encode(`${LIBRARIES_OMITTED_TXT_KEY}=${valid.length}`).length;
  const strings: Uint8Array[] = [];
  let used = 0;
  for (const lib of valid) {
    const s = utf8Encoder.encode(`${lib.uuid.toLowerCase()}=${lib.identity}`);
    const othersLeft = valid.length - strings.length - 1;
    if (used + 1 + s.length + (othersLeft > 0 ? omittedReserve : 0) > roomBytes) break;
    strings.push(s);
    used += 1 + s.length;
  }
  const included = strings.length;
  const omitted = valid.length - included;
  if (omitted > 0) strings.push(utf8Encoder.encode(`${LIBRARIES_OMITTED_TXT_KEY}=${omitted}`));
  return { strings, included, omitted };
}

/**
 * Encodes our own advertisement. The result always satisfies the limits: no string over 255
 * bytes, the whole within TXT_RECORD_BUDGET_BYTES; libraries that do not fit are counted in
 * `libraries_omitted` (the full list travels over the P2P link).
 */
export function encodeTxt(meta: AdvertisedMetadata): EncodedTxt {
  const strings = TXT_KEYS.map((k) => txtString(k, meta)).filter((s): s is Uint8Array => s !== null);
  const libraries = libraryStrings(meta.libraries, TXT_RECORD_BUDGET_BYTES - wireBytes(strings));
  strings.push(...libraries.strings);
  const byteLength = wireBytes(strings);
  if (strings.some((s) => s.length > TXT_STRING_MAX_BYTES)) throw new Error('TXT encoder produced an oversize string (bug)');
  if (byteLength > TXT_RECORD_BUDGET_BYTES) throw new Error('TXT encoder exceeded its budget (bug)');
  return { strings, byteLength, librariesIncluded: libraries.included, librariesOmitted: libraries.omitted };
}

/**
 * Decodes a peer's TXT strings. Never throws: unknown keys, boolean attributes, invalid UTF-8,
 * invalid library entries and oversize values are ignored or cleaned. Keys are case-insensitive
 * and the first occurrence wins (RFC 6763 §6.4).
 */
export function decodeTxt(strings: readonly Uint8Array[]): DeviceMetadata {
  const values = new Map<string, string>();
  const libraries: PeerLibrary[] = [];
  for (const raw of strings) {
    if (!(raw instanceof Uint8Array) || raw.length === 0 || raw.length > TXT_STRING_MAX_BYTES) continue;
    const text = utf8Decoder.decode(raw);
    const eq = text.indexOf('=');
    if (eq <= 0) continue; // boolean attribute or empty key (RFC 6763 §6.4): nothing we use
    const key = text.slice(0, eq).toLowerCase();
    const value = text.slice(eq + 1);
    if (isUuid(key)) libraries.push({ uuid: key, identity: value });
    else if (!values.has(key)) values.set(key, value);
  }
  const unchecked: UncheckedDeviceMetadata = { libraries };
  for (const { key, field } of TXT_KEYS) unchecked[field] ??= values.get(key);
  return cleanDeviceMetadata(unchecked, LIBRARIES_TXT_MAX);
}

/** Whether two TXT records hold the same strings, byte for byte, in the same order. */
export function sameTxtStrings(a: readonly Uint8Array[], b: readonly Uint8Array[]): boolean {
  return a.length === b.length && a.every((s, i) => {
    const t = b[i] as Uint8Array;
    return s.length === t.length && s.every((byte, j) => byte === t[j]);
  });
}
