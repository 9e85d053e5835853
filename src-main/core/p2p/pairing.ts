// Pairing over an authenticated link (DESIGN §5). The initiator commits to a nonce, the responder
// answers with its own nonce at once, the initiator reveals; both sides then show the 6-digit code
// of pairingCode.ts, and each user confirms or rejects. On both confirmations each side stores the
// other as a contact, under the identity the link proved (never one a message claims).
//
//   initiator                                   responder
//   pair-request {requestId, commitment}   ->   (incoming dialog)
//                                          <-   pair-nonce {requestId, nonce}
//   pair-reveal {requestId, nonce}         ->   checks the commitment
//   (code shown)                                (code shown)
//   pair-confirm / pair-reject             <->  pair-confirm / pair-reject
//
// Anything out of order, a wrong request id, or a nonce that does not match its commitment ends the
// session with a reason (and a pair-reject to the peer); nothing a peer sends can throw out of here.
//
// Under attack (issue 11): an incoming request is nobody's business until its requester revealed
// (an honest one reveals as soon as our nonce arrives): until then it is not listed (no dialog, not
// a relationship that holds a link), and one that does not reveal within the reveal deadline is
// dropped. Incoming requests are capped per address, per prefix (/24, /64) and in all, apart from
// the pairings the user starts, which they never block.

import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { AccountStanding } from '../../../src-shared/account.js';
import { CommandError } from '../../../src-shared/contract.js';
import { toDisplayText } from '../../../src-shared/displayText.js';
import { shortIdentity } from '../../../src-shared/identity.js';
import { isFinalPairingStage, type Contact, type ContactStanding, type PairingSessionState, type PairingStage } from '../../../src-shared/pairing.js';
import { addressPrefix } from './addressPrefix.js';
import { ChannelListeners, linkMessageSchema, type LinkMessage, type PeerChannel } from './messages.js';
import { commitmentMatches, decodePairingBytes, encodePairingBytes, newPairingNonce, pairingCode, pairingCommitment } from './pairingCode.js';

/** A request not carried through to both confirmations within this time ends as 'timed-out'. */
export const PAIRING_TIMEOUT_MS = 60_000;
/** Incoming requests accepted from one peer per window; more are rejected with a reason. */
export const PAIRING_REQUESTS_PER_PEER_MAX = 3;
export const PAIRING_RATE_WINDOW_MS = 60_000;
/**
 * An incoming request whose requester has not revealed its nonce this long after the request is
 * dropped. An honest initiator reveals the moment our nonce arrives (a round trip: milliseconds on
 * a LAN, well under a second on a loaded device); one that never does only holds a slot, and for
 * this long at most.
 */
export const PAIRING_REVEAL_DEADLINE_MS = 5_000;
/** Pairings the user started, in progress at once (one per peer at most): incoming ones never count here. */
export const PAIRING_OUTGOING_SESSIONS_MAX = 8;
/** Incoming requests in progress at once, all peers together: more than a person answers in a minute. */
export const PAIRING_INCOMING_SESSIONS_MAX = 8;
/** Incoming requests in progress from one address: a host with fresh keys is still one host. */
export const PAIRING_INCOMING_PER_ADDRESS_MAX = 2;
/** Incoming requests in progress from one /24 or /64 (addressPrefix.ts): a host takes addresses of its subnet at will. */
export const PAIRING_INCOMING_PER_PREFIX_MAX = 4;
/** Peers whose recent requests are remembered for the rate limit before old entries are swept. */
const RECENT_REQUESTS_SWEEP_AT = 1024;
/** Ended sessions stay listed for the UI this long, at most this many. */
export const PAIRING_ENDED_KEPT_MS = 10 * 60_000;
export const PAIRING_ENDED_KEPT_MAX = 20;
/** Reasons from the peer are shown to the user: cleaned and capped. */
const PEER_REASON_MAX_CHARS = 200;
/** The reason a pair-reject gives when the sender's timer ran out (the receiver shows 'timed-out' too). */
const PEER_TIMEOUT_REASON = 'timed out';

/** Where pairing stores what it produced (ContactStore). */
export interface ContactSink {
  add(identity: string, name: string, addedAt?: Date): Promise<Contact>;
  remove(identity: string): Promise<Contact>;
  has(identity: string): boolean;
}

