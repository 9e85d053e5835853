// The node's links (DESIGN §5): one per peer identity, to every discovered peer that claims a
// valid identity and gives an address and port, plus those the user added by address and those
// that connect to us. What a link proves turns into what the user sees:
//
// - verified: the key proven in the TLS handshake equals the identity the peer advertises (its
//   mDNS instance) or that was pinned (manual peers). Nothing else ever sets `verified`.
// - impostor: an advertisement whose address answered with another key is never verified and
//   carries a warning; the real owner of that identity, linked elsewhere, stays verified.
// - liveness: a linked peer whose link dies and cannot be re-dialled leaves the list at once
//   (a SIGKILLed node's port refuses; a host gone silent is noticed within the link's silence
//   limit), instead of waiting for mDNS to notice.
//
// Who dials (one link per pair of identities): the lower identity (plain string order of the
// identity texts) dials a discovered peer at once; the higher waits HIGHER_DIAL_GRACE_MS and
// dials only when no link came (the lower may not hear or reach it). Manual peers are always
// dialled. When two links to one identity exist anyway, both sides keep the same one: the one
// dialled by the lower identity; between two dialled the same way, the newer.

import { EventEmitter } from 'node:events';
import type { TLSSocket } from 'node:tls';
import { isRemoteIdentity, shortIdentity } from '../../../src-shared/identity.js';
import type { Peer } from '../../../src-shared/peer.js';
import type { DeviceMetadata } from '../../../src-shared/peerMetadata.js';
import { PeerLink, plainAddress, type LinkCloseReason, type LinkTiming } from './link.js';
import { DialError, LinkServer, dialLink, type DialResult, type LinkServerLimits } from './linkServer.js';
import type { PeerChannel } from './messages.js';
import type { TlsIdentity } from './tlsIdentity.js';
import { PEERS_MAX } from '../discovery/constants.js';

/** The higher identity of a pair dials a discovered peer only if no link came within this. */
export const HIGHER_DIAL_GRACE_MS = 3000;
/** After an unexpected link loss, the peer is dialled again after this (a duplicate's winner may be on its way). */
export const REDIAL_DELAY_MS = 250;
export const DIAL_RETRY_MIN_MS = 1000;
export const DIAL_RETRY_MAX_MS = 60_000;
/** An address that answered with another identity is checked again this often. */
export const IMPOSTOR_RECHECK_MS = 60_000;
/** Authenticated links at once; more are refused. */
export const LINKS_MAX = 128;
/** Authenticated links at once from one address (a host runs one node, a NAS with containers a few). */
export const LINKS_PER_ADDRESS_MAX = 16;
/** Discovered peers we keep links to (the peer table may hold more). */
export const LINK_TARGETS_MAX = 256;
/** Outgoing dials in progress at once, and started per second (a flood of fake advertisements costs little). */
export const DIALS_CONCURRENT_MAX = 16;
export const DIALS_PER_SECOND_MAX = 10;
/** Changes of the discovered list are taken at most this often (the first at once). */
export const SYNC_MIN_INTERVAL_MS = 100;
/** The list shows at most this many devices (the discovery table's cap): linked ones first. */
export const LISTED_PEERS_MAX = PEERS_MAX;

/** How a link came to be, for the peer list's `source`. */
export type LinkOrigin = 'mdns' | 'manual' | 'incoming';

interface MdnsTarget {
  /** `${claimed}|${hostname}|${port}`: one advertised endpoint of one claimed identity. */
  key: string;
  peerId: string;
  claimed: string;
  addresses: string[];
  port: number;
  /** What the last dial of this endpoint proved (null: not dialled yet, or failed). */
  proven: string | null;
  dialing: boolean;
  timer: NodeJS.Timeout | null;
  retryMs: number;
  /** Dialled at least once. */
  tried: boolean;
  /** A verified link to it existed. */
  wasLinked: boolean;
  /** When its link was lost for good (redial failed, or silence): hidden until a sign of life. */
  lostAt: number | null;
  /** A Contacts only peer: the TLS server name to dial it with (fresh each time); else null. */
  serverName: (() => string) | null;
}

