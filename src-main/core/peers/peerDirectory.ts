// The peer directory (issue 10): the one place where what the node knows about other devices
// becomes the list the user sees. It merges what mDNS heard (entries keyed by instance name),
// what Contacts only resolved (a contact behind a token), what links proved (a TLS handshake
// proved a key) and what verifications found (verifier.ts), into Peer[] with ONE stable id per
// device: its identity when it claims a valid one, from first sight. So a device is listed once
// and keeps its id whether it was first heard by mDNS or first linked.
//
// - verified: a link to the identity vouches for the entry (same host), or a verification of the
//   endpoint it advertises proved that identity. Nothing else ever sets it.
// - impostor: an entry whose endpoint proved another key is listed apart (id `claim:<instance>`),
//   never verified, with a warning; the real device stays listed and verified beside it: from
//   its link, or from the proof remembered from before the impostor's records replaced it.
// - lost: a linked device whose link died and could not be re-dialled leaves the list at once,
//   until mDNS hears from it again.
// - standing: every row says whether it is a contact (proven identity, stored name) or uses a
//   contact's name without being it (issue 11); the contacts' store decides (sources.standing).

import { isRemoteIdentity, shortIdentity } from '../../../src-shared/identity.js';
import type { Peer } from '../../../src-shared/peer.js';
import type { PeerSplit } from '../contactsOnly/contactsOnlyService.js';
import { PEERS_MAX } from '../discovery/constants.js';
import type { LinkOrigin } from '../p2p/linkManager.js';
import type { Verdict, VerifyTarget } from './verifier.js';
import { withListedLibraries, type DeviceMetadata } from '../../../src-shared/peerMetadata.js';
import type { ContactStanding } from '../../../src-shared/pairing.js';
import type { AccountStanding } from '../../../src-shared/account.js';
import type { AccountPresentation } from '../accounts/accountTrust.js';

/** The list shows at most this many devices (the discovery table's cap): verified ones first. */
export const LISTED_PEERS_MAX = PEERS_MAX;
/** A proof is remembered this long to list the real device while an impostor holds its records. */
export const PROOF_MEMORY_MS = 10 * 60_000;
/** Identities remembered (first sight, discovered, proofs) at most; the oldest go first. */
const MEMORY_MAX = 4096;

/** What the directory needs to know of a ready link. */
export interface LinkedPeer {
  identity: string;
  /** The peer's IP (IPv4-mapped made plain). */
  address: string;
  /** The port it listens on, from its hello. */
  listenPort: number | null;
  /** What its hello said, cleaned on the way in (src-shared/peerMetadata.ts). */
  metadata: DeviceMetadata;
  origin: LinkOrigin;
  /** The account credentials its hello presented, unchecked; null when none. */
  account?: AccountPresentation | null;
  establishedAt: number;
  lastReceivedAt: number;
}

export interface DirectorySources {
  /** Contacts only: which discovered entries are private tokens, resolved or not. */
  split(discovered: readonly Peer[]): PeerSplit;
  links(): LinkedPeer[];
  /** When the link to an identity was lost for good; null otherwise. */
  lostAt(identity: string): number | null;
  verdict(target: VerifyTarget): Verdict | null;
  /** Online manual peers: pinned identity -> address. */
  manual(): ReadonlyMap<string, string>;
  /** A row's standing to the contacts (ContactStore.standingOf); `proven` when the row is verified. None: no contacts. */
  standing?(identity: string | null, name: string, proven: boolean): ContactStanding;
  /** What credentials presented by the device whose handshake proved `identity` show (AccountTrust.evaluate). None: no accounts. */
  account?(identity: string, presented: AccountPresentation | null): AccountStanding;
}

export interface DirectoryView {
  peers: Peer[];
  /** Devices in Contacts only mode nearby that this one does not show: how many, never who. */
  privateDevices: number;
  /** Listed endpoints without a verdict yet (or due again), by peer id. */
  unverified: Map<string, VerifyTarget>;
  /** Identities whose advertised records an impostor holds while a proof of the real device is remembered. */
  hijacked: string[];
  /** Per claimed identity, the discovered entry that stands for the device (listed or not: a contact behind a token is listed once linked). */
  reachable: Map<string, Peer>;
  /** Ids of the discovered entries a link vouches for (discovery need not check their liveness). */
  vouched: Set<string>;
}

/**
 * One advertised endpoint of an mDNS entry, as the verifier sees it. A device heard anew (its entry
 * made again: it left, or restarted, and came back) is verified again even at the same address,
 * port and TXT: it may present other account credentials now (issue 14: added with add-device).
 */