export interface PairingServiceOptions {
  contacts: ContactSink;
  /** The name to show for a peer (from the peer list or the link's metadata); null when unknown. */
  peerName?: (identity: string) => string | null;
  /** How the peer stands to the contacts (ContactStore.standingOf; the link proved the identity), and the account its link proved (issue 14). */
  standing?: (identity: string, name: string) => ContactStanding & AccountStanding;
  timeoutMs?: number;
  /** How long an incoming request may wait for its reveal (default PAIRING_REVEAL_DEADLINE_MS; tests). */
  revealDeadlineMs?: number;
  /** Clock for the rate limit and the times shown (tests). */
  now?: () => number;
  /** Where problems that concern no session go (a failed send, a store error). */
  log?: (message: string) => void;
}

interface Session {
  id: string;
  requestId: string;
  channel: PeerChannel;
  direction: 'outgoing' | 'incoming';
  peerIdentity: string;
  peerName: string;
  stage: PairingStage;
  ownNonce: Buffer;
  /** Responder only: what the initiator committed to. */
  commitment: Buffer | null;
  code: string | null;
  confirmed: boolean;
  peerConfirmed: boolean;
  reason: string | null;
  startedAt: number;
  expiresAt: number;
  endedAt: number | null;
  timer: NodeJS.Timeout | null;
  /** True when this session stored a contact that was not there before (undone if the peer backs out). */
  addedContact: boolean;
  /** The contact being written, while it is. */
  storing: Promise<void> | null;
  /** Incoming only: the requester sent its reveal (until then the session is not listed). */
  revealed: boolean;
}

type PairMessage = Extract<LinkMessage, { type: `pair-${string}` }>;

export interface PairingServiceEvents {
  change: [];
  paired: [contact: Contact];
}

function newRequestId(): string {
  return randomBytes(16).toString('base64url');
}

/** An incoming request whose requester has not revealed yet: not the user's concern so far. */
function isUnrevealed(s: Session): boolean {
  return s.direction === 'incoming' && !s.revealed && s.stage === 'waiting-for-peer';
}

function isPairMessage(message: LinkMessage): message is PairMessage {
  return message.type.startsWith('pair-');
}

export class PairingService extends EventEmitter<PairingServiceEvents> {
  private readonly sessions = new Map<string, Session>();
  private readonly channels = new ChannelListeners();
  /** Accepted incoming requests per peer identity, times in ms, within the rate window. */
  private readonly recentRequests = new Map<string, number[]>();
  private readonly timeoutMs: number;
  private readonly revealDeadlineMs: number;
  private readonly now: () => number;
  private closed = false;

  constructor(private readonly opts: PairingServiceOptions) {
    super();
    this.timeoutMs = opts.timeoutMs ?? PAIRING_TIMEOUT_MS;
    this.revealDeadlineMs = Math.min(opts.revealDeadlineMs ?? PAIRING_REVEAL_DEADLINE_MS, this.timeoutMs);
    this.now = opts.now ?? Date.now;
  }

  /** Listens for pairing messages on a new authenticated link. Idempotent; the link's 'close' detaches it. */
  attach(channel: PeerChannel): void {
    if (!this.closed) this.channels.attach(channel, (message) => this.receive(channel, message), () => this.channelClosed(channel));
  }

  /** Starts pairing with the peer at the other end of `channel`, as initiator. */
  start(channel: PeerChannel): PairingSessionState {
    if (this.closed) throw new CommandError('refused', 'the node is shutting down');
    this.attach(channel);
    const identity = channel.remoteIdentity;
    const busy = this.activeWith(identity);
    // A request of that peer the user has not seen yet (no reveal) gives way to the user's own.
    if (busy && isUnrevealed(busy)) this.drop(busy, 'the other device started its own pairing');
    else if (busy) {
      throw new CommandError('refused', `already pairing with ${busy.peerName}; confirm or reject that first`);
    }
    if (this.activeCount((s) => s.direction === 'outgoing') >= PAIRING_OUTGOING_SESSIONS_MAX) {
      throw new CommandError('refused', `${PAIRING_OUTGOING_SESSIONS_MAX} of your pairings are in progress already; finish or cancel one first`);
    }
    const session = this.createSession(channel, 'outgoing', newRequestId(), null);
    this.send(session, { type: 'pair-request', requestId: session.requestId, commitment: encodePairingBytes(pairingCommitment(session.ownNonce)) });
    this.changed();
    return this.view(session);
  }

