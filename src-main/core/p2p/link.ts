// One P2P link to one peer (DESIGN §5), over a TLS 1.3 socket whose handshake already proved the
// peer's identity. Framed JSON (frames.ts), every message validated (messages.ts) before anything
// acts on it; a hello each way first (metadata with the full library list, and the sender's P2P
// port); pings keep it alive and prove the peer is; timeouts on everything. A peer that breaks
// the rules (bad frame, invalid message, flood, no hello, silence, not reading) is dropped.
//
// Keepalive (issue 9: links are for relationships, and a laptop must not wake for every ping):
// each side pings when it has heard nothing for its own ping interval, and gives up after its
// silence limit. The pace is each side's own: at rest a ping after 30 s of quiet (about three
// packets a minute per idle link, ACKs included); while someone looks at this node's list, the
// attentive pace notices a host gone silent within the silence limit. A crashed process is
// noticed at once either way: its kernel resets the connection.

import { EventEmitter } from 'node:events';
import type { TLSSocket } from 'node:tls';
import { FrameDecoder, FrameError, encodeFrame } from './frames.js';
import { TokenBucket } from '../../../src-shared/tokenBucket.js';
import { withinLinkLimits, type DeviceMetadata } from '../../../src-shared/peerMetadata.js';
import { LINK_PROTOCOL_VERSION, linkMessageSchema, type LinkMessage, type PeerChannel } from './messages.js';
import type { AccountPresentation } from '../accounts/accountTrust.js';

export interface LinkTiming {
  /** The peer's hello must arrive within this after the TLS handshake. */
  helloTimeoutMs: number;
  /** A ping goes out when nothing was heard for this long (and none went out meanwhile). */
  pingIntervalMs: number;
  /** No complete frame for this long: the peer is gone (host off, cable pulled) or stalling. */
  silenceLimitMs: number;
  /** Token bucket for incoming messages: sustained rate and burst. */
  messagesPerSecond: number;
  messageBurst: number;
  /** Bytes we queue for a peer that does not read before we drop it. */
  writeBufferMaxBytes: number;
  /** A frame once begun must arrive whole within this (slowloris). */
  frameDeadlineMs: number;
  /** `metadata` updates taken at once, then one per interval; the ones between are coalesced (see METADATA_UPDATES_BURST). */
  metadataBurst: number;
  metadataIntervalMs: number;
  /** Updates superseded while one waits its turn: more is a stream, and the link is closed. */
  metadataSupersededMax: number;
}

/** A frame once begun arrives whole within this (on a LAN, in milliseconds): a peer that trickles one is cut, whatever the keepalive pace. */
export const FRAME_DEADLINE_MS = 5000;

/** The keepalive of a link nobody is watching: fit for an idle laptop. */
export const LINK_PACE_AT_REST: LinkPace = { pingIntervalMs: 30_000, silenceLimitMs: 95_000 };
/** While someone looks at the list: a host gone silent leaves it within about 8 s. */
export const LINK_PACE_ATTENTIVE: LinkPace = { pingIntervalMs: 2500, silenceLimitMs: 7500 };

export type LinkPace = Pick<LinkTiming, 'pingIntervalMs' | 'silenceLimitMs'>;

/**
 * A peer's metadata changes now and then (a rename, a library added, a mode switched: a few in a
 * second at most): that many updates are taken at once. Each costs a validation of up to 1,000
 * libraries (about 52 KB), a rebuilt list and a state pushed to every client (issue 11: 16 links
 * sending one 19 times a second took 65 % of a core).
 */
export const METADATA_UPDATES_BURST = 3;
/** Past the burst, one update per this interval; those in between are coalesced: the newest waits for its turn. */
export const METADATA_UPDATE_INTERVAL_MS = 5000;
/** A peer that supersedes more than this many waiting updates (4 a second within one interval) streams them: its link is closed. */
export const METADATA_SUPERSEDED_MAX = 20;

export const DEFAULT_LINK_TIMING: LinkTiming = {
  helloTimeoutMs: 5000,
  ...LINK_PACE_AT_REST,
  messagesPerSecond: 20,
  messageBurst: 60,
  writeBufferMaxBytes: 1024 * 1024,
  frameDeadlineMs: FRAME_DEADLINE_MS,
  metadataBurst: METADATA_UPDATES_BURST,
  metadataIntervalMs: METADATA_UPDATE_INTERVAL_MS,
  metadataSupersededMax: METADATA_SUPERSEDED_MAX,
};

