// A DNS Push Notifications client (RFC 8765): one DSO session (RFC 8490) over TLS to the push
// server a zone names (`_dns-push-tls._tcp.<zone>` SRV, RFC 8765 §6.1), on which the browser
// subscribes to the names it would otherwise poll and hears every change as it happens.
//
// The session: TLS with the server's certificate checked against the SRV target's name (the
// system's CAs, and NODE_EXTRA_CA_CERTS for a private one); a KEEPALIVE request first, whose
// response establishes the session and sets the timers the client must follow (§7.1); then
// SUBSCRIBEs, each answered once, after which the server sends PUSH messages (the records that
// exist, then every change). Anything malformed, a request unanswered for DSO_REQUEST_TIMEOUT_MS,
// RETRY DELAY (§7.2: come back after the delay) or the connection's end closes the session: the
// browser goes back to polling, and tries push again later.

import { EventEmitter } from 'node:events';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { describeServer } from './dnsClient.js';
import { framed, MessageFramer, rcodeText } from './dnsWire.js';
import {
  decodeDso,
  DSO_TYPE,
  DsoFormatError,
  encodeDso,
  keepaliveTlv,
  RCODE_DSOTYPENI,
  readKeepalive,
  readPush,
  readRetryDelay,
  reconfirmTlv,
  subscribeTlv,
  unsubscribeTlv,
  type DsoMessage,
  type DsoTlv,
  type Keepalive,
  type PushChange,
  type Reconfirm,
  type Subscription,
} from './dso.js';

/** RFC 8490 §6.2: the timers before the server's KEEPALIVE says otherwise (15 s each). */
const DEFAULT_KEEPALIVE: Keepalive = { inactivityMs: 15_000, intervalMs: 15_000 };
/** What we ask for: the server decides (its KEEPALIVE response), and a subscription keeps the session active anyway. */
const REQUESTED_KEEPALIVE: Keepalive = { inactivityMs: 0xffffffff, intervalMs: 60_000 };
/** RFC 8490 §6.5.2: a keepalive interval under 10 s is not allowed; one that is is taken as 10 s. */
const KEEPALIVE_INTERVAL_MIN_MS = 10_000;
/** TLS and the KEEPALIVE exchange may take this long; a request's response too. */
export const DSO_CONNECT_TIMEOUT_MS = 5000;
export const DSO_REQUEST_TIMEOUT_MS = 5000;
/** Subscriptions open at once on one session at most (a PTR, SRV and TXT per instance, A and AAAA per host). */
export const DSO_SUBSCRIPTIONS_MAX = 1 + 256 * 4;

/** Where the push server is: the address to connect to, and the name its certificate must carry. */
export interface PushServer {
  address: string;
  port: number;
  /** The SRV target (RFC 8765 §6.1): checked against the certificate. */
  hostname: string;
}

export function describePushServer(s: PushServer): string {
  return `${s.hostname} (${describeServer({ host: s.address, port: s.port })})`;
}

export interface DnsPushSessionOptions {
  server: PushServer;
  /** Certificate authorities to trust besides the system's (tests). */
  ca?: string | Buffer;
}

interface Pending {
  resolve: (m: DsoMessage) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export class DnsPushError extends Error {}

export class DnsPushSession extends EventEmitter<{ changes: [PushChange[]]; closed: [reason: string, retryDelayMs: number | null] }> {
  private socket: TLSSocket | null = null;
  private readonly framer = new MessageFramer();
  private readonly pending = new Map<number, Pending>();
  /** Message ID of each subscription's SUBSCRIBE, by its key. */
  private readonly subscriptions = new Map<string, number>();
  private nextId = 1;
  private keepalive: Keepalive = DEFAULT_KEEPALIVE;
  private keepaliveTimer: NodeJS.Timeout | null = null;
  private closedWith: string | null = null;

  constructor(private readonly opts: DnsPushSessionOptions) {
    super();
  }

  get server(): PushServer {
    return this.opts.server;
  }

  get isOpen(): boolean {
    return this.socket !== null && this.closedWith === null;
  }