  /** The local user confirms that both screens show the same code. */
  confirm(sessionId: string): PairingSessionState {
    const session = this.find(sessionId);
    if (session.stage !== 'confirm-code') {
      throw new CommandError('refused', isFinalPairingStage(session.stage) ? 'this pairing has ended' : 'there is no code to confirm yet');
    }
    session.confirmed = true;
    this.send(session, { type: 'pair-confirm', requestId: session.requestId });
    if (session.peerConfirmed) this.complete(session);
    else session.stage = 'waiting-for-peer-confirmation';
    this.changed();
    return this.view(session);
  }

  /** The local user rejects (or cancels) the pairing; an ended one is left as it is. */
  reject(sessionId: string): PairingSessionState {
    const session = this.find(sessionId);
    if (!isFinalPairingStage(session.stage)) {
      this.end(session, 'rejected', 'You rejected the pairing.', 'rejected by its user');
    }
    return this.view(session);
  }

  /** Sessions in progress and those that ended recently, oldest first; not incoming requests before their reveal. */
  list(): PairingSessionState[] {
    this.prune();
    return [...this.sessions.values()]
      .filter((s) => !isUnrevealed(s))
      .sort((a, b) => a.startedAt - b.startedAt)
      .map((s) => this.view(s));
  }

  /** Ends every session in progress (the peers are told) and stops listening. */
  close(): void {
    if (this.closed) return;
    for (const session of this.sessions.values()) {
      if (!isFinalPairingStage(session.stage)) this.end(session, 'failed', 'This device shut down.', 'the other device shut down', false);
    }
    this.channels.detachAll();
    this.closed = true;
    this.changed();
  }

  // --- messages from the peer ---------------------------------------------------------------

  private receive(channel: PeerChannel, raw: LinkMessage): void {
    try {
      if (this.closed) return;
      const type = typeof raw === 'object' && raw !== null ? (raw as { type?: unknown }).type : undefined;
      if (typeof type !== 'string' || !type.startsWith('pair-')) return; // hello, ping ...: not pairing's
      const parsed = linkMessageSchema.safeParse(raw);
      if (!parsed.success) {
        // The link validates frames; this is for channels that do not. A pairing message that
        // names one of our sessions ends it; anything else is not ours to judge.
        const requestId = typeof raw === 'object' && raw !== null ? (raw as { requestId?: unknown }).requestId : undefined;
        const session = typeof requestId === 'string' ? this.byRequest(channel, requestId) : undefined;
        if (session && !isFinalPairingStage(session.stage)) this.violation(session, 'a malformed message');
        return;
      }
      const message = parsed.data;
      if (!isPairMessage(message)) return;
      if (message.type === 'pair-request') this.onRequest(channel, message);
      else this.onSessionMessage(channel, message);
    } catch (err) {
      this.opts.log?.(`pairing: a message from ${shortIdentity(channel.remoteIdentity)} could not be handled: ${(err as Error).message}`);
    }
  }

  private onRequest(channel: PeerChannel, message: Extract<PairMessage, { type: 'pair-request' }>): void {
    const identity = channel.remoteIdentity;
    const refuse = (reason: string) => this.sendOn(channel, { type: 'pair-reject', requestId: message.requestId, reason });
    if ([...this.sessions.values()].some((s) => s.peerIdentity === identity && s.requestId === message.requestId)) {
      refuse('this request id is in use');
      return;
    }
    const busy = this.activeWith(identity);
    // The user's own pairing that yields to the peer's request goes on as that request: no cap holds it back.
    let yielded = false;
    if (busy) {
      // Both users pressed Pair at once: one request goes on, the same one on both sides.
      const crossed = busy.direction === 'outgoing' && busy.stage === 'waiting-for-peer';
      if (crossed && channel.localIdentity > identity) {
        this.sessions.delete(busy.id);
        this.clearTimer(busy);
        yielded = true;
      } else {
        refuse(crossed ? 'both devices asked at once; the other request goes on' : 'already pairing with this device');
        return;
      }
    }
    const now = this.now();
    const recent = (this.recentRequests.get(identity) ?? []).filter((t) => now - t < PAIRING_RATE_WINDOW_MS);
    if (recent.length >= PAIRING_REQUESTS_PER_PEER_MAX) {
      this.rememberRequests(identity, recent);
      refuse(`too many pairing requests (at most ${PAIRING_REQUESTS_PER_PEER_MAX} a minute); try again later`);
      return;
    }
    const full = yielded ? null : this.incomingLimitReached(channel.remoteAddress);
    if (full !== null) {
      refuse(full);
      return;
    }
    const commitment = decodePairingBytes(message.commitment);
    if (commitment === null) {
      refuse('the commitment is not 32 bytes');
      return;
    }
    recent.push(now);
    this.rememberRequests(identity, recent);
    const session = this.createSession(channel, 'incoming', message.requestId, commitment);
    this.send(session, { type: 'pair-nonce', requestId: session.requestId, nonce: encodePairingBytes(session.ownNonce) });
    // Not listed until it reveals: nothing changed for the user yet.
  }

