// What the device list shows, computed from the node's state: pure functions, no DOM and no
// React, so the components only render and these are tested on their own (tests/unit).

import { identityFingerprint } from '../../src-shared/identity.js';
import type { Library, Peer } from '../../src-shared/peer.js';
import { deviceModelKey, type OperatingSystem } from '../../src-shared/peerMetadata.js';

export const SORT_KEYS = ['name', 'lastSeen'] as const;
export type SortKey = (typeof SORT_KEYS)[number];

export const SORT_LABELS: Record<SortKey, string> = { name: 'Name', lastSeen: 'Last seen' };

export const OS_LABELS: Record<OperatingSystem, string> = {
  macos: 'macOS',
  windows: 'Windows',
  linux: 'Linux',
  ios: 'iOS',
  android: 'Android',
  other: 'Other system',
};

/** Icon files under assets/icons/device/, one per family of models. */
export const DEVICE_ICONS = ['laptop', 'all-in-one', 'mini', 'tower', 'phone', 'tablet', 'server', 'nas', 'generic'] as const;
export type DeviceIconName = (typeof DEVICE_ICONS)[number];

/** Known models (peerMetadata KNOWN_DEVICE_MODELS, by deviceModelKey) to their icon; others are generic. */
const ICON_BY_MODEL_KEY: Record<string, DeviceIconName> = {
  macbookpro: 'laptop',
  macbookair: 'laptop',
  macbook: 'laptop',
  laptop: 'laptop',
  imac: 'all-in-one',
  imacpro: 'all-in-one',
  macmini: 'mini',
  macstudio: 'mini',
  macpro: 'tower',
  desktop: 'tower',
  iphone: 'phone',
  androidphone: 'phone',
  ipad: 'tablet',
  androidtablet: 'tablet',
  server: 'server',
  nas: 'nas',
};

export function deviceIconFor(model: string | null): DeviceIconName {
  if (model === null) return 'generic';
  return ICON_BY_MODEL_KEY[deviceModelKey(model)] ?? 'generic';
}

/** The model in words, or null when the device gave none or said `Other` (the original's "unknown"). */
export function knownDeviceModel(model: string | null): string | null {
  if (model === null || model.trim() === '' || deviceModelKey(model) === 'other') return null;
  return model;
}

/** What the device-model icon says to a screen reader: the model, or "Other device" when it is not known. */
export function deviceModelLabel(model: string | null): string {
  return knownDeviceModel(model) ?? 'Other device';
}

/**
 * What kind of device it is, in words, the same in every place a device is shown: its system and,
 * when known, its model ("macOS · MacBook Pro"); a device without a model is just its system ("Linux").
 */
export function deviceKindWords(os: OperatingSystem, model: string | null): string {
  const known = knownDeviceModel(model);
  return known === null ? OS_LABELS[os] : `${OS_LABELS[os]} · ${known}`;
}

/**
 * The picker's order (what people know from AirDrop or LocalSend): the user's contacts first, then
 * every other device, each group in the list's order.
 */
export function contactsFirst(peers: readonly Peer[]): Peer[] {
  return [...peers.filter((p) => p.contact !== undefined), ...peers.filter((p) => p.contact === undefined)];
}

/**
 * An address or host name cut into pieces that may end a line: after `:` `.` `-` and before a
 * link-local scope (`%eth0`), so `fe80::1c2b:8a3c%eth0` wraps between its groups, never inside one.
 */
export function breakablePieces(text: string): string[] {
  return text.split(/(?<=[:.\-])|(?=%)/u).filter((piece) => piece !== '');
}

/**
 * The name a device is shown under: a contact's is the name stored when the user paired with it
 * (what the user knows it as, and what a stranger cannot take); any other device's is its own.
 */
export function displayName(peer: Peer): string {
  return peer.contact?.name ?? peer.name;
}

/** A contact whose device now calls itself something else: that name, to show beside the stored one; else null. */
export function renamedFrom(peer: Peer): string | null {
  return peer.contact !== undefined && peer.contact.name !== peer.name && peer.name !== '' ? peer.name : null;
}

/** The short fingerprint of a device's identity (identity.ts), or null when it claims none. */
export function fingerprintOf(identity: string | null): string | null {
  return identity === null ? null : identityFingerprint(identity);
}

/** The text a filter matches against: what the user sees of a device, and where it is. */
function searchText(peer: Peer): string {
  return [displayName(peer), peer.name, fingerprintOf(peer.identity) ?? '', peer.hostname ?? '', peer.deviceModel ?? '', OS_LABELS[peer.operatingSystem], peer.identity ?? '', ...peer.addresses]
    .join('\n')
    .toLowerCase();
}