export function verifyTargetOf(p: Peer, identity: string): VerifyTarget | null {
  if (p.port === null || p.port === 0 || p.addresses.length === 0) return null;
  const advertisement = [p.hostname ?? '', p.name, p.operatingSystem, p.deviceModel ?? '', p.version ?? '', p.libraries.map((l) => l.uuid).join(','), p.firstSeen].join('|');
  return { identity, addresses: p.addresses, port: p.port, advertisement };
}

export function impostorWarning(name: string, claimed: string): string {
  return `claims to be ${name} (${shortIdentity(claimed)}) but could not prove it`;
}

/** Whether an entry advertises the endpoint a device was proven at (its port, and one of its addresses). */
function sameEndpoint(e: Peer, proven: Peer): boolean {
  return e.port === proven.port && e.addresses.some((a) => proven.addresses.some((b) => bare(a) === bare(b)));
}

function bare(address: string): string {
  return address.replace(/%.*$/, '').replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/i, '$1').toLowerCase();
}

type EntryStatus = 'vouched' | 'verified' | 'impostor' | 'pending';

function statusOf(e: Peer, verdict: Verdict | null, link: LinkedPeer | null): EntryStatus {
  if (verdict?.kind === 'impostor') return 'impostor';
  // A link from the same host is that endpoint's owner (it dialled us, or we it).
  if (link && e.addresses.some((a) => bare(a) === bare(link.address))) return 'vouched';
  if (verdict?.kind === 'verified') return 'verified';
  return 'pending';
}

export class PeerDirectory {
  private discovered: readonly Peer[] = [];
  private readonly firstSight = new Map<string, number>();
  /** Identities a discovered advertisement was proven to belong to (for `source` once mDNS forgets them). */
  private readonly discoveredIdentities = new Map<string, true>();
  private readonly proofs = new Map<string, { peer: Peer; at: number }>();
  /** Entries that are Contacts only tokens of our contacts: proven by their links only (their port shows a decoy to anyone else). */
  private resolvedIds = new Set<string>();
  /** Identities a discovered entry claims (or a resolved Contacts only token stands for), as of the last rebuild. */
  private announced: ReadonlySet<string> = new Set();
  private view: DirectoryView = { peers: [], privateDevices: 0, unverified: new Map(), hijacked: [], reachable: new Map(), vouched: new Set() };

  constructor(private readonly sources: DirectorySources, private readonly now: () => number = Date.now) {}

  /** What mDNS heard now (the engine's 'peers' event). */
  setDiscovered(peers: readonly Peer[]): void {
    this.discovered = peers;
  }

  get current(): DirectoryView {
    return this.view;
  }

  /** Whether mDNS announced a device claiming `identity` (claimed, not proven: for the link caps, not for trust). */
  isAnnounced(identity: string): boolean {
    return this.announced.has(identity);
  }

  /** Rebuilds the list from the sources; returns it (also kept as `current`). */
  rebuild(): DirectoryView {
    const split = this.sources.split(this.discovered);
    const links = new Map(this.sources.links().map((l) => [l.identity, l]));
    const byIdentity = new Map<string, Peer[]>();
    const out: Peer[] = [];
    const unverified = new Map<string, VerifyTarget>();
    const hijacked: string[] = [];
    const reachable = new Map<string, Peer>();
    const vouched = new Set<string>();
    for (const p of [...split.open, ...split.resolved]) {
      if (p.identity === null || !isRemoteIdentity(p.identity)) {
        out.push(p); // a foreign instance name: listed as heard, never verified
        continue;
      }
      const list = byIdentity.get(p.identity);
      if (list) list.push(p);
      else byIdentity.set(p.identity, [p]);
    }
    this.announced = new Set(byIdentity.keys());
    const resolvedIds = new Set(split.resolved.map((p) => p.id));
    this.resolvedIds = resolvedIds;
    for (const [identity, entries] of byIdentity) {
      const rows = this.rowsFor(identity, entries, links.get(identity) ?? null, { unverified, hijacked, reachable, vouched });
      // A contact behind a Contacts only token is shown once a link proved it.
      for (const row of rows) if (!resolvedIds.has(row.entryId) || row.peer.verified) out.push(row.peer);
    }
    for (const [identity, link] of links) if (!byIdentity.has(identity)) out.push(this.linkOnlyPeer(link));
    // A device that left is forgotten: its next endpoint is not measured against the old one.
    for (const identity of [...this.proofs.keys()]) if (!byIdentity.has(identity) && !links.has(identity)) this.proofs.delete(identity);
    const shownContacts = out.filter((p) => p.identity !== null && split.resolved.some((r) => r.identity === p.identity) && p.verified).length;
    const peers = this.capped(out)
      .map(withListedLibraries) // each row within its share of the state (PEER_LIBRARIES_LISTED_MAX): a link may carry 1,000 libraries
      .map((p) => this.withStanding(p))
      .sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
    this.view = { peers, privateDevices: split.unresolved.length + split.resolved.length - shownContacts, unverified, hijacked, reachable, vouched };
    this.forgetOld();
    return this.view;
  }