  /** Why one more incoming request from `address` is refused now, or null when it fits. */
  private incomingLimitReached(address: string): string | null {
    const prefix = addressPrefix(address);
    const incoming = [...this.sessions.values()].filter((s) => s.direction === 'incoming' && !isFinalPairingStage(s.stage));
    if (incoming.filter((s) => s.channel.remoteAddress === address).length >= PAIRING_INCOMING_PER_ADDRESS_MAX) {
      return `too many pairing requests from your address in progress (at most ${PAIRING_INCOMING_PER_ADDRESS_MAX}); try again later`;
    }
    if (incoming.filter((s) => addressPrefix(s.channel.remoteAddress) === prefix).length >= PAIRING_INCOMING_PER_PREFIX_MAX) {
      return `too many pairing requests from your network in progress (at most ${PAIRING_INCOMING_PER_PREFIX_MAX}); try again later`;
    }
    if (incoming.length >= PAIRING_INCOMING_SESSIONS_MAX) return 'too many pairing requests in progress on this device; try again later';
    return null;
  }

  /** Keeps a peer's recent request times; peers with none left in the window are swept now and then (fresh keys are free). */
  private rememberRequests(identity: string, times: number[]): void {
    this.recentRequests.set(identity, times);
    if (this.recentRequests.size < RECENT_REQUESTS_SWEEP_AT) return;
    const now = this.now();
    for (const [id, list] of this.recentRequests) if (list.every((t) => now - t >= PAIRING_RATE_WINDOW_MS)) this.recentRequests.delete(id);
  }

  private onSessionMessage(channel: PeerChannel, message: Exclude<PairMessage, { type: 'pair-request' }>): void {
    const session = this.byRequest(channel, message.requestId);
    if (!session) {
      // Not ours, or one that ended and was forgotten: a late message is no harm. A session in
      // progress with this peer under another id, though, means the peer is confused.
      const active = this.activeWith(channel.remoteIdentity);
      if (active && active.channel === channel && message.type !== 'pair-reject') this.violation(active, 'a message for another request');
      return;
    }
    if (message.type === 'pair-reject') {
      this.onPeerReject(session, message.reason);
      return;
    }
    if (isFinalPairingStage(session.stage)) return; // crossed with our own end: nothing to do
    switch (message.type) {
      case 'pair-nonce': {
        if (session.direction !== 'outgoing' || session.stage !== 'waiting-for-peer') return this.violation(session, 'a nonce out of order');
        const peerNonce = decodePairingBytes(message.nonce);
        if (peerNonce === null) return this.violation(session, 'a malformed nonce');
        // Reveal only now: the responder's nonce is fixed before it learns ours.
        this.send(session, { type: 'pair-reveal', requestId: session.requestId, nonce: encodePairingBytes(session.ownNonce) });
        session.code = pairingCode({
          initiatorIdentity: session.channel.localIdentity,
          responderIdentity: session.peerIdentity,
          initiatorNonce: session.ownNonce,
          responderNonce: peerNonce,
        });
        session.stage = 'confirm-code';
        break;
      }
      case 'pair-reveal': {
        if (session.direction !== 'incoming' || session.stage !== 'waiting-for-peer') return this.violation(session, 'a reveal out of order');
        session.revealed = true; // matching or not, the user is told what happened from here on
        const peerNonce = decodePairingBytes(message.nonce);
        if (peerNonce === null || session.commitment === null || !commitmentMatches(session.commitment, peerNonce)) {
          this.end(
            session,
            'failed',
            `${session.peerName} revealed a nonce that does not match its commitment; the pairing was stopped (a device in between may be tampering).`,
            'the nonce does not match the commitment',
          );
          return;
        }
        session.code = pairingCode({
          initiatorIdentity: session.peerIdentity,
          responderIdentity: session.channel.localIdentity,
          initiatorNonce: peerNonce,
          responderNonce: session.ownNonce,
        });
        session.stage = 'confirm-code';
        this.armTimer(session, session.expiresAt - this.now(), () => this.timedOut(session)); // revealed: the user's time starts
        break;
      }
      case 'pair-confirm': {
        if (session.code === null) return this.violation(session, 'a confirmation before the code was known');
        if (session.peerConfirmed) return this.violation(session, 'a second confirmation');
        session.peerConfirmed = true;
        if (session.confirmed) this.complete(session);
        break;
      }
    }
    this.changed();
  }

