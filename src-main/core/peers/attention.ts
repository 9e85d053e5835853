// Who is looking at this node (issue 9, liveness by attention). A client subscribed to the node's
// state (the Electron window, the web UI, /api/events, /api/ws) is someone looking, until its
// session closes or it says it is not (a hidden window, a background tab: setAttention looking
// false). A plain getState (GET /api/state) is a short look: a lease that each call renews.
// While someone looks the node keeps its list exact; nobody looking, it spends nothing per peer.
// Each looking session also says what it shows: the device whose details are open, and the
// devices whose rows are on screen; what is on screen goes first.

import { EventEmitter } from 'node:events';

/** How long one getState counts as someone looking (renewed by each call). */
export const ATTENTION_LEASE_AFTER_GETSTATE_MS = 15_000;

/** What a session says of itself (the setAttention command); fields left out keep their value. */
export interface AttentionUpdate {
  looking: boolean;
  openPeerId?: string | null;
  visiblePeerIds?: readonly string[];
}

/** One session as the registry knows it. */
interface Watcher {
  subscribed: boolean;
  /** False once the session said it does not look (until it says it does again). */
  saysLooking: boolean;
  openPeerId: string | null;
  visiblePeerIds: readonly string[];
}

export interface AttentionEvents {
  /** isLooking flipped. */
  change: [looking: boolean];
  /** openPeerIds() or visiblePeerIds() changed. */
  focus: [];
}

export class Attention extends EventEmitter<AttentionEvents> {
  /** By session, in the order they first appeared (the order of the unions below). */
  private readonly watchers = new Map<object, Watcher>();
  private leaseTimer: NodeJS.Timeout | null = null;
  private looking = false;
  private focusKey = '[[],[]]';

  /** True while a subscribed session looks or a getState lease runs. */
  get isLooking(): boolean {
    return this.looking;
  }

  /** Whether this session counts as looking: subscribed, and it did not say otherwise. */
  isSessionLooking(session: object): boolean {
    const w = this.watchers.get(session);
    return w !== undefined && w.subscribed && w.saysLooking;
  }

  /** The session subscribed to the node's state: it looks from now on. */
  subscribe(session: object): void {
    this.watcher(session).subscribed = true;
    this.settle();
  }

  /** The session stopped listening to the state (without closing). */
  unsubscribe(session: object): void {
    const w = this.watchers.get(session);
    if (w === undefined) return;
    w.subscribed = false;
    this.settle();
  }

  /** What the session says (setAttention); returns whether it counts as looking now. */
  update(session: object, update: AttentionUpdate): boolean {
    const w = this.watcher(session);
    w.saysLooking = update.looking;
    if (update.openPeerId !== undefined) w.openPeerId = update.openPeerId;
    if (update.visiblePeerIds !== undefined) w.visiblePeerIds = [...new Set(update.visiblePeerIds)];
    this.settle();
    return this.isSessionLooking(session);
  }

  /** The session ended: it no longer counts, nor what it showed. */
  close(session: object): void {
    if (this.watchers.delete(session)) this.settle();
  }

  /** A getState: someone looks for `durationMs` from now (a running lease is renewed, not added to). */
  lease(durationMs = ATTENTION_LEASE_AFTER_GETSTATE_MS): void {
    if (this.leaseTimer) clearTimeout(this.leaseTimer);
    this.leaseTimer = setTimeout(() => {
      this.leaseTimer = null;
      this.settle();
    }, durationMs);
    this.leaseTimer.unref();
    this.settle();
  }

  /** The devices whose details a looking session has open, each once, oldest session first. */
  openPeerIds(): string[] {
    const ids = new Set<string>();
    for (const w of this.lookingWatchers()) if (w.openPeerId !== null) ids.add(w.openPeerId);
    return [...ids];
  }

  /**
   * The devices on the screens of looking sessions, each once: the first row of every screen,
   * then the second of every screen, and so on, so that the top of each screen comes first.
   */
  visiblePeerIds(): string[] {
    const lists = this.lookingWatchers().map((w) => w.visiblePeerIds);
    const ids = new Set<string>();
    const rows = Math.max(0, ...lists.map((l) => l.length));
    for (let row = 0; row < rows; row++) for (const list of lists) if (row < list.length) ids.add(list[row]!);
    return [...ids];
  }

  /** Stops the lease timer (the node is closing); no more events. */
  stop(): void {
    if (this.leaseTimer) clearTimeout(this.leaseTimer);
    this.leaseTimer = null;
    this.watchers.clear();
    this.removeAllListeners();
  }

  private watcher(session: object): Watcher {
    let w = this.watchers.get(session);
    if (w === undefined) {
      w = { subscribed: false, saysLooking: true, openPeerId: null, visiblePeerIds: [] };
      this.watchers.set(session, w);
    }
    return w;
  }

  private lookingWatchers(): Watcher[] {
    return [...this.watchers.values()].filter((w) => w.subscribed && w.saysLooking);
  }

  /** Emits what changed: 'change' when isLooking flipped, 'focus' when the unions did. */
  private settle(): void {
    const looking = this.leaseTimer !== null || this.lookingWatchers().length > 0;
    if (looking !== this.looking) {
      this.looking = looking;
      this.emit('change', looking);
    }
    const focusKey = JSON.stringify([this.openPeerIds(), this.visiblePeerIds()]);
    if (focusKey !== this.focusKey) {
      this.focusKey = focusKey;
      this.emit('focus');
    }
  }
}