export interface LinkManagerOptions {
  tls: TlsIdentity;
  /** Our hello to `remoteIdentity` (proven): metadata and our own P2P port. In Contacts only mode a non-contact gets no metadata. */
  hello: (remoteIdentity: string) => { metadata: DeviceMetadata; port: number };
  /**
   * For a discovered peer reached through a Contacts only token: a fresh TLS server name for each
   * dial (contactsOnly/sniGate.ts); null for an ordinary peer. Such peers are dialled at once.
   */
  serverNameFor?: (peer: Peer) => (() => string) | null;
  /** mDNS stops (or resumes) its own liveness questions for a peer the link vouches for. */
  setMonitored?: (peerId: string, monitored: boolean) => void;
  serverLimits?: Partial<LinkServerLimits>;
  linkTiming?: Partial<LinkTiming>;
}

export interface LinkManagerEvents {
  /** Something the peer list shows changed (a link up or down, metadata, a verdict). */
  change: [];
  /** A link became ready (hello received): what pairing and contacts use. */
  channel: [PeerChannel];
}

/** One advertised endpoint of one claimed identity (a discovered peer's identity, SRV target and port). */
function targetKey(p: Pick<Peer, 'identity' | 'hostname' | 'port'>): string {
  return `${p.identity ?? ''}|${(p.hostname ?? '').toLowerCase()}|${p.port ?? 0}`;
}

export function impostorWarning(name: string, claimed: string): string {
  return `claims to be ${name} (${shortIdentity(claimed)}) but could not prove it`;
}

export class LinkManager extends EventEmitter<LinkManagerEvents> {
  readonly server: LinkServer;
  private readonly links = new Map<string, PeerLink>();
  private readonly origins = new WeakMap<PeerLink, LinkOrigin>();
  private readonly targets = new Map<string, MdnsTarget>();
  private dialsInFlight = 0;
  private nextDialAt = 0;
  private pendingSync: readonly Peer[] | null = null;
  private syncTimer: NodeJS.Timeout | null = null;
  private readonly dialQueue: Array<() => void> = [];
  private enabled = true;
  private stopped = false;
  private readonly startedAt = Date.now();
  /** Identities a discovered advertisement was proven to belong to (for `source` once mDNS forgets them). */
  private readonly discoveredIdentities = new Set<string>();

  constructor(private readonly opts: LinkManagerOptions) {
    super();
    this.server = new LinkServer(opts.tls, (socket, identity) => this.adopt(socket, identity, false, 'incoming'), opts.serverLimits);
  }

  get localIdentity(): string {
    return this.opts.tls.identity;
  }

  /** Binds the P2P port; returns the port bound. */
  listen(port: number): Promise<number> {
    return this.server.listen(port);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.setEnabled(false);
    await this.server.close();
  }

  /** Disabled mode: every link closed, nothing dialled, incoming connections refused. */
  setEnabled(enabled: boolean): void {
    if (this.enabled === enabled) return;
    this.enabled = enabled && !this.stopped;
    this.server.setAccepting(this.enabled);
    if (!this.enabled) {
      if (this.syncTimer) clearTimeout(this.syncTimer);
      this.syncTimer = null;
      this.pendingSync = null;
      for (const t of this.targets.values()) if (t.timer) clearTimeout(t.timer);
      this.targets.clear();
      for (const link of [...this.links.values()]) link.close('local');
      this.links.clear();
    }
    this.emit('change');
  }

  get isEnabled(): boolean {
    return this.enabled;
  }

  /** The ready link to `identity`, if any. */
  linkTo(identity: string): PeerLink | null {
    const link = this.links.get(identity);
    return link?.ready ? link : null;
  }

  /** The ready link to `identity` as pairing sees it. */
  channel(identity: string): PeerChannel | null {
    return this.linkTo(identity);
  }

  readyLinks(): PeerLink[] {
    return [...this.links.values()].filter((l) => l.ready);
  }

  /** Tells every linked peer our new metadata (name, libraries). */
  broadcastMetadata(): void {
    for (const link of this.links.values()) link.sendMetadata(this.opts.hello(link.remoteIdentity).metadata);
  }

  /** Dials `hosts` on `port` (at most DIALS_CONCURRENT_MAX at once, with the others waiting). */
  async dial(hosts: string | string[], port: number, servername?: () => string): Promise<DialResult> {
    if (this.dialsInFlight >= DIALS_CONCURRENT_MAX) await new Promise<void>((resolve) => this.dialQueue.push(resolve));
    this.dialsInFlight++;
    // Spaced out: at most DIALS_PER_SECOND_MAX starts a second.
    const now = Date.now();
    const at = Math.max(now, this.nextDialAt);
    this.nextDialAt = at + 1000 / DIALS_PER_SECOND_MAX;
    if (at > now) await new Promise((resolve) => setTimeout(resolve, at - now));
    try {
      return await dialLink(this.opts.tls, hosts, port, undefined, servername);
    } finally {
      this.dialsInFlight--;
      this.dialQueue.shift()?.();
    }
  }

