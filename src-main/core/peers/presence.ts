// Presence (issue 9): who is listed, how sure we are of each, and what that costs the network.
// It joins the parts that each know one thing: discovery (what mDNS heard), the peer directory
// (the list), the verifier (short handshakes), the links (relationships) and the attention
// registry (whether anyone is looking). The rules it carries out:
//
// - Links are for relationships, not for presence: a standing link to contacts, devices that
//   share a library with us (members we know, announcing it), a pairing in progress, and, while someone looks, the device whose
//   details are open (manual peers keep theirs through ManualPeers).
// - Verification without a mesh: while someone looks, every listed device that claims an identity
//   is verified by a short handshake, what is on screen first (verifier.ts paces them).
// - Liveness by attention: while someone looks, discovery checks the listed devices and links
//   keep their attentive pace; nobody looking, no per-peer traffic at all.

import { EventEmitter } from 'node:events';
import { CommandError } from '../../../src-shared/contract.js';
import type { Peer } from '../../../src-shared/peer.js';
import type { PeerChannel } from '../p2p/messages.js';
import type { ModeContext, ModePolicy } from '../modes/modePolicy.js';
import type { LinkManager, LinkWant } from '../p2p/linkManager.js';
import type { LinkStanding } from '../p2p/linkCaps.js';
import type { Attention } from './attention.js';
import type { DirectoryView, PeerDirectory } from './peerDirectory.js';
import type { Verifier, VerifyTarget } from './verifier.js';

/** Changes are taken together when they come within this (a burst of announcements, links coming up). */
export const PRESENCE_REFRESH_DELAY_MS = 20;
/** While an impostor holds a device's records, the real device is asked to answer again at most this often. */
export const HIJACK_REQUERY_MIN_INTERVAL_MS = 10_000;
/** How long opening a link on demand (pairing) may take. */
export const LINK_ON_DEMAND_WAIT_MS = 4000;
/**
 * While someone looks, the answers to discovery's direct questions move the devices' "last seen"
 * and nothing else: the list is rebuilt for that at most this often (each rebuild is a state
 * pushed to every client), and at once when a client asks for the state.
 */
export const LAST_SEEN_REFRESH_MS = 5000;

/** What presence needs of the discovery engine. */
export interface DiscoveryControl {
  /** What mDNS knows now, and a count that changes whenever a peer was heard from. */
  peers(): Peer[];
  readonly heardCount: number;
  setLooking(looking: boolean): void;
  setMonitored(entryId: string, monitored: boolean): void;
  /** Asks the LAN for an instance's records again (the owner answers, its records replace an impostor's); of the whole service where the mode may not name it. */
  askFor(instanceName: string): void;
}

export interface PresenceOptions {
  discovery: DiscoveryControl;
  directory: PeerDirectory;
  verifier: Verifier;
  links: LinkManager;
  attention: Attention;
  policy: () => ModePolicy;
  modeContext: ModeContext;
  /** Our libraries' members by library uuid: a member announcing the library shares it with us; anyone else announcing it only claims it. */
  libraryMembers: () => ReadonlyMap<string, ReadonlySet<string>>;
  /** Identities we are pairing with right now. */
  pairingWith: () => ReadonlySet<string>;
  /** For a contact behind a Contacts only token: a fresh TLS server name per dial; else null. */
  serverNameFor: (peer: Peer) => (() => string) | null;
}

export class Presence extends EventEmitter<{ change: [] }> {
  private timer: NodeJS.Timeout | null = null;
  private lastSeenTimer: NodeJS.Timeout | null = null;
  /** discovery.heardCount when the list was last built from discovery's peers. */
  private heardCountBuilt = -1;
  private monitored = new Set<string>();
  private readonly askedAt = new Map<string, number>();
  /** Identities a command wants linked for a moment (a pairing about to start). */
  private readonly extraWants = new Set<string>();
  /** The identities the last syncLinks wanted linked (relationships this node dials). */
  private wanted: ReadonlySet<string> = new Set();
  private closed = false;

