// The node's standing links (DESIGN §5): one per peer identity, kept only where a relationship
// earns its cost (issue 9): contacts, devices that share a library with us, manual peers, a
// pairing in progress, and, while someone looks, the device whose details are open. The node
// says which identities it wants linked (setWanted); this module dials them, keeps them, re-dials
// them when they drop, and closes the ones it dialled once they are no longer wanted. Links other
// nodes open to us are kept while they keep them (their relationship), within the caps: who may
// hold a place in the table is linkCaps.ts's to say (relationships first, strangers in pools).
// What a link proves is its own: the identity the TLS handshake proved. Turning that into the
// list the user sees is the peer directory's job (core/peers/).
//
// Who dials when both sides want the link (contacts, a shared library): the lower identity (plain
// string order) at once, the higher after HIGHER_DIAL_GRACE_MS if no link came (the lower may not
// hear or reach it). When two links to one identity exist anyway, both sides keep the same one:
// the one dialled by the lower identity; between two dialled the same way, the newer.

import { EventEmitter } from 'node:events';
import type { TLSSocket } from 'node:tls';
import { Backoff } from '../../../src-shared/backoff.js';
import { shortIdentity } from '../../../src-shared/identity.js';
import type { DeviceMetadata } from '../../../src-shared/peerMetadata.js';
import { LINK_PACE_AT_REST, LINK_PACE_ATTENTIVE, PeerLink, plainAddress, type LinkCloseReason, type LinkTiming } from './link.js';
import { DialError, LinkServer, dialLink, type DialResult, type LinkServerLimits } from './linkServer.js';
import { admitLink, networkOf, type LinkSlot, type LinkStanding } from './linkCaps.js';
import type { PeerChannel } from './messages.js';
import type { TlsIdentity } from './tlsIdentity.js';
import type { AccountPresentation } from '../accounts/accountTrust.js';

/** The higher identity of a pair that both want a link dials only if no link came within this. */
export const HIGHER_DIAL_GRACE_MS = 3000;
/** After an unexpected link loss, the peer is dialled again after this (a duplicate's winner may be on its way). */
export const REDIAL_DELAY_MS = 250;
export const DIAL_RETRY_MIN_MS = 1000;
export const DIAL_RETRY_MAX_MS = 60_000;
/** A link we dialled that is no longer wanted closes after this (a details panel closed and opened again keeps it). */
export const LINK_LINGER_MS = 10_000;
/** A stranger's links closed for the caps, or for misbehaving, are logged at most this often per network (an attacker must not flood the log). */
export const LINK_LOG_INTERVAL_MS = 60_000;
/** Networks whose last log line is remembered (the least recent forgotten first). */
const LOGGED_NETWORKS_MAX = 256;
/** Outgoing dials in progress at once, and started per second (a flood of fake advertisements costs little). */
export const DIALS_CONCURRENT_MAX = 16;
export const DIALS_PER_SECOND_MAX = 10;

/** How a link came to be, for the peer list's `source`. */
export type LinkOrigin = 'mdns' | 'manual' | 'incoming';

/** A link the node wants, and where to dial it. */
export interface LinkWant {
  identity: string;
  addresses: string[];
  port: number;
  /** A Contacts only peer: a fresh TLS server name for each dial (contactsOnly/sniGate.ts); else null. */
  serverName: (() => string) | null;
  /** Both sides want this link (contacts, a shared library): the higher identity lets the lower dial first. */
  mutual: boolean;
  /** When discovery last heard from it (ms); a sign of life after a loss dials it again at once. */
  heardAt: number;
}

interface Target {
  want: LinkWant;
  dialing: boolean;
  timer: NodeJS.Timeout | null;
  backoff: Backoff;
  /** Dialled at least once. */
  tried: boolean;
  /** A link to it was up once. */
  wasLinked: boolean;
  /** The last dial that failed, and why (in words for the user). */
  failure: { at: number; reason: string } | null;
}

