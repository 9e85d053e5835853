// What we have heard about other `_sd._udp` instances, keyed by lowercased instance name
// (DESIGN §4). Records are taken as they come, PTR, SRV, TXT or addresses alone; the cache turns
// them into the Peer objects the UI shows.

import { decodeTxt } from '../../../src-shared/txtCodec.js';
import { emptyDeviceMetadata, type DeviceMetadata } from '../../../src-shared/peerMetadata.js';
import { toDisplayText } from '../../../src-shared/displayText.js';
import { isRemoteIdentity, shortIdentity } from '../../../src-shared/identity.js';
import type { Peer } from '../../../src-shared/peer.js';
import { ADDRESSES_PER_PEER_MAX, PEERS_PER_SOURCE_MAX } from './constants.js';
import { instanceLabelOf, type MdnsRecord, type SrvData } from './dnsMessage.js';
import { isIpv6LinkLocal } from './networkInterfaces.js';

interface Timed { expiresAt: number; ttlMs: number }

export interface CacheEntry {
  key: string;
  label: string;
  /** The address whose packet created the entry. */
  createdBy: string;
  ptr: Timed | null;
  srv: (SrvData & Timed) | null;
  /** `decoded`: what the record says, cleaned once (decodeTxt). */
  txt: { strings: Buffer[]; decoded: DeviceMetadata } & Timed | null;
  /** Interface name -> the source address we last heard the instance from there. */
  heardOn: Map<string, { source: string; at: number }>;
  firstSeen: number;
  lastSeen: number;
  /**
   * Something answers for it: a direct question about it was answered, or the P2P link vouches
   * for it. A full table evicts such entries last (a flood of announcements has nobody behind it).
   */
  vouched: boolean;
}

interface HostAddresses {
  /** Interface name -> address -> expiry (ms). */
  byInterface: Map<string, Map<string, number>>;
}

/** Shown for a peer that gives no name and whose instance label has nothing visible in it. */
export const UNNAMED_PEER = 'Unnamed device';

/** ` (2)` is what a responder appends on a name conflict; the identity is the label without it. */
const CONFLICT_SUFFIX = / \(\d+\)$/;

export function claimedIdentity(label: string): string | null {
  const bare = label.replace(CONFLICT_SUFFIX, '');
  return isRemoteIdentity(bare) ? bare : null;
}

export class PeerCache {
  private readonly entries = new Map<string, CacheEntry>();
  private readonly hosts = new Map<string, HostAddresses>();
  /** Entries created per sender address (a real host announces one or a few). */
  private readonly perSource = new Map<string, number>();
  /** How many entries were refused or evicted because of the caps (for a warning). */
  overflowed = 0;
  /** When the next record or address runs out, as of the last expire() (entries it held aside excepted). */
  nextExpiryAt = 0;
  private changes = 0;

  constructor(private readonly ownLabel: () => string | null, private readonly maxPeers: number) {}

  get size(): number {
    return this.entries.size;
  }

  /** Moves with every change to what the table holds: entries, records, lifetimes, addresses. */
  get version(): number {
    return this.changes;
  }

  get(key: string): CacheEntry | undefined {
    return this.entries.get(key);
  }

  values(): IterableIterator<CacheEntry> {
    return this.entries.values();
  }

  delete(key: string): boolean {
    const entry = this.entries.get(key);
    if (!entry) return false;
    this.changes++;
    this.entries.delete(key);
    const n = (this.perSource.get(entry.createdBy) ?? 1) - 1;
    if (n <= 0) this.perSource.delete(entry.createdBy);
    else this.perSource.set(entry.createdBy, n);
    return true;
  }

  clear(): void {
    this.changes++;
    this.entries.clear();
    this.perSource.clear();
    this.hosts.clear();
  }

  private isOwn(label: string): boolean {
    const own = this.ownLabel();
    return own !== null && label.toLowerCase() === own.toLowerCase();
  }

  /**
   * The entry for an instance name, created when `createFrom` (the sender's address) is given.
   * Null for our own name or foreign ones. One sender may hold at most PEERS_PER_SOURCE_MAX
   * entries (its newest), and when the table is full the entry heard from least recently makes
   * room, one nothing has vouched for if there is one: a flood cannot keep a real newcomer out,
   * nor push out the peers that answer.
   */
  entryFor(fullName: string, now: number, createFrom: string | null): CacheEntry | null {
    const label = instanceLabelOf(fullName);
    if (label === null || this.isOwn(label)) return null;
    const key = fullName.toLowerCase();
    let entry = this.entries.get(key);
    if (!entry && createFrom !== null) {
      // A sender over its share replaces its own stalest entry; a full table, the stalest of all.
      const overShare = (this.perSource.get(createFrom) ?? 0) >= PEERS_PER_SOURCE_MAX;
      if (overShare || this.entries.size >= this.maxPeers) {
        let oldest: CacheEntry | null = null;
        for (const e of this.entries.values()) {
          if (overShare && e.createdBy !== createFrom) continue;
          // Unvouched before vouched, then the least recently heard.
          if (!oldest || (oldest.vouched && !e.vouched) || (oldest.vouched === e.vouched && e.lastSeen < oldest.lastSeen)) oldest = e;
        }
        if (oldest) this.delete(oldest.key);
        this.overflowed++;
      }
      this.changes++;
      entry = { key, label, createdBy: createFrom, ptr: null, srv: null, txt: null, heardOn: new Map(), firstSeen: now, lastSeen: now, vouched: false };
      this.entries.set(key, entry);
      this.perSource.set(createFrom, (this.perSource.get(createFrom) ?? 0) + 1);
    }
    return entry ?? null;
  }