/** A frame that says it is a `metadata` update (checked before the schema, which costs). */
function isMetadataUpdate(value: unknown): boolean {
  return typeof value === 'object' && value !== null && (value as { type?: unknown }).type === 'metadata';
}

/** A link checks its peer's silence (and whether a ping is due) five times per ping interval, within these bounds. */
const LINK_TICK_MIN_MS = 100;
const LINK_TICK_MAX_MS = 1000;


function tickMsFor(timing: LinkTiming): number {
  return Math.min(LINK_TICK_MAX_MS, Math.max(LINK_TICK_MIN_MS, Math.round(timing.pingIntervalMs / 5)));
}

export type LinkCloseReason =
  | 'closed' // the peer closed the connection
  | 'error' // a socket error (reset, ...)
  | 'silent' // no frame within the silence limit
  | 'no-hello' // no valid hello in time
  | 'bad-frame' // oversize, empty or not JSON
  | 'slow-frame' // a frame begun and not finished within FRAME_DEADLINE_MS (slowloris)
  | 'bad-message' // a message that fails the schema, or out of order
  | 'flood' // over the message rate
  | 'not-reading' // our write buffer to it overflowed
  | 'metadata-flood' // metadata updates streamed faster than they are taken (METADATA_SUPERSEDED_MAX)
  | 'duplicate' // another link to the same peer was kept
  | 'evicted' // a newer link took its place among the strangers' (linkCaps.ts)
  | 'local'; // we closed it (shutdown, mode change, removed peer)

export interface PeerLinkOptions {
  socket: TLSSocket;
  localIdentity: string;
  /** The identity the TLS handshake proved (tlsIdentity.provenIdentity). */
  remoteIdentity: string;
  outgoing: boolean;
  /** What we say in our hello: our metadata, our own P2P port, and our account credentials where the mode shares them. */
  hello: { metadata: DeviceMetadata; port: number; account?: AccountPresentation | null };
  timing?: Partial<LinkTiming>;
}

/** An address as a plain IP: IPv4-mapped IPv6 (`::ffff:10.0.0.1`) becomes IPv4. */
export function plainAddress(address: string | undefined): string {
  if (!address) return '';
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return (m?.[1] ?? address).toLowerCase();
}

/** A link's events: PeerChannel's 'message' and 'close', plus its own. */
export interface PeerLinkEvents {
  message: [message: LinkMessage];
  close: [reason: LinkCloseReason];
  ready: [metadata: DeviceMetadata];
  metadata: [metadata: DeviceMetadata];
}

export class PeerLink extends EventEmitter<PeerLinkEvents> implements PeerChannel {
  readonly localIdentity: string;
  readonly remoteIdentity: string;
  readonly outgoing: boolean;
  /** The peer's IP address (IPv4-mapped addresses made plain). */
  readonly remoteAddress: string;
  readonly establishedAt = Date.now();
  /** From the peer's hello (then its metadata updates), cleaned as it was parsed; null until the hello arrives. */
  remoteMetadata: DeviceMetadata | null = null;
  /** The port the peer listens on, from its hello (null when it did not say). */
  remoteListenPort: number | null = null;
  /** The account credentials its hello presented, unchecked (accounts/accountTrust.ts checks them); null when none. */
  remoteAccount: AccountPresentation | null = null;
  lastReceivedAt = Date.now();
  closeReason: LinkCloseReason | null = null;

  private readonly socket: TLSSocket;
  private timing: LinkTiming;
  private readonly decoder = new FrameDecoder();
  private lastPingAt = 0;
  /** When the bytes of an unfinished frame began to wait; null when none waits. */
  private partialSince: number | null = null;
  private pingCounter = 0;
  /** Incoming messages (messagesPerSecond, messageBurst). */
  private readonly messageTokens: TokenBucket;
  private tickTimer: NodeJS.Timeout;
  private readonly helloTimer: NodeJS.Timeout;
  /** Metadata updates: a bucket of their own; the newest update waiting for its turn (unparsed), and how many it superseded. */
  private readonly metadataTokens: TokenBucket;
  private waitingMetadata: unknown = null;
  private supersededMetadata = 0;
  private metadataTimer: NodeJS.Timeout | null = null;
  /** Ours, at the same pace (the peer closes a link that streams them): the newest waits for its turn. */
  private readonly sentMetadataTokens: TokenBucket;
  private unsentMetadata: DeviceMetadata | null = null;
  /** What the peer last got from us (the hello's metadata, then each update), as JSON: the same again is not sent. */
  private lastSentMetadata: string;
  private sendMetadataTimer: NodeJS.Timeout | null = null;

