// The TXT record of a `_sd._udp` instance (DESIGN §1): encoded within the limits, decoded leniently.
// Works on bytes (Uint8Array) so that it runs in Node and in the renderer alike.

import { toDisplayText } from './displayText.js';
import { isRemoteIdentity } from './identity.js';
import type { OperatingSystem, PeerLibrary, PeerMetadata } from './peer.js';

/** RFC 6763 §6.1: each TXT string is a length byte and at most 255 bytes. */
export const TXT_STRING_MAX_BYTES = 255;
/** The whole TXT stays well under one Ethernet packet (DESIGN §1). */
export const TXT_RECORD_BUDGET_BYTES = 1300;
export const NAME_MAX_BYTES = 128;
export const DEVICE_MODEL_MAX_BYTES = 64;
export const VERSION_MAX_BYTES = 32;
/** At most this many libraries are read from one record; a record cannot hold more anyway. */
export const LIBRARIES_DECODE_MAX = 64;

export const TXT_KEYS = {
  name: 'name',
  operatingSystem: 'operating_system',
  os: 'os',
  deviceModel: 'device_model',
  version: 'version',
  librariesOmitted: 'libraries_omitted',
} as const;

/** The `os=` spelling Spacedrive 0.4 nodes parse (Rust Debug of their enum). */
const SPACEDRIVE_OS_SPELLING: Record<OperatingSystem, string> = {
  macos: 'MacOS',
  windows: 'Windows',
  linux: 'Linux',
  ios: 'Ios',
  android: 'Android',
  other: 'Other',
};

const OS_ALIASES: Record<string, OperatingSystem> = {
  macos: 'macos', macosx: 'macos', osx: 'macos', darwin: 'macos', mac: 'macos',
  windows: 'windows', win32: 'windows', win: 'windows', win64: 'windows',
  linux: 'linux', gnulinux: 'linux',
  ios: 'ios', ipados: 'ios',
  android: 'android',
  other: 'other',
};

/** Known device models, canonically spelled; matched ignoring case and spaces (DESIGN §1). */
export const KNOWN_DEVICE_MODELS = [
  'MacBook Pro', 'MacBook Air', 'MacBook', 'iMac', 'iMac Pro', 'Mac mini', 'Mac Studio', 'Mac Pro',
  'iPhone', 'iPad', 'Android Phone', 'Android Tablet', 'Desktop', 'Laptop', 'Server', 'NAS', 'Other',
] as const;
const MODEL_BY_KEY = new Map<string, string>(KNOWN_DEVICE_MODELS.map((m) => [deviceModelKey(m), m]));

/** The comparison key of a device model: lowercase, no whitespace. */
export function deviceModelKey(model: string): string {
  return model.toLowerCase().replace(/\s+/gu, '');
}

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export function isUuid(text: string): boolean {
  return UUID_PATTERN.test(text);
}

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

export function parseOperatingSystem(raw: string | undefined): OperatingSystem {
  if (raw === undefined) return 'other';
  return OS_ALIASES[raw.toLowerCase().replace(/[\s_\-./]+/gu, '')] ?? 'other';
}

export function canonicalDeviceModel(raw: string): string {
  return MODEL_BY_KEY.get(deviceModelKey(raw)) ?? raw;
}

export interface EncodedTxt {
  strings: Uint8Array[];
  /** Bytes on the wire: each string plus its length byte. */
  byteLength: number;
  librariesIncluded: number;
  librariesOmitted: number;
}

/**
 * Encodes our own advertisement. The result always satisfies the limits: no string over 255
 * bytes, the whole within TXT_RECORD_BUDGET_BYTES; libraries that do not fit are counted in
 * `libraries_omitted` (the full list travels over the P2P link).
 */