  private onPeerReject(session: Session, rawReason: string): void {
    const reason = toDisplayText(rawReason, PEER_REASON_MAX_CHARS) || 'no reason given';
    if (!isFinalPairingStage(session.stage)) {
      if (rawReason === PEER_TIMEOUT_REASON) this.end(session, 'timed-out', `${session.peerName} gave up waiting: the pairing timed out.`, null);
      else this.end(session, 'rejected', `${session.peerName} ended the pairing: ${reason}.`, null);
      return;
    }
    if (session.stage !== 'done') return;
    // We stored the contact, the peer gave up before it saw our confirmation (its timeout, its
    // store failed): undo ours so that neither side has the other, rather than one only.
    session.stage = 'rejected';
    session.reason = `${session.peerName} ended the pairing before it finished: ${reason}.`;
    this.changed();
    void (async () => {
      await session.storing;
      if (!session.addedContact) return;
      session.addedContact = false;
      await this.opts.contacts.remove(session.peerIdentity).catch(() => {});
    })();
  }

  private channelClosed(channel: PeerChannel): void {
    for (const session of this.sessions.values()) {
      if (session.channel === channel && !isFinalPairingStage(session.stage)) {
        this.end(session, 'failed', `The connection to ${session.peerName} was lost.`, null);
      }
    }
  }

  // --- sessions -----------------------------------------------------------------------------

  private createSession(channel: PeerChannel, direction: Session['direction'], requestId: string, commitment: Buffer | null): Session {
    const now = this.now();
    let id = randomBytes(12).toString('base64url');
    while (this.sessions.has(id)) id = randomBytes(12).toString('base64url');
    const session: Session = {
      id,
      requestId,
      channel,
      direction,
      peerIdentity: channel.remoteIdentity,
      peerName: this.nameOf(channel.remoteIdentity),
      stage: 'waiting-for-peer',
      ownNonce: newPairingNonce(),
      commitment,
      code: null,
      confirmed: false,
      peerConfirmed: false,
      reason: null,
      startedAt: now,
      expiresAt: now + this.timeoutMs,
      endedAt: null,
      timer: null,
      addedContact: false,
      storing: null,
      revealed: false,
    };
    if (direction === 'incoming') this.armTimer(session, this.revealDeadlineMs, () => this.revealMissed(session));
    else this.armTimer(session, this.timeoutMs, () => this.timedOut(session));
    this.sessions.set(id, session);
    return session;
  }

  private armTimer(session: Session, ms: number, fire: () => void): void {
    this.clearTimer(session);
    session.timer = setTimeout(fire, Math.max(0, ms));
    session.timer.unref?.();
  }

  /** The requester did not reveal in time: dropped, never shown (issue 11: a request that only holds a slot). */
  private revealMissed(session: Session): void {
    session.timer = null;
    if (isUnrevealed(session)) this.drop(session, `no reveal within ${+(this.revealDeadlineMs / 1000).toFixed(2)} s`);
  }

  /** Forgets an incoming request the user never saw, and tells the peer why (when it is still there to hear it). */
  private drop(session: Session, tellPeer: string | null): void {
    this.clearTimer(session);
    this.sessions.delete(session.id);
    if (tellPeer !== null) this.sendOn(session.channel, { type: 'pair-reject', requestId: session.requestId, reason: tellPeer });
  }

  private timedOut(session: Session): void {
    session.timer = null;
    if (isFinalPairingStage(session.stage)) return;
    const seconds = Math.round(this.timeoutMs / 1000);
    const what = session.stage === 'waiting-for-peer' ? `${session.peerName} did not answer` : 'The pairing was not confirmed on both devices';
    this.end(session, 'timed-out', `${what} within ${seconds} s.`, PEER_TIMEOUT_REASON);
  }