  /**
   * Takes the records of one response heard on `iface` from `source`. Returns the keys of the
   * entries it touched, and of those for which it carried a goodbye (TTL 0).
   */
  apply(records: MdnsRecord[], iface: string, source: string, now: number): { touched: Set<string>; goodbyes: Set<string>; changed: boolean } {
    this.changes++; // lifetimes move with every response, if nothing else
    const touched = new Set<string>();
    const goodbyes = new Set<string>();
    let changed = false;
    // Addresses first, so that an SRV in the same packet finds them (cache-flush: RFC 6762 §10.2).
    const flushed = new Set<string>();
    const added = new Set<string>();
    for (const r of records) {
      if (r.type !== 'A' && r.type !== 'AAAA') continue;
      const host = r.name.toLowerCase();
      let h = this.hosts.get(host);
      if (!h) {
        if (this.hosts.size >= this.maxPeers * 2) this.pruneHosts(added);
        if (this.hosts.size >= this.maxPeers * 2) continue;
        this.hosts.set(host, (h = { byInterface: new Map() }));
        added.add(host);
      }
      let addrs = h.byInterface.get(iface);
      if (!addrs) h.byInterface.set(iface, (addrs = new Map()));
      if (r.flush && r.ttl > 0 && !flushed.has(`${host}|${iface}|${r.type}`)) {
        flushed.add(`${host}|${iface}|${r.type}`);
        for (const a of [...addrs.keys()]) if ((r.type === 'A') === !a.includes(':')) addrs.delete(a);
      }
      const address = r.type === 'AAAA' && isIpv6LinkLocal(r.data) ? `${r.data}%${iface}` : r.data;
      if (r.ttl === 0) addrs.delete(address);
      else if (addrs.size < ADDRESSES_PER_PEER_MAX) addrs.set(address, now + r.ttl * 1000);
      changed = true;
    }
    for (const r of records) {
      let fullName: string;
      if (r.type === 'PTR') {
        if (r.name.toLowerCase() !== '_sd._udp.local') continue;
        fullName = r.data;
      } else if (r.type === 'SRV' || r.type === 'TXT') {
        fullName = r.name;
      } else continue;
      if (r.ttl === 0) {
        const entry = this.entryFor(fullName, now, null);
        if (entry) goodbyes.add(entry.key);
        continue;
      }
      const entry = this.entryFor(fullName, now, source);
      if (!entry) continue;
      const timed = { expiresAt: now + r.ttl * 1000, ttlMs: r.ttl * 1000 };
      if (r.type === 'PTR') entry.ptr = timed;
      else if (r.type === 'SRV') {
        if (!entry.srv || entry.srv.port !== r.data.port || entry.srv.target.toLowerCase() !== r.data.target.toLowerCase()) changed = true;
        entry.srv = { ...r.data, ...timed };
      } else if (r.type === 'TXT') {
        const same = entry.txt && entry.txt.strings.length === r.data.length && entry.txt.strings.every((s, i) => s.equals(r.data[i] as Buffer));
        if (!same) {
          changed = true;
          entry.txt = { strings: r.data, decoded: decodeTxt(r.data), ...timed };
        } else if (entry.txt) {
          Object.assign(entry.txt, timed);
        }
      }
      if (!entry.heardOn.has(iface)) changed = true;
      entry.heardOn.set(iface, { source, at: now });
      entry.lastSeen = now;
      touched.add(entry.key);
    }
    for (const key of touched) if (this.entries.get(key)?.firstSeen === now) changed = true;
    return { touched, goodbyes, changed };
  }

  /**
   * Forgets the addresses of host names no entry's SRV points to (those of evicted or departed
   * entries, or never claimed by any): a full host table must not keep newcomers' addresses out
   * until TTLs that a sender chooses run out. `keep`: hosts this packet has just added.
   */
  private pruneHosts(keep: Set<string>): void {
    const wanted = new Set<string>();
    for (const e of this.entries.values()) if (e.srv) wanted.add(e.srv.target.toLowerCase());
    for (const host of this.hosts.keys()) if (!wanted.has(host) && !keep.has(host)) this.hosts.delete(host);
  }