  constructor(opts: PeerLinkOptions) {
    super();
    this.localIdentity = opts.localIdentity;
    this.remoteIdentity = opts.remoteIdentity;
    this.outgoing = opts.outgoing;
    this.socket = opts.socket;
    this.remoteAddress = plainAddress(opts.socket.remoteAddress);
    this.timing = { ...DEFAULT_LINK_TIMING, ...opts.timing };
    this.messageTokens = new TokenBucket(this.timing.messagesPerSecond, this.timing.messageBurst);
    this.metadataTokens = new TokenBucket(1000 / this.timing.metadataIntervalMs, this.timing.metadataBurst);
    this.sentMetadataTokens = new TokenBucket(1000 / this.timing.metadataIntervalMs, this.timing.metadataBurst);
    this.socket.setNoDelay(true);
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.on('end', () => this.close('closed'));
    this.socket.on('close', () => this.close('closed'));
    this.socket.on('error', () => this.close('error'));
    this.helloTimer = setTimeout(() => {
      if (!this.ready) this.close('no-hello');
    }, this.timing.helloTimeoutMs);
    this.tickTimer = setInterval(() => this.tick(), tickMsFor(this.timing));
    this.lastSentMetadata = JSON.stringify(opts.hello.metadata);
    this.write({ type: 'hello', version: LINK_PROTOCOL_VERSION, metadata: opts.hello.metadata, port: opts.hello.port, ...(opts.hello.account ? { account: opts.hello.account } : {}) });
  }

  /** True once the peer's hello arrived (and the link is not closed). */
  get ready(): boolean {
    return this.remoteMetadata !== null && this.closeReason === null;
  }

  get closed(): boolean {
    return this.closeReason !== null;
  }

  /** Past the burst, the peer's metadata is taken at most once per this (ms). */
  get metadataIntervalMs(): number {
    return this.timing.metadataIntervalMs;
  }

  /** Sends a message; ignored once the link is closed. */
  send(message: LinkMessage): void {
    this.write(message);
  }

  /** Our metadata changed (name, libraries): tell the peer, at the pace it takes them (METADATA_UPDATES_BURST). */
  sendMetadata(metadata: DeviceMetadata): void {
    if (!this.ready) return;
    const json = JSON.stringify(metadata);
    if (this.sendMetadataTimer === null) {
      // Nothing new for this peer (a contact added elsewhere, say): no update, and no token spent,
      // so that a real change (a library joined) goes at once rather than after the interval.
      if (json === this.lastSentMetadata) return;
      if (this.sentMetadataTokens.take()) {
        this.lastSentMetadata = json;
        this.write({ type: 'metadata', metadata });
        return;
      }
    }
    // Changes faster than the peer takes them: only the newest goes, at its turn.
    this.unsentMetadata = metadata;
    this.sendMetadataTimer ??= setTimeout(() => {
      this.sendMetadataTimer = null;
      const newest = this.unsentMetadata;
      this.unsentMetadata = null;
      if (newest) this.sendMetadata(newest);
    }, this.sentMetadataTokens.msUntilToken());
  }

  /** Changes the keepalive pace (at rest, or attentive while someone looks); takes effect at once. */
  setPace(pace: LinkPace): void {
    if (this.closeReason !== null) return;
    if (pace.pingIntervalMs === this.timing.pingIntervalMs && pace.silenceLimitMs === this.timing.silenceLimitMs) return;
    this.timing = { ...this.timing, ...pace };
    clearInterval(this.tickTimer);
    this.tickTimer = setInterval(() => this.tick(), tickMsFor(this.timing));
    this.tick();
  }

  close(reason: LinkCloseReason = 'local'): void {
    if (this.closeReason !== null) return;
    this.closeReason = reason;
    clearInterval(this.tickTimer);
    clearTimeout(this.helloTimer);
    if (this.metadataTimer) clearTimeout(this.metadataTimer);
    if (this.sendMetadataTimer) clearTimeout(this.sendMetadataTimer);
    this.waitingMetadata = null;
    this.socket.destroy();
    this.emit('close', reason);
  }

  private write(message: LinkMessage): void {
    if (this.closeReason !== null) return;
    if (this.socket.writableLength > this.timing.writeBufferMaxBytes) {
      this.close('not-reading');
      return;
    }
    // Our metadata within the link's caps, whatever we hold: a peer refuses a hello over them.
    const outgoing = message.type === 'hello' || message.type === 'metadata' ? { ...message, metadata: withinLinkLimits(message.metadata) } : message;
    try {
      this.socket.write(encodeFrame(outgoing));
    } catch {
      // A message of ours over the frame limit is a bug of ours, not the peer's: drop the message.
    }
  }

