// The TXT record of a `_sd._udp` instance (DESIGN §1): a table of which key carries which field of
// a device's metadata (peerMetadata.ts), that encoding and decoding loop over. Encoding keeps
// every limit; decoding is lenient and hands what it read to cleanDeviceMetadata, once.
// Works on bytes (Uint8Array) so that it runs in Node and in the renderer alike.

import { toDisplayText } from './displayText.js';
import { isRemoteIdentity } from './identity.js';
import {
  DEVICE_MODEL_TXT_MAX_BYTES,
  LIBRARIES_TXT_MAX,
  NAME_TXT_MAX_BYTES,
  VERSION_TXT_MAX_BYTES,
  cleanDeviceMetadata,
  isUuid,
  type DeviceMetadata,
  type OperatingSystem,
  type PeerLibrary,
  type UncheckedDeviceMetadata,
} from './peerMetadata.js';

/** RFC 6763 §6.1: each TXT string is a length byte and at most 255 bytes. */
export const TXT_STRING_MAX_BYTES = 255;
/** The whole TXT stays well under one Ethernet packet (DESIGN §1). */
export const TXT_RECORD_BUDGET_BYTES = 1300;
/** Text is cleaned to at most this many characters before it is cut to its bytes (any cap above 255 bytes will do). */
const TXT_TEXT_CLEAN_MAX_CHARS = 1000;

/** What we advertise: our metadata; `librariesOmitted` is the encoder's to find out. */
export type AdvertisedMetadata = Omit<DeviceMetadata, 'librariesOmitted'>;

/** One TXT key: the field it carries and how our own value is written under it. */
export interface TxtKey {
  key: string;
  field: Exclude<keyof DeviceMetadata, 'libraries'>;
  /** Our value, within the key's limits; null leaves the key out. Absent: the library budget writes it. */
  write?: (meta: AdvertisedMetadata) => string | null;
}

/** The `os=` spelling Spacedrive 0.4 nodes parse (Rust Debug of their enum). */
const SPACEDRIVE_OS_SPELLING: Record<OperatingSystem, string> = {
  macos: 'MacOS',
  windows: 'Windows',
  linux: 'Linux',
  ios: 'Ios',
  android: 'Android',
  other: 'Other',
};

const LIBRARIES_OMITTED_KEY = 'libraries_omitted';

/**
 * The keys, in the order they are written. Where two keys carry one field, reading takes the
 * first one present (`operating_system` before Spacedrive 0.4's `os`). Libraries are not in the
 * table: each is a key of its own, `{library_uuid}={remote_identity}`.
 */
export const TXT_KEYS: readonly TxtKey[] = [
  { key: 'name', field: 'name', write: (m) => txtText(m.name, NAME_TXT_MAX_BYTES) },
  { key: 'operating_system', field: 'operatingSystem', write: (m) => m.operatingSystem },
  { key: 'os', field: 'operatingSystem', write: (m) => SPACEDRIVE_OS_SPELLING[m.operatingSystem] },
  { key: 'device_model', field: 'deviceModel', write: (m) => optionalTxtText(m.deviceModel, DEVICE_MODEL_TXT_MAX_BYTES) },
  { key: 'version', field: 'version', write: (m) => optionalTxtText(m.version, VERSION_TXT_MAX_BYTES) },
  { key: LIBRARIES_OMITTED_KEY, field: 'librariesOmitted' },
];

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

/** Text as it may leave the node: no control or bidi characters (a bad record never leaves), at most `maxBytes`. */
function txtText(text: string, maxBytes: number): string {
  return truncateUtf8(toDisplayText(text, TXT_TEXT_CLEAN_MAX_CHARS), maxBytes);
}

function optionalTxtText(text: string | null, maxBytes: number): string | null {
  const value = txtText(text ?? '', maxBytes);
  return value === '' ? null : value;
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
  const omittedReserve = 1 + utf8Encoder.encode(`${LIBRARIES_OMITTED_KEY}=${valid.length}`).length;
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
  if (omitted > 0) strings.push(utf8Encoder.encode(`${LIBRARIES_OMITTED_KEY}=${omitted}`));
  return { strings, included, omitted };
}

/**
 * Encodes our own advertisement. The result always satisfies the limits: no string over 255
 * bytes, the whole within TXT_RECORD_BUDGET_BYTES; libraries that do not fit are counted in
 * `libraries_omitted` (the full list travels over the P2P link).
 */
export function encodeTxt(meta: AdvertisedMetadata): EncodedTxt {
  const strings: Uint8Array[] = [];
  for (const { key, write } of TXT_KEYS) {
    const value = write?.(meta) ?? null;
    if (value !== null) strings.push(utf8Encoder.encode(`${key}=${value}`));
  }
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