export interface LinkManagerOptions {
  tls: TlsIdentity;
  /** Our hello to `remoteIdentity` (proven): metadata and our own P2P port. In Contacts only mode a non-contact gets no metadata. */
  hello: (remoteIdentity: string) => { metadata: DeviceMetadata; port: number; account?: AccountPresentation | null };
  serverLimits?: Partial<LinkServerLimits>;
  linkTiming?: Partial<LinkTiming>;
  /**
   * What an identity that connected to us is to this node (linkCaps.ts): a relationship, a
   * stranger mDNS announced, or neither. Links we dial are relationships. Without it (a manager
   * on its own, as in a bench) every link is one.
   */
  standing?: (identity: string) => LinkStanding;
  /** Where links closed for the caps or for misbehaving are reported (default: a process warning). */
  log?: (message: string) => void;
}

export interface LinkManagerEvents {
  /** Something the peer list shows changed (a link up or down, metadata, a loss). */
  change: [];
  /** A link became ready (hello received): what pairing and contacts use. */
  channel: [PeerChannel];
}

export class LinkManager extends EventEmitter<LinkManagerEvents> {
  readonly server: LinkServer;
  private readonly links = new Map<string, PeerLink>();
  private readonly origins = new WeakMap<PeerLink, LinkOrigin>();
  private readonly targets = new Map<string, Target>();
  /** Identities whose link was lost for good (re-dial failed, or silence), and when. */
  private readonly lost = new Map<string, number>();
  private readonly lingering = new Map<string, NodeJS.Timeout>();
  private dialsInFlight = 0;
  private nextDialAt = 0;
  private readonly dialQueue: Array<() => void> = [];
  private enabled = true;
  private stopped = false;
  private attentive = false;
  /** When a network's closed links were last logged (LINK_LOG_INTERVAL_MS), and how many since. */
  private readonly loggedAt = new Map<string, { at: number; unlogged: number }>();
  readonly stats = { refused: 0, evicted: 0 };

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
      for (const t of this.targets.values()) if (t.timer) clearTimeout(t.timer);
      this.targets.clear();
      for (const timer of this.lingering.values()) clearTimeout(timer);
      this.lingering.clear();
      for (const link of [...this.links.values()]) link.close('local');
      this.links.clear();
      this.lost.clear();
    }
    this.emit('change');
  }

  get isEnabled(): boolean {
    return this.enabled;
  }

  /** While someone looks at the list, links keep the attentive pace (a silent host noticed in seconds). */
  setAttentive(attentive: boolean): void {
    if (this.attentive === attentive) return;
    this.attentive = attentive;
    for (const link of this.links.values()) link.setPace(this.pace());
  }

  private pace() {
    return { ...(this.attentive ? LINK_PACE_ATTENTIVE : LINK_PACE_AT_REST), ...pick(this.opts.linkTiming) };
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

  originOf(link: PeerLink): LinkOrigin {
    return this.origins.get(link) ?? 'incoming';
  }

  /** When the link to `identity` was lost for good (its re-dial failed, or it went silent); null otherwise. */
  lostAt(identity: string): number | null {
    return this.lost.get(identity) ?? null;
  }

  /** Why the last dial of a wanted identity at or after `since` (ms) failed; null when none did. */
  failureSince(identity: string, since: number): string | null {
    const f = this.targets.get(identity)?.failure;
    return f && f.at >= since ? f.reason : null;
  }

  /** Tells every linked peer our new metadata (name, libraries). */
  broadcastMetadata(): void {
    for (const link of this.links.values()) link.sendMetadata(this.opts.hello(link.remoteIdentity).metadata);
  }

  /** Dials `hosts` on `port` for a link (at most DIALS_CONCURRENT_MAX at once, the others waiting). */
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
   * refused (ourselves, no place for it among the caps of linkCaps.ts, disabled). A duplicate is settled at once (see the top).
   */
  adopt(socket: TLSSocket, identity: string, outgoing: boolean, origin: LinkOrigin): PeerLink | null {
    if (!this.enabled || identity === this.localIdentity || (!this.links.has(identity) && !this.makeRoom(socket, identity, outgoing))) {
      socket.destroy();
      return null;
    }
    const link = new PeerLink({ socket, localIdentity: this.localIdentity, remoteIdentity: identity, outgoing, hello: this.opts.hello(identity), timing: { ...this.opts.linkTiming, ...this.pace() } });
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
      this.lost.delete(identity);
      const t = this.targets.get(identity);
      if (t) {
        t.wasLinked = true;
        t.backoff.reset();
        if (t.timer) clearTimeout(t.timer);
        t.timer = null;
      }
      this.emit('change');
      if (this.links.get(identity) === link) this.emit('channel', link);
    });
    link.on('metadata', () => this.emit('change'));
    link.on('close', (reason) => {
      if (reason === 'metadata-flood') this.logFor(link.remoteAddress, `closed the link from ${link.remoteAddress} (${shortIdentity(identity)}): it sent its metadata again and again, faster than one update per ${link.metadataIntervalMs / 1000} s`);
      this.onLinkClosed(link, reason);
    });
    return link;
  }

  /** Whether a new link to `identity` has a place (linkCaps.ts); closes the links it takes the place of. */
  private makeRoom(socket: TLSSocket, identity: string, outgoing: boolean): boolean {
    const slotOf = (link: PeerLink): LinkSlot => ({ identity: link.remoteIdentity, address: link.remoteAddress, standing: this.standingOf(link.remoteIdentity, link.outgoing), since: link.establishedAt });
    const current = [...this.links.values()].filter((l) => !l.closed);
    const address = plainAddress(socket.remoteAddress);
    const admission = admitLink(current.map(slotOf), { identity, address, standing: this.standingOf(identity, outgoing), since: Date.now() });
    if (!admission.admit) {
      this.stats.refused++;
      this.logFor(address, `refused a link from ${address}: ${admission.reason}`);
      return false;
    }
    for (const slot of admission.evict) {
      this.stats.evicted++;
      this.logFor(slot.address, `closed the oldest link from ${slot.address} to make room for a newer one from ${address} (links nobody here asked for have a small pool)`);
      this.links.get(slot.identity)?.close('evicted');
    }
    return true;
  }

  private standingOf(identity: string, outgoing: boolean): LinkStanding {
    // We dialled it because we want it (a relationship, a pairing, a manual peer).
    if (outgoing || !this.opts.standing) return 'relationship';
    return this.opts.standing(identity);
  }

  /** Logs a stranger's closed link, at most once per network per LINK_LOG_INTERVAL_MS (with how many went unlogged). */
  private logFor(address: string, message: string): void {
    const network = networkOf(address);
    const now = Date.now();
    const last = this.loggedAt.get(network);
    if (last && now - last.at < LINK_LOG_INTERVAL_MS) {
      last.unlogged++;
      return;
    }
    const more = last && last.unlogged > 0 ? ` (and ${last.unlogged} more from ${network} in the last ${Math.round((now - last.at) / 1000)} s)` : '';
    this.loggedAt.delete(network);
    this.loggedAt.set(network, { at: now, unlogged: 0 });
    if (this.loggedAt.size > LOGGED_NETWORKS_MAX) this.loggedAt.delete(this.loggedAt.keys().next().value as string);
    (this.opts.log ?? ((m: string) => process.emitWarning(m)))(`${message}${more}`);
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
    const t = this.targets.get(identity);
    if (t) {
      // Still wanted: dial again at once; a peer that went silent is gone now (no re-dial reaches a host that is off).
      if (reason === 'silent') this.lost.set(identity, Date.now());
      t.backoff.reset();
      this.schedule(t, REDIAL_DELAY_MS);
    }
    this.emit('change');
  }

  // -------------------------------------------------------------------------------------------
  // the links the node wants

  /** The identities the node wants linked now, with where to reach them. The others we dialled close after LINK_LINGER_MS. */
  setWanted(wants: ReadonlyMap<string, LinkWant>): void {
    if (!this.enabled) return;
    for (const [identity, t] of this.targets) {
      if (wants.has(identity)) continue;
      if (t.timer) clearTimeout(t.timer);
      this.targets.delete(identity);
      this.lost.delete(identity);
      this.linger(identity);
    }
    for (const [identity, want] of wants) {
      if (identity === this.localIdentity) continue;
      const lingering = this.lingering.get(identity);
      if (lingering) clearTimeout(lingering);
      this.lingering.delete(identity);
      let t = this.targets.get(identity);
      if (!t) {
        t = { want, dialing: false, timer: null, backoff: new Backoff({ minMs: DIAL_RETRY_MIN_MS, maxMs: DIAL_RETRY_MAX_MS, jitter: [0.8, 1.2] }), tried: false, wasLinked: false, failure: null };
        this.targets.set(identity, t);
      }
      t.want = want;
      // A sign of life after a loss: dial it now.
      const lostAt = this.lost.get(identity);
      if (lostAt !== undefined && want.heardAt > lostAt) {
        this.lost.delete(identity);
        this.schedule(t, 0);
      }
      this.evaluate(t);
    }
  }

  /**
   * Someone asks for this link now (a pairing about to start): dialled at once, even after a loss.
   * False when it is not wanted (the node knows no endpoint of it).
   */
  dialNow(identity: string): boolean {
    const t = this.targets.get(identity);
    if (!t) return false;
    this.lost.delete(identity);
    if (!this.links.has(identity) && !t.dialing) this.schedule(t, 0);
    return true;
  }

  /** A link we dialled and no longer want closes after a while; one the other side opened stays theirs to close. */
  private linger(identity: string): void {
    const link = this.links.get(identity);
    if (!link?.outgoing || this.lingering.has(identity)) return;
    this.lingering.set(
      identity,
      setTimeout(() => {
        this.lingering.delete(identity);
        if (!this.targets.has(identity) && this.links.get(identity) === link) link.close('local');
      }, LINK_LINGER_MS),
    );
  }

  private evaluate(t: Target): void {
    if (!this.enabled || this.links.has(t.want.identity) || t.dialing || t.timer || this.lost.has(t.want.identity)) return;
    // The higher identity gives the lower one a moment to dial first.
    const delay = !t.tried && t.want.mutual && t.want.serverName === null && this.localIdentity > t.want.identity ? HIGHER_DIAL_GRACE_MS : 0;
    this.schedule(t, delay);
  }

  private schedule(t: Target, delayMs: number): void {
    if (t.timer) clearTimeout(t.timer);
    t.timer = setTimeout(() => {
      t.timer = null;
      void this.dialTarget(t);
    }, delayMs);
  }

  private async dialTarget(t: Target): Promise<void> {
    const identity = t.want.identity;
    if (!this.enabled || this.targets.get(identity) !== t || t.dialing || this.linkTo(identity)) return;
    t.dialing = true;
    t.tried = true;
    let result: DialResult | null = null;
    let reason = 'it proved another identity at that address';
    try {
      result = await this.dial(t.want.addresses, t.want.port, t.want.serverName ?? undefined);
    } catch (err) {
      reason = err instanceof DialError ? describeDialFailure(err) : (err as Error).message;
    }
    t.dialing = false;
    if (this.targets.get(identity) !== t || !this.enabled) {
      result?.socket.destroy();
      return;
    }
    if (result && result.identity === identity) {
      if (this.linkTo(identity)) result.socket.destroy();
      else this.adopt(result.socket, identity, true, 'mdns');
      return;
    }
    // Unreachable, or someone else's key at that endpoint (the verifier tells the user which).
    result?.socket.destroy();
    t.failure = { at: Date.now(), reason };
    if (t.wasLinked && !this.linkTo(identity) && !this.lost.has(identity)) {
      // A peer that was linked and cannot be re-dialled is gone now (a killed node's port refuses).
      this.lost.set(identity, Date.now());
      this.emit('change');
    }
    this.schedule(t, t.backoff.next());
  }
}

/** A failed dial in words for the user. */
export function describeDialFailure(err: DialError): string {
  switch (err.kind) {
    case 'refused':
      return 'its P2P port refused the connection';
    case 'timed-out':
      return 'it did not answer in time';
    case 'unreachable':
      return 'there is no route to it';
    case 'not-nearby':
      return 'something else answers on its port';
    default:
      return err.message;
  }
}

/** The pace fields of a timing override (tests shorten them), if any. */
function pick(timing: Partial<LinkTiming> | undefined): Partial<LinkTiming> {
  if (!timing) return {};
  const out: Partial<LinkTiming> = {};
  if (timing.pingIntervalMs !== undefined) out.pingIntervalMs = timing.pingIntervalMs;
  if (timing.silenceLimitMs !== undefined) out.silenceLimitMs = timing.silenceLimitMs;
  return out;
}
