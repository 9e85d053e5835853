// Who may hold the node's links (issue 11): a table of links is finite, and a hostile host on the
// LAN can open as many TLS connections as it likes, each with a fresh key. First come, first
// served, it fills the table and the devices the user cares about find no room. So each link has
// a standing, and the caps are per standing:
//
// - relationship: a contact, a manual peer, a pairing in progress, a device sharing a library, a
//   link this node dialled because it wants it. Only the total cap applies; when the table is
//   full, a relationship takes the place of the oldest stranger. Strangers never take its room.
// - announced: a stranger that mDNS told us about (a device on the list). Capped in total and per
//   network, first come, first served.
// - unannounced: a stranger nothing told us about, that only connected to us (another node's
//   manual peer across a router; or a host opening links with made-up keys). A small pool of its
//   own; a new one takes the place of the oldest of its network, or of all, when the pool is full.
//
// Caps count per network (an IPv4 /24, an IPv6 /64), not per address: one host may hold many
// addresses of its network, and a LAN gives them for free.

import { addressPrefix } from './addressPrefix.js';

/** Links at once, all standings together (each holds a TLS socket and its buffers, about 100 KiB). */
export const LINKS_MAX = 128;
/**
 * Links nobody here asked for (announced or not), at most: the rest of the table (96) stays for
 * relationships. Each exists because the other side wants it (its user looks at our details, or
 * pairs with us); 32 at once is more than a LAN of people does.
 */
export const STRANGER_LINKS_MAX = 32;
/** Stranger links from one network (/24, /64): half the strangers' room, so that one network cannot take it all. */
export const STRANGER_LINKS_PER_NETWORK_MAX = 16;
/** Unannounced links, at most: the few nodes elsewhere that have this one as a manual peer. */
export const UNANNOUNCED_LINKS_MAX = 8;
/** Unannounced links from one network: half the pool, so that one network cannot push out the others' links. */
export const UNANNOUNCED_LINKS_PER_NETWORK_MAX = 4;

export type LinkStanding = 'relationship' | 'announced' | 'unannounced';

/** A link as the caps see it. */
export interface LinkSlot {
  identity: string;
  /** The remote IP address (plain: IPv4-mapped IPv6 made IPv4). */
  address: string;
  standing: LinkStanding;
  /** When it was established (ms): the oldest goes first. */
  since: number;
}

export type Admission = { admit: true; evict: LinkSlot[] } | { admit: false; reason: string };

/**
 * The network an address belongs to for the caps: its IPv4 /24 or its IPv6 /64 (addressPrefix.ts,
 * which pairing's caps use too). An IPv4 peer reaching our dual-stack port shows as ::ffff:a.b.c.d
 * and counts in its /24, not in one ::/64 with every other IPv4 peer.
 */
export const networkOf = addressPrefix;

function oldest(slots: readonly LinkSlot[]): LinkSlot | undefined {
  let found: LinkSlot | undefined;
  for (const s of slots) if (!found || s.since < found.since) found = s;
  return found;
}

/**
 * Whether a new link may take a place among `current`, and which links must close to make room.
 * A refusal says why, in words for a log.
 */
export function admitLink(current: readonly LinkSlot[], candidate: LinkSlot): Admission {
  const network = networkOf(candidate.address);
  const inNetwork = (s: LinkSlot) => networkOf(s.address) === network;
  const strangers = current.filter((s) => s.standing !== 'relationship');
  const unannounced = strangers.filter((s) => s.standing === 'unannounced');
  if (candidate.standing === 'relationship') {
    if (current.length < LINKS_MAX) return { admit: true, evict: [] };
    const victim = oldest(unannounced) ?? oldest(strangers);
    return victim ? { admit: true, evict: [victim] } : { admit: false, reason: `${LINKS_MAX} links are open, all to relationships` };
  }
  // A stranger: first a place in its own pool (an unannounced one pushes out the oldest of its network, or of all).
  let victim: LinkSlot | undefined;
  if (candidate.standing === 'unannounced') {
    const ofNetwork = unannounced.filter(inNetwork);
    if (ofNetwork.length >= UNANNOUNCED_LINKS_PER_NETWORK_MAX) victim = oldest(ofNetwork);
    else if (unannounced.length >= UNANNOUNCED_LINKS_MAX) victim = oldest(unannounced);
  }
  const left = (slots: readonly LinkSlot[]) => (victim ? slots.filter((s) => s !== victim) : slots);
  // Then the strangers' room, where an announced stranger may push out an unannounced one.
  const fullNetwork = left(strangers).filter(inNetwork).length >= STRANGER_LINKS_PER_NETWORK_MAX;
  const fullStrangers = left(strangers).length >= STRANGER_LINKS_MAX;
  const fullTable = left(current).length >= LINKS_MAX;
  if (!fullNetwork && !fullStrangers && !fullTable) return { admit: true, evict: victim ? [victim] : [] };
  const pushedOut = candidate.standing === 'announced' ? oldest(fullNetwork ? unannounced.filter(inNetwork) : unannounced) : undefined;
  if (pushedOut) return { admit: true, evict: [pushedOut] };
  const reason = fullNetwork ? `${STRANGER_LINKS_PER_NETWORK_MAX} links from ${network} that nobody here asked for are open` : fullStrangers ? `${STRANGER_LINKS_MAX} links that nobody here asked for are open` : `${LINKS_MAX} links are open`;
  return { admit: false, reason };
}