  private tick(): void {
    const now = Date.now();
    if (now - this.lastReceivedAt > this.timing.silenceLimitMs) {
      this.close('silent');
      return;
    }
    if (this.partialSince !== null && now - this.partialSince > this.timing.frameDeadlineMs) {
      this.close('slow-frame');
      return;
    }
    if (!this.ready) return;
    // Either side pings when it has heard nothing for its own interval: the other side's pong (or
    // any message) answers it, so on an idle link one side's timer does the work for both.
    if (now - this.lastReceivedAt >= this.timing.pingIntervalMs && now - this.lastPingAt >= this.timing.pingIntervalMs) {
      this.lastPingAt = now;
      this.write({ type: 'ping', n: this.pingCounter++ % 1_000_000 });
    }
  }

  private onData(chunk: Buffer): void {
    if (this.closeReason !== null) return;
    let values: unknown[];
    try {
      values = this.decoder.push(chunk);
    } catch (err) {
      this.close(err instanceof FrameError ? 'bad-frame' : 'error');
      return;
    }
    if (this.decoder.pendingBytes === 0) this.partialSince = null;
    else if (values.length > 0 || this.partialSince === null) this.partialSince = Date.now();
    for (const value of values) {
      if (this.closeReason !== null) return;
      if (!this.messageTokens.take()) {
        this.close('flood');
        return;
      }
      this.lastReceivedAt = Date.now();
      // A metadata update out of turn waits unparsed (validating 52 KB is the cost being limited).
      if (this.remoteMetadata !== null && isMetadataUpdate(value) && !this.metadataTurn()) {
        this.waitForTurn(value);
        continue;
      }
      this.parseAndHandle(value);
    }
  }

  private parseAndHandle(value: unknown): void {
    const parsed = linkMessageSchema.safeParse(value);
    if (!parsed.success) {
      this.close('bad-message');
      return;
    }
    this.handle(parsed.data);
  }

  /** Whether a metadata update may be taken now: none waits before it, and the bucket has a token (taken). */
  private metadataTurn(): boolean {
    return this.waitingMetadata === null && this.metadataTokens.take();
  }

  /** Keeps the newest update out of turn, applied when a token is back; a stream of them closes the link. */
  private waitForTurn(value: unknown): void {
    if (this.waitingMetadata !== null && ++this.supersededMetadata > this.timing.metadataSupersededMax) {
      this.close('metadata-flood');
      return;
    }
    this.waitingMetadata = value;
    if (this.metadataTimer) return;
    this.metadataTimer = setTimeout(() => {
      this.metadataTimer = null;
      const waiting = this.waitingMetadata;
      this.waitingMetadata = null;
      this.supersededMetadata = 0;
      if (waiting === null || this.closeReason !== null) return;
      if (this.metadataTurn()) this.parseAndHandle(waiting);
      else this.waitForTurn(waiting);
    }, this.metadataTokens.msUntilToken());
  }

  private handle(message: LinkMessage): void {
    if (message.type === 'hello') {
      if (this.remoteMetadata !== null) {
        this.close('bad-message'); // one hello per link
        return;
      }
      clearTimeout(this.helloTimer);
      this.remoteMetadata = message.metadata;
      this.remoteListenPort = message.port ?? null;
      this.remoteAccount = message.account ?? null;
      try {
        this.emit('ready', message.metadata);
      } catch (err) {
        process.emitWarning(`a handler of the hello from ${this.remoteIdentity} failed: ${(err as Error).message}`);
      }
      return;
    }
    if (this.remoteMetadata === null) {
      this.close('bad-message'); // nothing before the hello
      return;
    }
    switch (message.type) {
      case 'ping':
        this.write({ type: 'pong', n: message.n });
        return;
      case 'pong':
        return;
      case 'metadata':
        this.remoteMetadata = message.metadata;
        this.emit('metadata', message.metadata);
        this.deliver(message);
        return;
      default:
        this.deliver(message);
    }
  }

  /** Hands a message to the link's users (pairing ...); a bug of theirs must not crash the node. */
  private deliver(message: LinkMessage): void {
    try {
      this.emit('message', message);
    } catch (err) {
      process.emitWarning(`a handler of ${message.type} from ${this.remoteIdentity} failed: ${(err as Error).message}`);
    }
  }
}