  /**
   * Takes an authenticated socket as a link to `identity`. Returns the link, or null when it was
   * refused (ourselves, too many links, disabled). A duplicate is settled at once (see the top).
   */
  adopt(socket: TLSSocket, identity: string, outgoing: boolean, origin: LinkOrigin): PeerLink | null {
    const fromAddress = plainAddress(socket.remoteAddress);
    const full = this.links.size >= LINKS_MAX || [...this.links.values()].filter((l) => l.remoteAddress === fromAddress).length >= LINKS_PER_ADDRESS_MAX;
    if (!this.enabled || identity === this.localIdentity || (!this.links.has(identity) && full)) {
      socket.destroy();
      return null;
    }
    const link = new PeerLink({ socket, localIdentity: this.localIdentity, remoteIdentity: identity, outgoing, hello: this.opts.hello(identity), ...(this.opts.linkTiming ? { timing: this.opts.linkTiming } : {}) });
    this.origins.set(link, origin);
    const existing = this.links.get(identity);
    if (existing && !existing.closed) {
      const keep = this.preferred(existing, link);
      const drop = keep === existing ? link : existing;
      this.links.set(identity, keep);
      drop.close('duplicate');
      if (keep === existing) return existing;
    } else {
      this.links.set(identity, link);
    }
    link.on('ready', () => {
      this.refreshTargets(identity);
      this.emit('change');
      if (this.links.get(identity) === link) this.emit('channel', link);
    });
    link.on('metadata', () => this.emit('change'));
    link.on('close', (reason) => this.onLinkClosed(link, reason));
    return link;
  }

  /** Both sides pick the same link: dialled by the lower identity; else the newer. */
  private preferred(a: PeerLink, b: PeerLink): PeerLink {
    const dialer = (l: PeerLink) => (l.outgoing ? l.localIdentity : l.remoteIdentity);
    const lower = a.localIdentity < a.remoteIdentity ? a.localIdentity : a.remoteIdentity;
    if (dialer(a) !== dialer(b)) return dialer(a) === lower ? a : b;
    return b;
  }

  private onLinkClosed(link: PeerLink, reason: LinkCloseReason): void {
    const identity = link.remoteIdentity;
    if (this.links.get(identity) !== link) return; // a duplicate that lost
    this.links.delete(identity);
    if (!this.enabled) return;
    for (const t of this.targets.values()) {
      if (t.claimed !== identity) continue;
      this.opts.setMonitored?.(t.peerId, false);
      if (t.wasLinked && reason === 'silent') t.lostAt = Date.now(); // it went quiet: gone now
      t.retryMs = DIAL_RETRY_MIN_MS;
      this.schedule(t, REDIAL_DELAY_MS);
    }
    this.emit('change');
  }

  // -------------------------------------------------------------------------------------------
  // discovered peers

  /** The discovered peers changed: keep a link to each that claims an identity and gives an endpoint. */
  syncDiscovered(peers: readonly Peer[]): void {
    if (!this.enabled) return;
    // At most every SYNC_MIN_INTERVAL_MS: the first change at once, a burst (a flood) coalesced.
    this.pendingSync = peers;
    if (this.syncTimer) return;
    this.applySync();
    this.syncTimer = setTimeout(() => {
      this.syncTimer = null;
      if (this.pendingSync) this.applySync();
    }, SYNC_MIN_INTERVAL_MS);
  }