  /** Connects and establishes the session (TLS, then a KEEPALIVE exchange); throws one line when it cannot. */
  async open(): Promise<void> {
    const { server } = this.opts;
    const socket = await new Promise<TLSSocket>((resolve, reject) => {
      const s = tlsConnect({ host: server.address, port: server.port, servername: server.hostname, ca: this.opts.ca, timeout: DSO_CONNECT_TIMEOUT_MS });
      const fail = (why: string) => {
        s.destroy();
        reject(new DnsPushError(`the DNS Push server ${describePushServer(server)} ${why}`));
      };
      s.once('secureConnect', () => {
        s.setTimeout(0);
        s.removeAllListeners('error');
        resolve(s);
      });
      s.once('timeout', () => fail(`did not answer within ${DSO_CONNECT_TIMEOUT_MS} ms`));
      s.once('error', (err: NodeJS.ErrnoException) => fail(err.code === 'ECONNREFUSED' ? 'refused the connection' : `cannot be used: ${err.message}`));
    });
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => this.received(chunk));
    socket.on('error', (err) => this.close(`the connection failed: ${err.message}`));
    socket.on('close', () => this.close('the server closed the connection'));
    const answer = await this.request(keepaliveTlv(REQUESTED_KEEPALIVE));
    if (answer.rcode !== 0) {
      this.close(`it answered the session's first request with ${rcodeText(answer.rcode)}`);
      throw new DnsPushError(`the DNS Push server ${describePushServer(server)} refused the session: ${rcodeText(answer.rcode)}`);
    }
    this.adoptKeepalive(answer);
    this.armKeepalive();
  }

  /** Subscribes to `s` (resolves once the server accepted; its records follow as changes). */
  async subscribe(s: Subscription): Promise<void> {
    const key = subscriptionKey(s);
    if (this.subscriptions.has(key)) return;
    if (this.subscriptions.size >= DSO_SUBSCRIPTIONS_MAX) throw new DnsPushError(`more than ${DSO_SUBSCRIPTIONS_MAX} subscriptions on one session`);
    const id = this.allocateId();
    this.subscriptions.set(key, id);
    try {
      const answer = await this.request(subscribeTlv(s), id);
      if (answer.rcode !== 0) throw new DnsPushError(`the DNS Push server refused the subscription to ${s.name}: ${rcodeText(answer.rcode)}`);
    } catch (err) {
      if (this.subscriptions.get(key) === id) this.subscriptions.delete(key);
      throw err;
    }
  }

  /** Ends the subscription to `s` (RFC 8765 §6.4: a unidirectional UNSUBSCRIBE naming its SUBSCRIBE's ID). */
  unsubscribe(s: Subscription): void {
    const key = subscriptionKey(s);
    const id = this.subscriptions.get(key);
    if (id === undefined) return;
    this.subscriptions.delete(key);
    if (this.isOpen) this.send({ id: 0, response: false, rcode: 0, tlvs: [unsubscribeTlv(id)] });
  }

  /** RFC 8765 §6.5: tells the server a record seems stale (a unidirectional RECONFIRM); the server may check it and push its removal. */
  reconfirm(r: Reconfirm): void {
    if (this.isOpen) this.send({ id: 0, response: false, rcode: 0, tlvs: [reconfirmTlv(r)] });
  }

