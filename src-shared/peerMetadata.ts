// A device's metadata (DESIGN §1): what a node says about itself, in its TXT record and over the
// P2P link. Each field once: its type, its limits, its TXT key(s) and its link caps, and one
// cleaning. Whatever a peer sends, by mDNS (txtCodec's decodeTxt) or in a link's hello and
// `metadata` messages (deviceMetadataLinkSchema), goes through cleanDeviceMetadata once on the way
// in, and is shown as it is from then on.
//
// A field added later: here (DeviceMetadata, UncheckedDeviceMetadata, the cleaning, TXT_KEYS, the
// link schema and withinLinkLimits), where our own value comes from (src-main/core/ownMetadata.ts),
// and the UI that shows it. It must be optional on the link (`.nullish()`): older peers do not
// send it, and a hello that fails the schema drops the link.

import { z } from 'zod';
import { DISPLAY_NAME_MAX_CHARS, toDisplayText } from './displayText.js';
import { isRemoteIdentity } from './identity.js';

export const OPERATING_SYSTEMS = ['macos', 'windows', 'linux', 'ios', 'android', 'other'] as const;
export type OperatingSystem = (typeof OPERATING_SYSTEMS)[number];

/** One library a node has active: `{library_uuid}={remote_identity}` in the TXT record. */
export interface PeerLibrary {
  uuid: string;
  identity: string;
}

/** What a device says about itself, cleaned: safe to show as it is. */
export interface DeviceMetadata {
  /** Shown to pick a device; '' when the device gave none (the caller falls back to its identity). */
  name: string;
  operatingSystem: OperatingSystem;
  /** Free text; known models are spelled canonically (KNOWN_DEVICE_MODELS). Null when not given. */
  deviceModel: string | null;
  version: string | null;
  /** Valid entries only, each library once, lowercase uuids. */
  libraries: PeerLibrary[];
  /**
   * Libraries active on the node that are not in `libraries`: those that did not fit in its TXT
   * record (DESIGN §1 budget), or in the list sent to the UIs (PEER_LIBRARIES_LISTED_MAX).
   */
  librariesOmitted: number;
}

// --- limits ------------------------------------------------------------------------------------

/** What a person is shown of a peer's text, in characters (code points); longer text ends in '…'. */
export const NAME_DISPLAY_MAX_CHARS = DISPLAY_NAME_MAX_CHARS;
export const DEVICE_MODEL_DISPLAY_MAX_CHARS = DISPLAY_NAME_MAX_CHARS;
export const VERSION_DISPLAY_MAX_CHARS = 32;

/** A value's share of its TXT string (255 bytes with its key: RFC 6763 §6.1), in bytes of UTF-8. */
export const NAME_TXT_MAX_BYTES = 128;
export const DEVICE_MODEL_TXT_MAX_BYTES = 64;
export const VERSION_TXT_MAX_BYTES = 32;
/** At most this many libraries are read from one TXT record; a record cannot hold more anyway. */
export const LIBRARIES_TXT_MAX = 64;
/** `libraries_omitted` is read when it is a plain number of at most 6 digits. */
const LIBRARIES_OMITTED_PATTERN = /^\d{1,6}$/;

/**
 * A link message is looser than TXT (DESIGN §5: the full library list travels there). Lengths in
 * UTF-16 code units, as the schema counts them; a message over them is refused and drops the link.
 */
export const NAME_LINK_MAX_UNITS = 256;
export const DEVICE_MODEL_LINK_MAX_UNITS = 128;
export const VERSION_LINK_MAX_UNITS = 64;
export const LIBRARY_IDENTITY_LINK_MAX_UNITS = 64;
export const LIBRARIES_LINK_MAX = 1000;
/**
 * A device's libraries in the list the UIs are sent, at most; the others are counted in
 * `librariesOmitted`. A link carries up to LIBRARIES_LINK_MAX (about 52 KB), and the whole state
 * is pushed to every client at each change (issue 11: 16 such devices made it 848 KB). As many as
 * a TXT record may hold (LIBRARIES_TXT_MAX), about 6 KB per device.
 */
export const PEER_LIBRARIES_LISTED_MAX = LIBRARIES_TXT_MAX;

// --- field values ------------------------------------------------------------------------------

const OS_ALIASES: Record<string, OperatingSystem> = {
  macos: 'macos', macosx: 'macos', osx: 'macos', darwin: 'macos', mac: 'macos',
  windows: 'windows', win32: 'windows', win: 'windows', win64: 'windows',
  linux: 'linux', gnulinux: 'linux',
  ios: 'ios', ipados: 'ios',
  android: 'android',
  other: 'other',
};