  private applySync(): void {
    const peers = this.pendingSync;
    this.pendingSync = null;
    if (!peers || !this.enabled) return;
    const wanted = new Map<string, { peer: Peer; claimed: string; port: number }>();
    for (const p of peers) {
      if (p.identity === null || !isRemoteIdentity(p.identity) || p.identity === this.localIdentity) continue;
      if (p.port === null || p.port === 0 || p.addresses.length === 0) continue;
      const key = targetKey(p);
      if (!wanted.has(key) && wanted.size < LINK_TARGETS_MAX) wanted.set(key, { peer: p, claimed: p.identity, port: p.port });
    }
    for (const [key, t] of this.targets) {
      if (wanted.has(key)) continue;
      if (t.timer) clearTimeout(t.timer);
      this.targets.delete(key);
    }
    for (const [key, w] of wanted) {
      let t = this.targets.get(key);
      if (!t) {
        t = { key, peerId: w.peer.id, claimed: w.claimed, addresses: [], port: w.port, proven: null, dialing: false, timer: null, retryMs: DIAL_RETRY_MIN_MS, tried: false, wasLinked: false, lostAt: null, serverName: null };
        this.targets.set(key, t);
      }
      t.peerId = w.peer.id;
      t.addresses = w.peer.addresses;
      t.serverName = this.opts.serverNameFor?.(w.peer) ?? null;
      // A sign of life from mDNS after the link was lost: shown again (unverified) and re-dialled.
      if (t.lostAt !== null && Date.parse(w.peer.lastSeen) > t.lostAt) {
        t.lostAt = null;
        this.schedule(t, 0);
      }
      this.evaluate(t);
    }
  }

  private refreshTargets(identity: string): void {
    for (const t of this.targets.values()) if (t.claimed === identity) this.evaluate(t);
  }

  /** Whether the ready link to the claimed identity vouches for this endpoint. */
  private vouches(t: MdnsTarget, link: PeerLink): boolean {
    if (t.proven === t.claimed) return true;
    // A link from the same address (it dialled us) is that endpoint's owner.
    return t.addresses.some((a) => plainAddress(a.replace(/%.*$/, '')) === link.remoteAddress.replace(/%.*$/, ''));
  }

  private evaluate(t: MdnsTarget): void {
    if (!this.enabled) return;
    const link = this.linkTo(t.claimed);
    if (link && this.vouches(t, link)) {
      t.proven = t.claimed;
      t.wasLinked = true;
      if (this.discoveredIdentities.size >= LINK_TARGETS_MAX * 4) this.discoveredIdentities.clear();
      this.discoveredIdentities.add(t.claimed);
      t.lostAt = null;
      t.retryMs = DIAL_RETRY_MIN_MS;
      if (t.timer) clearTimeout(t.timer);
      t.timer = null;
      this.opts.setMonitored?.(t.peerId, true);
      return;
    }
    if (t.dialing || t.timer) return;
    if (t.proven !== null && t.proven !== t.claimed) return; // an impostor: rechecked on its own timer
    if (this.links.has(t.claimed) && !link) return; // a link to it is being set up
    // The higher identity gives the lower one a moment to dial first.
    const delay = !t.tried && !link && this.localIdentity > t.claimed && t.serverName === null ? HIGHER_DIAL_GRACE_MS : 0;
    this.schedule(t, delay);
  }

  private schedule(t: MdnsTarget, delayMs: number): void {
    if (t.timer) clearTimeout(t.timer);
    t.timer = setTimeout(() => {
      t.timer = null;
      void this.dialTarget(t);
    }, delayMs);
  }

  private async dialTarget(t: MdnsTarget): Promise<void> {
    if (!this.enabled || this.targets.get(t.key) !== t || t.dialing) return;
    const existing = this.linkTo(t.claimed);
    if (existing && this.vouches(t, existing)) return this.evaluate(t);
    t.dialing = true;
    t.tried = true;
    let result: DialResult | null = null;
    let failure: DialError | null = null;
    try {
      result = await this.dial(t.addresses, t.port, t.serverName ?? undefined);
    } catch (err) {
      failure = err instanceof DialError ? err : new DialError('other', (err as Error).message);
    }
    t.dialing = false;
    if (this.targets.get(t.key) !== t || !this.enabled) {
      result?.socket.destroy();
      return;
    }
    if (result) {
      t.proven = result.identity;
      if (result.identity === t.claimed) {
        // The endpoint is the claimed identity's. Keep the link unless one already serves it.
        if (this.linkTo(t.claimed)) result.socket.destroy();
        else this.adopt(result.socket, result.identity, true, 'mdns');
        this.evaluate(t);
      } else {
        // Someone else's key at this endpoint: an impostor (or a stale advertisement).
        result.socket.destroy();
        this.opts.setMonitored?.(t.peerId, false);
        this.schedule(t, IMPOSTOR_RECHECK_MS);
      }
      this.emit('change');
      return;
    }
    // Unreachable. A peer that was linked and cannot be re-dialled is gone now.
    if (t.proven !== null && t.proven !== t.claimed) t.proven = null; // the impostor left
    if (t.wasLinked && !this.linkTo(t.claimed) && t.lostAt === null) {
      t.lostAt = Date.now();
      this.emit('change');
    }
    const delay = t.retryMs * (0.8 + Math.random() * 0.4);
    t.retryMs = Math.min(t.retryMs * 2, DIAL_RETRY_MAX_MS);
    if (failure) this.schedule(t, delay);
  }