  /**
   * The rows of one identity: the device (from its proven entry, its link, or, while an unproven
   * endpoint claims it, as last proven), and one row for each other entry that claims it.
   */
  private rowsFor(identity: string, entries: Peer[], link: LinkedPeer | null, acc: Omit<DirectoryView, 'peers' | 'privateDevices'>): Array<{ entryId: string; peer: Peer }> {
    const lostAt = link ? null : this.sources.lostAt(identity);
    const alive = lostAt === null ? entries : entries.filter((e) => Date.parse(e.lastSeen) > lostAt);
    if (alive.length === 0 && !link) return [];
    const verdicts = new Map(alive.map((e) => [e, this.verdictOf(e, identity)]));
    const status = new Map(alive.map((e) => [e, statusOf(e, verdicts.get(e) ?? null, link)]));
    // The LAN's entry stands for a device before its wide-area one (issue 16): its addresses are the nearer ones.
    const wideAreaLast = (a: Peer, b: Peer) => Number(a.source === 'wide-area') - Number(b.source === 'wide-area');
    const proven = alive.filter((e) => status.get(e) === 'vouched' || status.get(e) === 'verified').sort((a, b) => wideAreaLast(a, b) || Date.parse(b.lastSeen) - Date.parse(a.lastSeen));
    const pending = alive.filter((e) => status.get(e) === 'pending').sort((a, b) => wideAreaLast(a, b) || Date.parse(a.firstSeen) - Date.parse(b.firstSeen));
    const proof = this.proofs.get(identity);
    const remembered = proof && proof.at > this.now() - PROOF_MEMORY_MS ? proof.peer : null;
    // An unproven endpoint does not stand for a device proven elsewhere (an impostor's records may
    // have replaced its own): until it is verified, the device is listed as last proven.
    const standIn = !proven[0] && !link && remembered !== null && (alive.some((e) => status.get(e) === 'impostor') || (pending[0] !== undefined && !sameEndpoint(pending[0], remembered)));
    // A link proves the device at its own address: an unproven entry elsewhere is listed apart until verified.
    const primary = proven[0] ?? (standIn || link ? undefined : pending[0]);
    const rows: Array<{ entryId: string; peer: Peer }> = [];
    let device: Peer | null = null;
    if (primary || link) {
      const verified = !!link || (primary !== undefined && status.get(primary) === 'verified');
      const verdict = primary ? verdicts.get(primary) : null;
      device = this.devicePeer(identity, primary ?? null, link, verified, verdict?.kind === 'verified' ? (verdict.account ?? null) : null);
      rows.push({ entryId: primary?.id ?? identity, peer: device });
      if (primary) acc.reachable.set(identity, primary);
      if (primary && status.get(primary) === 'vouched') acc.vouched.add(primary.id);
      // Not verified yet, or verified before its advertisement changed: (re)verify.
      const target = primary && (!verified || verdicts.get(primary)?.stale) && !this.resolvedIds.has(primary.id) ? verifyTargetOf(primary, identity) : null;
      if (target) acc.unverified.set(device.id, target);
      if (verified && !(primary && this.resolvedIds.has(primary.id))) this.remember(this.proofs, identity, { peer: device, at: this.now() });
    } else if (standIn && remembered) {
      rows.push({ entryId: identity, peer: remembered });
      acc.reachable.set(identity, remembered);
      if (alive.some((e) => status.get(e) === 'impostor')) acc.hijacked.push(identity);
    }
    for (const e of alive) {
      // Another entry of a device already shown (an old advertisement of the same host: a Contacts only token of the last epoch).
      if (e === primary || (device !== null && status.get(e) === 'vouched') || (device?.verified && status.get(e) === 'verified')) continue;
      // The same device heard in a wide-area domain too: one row, not a second one while its entry there waits for proof (issue 16).
      if (device !== null && e.source === 'wide-area' && status.get(e) === 'pending') continue;
      const impostor = status.get(e) === 'impostor';
      const peer: Peer = { ...e, id: `claim:${e.id}`, verified: false, account: null, ...(impostor ? { warning: impostorWarning(e.name, identity) } : {}) };
      rows.push({ entryId: e.id, peer });
      const target = impostor || this.resolvedIds.has(e.id) ? null : verifyTargetOf(e, identity);
      if (target) acc.unverified.set(peer.id, target);
    }
    return rows;
  }