  constructor(private readonly opts: PresenceOptions) {
    super();
    opts.attention.on('change', () => this.attentionChanged());
    opts.attention.on('focus', () => this.schedule());
    opts.links.on('change', () => this.schedule());
    opts.verifier.on('change', () => this.schedule());
    this.attentionChanged();
  }

  get looking(): boolean {
    return this.opts.attention.isLooking;
  }

  /** The list as last built. */
  get view(): DirectoryView {
    return this.opts.directory.current;
  }

  /**
   * The list, rebuilt first if a peer was heard from since (its "last seen" moved). For a client
   * asking: no 'change' follows (that would push a state to every client for each answer heard).
   */
  freshView(): DirectoryView {
    return this.opts.discovery.heardCount === this.heardCountBuilt ? this.view : this.refreshFromDiscovery(false);
  }

  /** What mDNS heard changed (the engine's 'peers' event). */
  discovered(peers: readonly Peer[]): void {
    this.opts.directory.setDiscovered(peers);
    this.heardCountBuilt = this.opts.discovery.heardCount;
    this.schedule();
  }

  private refreshFromDiscovery(announce: boolean): DirectoryView {
    this.opts.directory.setDiscovered(this.opts.discovery.peers());
    this.heardCountBuilt = this.opts.discovery.heardCount;
    return this.refresh(announce);
  }