  /** Closes the session (once); `closed` says why, and how long the server asked us to stay away. */
  close(reason = 'closed by this device', retryDelayMs: number | null = null): void {
    if (this.closedWith !== null) return;
    this.closedWith = reason;
    if (this.keepaliveTimer) clearTimeout(this.keepaliveTimer);
    this.keepaliveTimer = null;
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new DnsPushError(`the DNS Push session ended: ${reason}`));
    }
    this.pending.clear();
    this.subscriptions.clear();
    this.socket?.destroy();
    this.emit('closed', reason, retryDelayMs);
  }

  private allocateId(): number {
    // IDs in use (a pending request, a subscription) are skipped; 0 is for unidirectional messages.
    const inUse = new Set([...this.pending.keys(), ...this.subscriptions.values()]);
    for (let i = 0; i < 0xffff; i++) {
      const id = this.nextId;
      this.nextId = this.nextId >= 0xffff ? 1 : this.nextId + 1;
      if (!inUse.has(id)) return id;
    }
    throw new DnsPushError('no message ID left on the session');
  }

  private request(tlv: DsoTlv, id = this.allocateId()): Promise<DsoMessage> {
    return new Promise((resolve, reject) => {
      if (!this.isOpen) return reject(new DnsPushError(`the DNS Push session ended: ${this.closedWith ?? 'not open'}`));
      const timer = setTimeout(() => this.close(`it did not answer a request within ${DSO_REQUEST_TIMEOUT_MS} ms`), DSO_REQUEST_TIMEOUT_MS);
      this.pending.set(id, { resolve, reject, timer });
      this.send({ id, response: false, rcode: 0, tlvs: [tlv] });
    });
  }

  private send(m: DsoMessage): void {
    this.socket?.write(framed(encodeDso(m)));
    this.armKeepalive();
  }

  /** RFC 8490 §6.2: the client sends something at least every keepalive interval; a KEEPALIVE when there was nothing else. */
  private armKeepalive(): void {
    if (this.keepaliveTimer) clearTimeout(this.keepaliveTimer);
    this.keepaliveTimer = null;
    if (!this.isOpen || this.keepalive.intervalMs === 0xffffffff) return;
    const interval = Math.max(KEEPALIVE_INTERVAL_MIN_MS, this.keepalive.intervalMs);
    this.keepaliveTimer = setTimeout(() => {
      this.keepaliveTimer = null;
      this.request(keepaliveTlv(REQUESTED_KEEPALIVE)).then(
        (answer) => this.adoptKeepalive(answer),
        () => undefined, // close() said why
      );
    }, interval);
    this.keepaliveTimer.unref?.();
  }

  private adoptKeepalive(m: DsoMessage): void {
    const tlv = m.tlvs.find((t) => t.type === DSO_TYPE.keepalive);
    if (tlv) this.keepalive = readKeepalive(tlv.data);
  }

  private received(chunk: Buffer): void {
    try {
      for (const raw of this.framer.push(chunk)) {
        if (this.closedWith !== null) return;
        this.handle(decodeDso(raw));
      }
    } catch (err) {
      // RFC 8490 §5.4: a malformed DSO message ends the session.
      this.close(err instanceof DsoFormatError ? `it sent a malformed message (${err.message})` : `it sent what cannot be read (${(err as Error).message})`);
    }
  }

  private handle(m: DsoMessage): void {
    if (m.response) {
      const p = this.pending.get(m.id);
      if (!p) return; // the answer to a request given up on
      this.pending.delete(m.id);
      clearTimeout(p.timer);
      p.resolve(m);
      return;
    }
    const primary = m.tlvs[0];
    if (m.id !== 0) {
      // A request from the server: none of the types it may send as a request is one we serve.
      this.send({ id: m.id, response: true, rcode: RCODE_DSOTYPENI, tlvs: [] });
      return;
    }
    if (!primary) throw new DsoFormatError('a unidirectional message without a TLV');
    switch (primary.type) {
      case DSO_TYPE.push:
        this.emit('changes', readPush(primary.data));
        return;
      case DSO_TYPE.keepalive:
        this.keepalive = readKeepalive(primary.data);
        this.armKeepalive();
        return;
      case DSO_TYPE.retryDelay:
        this.close(`it asked us to come back later (${m.rcode === 0 ? 'no reason given' : rcodeText(m.rcode)})`, readRetryDelay(primary.data));
        return;
      case DSO_TYPE.encryptionPadding:
        return;
      default:
        throw new DsoFormatError(`a unidirectional message of unknown type ${primary.type}`);
    }
  }
}

function subscriptionKey(s: Subscription): string {
  return `${s.name.replace(/\.$/, '').toLowerCase()}|${s.type}|${s.klass}`;
}