  /** The row with its standing to the contacts as of now (a remembered row may carry an old one). */
  private withStanding(peer: Peer): Peer {
    const standing = this.sources.standing?.(peer.identity, peer.name, peer.verified) ?? {};
    if (!standing.contact && !standing.lookalikeOf && !peer.contact && !peer.lookalikeOf) return peer; // most rows: nothing to copy
    const { contact: _contact, lookalikeOf: _lookalike, ...row } = peer;
    return { ...row, ...standing };
  }

  private verdictOf(e: Peer, identity: string): Verdict | null {
    if (this.resolvedIds.has(e.id)) return null; // only its link proves a contact behind a token
    const target = verifyTargetOf(e, identity);
    return target ? this.sources.verdict(target) : null;
  }

  /**
   * A device: its mDNS entry (if any) enriched by its link (the full metadata) or its verdict.
   * Its account: what its link's hello presented when there is a link (the newest word, under the
   * mode's rule for this very peer), else what the verification's answer did; checked against the
   * identity the handshake proved (a verified verdict is that identity's).
   */
  private devicePeer(identity: string, entry: Peer | null, link: LinkedPeer | null, verified: boolean, verifiedAccount: AccountPresentation | null): Peer {
    if (!entry) return this.linkOnlyPeer(link as LinkedPeer);
    this.remember(this.discoveredIdentities, identity, true);
    const firstSeen = new Date(this.firstSeenOf(identity, Date.parse(entry.firstSeen))).toISOString();
    if (!link) return { ...entry, id: identity, verified, firstSeen, ...(verified ? this.accountOf(identity, verifiedAccount) : { account: null }) };
    const meta = link.metadata;
    const lastSeen = Math.max(Date.parse(entry.lastSeen) || 0, link.lastReceivedAt);
    const addresses = entry.addresses.some((a) => bare(a) === bare(link.address)) ? entry.addresses : [link.address, ...entry.addresses];
    // A Contacts only node tells a non-contact nothing: its empty name does not replace what discovery knows.
    const fromLink = meta.name === '' ? {} : meta;
    return { ...entry, ...fromLink, id: identity, verified: true, addresses, firstSeen, lastSeen: new Date(lastSeen).toISOString(), ...this.accountOf(identity, link.account ?? null) };
  }

  private accountOf(identity: string, presented: AccountPresentation | null): AccountStanding {
    return this.sources.account?.(identity, presented) ?? { account: null };
  }

  /** A device known only by its link: it dialled us, or we it by address. */
  private linkOnlyPeer(link: LinkedPeer): Peer {
    const meta = link.metadata;
    const manual = this.sources.manual().has(link.identity);
    const source: Peer['source'] = manual ? 'manual' : link.origin === 'mdns' || this.discoveredIdentities.has(link.identity) ? 'mdns' : link.origin === 'manual' ? 'manual' : 'link';
    return {
      id: link.identity,
      identity: link.identity,
      instance: link.identity,
      verified: true,
      ...meta,
      name: meta.name !== '' ? meta.name : shortIdentity(link.identity),
      addresses: link.address ? [link.address] : [],
      port: link.listenPort,
      hostname: null,
      interfaces: [],
      firstSeen: new Date(this.firstSeenOf(link.identity, link.establishedAt)).toISOString(),
      lastSeen: new Date(link.lastReceivedAt).toISOString(),
      source,
      ...this.accountOf(link.identity, link.account ?? null),
    };
  }

  private firstSeenOf(identity: string, candidate: number): number {
    const known = this.firstSight.get(identity);
    if (known !== undefined && known <= candidate) return known;
    this.remember(this.firstSight, identity, candidate);
    return candidate;
  }

  /** Puts `key` last in `store` (the most recent; the oldest are forgotten first). */
  private remember<V>(store: Map<string, V>, key: string, value: V): void {
    store.delete(key);
    store.set(key, value);
  }

  private forgetOld(): void {
    for (const store of [this.firstSight, this.discoveredIdentities, this.proofs]) {
      while (store.size > MEMORY_MAX) store.delete(store.keys().next().value as string);
    }
  }

  /** Over the cap (a flood filled the table): the unverified heard from least recently make room. */
  private capped(out: Peer[]): Peer[] {
    if (out.length <= LISTED_PEERS_MAX) return out;
    const unverified = out.filter((p) => !p.verified).sort((a, b) => Date.parse(a.lastSeen) - Date.parse(b.lastSeen));
    const drop = new Set(unverified.slice(0, out.length - LISTED_PEERS_MAX));
    return out.filter((p) => !drop.has(p));
  }
}