  /** Something the list depends on changed: rebuild soon (changes coming together are taken together). */
  schedule(): void {
    if (this.timer || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.refresh();
    }, PRESENCE_REFRESH_DELAY_MS);
  }

  /** Rebuilds the list now and acts on it: links wanted, verifications, discovery's checks; then 'change' unless `announce` is false. */
  refresh(announce = true): DirectoryView {
    // A change waiting for its rebuild is taken in this one, and announced with it.
    const changeWaiting = this.timer !== null;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const view = this.opts.directory.rebuild();
    if (this.closed) return view;
    this.syncMonitored(view);
    this.syncLinks(view);
    if (this.looking) {
      this.opts.verifier.request(this.byPriority(view.unverified));
      this.askAgainFor(view.hijacked);
    }
    if (announce || changeWaiting) this.emit('change');
    return view;
  }

  /**
   * Wants a link to `identity` for a moment (pairing is about to start over it), dialled at once;
   * false when no endpoint of it is known to dial.
   */
  wantLink(identity: string, wanted: boolean): boolean {
    if (wanted) this.extraWants.add(identity);
    else this.extraWants.delete(identity);
    this.refresh();
    return wanted ? this.opts.links.dialNow(identity) : false;
  }

  /**
   * The link to a listed device: the one there is, or one dialled now (pairing over it is a
   * relationship); rejects with the reason when none can be opened. The link's TLS handshake
   * proves the device's identity (DESIGN §5).
   */
  async openLink(peer: Peer): Promise<PeerChannel> {
    const identity = peer.identity;
    if (identity === null) throw new CommandError('refused', `${peer.name} does not claim a valid identity: it cannot be paired with`);
    const existing = this.opts.links.channel(identity);
    if (existing) return existing;
    const since = Date.now();
    let failure: string | null = null;
    // Not dialled yet when its endpoint is unknown (its records ran out while nobody looked: they are being asked for).
    let dialled = this.wantLink(identity, true);
    try {
      while (Date.now() < since + LINK_ON_DEMAND_WAIT_MS && !this.closed) {
        const channel = this.opts.links.channel(identity);
        if (channel) return channel;
        if (!dialled) dialled = this.opts.links.dialNow(identity);
        else if ((failure = this.opts.links.failureSince(identity, since)) !== null) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    } finally {
      this.wantLink(identity, false);
    }
    const why = failure ?? (dialled ? `no link came within ${LINK_ON_DEMAND_WAIT_MS / 1000} s` : 'its address and port are not known yet; try again in a moment');
    throw new CommandError('refused', `${peer.name} is not connected: a verified link is needed to pair, and none could be opened (${why})`);
  }

  /**
   * What an identity that connected to us is to this node, for the link caps (p2p/linkCaps.ts): a
   * relationship (a contact, a manual peer, a pairing, a link we want), a stranger mDNS announced,
   * or neither. A library the link itself claims to share counts for nothing: library ids are public.
   */
  standingOf(identity: string): LinkStanding {
    const ctx = this.opts.modeContext;
    if (ctx.isContact(identity) || ctx.isPinned(identity) || this.wanted.has(identity) || this.extraWants.has(identity) || this.opts.pairingWith().has(identity)) return 'relationship';
    return this.opts.directory.isAnnounced(identity) ? 'announced' : 'unannounced';
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.lastSeenTimer) clearInterval(this.lastSeenTimer);
    this.timer = this.lastSeenTimer = null;
  }

  private attentionChanged(): void {
    const looking = this.looking;
    this.opts.discovery.setLooking(looking);
    this.opts.links.setAttentive(looking);
    this.opts.verifier.setActive(looking);
    if (looking && !this.lastSeenTimer && !this.closed) {
      this.lastSeenTimer = setInterval(() => {
        if (this.opts.discovery.heardCount !== this.heardCountBuilt) this.refreshFromDiscovery(true);
      }, LAST_SEEN_REFRESH_MS);
    } else if (!looking && this.lastSeenTimer) {
      clearInterval(this.lastSeenTimer);
      this.lastSeenTimer = null;
    }
    this.schedule();
  }

  private syncMonitored(view: DirectoryView): void {
    for (const id of this.monitored) if (!view.vouched.has(id)) this.opts.discovery.setMonitored(id, false);
    for (const id of view.vouched) if (!this.monitored.has(id)) this.opts.discovery.setMonitored(id, true);
    this.monitored = new Set(view.vouched);
  }

  /** Standing links follow relationships (see the top); the mode says with whom a link may exist at all. */
  private syncLinks(view: DirectoryView): void {
    const policy = this.opts.policy();
    const ctx = this.opts.modeContext;
    for (const link of this.opts.links.readyLinks()) if (!policy.linksWith(link.remoteIdentity, ctx)) link.close('local');
    if (!policy.discovers) return;
    const members = this.opts.libraryMembers();
    const pairing = this.opts.pairingWith();
    const open = new Set(this.looking ? this.opts.attention.openPeerIds() : []);
    const wants = new Map<string, LinkWant>();
    for (const [identity, entry] of view.reachable) {
      if (entry.port === null || entry.port === 0 || entry.addresses.length === 0 || !policy.linksWith(identity, ctx)) continue;
      const mutual = ctx.isContact(identity) || entry.libraries.some((l) => members.get(l.uuid)?.has(identity) === true);
      const asked = pairing.has(identity) || this.extraWants.has(identity) || open.has(identity);
      if (!mutual && !asked) continue;
      wants.set(identity, { identity, addresses: entry.addresses, port: entry.port, serverName: this.opts.serverNameFor(entry), mutual, heardAt: Date.parse(entry.lastSeen) });
    }
    this.wanted = new Set(wants.keys());
    this.opts.links.setWanted(wants);
  }

  /** What is on screen first: the open details, then the visible rows, then the rest in list order. */
  private byPriority(unverified: ReadonlyMap<string, VerifyTarget>): VerifyTarget[] {
    const out: VerifyTarget[] = [];
    const taken = new Set<string>();
    const take = (id: string) => {
      const t = unverified.get(id);
      if (t && !taken.has(id)) {
        taken.add(id);
        out.push(t);
      }
    };
    for (const id of this.opts.attention.openPeerIds()) take(id);
    for (const id of this.opts.attention.visiblePeerIds()) take(id);
    for (const id of unverified.keys()) take(id);
    return out;
  }

  private askAgainFor(identities: readonly string[]): void {
    const now = Date.now();
    for (const identity of identities) {
      if ((this.askedAt.get(identity) ?? 0) > now - HIJACK_REQUERY_MIN_INTERVAL_MS) continue;
      this.askedAt.set(identity, now);
      this.opts.discovery.askFor(`${identity}._sd._udp.local`);
    }
    if (this.askedAt.size > 1024) for (const [id, at] of this.askedAt) if (at <= now - HIJACK_REQUERY_MIN_INTERVAL_MS) this.askedAt.delete(id);
  }
}