export function filterPeers(peers: readonly Peer[], filter: string): readonly Peer[] {
  const words = filter.trim().toLowerCase().split(/\s+/u).filter(Boolean);
  if (words.length === 0) return peers;
  return peers.filter((p) => {
    const text = searchText(p);
    return words.every((w) => text.includes(w));
  });
}

const collator = new Intl.Collator(undefined, { sensitivity: 'base', numeric: true });

export function sortPeers(peers: readonly Peer[], sort: SortKey): Peer[] {
  // Of devices by one name, the contact first: the one the user means is on top, its lookalikes below.
  const byName = (a: Peer, b: Peer) => collator.compare(displayName(a), displayName(b)) || Number(b.contact !== undefined) - Number(a.contact !== undefined) || a.id.localeCompare(b.id);
  const copy = [...peers];
  if (sort === 'name') return copy.sort(byName);
  // Most recently seen first; equal times by name so the order does not jump.
  return copy.sort((a, b) => Date.parse(b.lastSeen) - Date.parse(a.lastSeen) || byName(a, b));
}

/** The peers the list shows, in order. */
export function visiblePeers(peers: readonly Peer[], filter: string, sort: SortKey): Peer[] {
  return sortPeers(filterPeers(peers, filter), sort);
}

/** Our own libraries that the peer announces, split (issue 13): those it is a member of, and those it only claims. */
export interface LibrariesInCommon {
  /** It is a member we know of (an invitation made it one): a library in common. */
  shared: Library[];
  /** It announces the library's id without being a member we know: never trusted for it. */
  claimed: Library[];
}

/** Our own libraries that the peer has active too (peer library uuids ∩ own library uuids), members apart from claims. */
export function librariesInCommon(peer: Peer, own: readonly Library[]): LibrariesInCommon {
  const out: LibrariesInCommon = { shared: [], claimed: [] };
  if (peer.libraries.length === 0 || own.length === 0) return out;
  const theirs = new Set(peer.libraries.map((l) => l.uuid.toLowerCase()));
  for (const library of own) {
    if (!theirs.has(library.uuid.toLowerCase())) continue;
    const member = peer.identity !== null && library.members.some((m) => m.identity === peer.identity);
    (member ? out.shared : out.claimed).push(library);
  }
  return out;
}

/** Library names as a sentence lists them: “Photos”, “Photos” and “Work”, “A”, “B” and “C”. */
export function quotedList(libraries: readonly Library[]): string {
  const quoted = libraries.map((l) => `“${l.name}”`);
  return quoted.length <= 1 ? (quoted[0] ?? '') : `${quoted.slice(0, -1).join(', ')} and ${quoted.at(-1)}`;
}

/** The members of `library` that are listed now, with their rows (verified or not), and those that are not. */
export function membersNearby(library: Library, peers: readonly Peer[]): Array<{ identity: string; name: string; since: string; peer: Peer | null }> {
  const byIdentity = new Map<string, Peer>();
  for (const p of peers) {
    if (p.identity === null || !p.libraries.some((l) => l.uuid.toLowerCase() === library.uuid)) continue;
    const known = byIdentity.get(p.identity);
    if (!known || (p.verified && !known.verified)) byIdentity.set(p.identity, p);
  }
  return library.members.map((m) => ({ ...m, peer: byIdentity.get(m.identity) ?? null }));
}

/** "just now", "12 s ago", "5 min ago", "3 h ago", "2 days ago"; a time in the future counts as now. */
export function formatLastSeen(iso: string, nowMs: number): string {
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return 'unknown';
  const seconds = Math.max(0, Math.round((nowMs - then) / 1000));
  if (seconds < 5) return 'just now';
  if (seconds < 60) return `${seconds} s ago`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours} h ago`;
  const days = Math.floor(hours / 24);
  return days === 1 ? '1 day ago' : `${days} days ago`;
}

/** Deep equality of JSON values (what arrives from the node). */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((v, i) => sameJson(v, bb[i]));
  }
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && sameJson((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/**
 * Every state from the node is a fresh copy. Keeping the previous object of each unchanged item
 * (and the previous array when nothing changed) lets React skip the rows that did not change.
 */
export function reuseUnchanged<T extends object>(prev: readonly T[], next: readonly T[], key: (item: T) => string): readonly T[] {
  const before = new Map(prev.map((item) => [key(item), item]));
  let allSame = prev.length === next.length;
  const merged = next.map((item, i) => {
    const old = before.get(key(item));
    if (old !== undefined && sameJson(old, item)) {
      if (prev[i] !== old) allSame = false;
      return old;
    }
    allSame = false;
    return item;
  });
  return allSame ? prev : merged;
}