/** Any spelling of an OS a peer may send (`MacOS`, `Mac OS X`, `darwin` ...); unknown or missing is 'other'. */
export function parseOperatingSystem(raw: string | null | undefined): OperatingSystem {
  if (raw === undefined || raw === null) return 'other';
  return OS_ALIASES[raw.toLowerCase().replace(/[\s_\-./]+/gu, '')] ?? 'other';
}

/** Known device models, canonically spelled; matched ignoring case and spaces (DESIGN §1). */
export const KNOWN_DEVICE_MODELS = [
  'MacBook Pro', 'MacBook Air', 'MacBook', 'iMac', 'iMac Pro', 'Mac mini', 'Mac Studio', 'Mac Pro',
  'iPhone', 'iPad', 'Android Phone', 'Android Tablet', 'Desktop', 'Laptop', 'Server', 'NAS', 'Other',
] as const;

/** The comparison key of a device model: lowercase, no whitespace. */
export function deviceModelKey(model: string): string {
  return model.toLowerCase().replace(/\s+/gu, '');
}

const MODEL_BY_KEY = new Map<string, string>(KNOWN_DEVICE_MODELS.map((m) => [deviceModelKey(m), m]));

/** A known model in its canonical spelling (`macbookpro` -> `MacBook Pro`); any other as it is. */
export function canonicalDeviceModel(raw: string): string {
  return MODEL_BY_KEY.get(deviceModelKey(raw)) ?? raw;
}

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** A library id: a UUID in its text form, any case. */
export function isUuid(text: string): boolean {
  return UUID_PATTERN.test(text);
}

// --- cleaning ----------------------------------------------------------------------------------

/** Metadata as a peer sent it (the values of its TXT keys, or a link message), before cleaning: anything may be missing. */
export interface UncheckedDeviceMetadata {
  name?: string | null;
  operatingSystem?: string | null;
  deviceModel?: string | null;
  version?: string | null;
  libraries?: ReadonlyArray<{ uuid: string; identity: string }>;
  librariesOmitted?: string | null;
}

/** Display text, or null when nothing visible is left. */
function optionalText(raw: string | null | undefined, maxChars: number): string | null {
  const text = toDisplayText(raw ?? '', maxChars);
  return text === '' ? null : text;
}

/** Valid entries (a UUID, a well-formed identity), uuids lowercased, the first of each uuid, at most `max`. */
function cleanLibraries(raw: ReadonlyArray<{ uuid: string; identity: string }>, max: number): PeerLibrary[] {
  const out: PeerLibrary[] = [];
  const seen = new Set<string>();
  for (const entry of raw) {
    if (out.length >= max) break;
    const uuid = entry.uuid.toLowerCase();
    if (!isUuid(uuid) || !isRemoteIdentity(entry.identity) || seen.has(uuid)) continue;
    seen.add(uuid);
    out.push({ uuid, identity: entry.identity });
  }
  return out;
}

/**
 * The one cleaning of what a peer says about itself: text made safe to show (displayText.ts) and
 * capped, the OS read from any spelling, known models spelled canonically, libraries validated
 * and each listed once. `librariesMax`: how many libraries the source may carry.
 */
export function cleanDeviceMetadata(raw: UncheckedDeviceMetadata, librariesMax = LIBRARIES_LINK_MAX): DeviceMetadata {
  const model = optionalText(raw.deviceModel, DEVICE_MODEL_DISPLAY_MAX_CHARS);
  const omitted = raw.librariesOmitted ?? '';
  return {
    name: toDisplayText(raw.name ?? '', NAME_DISPLAY_MAX_CHARS),
    operatingSystem: parseOperatingSystem(raw.operatingSystem),
    deviceModel: model === null ? null : canonicalDeviceModel(model),
    version: optionalText(raw.version, VERSION_DISPLAY_MAX_CHARS),
    libraries: cleanLibraries(raw.libraries ?? [], librariesMax),
    librariesOmitted: LIBRARIES_OMITTED_PATTERN.test(omitted) ? Number(omitted) : 0,
  };
}

/** The metadata of a device that said nothing (no TXT record yet; a hello withheld in Contacts only mode). */
export function emptyDeviceMetadata(): DeviceMetadata {
  return cleanDeviceMetadata({});
}