  /** Both users confirmed: store the contact, under the identity the link proved. */
  private complete(session: Session): void {
    this.clearTimer(session);
    session.stage = 'done';
    session.endedAt = this.now();
    session.peerName = this.nameOf(session.peerIdentity, session.peerName);
    const existed = this.opts.contacts.has(session.peerIdentity);
    session.storing = this.opts.contacts.add(session.peerIdentity, session.peerName).then(
      (contact) => {
        session.addedContact = !existed;
        if (session.stage === 'done') this.emit('paired', contact);
      },
      (err: unknown) => {
        const message = err instanceof Error ? err.message : String(err);
        if (session.stage === 'done') {
          session.stage = 'failed';
          session.reason = `${session.peerName} could not be saved as a contact: ${message}`;
          this.sendOn(session.channel, { type: 'pair-reject', requestId: session.requestId, reason: 'the other device could not save the contact' });
          this.changed();
        }
      },
    );
  }

  /** A peer broke the protocol: the session fails, and the peer is told why. */
  private violation(session: Session, what: string): void {
    this.end(session, 'failed', `${session.peerName} sent ${what}; the pairing was stopped.`, `protocol error: ${what}`);
  }

  private end(session: Session, stage: Exclude<PairingStage, 'done'>, reason: string, tellPeer: string | null, notify = true): void {
    if (isUnrevealed(session)) {
      this.drop(session, tellPeer); // the user never saw it: nothing to show of how it ended
      return;
    }
    this.clearTimer(session);
    session.stage = stage;
    session.reason = reason;
    session.endedAt = this.now();
    if (tellPeer !== null) this.sendOn(session.channel, { type: 'pair-reject', requestId: session.requestId, reason: tellPeer });
    if (notify) this.changed();
  }

  private clearTimer(session: Session): void {
    if (session.timer) clearTimeout(session.timer);
    session.timer = null;
  }

  private find(sessionId: string): Session {
    const session = this.sessions.get(sessionId);
    if (!session || isUnrevealed(session)) throw new CommandError('not-found', 'no such pairing (it may have ended a while ago)');
    return session;
  }

  private byRequest(channel: PeerChannel, requestId: string): Session | undefined {
    for (const s of this.sessions.values()) if (s.channel === channel && s.requestId === requestId) return s;
    return undefined;
  }

  private activeWith(identity: string): Session | undefined {
    for (const s of this.sessions.values()) if (s.peerIdentity === identity && !isFinalPairingStage(s.stage)) return s;
    return undefined;
  }

  private activeCount(which: (s: Session) => boolean): number {
    let n = 0;
    for (const s of this.sessions.values()) if (!isFinalPairingStage(s.stage) && which(s)) n++;
    return n;
  }

  private nameOf(identity: string, fallback?: string): string {
    let name: string | null = null;
    try {
      name = this.opts.peerName?.(identity) ?? null;
    } catch {
      name = null;
    }
    const clean = name === null ? '' : toDisplayText(name);
    return clean !== '' ? clean : (fallback ?? shortIdentity(identity));
  }

  /** Forgets ended sessions that are old or too many. */
  private prune(): void {
    const now = this.now();
    const ended = [...this.sessions.values()].filter((s) => s.endedAt !== null).sort((a, b) => (b.endedAt ?? 0) - (a.endedAt ?? 0));
    ended.forEach((s, index) => {
      if (index >= PAIRING_ENDED_KEPT_MAX || now - (s.endedAt ?? now) > PAIRING_ENDED_KEPT_MS) this.sessions.delete(s.id);
    });
  }

  private send(session: Session, message: PairMessage): void {
    this.sendOn(session.channel, message);
  }

  /** Sends on the link; a link that just went down is not an error here (its 'close' ends the sessions). */
  private sendOn(channel: PeerChannel, message: PairMessage): void {
    try {
      channel.send(message);
    } catch (err) {
      this.opts.log?.(`pairing: could not send ${message.type} to ${shortIdentity(channel.remoteIdentity)}: ${(err as Error).message}`);
    }
  }

  private changed(): void {
    this.emit('change');
  }

  private view(s: Session): PairingSessionState {
    return {
      id: s.id,
      peerIdentity: s.peerIdentity,
      peerName: s.peerName,
      direction: s.direction,
      stage: s.stage,
      code: s.code,
      peerConfirmed: s.peerConfirmed,
      reason: s.reason,
      startedAt: new Date(s.startedAt).toISOString(),
      expiresAt: new Date(s.expiresAt).toISOString(),
      ...this.opts.standing?.(s.peerIdentity, s.peerName),
    };
  }
}