  /**
   * Gives an entry's records (and its host's addresses) at least `fraction` of their lifetime
   * from now: when a link that held them ends, what the entry says (port, addresses) stays true
   * long enough for a re-dial to settle whether the peer is gone, and for a refresh to renew it.
   */
  renew(key: string, now: number, fraction: number): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.changes++;
    for (const r of [entry.ptr, entry.srv, entry.txt]) if (r) r.expiresAt = Math.max(r.expiresAt, now + r.ttlMs * fraction);
    const host = entry.srv ? this.hosts.get(entry.srv.target.toLowerCase()) : undefined;
    if (!host || !entry.srv) return;
    for (const addrs of host.byInterface.values()) for (const [a, exp] of addrs) addrs.set(a, Math.max(exp, entry.srv.expiresAt));
  }

  /**
   * Drops the records whose TTL ran out, and the entries left with none; returns their keys.
   * `held`: entries whose records stay however old (the P2P link proves them alive), with the
   * addresses of the host names their SRV points to.
   */
  expire(now: number, held: ReadonlySet<string> = new Set()): string[] {
    const gone: string[] = [];
    const heldHosts = new Set<string>();
    let next = Infinity;
    for (const entry of this.entries.values()) {
      if (held.has(entry.key)) {
        if (entry.srv) heldHosts.add(entry.srv.target.toLowerCase());
        continue;
      }
      if (entry.ptr && entry.ptr.expiresAt <= now) entry.ptr = null;
      if (entry.srv && entry.srv.expiresAt <= now) entry.srv = null;
      if (entry.txt && entry.txt.expiresAt <= now) entry.txt = null;
      if (!entry.ptr && !entry.srv && !entry.txt) gone.push(entry.key);
      for (const r of [entry.ptr, entry.srv, entry.txt]) if (r && r.expiresAt < next) next = r.expiresAt;
    }
    for (const key of gone) this.delete(key);
    for (const [host, h] of this.hosts) {
      if (heldHosts.has(host)) continue;
      for (const [iface, addrs] of h.byInterface) {
        for (const [a, exp] of addrs) {
          if (exp <= now) addrs.delete(a);
          else if (exp < next) next = exp;
        }
        if (addrs.size === 0) h.byInterface.delete(iface);
      }
      if (h.byInterface.size === 0) this.hosts.delete(host);
    }
    this.nextExpiryAt = next;
    return gone;
  }

  /** Our known answers for a PTR question: records with more than half their TTL left (RFC 6762 §7.1). */
  knownPtrAnswers(now: number): MdnsRecord[] {
    const out: MdnsRecord[] = [];
    for (const e of this.entries.values()) {
      if (e.ptr && e.ptr.expiresAt - now > e.ptr.ttlMs / 2) {
        out.push({ name: '_sd._udp.local', type: 'PTR', ttl: Math.floor((e.ptr.expiresAt - now) / 1000), flush: false, data: `${e.label}._sd._udp.local` });
      }
    }
    return out;
  }

  addressesOf(entry: CacheEntry): string[] {
    const out: string[] = [];
    const host = entry.srv ? this.hosts.get(entry.srv.target.toLowerCase()) : undefined;
    for (const iface of entry.heardOn.keys()) {
      for (const a of host?.byInterface.get(iface)?.keys() ?? []) if (!out.includes(a)) out.push(a);
    }
    if (out.length === 0) for (const { source } of entry.heardOn.values()) if (!out.includes(source)) out.push(source);
    // IPv4 first: the most widely reachable.
    return out.sort((a, b) => Number(a.includes(':')) - Number(b.includes(':'))).slice(0, ADDRESSES_PER_PEER_MAX);
  }

  hasAddresses(entry: CacheEntry): boolean {
    const host = entry.srv ? this.hosts.get(entry.srv.target.toLowerCase()) : undefined;
    return !!host && host.byInterface.size > 0;
  }

  toPeer(entry: CacheEntry): Peer {
    const identity = claimedIdentity(entry.label);
    const metadata = entry.txt?.decoded ?? emptyDeviceMetadata();
    // The label is not metadata: it is cleaned here, for display.
    const instance = toDisplayText(entry.label);
    // The metadata is spread after the first fields, not first: peers built as a copy that then
    // gains a dozen properties each get a hidden class of their own in V8 (measured: building and
    // serialising 512 of them, as every state does under a flood, took 5 times longer).
    return {
      id: entry.key,
      identity,
      instance,
      verified: false,
      ...metadata,
      // A label of nothing but invisible characters leaves nothing to show: never an empty name.
      name: metadata.name || (identity ? shortIdentity(identity) : instance || UNNAMED_PEER),
      // Without an SRV (it ran out while nobody looked) there is nothing to connect to: no port,
      // no addresses; where it was last heard from stays in heardOn, for a direct question.
      addresses: entry.srv ? this.addressesOf(entry) : [],
      port: entry.srv?.port ?? null,
      hostname: entry.srv ? toDisplayText(entry.srv.target, 255) : null,
      interfaces: [...entry.heardOn.keys()].sort(),
      firstSeen: new Date(entry.firstSeen).toISOString(),
      lastSeen: new Date(entry.lastSeen).toISOString(),
      source: 'mdns',
      // Only a handshake proves an account (the directory sets it): never mDNS.
      account: null,
    };
  }
}
