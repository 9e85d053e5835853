// Who is in a shared library (issue 13), as two members reconcile it when their links meet. Each
// side knows members (identity, name, since when) and departures (identity, when); for each
// device the latest of its join and its departure wins, a departure winning a tie, so that a
// member who has not heard of a departure yet cannot bring the device back, and a device invited
// again after it left (a later join) is in again. Pure: the store keeps the result.

import type { LibraryMember } from '../../../src-shared/peer.js';

export interface Departure {
  identity: string;
  at: string;
}

export interface Membership {
  members: readonly LibraryMember[];
  departed: readonly Departure[];
}

export interface MergeRules {
  /** Our own identity: what anyone says about us is not taken (we know whether we are in). */
  self: string | null;
  /** The most members kept; newcomers past it are not added. */
  max: number;
}

/**
 * `local` with what `remote` says taken in. Returns `local`'s own arrays (the same objects) for
 * whatever did not change, so a caller can tell "nothing new" by identity.
 */
export function mergeMembership(local: Membership, remote: Membership, rules: MergeRules): { members: LibraryMember[]; departed: Departure[] } {
  const departedAt = new Map<string, number>();
  for (const d of local.departed) departedAt.set(d.identity, Math.max(departedAt.get(d.identity) ?? -Infinity, Date.parse(d.at)));
  const newDepartures: Departure[] = [];
  for (const d of remote.departed) {
    if (d.identity === rules.self) continue;
    const at = Date.parse(d.at);
    if (!Number.isFinite(at) || at <= (departedAt.get(d.identity) ?? -Infinity)) continue;
    departedAt.set(d.identity, at);
    newDepartures.push({ identity: d.identity, at: d.at });
  }
  const stillIn = (m: LibraryMember) => Date.parse(m.since) > (departedAt.get(m.identity) ?? -Infinity);
  let members = local.members.filter(stillIn);
  const known = new Set(members.map((m) => m.identity));
  const joined: LibraryMember[] = [];
  for (const m of remote.members) {
    if (m.identity === rules.self || known.has(m.identity) || !stillIn(m)) continue;
    if (members.length + joined.length >= rules.max) break;
    known.add(m.identity);
    joined.push({ identity: m.identity, name: m.name, since: m.since });
  }
  if (joined.length > 0) members = [...members, ...joined];
  else if (members.length === local.members.length) members = local.members as LibraryMember[];
  const departed = newDepartures.length === 0 ? (local.departed as Departure[]) : [...local.departed.filter((d) => !newDepartures.some((n) => n.identity === d.identity)), ...newDepartures];
  return { members, departed };
}