export function encodeTxt(meta: Omit<PeerMetadata, 'librariesOmitted'>): EncodedTxt {
  const entries: string[] = [];
  const name = truncateUtf8(toDisplayText(meta.name, 1000), NAME_MAX_BYTES);
  entries.push(`${TXT_KEYS.name}=${name}`);
  entries.push(`${TXT_KEYS.operatingSystem}=${meta.operatingSystem}`);
  entries.push(`${TXT_KEYS.os}=${SPACEDRIVE_OS_SPELLING[meta.operatingSystem]}`);
  if (meta.deviceModel) {
    entries.push(`${TXT_KEYS.deviceModel}=${truncateUtf8(toDisplayText(meta.deviceModel, 1000), DEVICE_MODEL_MAX_BYTES)}`);
  }
  if (meta.version) entries.push(`${TXT_KEYS.version}=${truncateUtf8(toDisplayText(meta.version, 1000), VERSION_MAX_BYTES)}`);

  const strings = entries.map((e) => utf8Encoder.encode(e));
  let byteLength = strings.reduce((sum, s) => sum + 1 + s.length, 0);
  const valid = meta.libraries.filter((l) => isUuid(l.uuid) && isRemoteIdentity(l.identity));
  // Room kept for `libraries_omitted=N` in case some do not fit (N <= valid.length, so as many digits at most).
  const omittedReserve = 1 + utf8Encoder.encode(`${TXT_KEYS.librariesOmitted}=${valid.length}`).length;
  let included = 0;
  for (const lib of valid) {
    const s = utf8Encoder.encode(`${lib.uuid.toLowerCase()}=${lib.identity}`);
    const remaining = valid.length - included - 1;
    const reserve = remaining > 0 ? omittedReserve : 0;
    if (byteLength + 1 + s.length + reserve > TXT_RECORD_BUDGET_BYTES) break;
    strings.push(s);
    byteLength += 1 + s.length;
    included++;
  }
  const omitted = valid.length - included;
  if (omitted > 0) {
    const s = utf8Encoder.encode(`${TXT_KEYS.librariesOmitted}=${omitted}`);
    strings.push(s);
    byteLength += 1 + s.length;
  }
  for (const s of strings) {
    if (s.length > TXT_STRING_MAX_BYTES) throw new Error('TXT encoder produced an oversize string (bug)');
  }
  if (byteLength > TXT_RECORD_BUDGET_BYTES) throw new Error('TXT encoder exceeded its budget (bug)');
  return { strings, byteLength, librariesIncluded: included, librariesOmitted: omitted };
}

/** What a peer's TXT record says, read leniently; `name` is null when missing or empty. */
export interface DecodedTxt extends Omit<PeerMetadata, 'name'> {
  name: string | null;
}

/**
 * Decodes a peer's TXT strings. Never throws: unknown keys, boolean attributes, invalid UTF-8,
 * invalid library entries and oversize values are ignored or cleaned. Keys are case-insensitive
 * and the first occurrence wins (RFC 6763 §6.4).
 */
export function decodeTxt(strings: readonly Uint8Array[]): DecodedTxt {
  const values = new Map<string, string>();
  const libraries: PeerLibrary[] = [];
  for (const raw of strings) {
    if (!(raw instanceof Uint8Array) || raw.length === 0 || raw.length > TXT_STRING_MAX_BYTES) continue;
    const text = utf8Decoder.decode(raw);
    const eq = text.indexOf('=');
    if (eq <= 0) continue; // boolean attribute or empty key (RFC 6763 §6.4): nothing we use
    const key = text.slice(0, eq).toLowerCase();
    const value = text.slice(eq + 1);
    if (isUuid(key)) {
      if (libraries.length < LIBRARIES_DECODE_MAX && isRemoteIdentity(value) && !libraries.some((l) => l.uuid === key)) {
        libraries.push({ uuid: key, identity: value });
      }
      continue;
    }
    if (!values.has(key)) values.set(key, value);
  }
  const name = toDisplayText(values.get(TXT_KEYS.name) ?? '');
  const model = toDisplayText(values.get(TXT_KEYS.deviceModel) ?? '');
  const version = toDisplayText(values.get(TXT_KEYS.version) ?? '', VERSION_MAX_BYTES);
  const omittedRaw = values.get(TXT_KEYS.librariesOmitted);
  const omitted = omittedRaw !== undefined && /^\d{1,6}$/.test(omittedRaw) ? Number(omittedRaw) : 0;
  return {
    name: name === '' ? null : name,
    operatingSystem: parseOperatingSystem(values.get(TXT_KEYS.operatingSystem) ?? values.get(TXT_KEYS.os)),
    deviceModel: model === '' ? null : canonicalDeviceModel(model),
    version: version === '' ? null : version,
    libraries,
    librariesOmitted: omitted,
  };
}