// --- the TXT record (DESIGN §1) ----------------------------------------------------------------

/** What we advertise: our metadata; `librariesOmitted` is the TXT encoder's to find out. */
export type AdvertisedMetadata = Omit<DeviceMetadata, 'librariesOmitted'>;

/** One TXT key: the field it carries, and our value under it. */
export interface TxtKey {
  key: string;
  field: Exclude<keyof DeviceMetadata, 'libraries'>;
  /**
   * Our value, which the encoder cleans (no control or bidi character leaves the node) and cuts
   * to `maxBytes` (else to what fits the 255-byte string); null leaves the key out. Absent: the
   * encoder's library budget writes it.
   */
  write?: (meta: AdvertisedMetadata) => string | null;
  maxBytes?: number;
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

export const LIBRARIES_OMITTED_TXT_KEY = 'libraries_omitted';

/**
 * The keys, in the order they are written. Where two keys carry one field, reading takes the
 * first one present (`operating_system` before Spacedrive 0.4's `os`). Libraries are not in the
 * table: each is a key of its own, `{library_uuid}={remote_identity}`.
 */
export const TXT_KEYS: readonly TxtKey[] = [
  { key: 'name', field: 'name', write: (m) => m.name, maxBytes: NAME_TXT_MAX_BYTES },
  { key: 'operating_system', field: 'operatingSystem', write: (m) => m.operatingSystem },
  { key: 'os', field: 'operatingSystem', write: (m) => SPACEDRIVE_OS_SPELLING[m.operatingSystem] },
  { key: 'device_model', field: 'deviceModel', write: (m) => m.deviceModel || null, maxBytes: DEVICE_MODEL_TXT_MAX_BYTES },
  { key: 'version', field: 'version', write: (m) => m.version || null, maxBytes: VERSION_TXT_MAX_BYTES },
  { key: LIBRARIES_OMITTED_TXT_KEY, field: 'librariesOmitted' },
];

// --- the link ----------------------------------------------------------------------------------

/** Metadata in a link's `hello` and `metadata` messages: the link's caps, then the one cleaning. */
export const deviceMetadataLinkSchema = z
  .object({
    name: z.string().max(NAME_LINK_MAX_UNITS),
    operatingSystem: z.enum(OPERATING_SYSTEMS),
    deviceModel: z.string().max(DEVICE_MODEL_LINK_MAX_UNITS).nullable(),
    version: z.string().max(VERSION_LINK_MAX_UNITS).nullable(),
    /** The full list of active libraries (the TXT record may hold only some). */
    libraries: z.array(z.object({ uuid: z.string().uuid(), identity: z.string().max(LIBRARY_IDENTITY_LINK_MAX_UNITS) })).max(LIBRARIES_LINK_MAX),
  })
  .transform((sent): DeviceMetadata => cleanDeviceMetadata(sent));

/** A device's metadata (or its row) with at most PEER_LIBRARIES_LISTED_MAX libraries, the rest counted as omitted. */
export function withListedLibraries<T extends Pick<DeviceMetadata, 'libraries' | 'librariesOmitted'>>(meta: T): T {
  if (meta.libraries.length <= PEER_LIBRARIES_LISTED_MAX) return meta;
  return { ...meta, libraries: meta.libraries.slice(0, PEER_LIBRARIES_LISTED_MAX), librariesOmitted: meta.librariesOmitted + meta.libraries.length - PEER_LIBRARIES_LISTED_MAX };
}

/** `text` cut to at most `maxUnits` UTF-16 code units, never inside a surrogate pair. */
function cutToUnits(text: string, maxUnits: number): string {
  if (text.length <= maxUnits) return text;
  const last = text.charCodeAt(maxUnits - 1);
  return text.slice(0, last >= 0xd800 && last <= 0xdbff ? maxUnits - 1 : maxUnits);
}

/** Our metadata cut to what a link message may carry, so that no peer refuses our hello. */
export function withinLinkLimits(meta: DeviceMetadata): DeviceMetadata {
  return {
    ...meta,
    name: cutToUnits(meta.name, NAME_LINK_MAX_UNITS),
    deviceModel: meta.deviceModel === null ? null : cutToUnits(meta.deviceModel, DEVICE_MODEL_LINK_MAX_UNITS),
    version: meta.version === null ? null : cutToUnits(meta.version, VERSION_LINK_MAX_UNITS),
    libraries: meta.libraries.slice(0, LIBRARIES_LINK_MAX),
  };
}