  // -------------------------------------------------------------------------------------------
  // the peer list

  /**
   * The peers to show: the discovered ones with what their links proved (verified, impostor
   * warnings, hidden when their link died), then every linked peer no discovered entry stands for
   * (added by address, or connected to us). `manual` maps pinned identities to their address.
   */
  decoratePeers(discovered: readonly Peer[], manual: ReadonlyMap<string, string>): Peer[] {
    const out: Peer[] = [];
    const shown = new Set<string>();
    for (const p of discovered) {
      // Only what was learned about the endpoint the peer advertises now counts (the cache may
      // have changed since the targets were last synced: an impostor's SRV just replaced the real one).
      const target = p.identity !== null ? this.targets.get(targetKey(p)) : undefined;
      const targets = target ? [target] : [];
      const claimed = p.identity;
      const link = claimed ? this.linkTo(claimed) : null;
      // An entry with no endpoint of its own (no SRV yet) is the linked device when it was heard from the link's address.
      const sameHost = !!link && (p.port === null || p.hostname === null) && p.addresses.some((a) => plainAddress(a.replace(/%.*$/, '')) === link.remoteAddress.replace(/%.*$/, ''));
      const verified = !!link && (sameHost || targets.some((t) => t.proven === t.claimed && this.vouches(t, link)));
      const impostor = targets.some((t) => t.proven !== null && t.proven !== t.claimed);
      const lost = !link && targets.some((t) => t.lostAt !== null);
      if (lost) continue;
      if (verified && link && claimed && !shown.has(claimed)) {
        shown.add(claimed);
        out.push(this.merge(p, link));
      } else if (verified) {
        continue; // a second entry for a device already shown
      } else if (impostor && claimed) {
        out.push({ ...p, verified: false, warning: impostorWarning(p.name, claimed) });
      } else {
        out.push(p);
      }
    }
    for (const link of this.links.values()) {
      if (!link.ready || shown.has(link.remoteIdentity)) continue;
      shown.add(link.remoteIdentity);
      const address = manual.get(link.remoteIdentity);
      const origin = this.origins.get(link) ?? 'incoming';
      const source = address !== undefined ? 'manual' : origin === 'mdns' || this.discoveredIdentities.has(link.remoteIdentity) ? 'mdns' : origin === 'manual' ? 'manual' : 'link';
      out.push(this.linkPeer(link, source));
    }
    if (out.length > LISTED_PEERS_MAX) {
      // Over the cap (a flood filled the discovery table and linked devices come on top): the
      // unverified that were heard from least recently make room; verified devices stay.
      const unverified = out.filter((p) => !p.verified).sort((a, b) => Date.parse(a.lastSeen) - Date.parse(b.lastSeen));
      const drop = new Set(unverified.slice(0, out.length - LISTED_PEERS_MAX));
      return out.filter((p) => !drop.has(p));
    }
    return out;
  }

  private merge(p: Peer, link: PeerLink): Peer {
    const meta = link.remoteMetadata;
    const lastSeen = Math.max(Date.parse(p.lastSeen) || 0, link.lastReceivedAt);
    return {
      ...p,
      ...(meta ?? {}),
      name: meta && meta.name !== '' ? meta.name : p.name,
      verified: true,
      lastSeen: new Date(lastSeen).toISOString(),
    };
  }

  private linkPeer(link: PeerLink, source: Peer['source']): Peer {
    const meta = link.remoteMetadata as DeviceMetadata;
    return {
      id: `link:${link.remoteIdentity}`,
      identity: link.remoteIdentity,
      instance: link.remoteIdentity,
      verified: true,
      ...meta,
      name: meta.name !== '' ? meta.name : shortIdentity(link.remoteIdentity),
      addresses: link.remoteAddress ? [link.remoteAddress] : [],
      port: link.remoteListenPort,
      hostname: null,
      interfaces: [],
      firstSeen: new Date(Math.max(link.establishedAt, this.startedAt)).toISOString(),
      lastSeen: new Date(link.lastReceivedAt).toISOString(),
      source,
    };
  }
}
