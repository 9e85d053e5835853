// A DNS Push server (RFC 8765) for tests: no server that offers push can be installed here (BIND
// 9.18, Knot and PowerDNS do not; Apple's dnssd-proxy is not packaged), so this one stands in.
// It answers records from a source: an in-memory zone (unit tests), or a real BIND it asks over
// DNS and that tells it of every change by NOTIFY (dnsPushServerMain.ts, in a namespace), which is
// how a push gateway for a server without push works. It speaks DSO over TLS as RFC 8490 says
// (KEEPALIVE answered with its timers, SUBSCRIBE answered then followed by PUSH, UNSUBSCRIBE,
// RECONFIRM kept and followed by a fresh look at the source, as a Discovery Proxy would), and
// can misbehave on demand (RETRY DELAY, bytes that are no DSO message).

import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer, type Server, type TLSSocket } from 'node:tls';
import {
  decodeDso,
  DSO_TYPE,
  encodeDso,
  keepaliveTlv,
  pushTlv,
  readReconfirm,
  readSubscribe,
  readUnsubscribe,
  retryDelayTlv,
  type DsoMessage,
  type Keepalive,
  type PushChange,
  type Reconfirm,
  type Subscription,
} from '../../src-main/core/wideArea/dso.js';
import { canonicalName, DNS_TYPE, framed, MessageFramer, type WireRecord } from '../../src-main/core/wideArea/dnsWire.js';

/** Where the records come from: what exists now for one name and type. */
export type RecordSource = (name: string, type: number) => Promise<WireRecord[]>;

export interface TlsIdentity {
  key: Buffer;
  cert: Buffer;
}

/** A self-signed certificate for `hostname` (openssl), which a client trusts by taking it as its CA. */
export function makeCertificate(dir: string, hostname: string): TlsIdentity {
  const [key, cert] = [join(dir, 'push.key'), join(dir, 'push.crt')];
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', `/CN=${hostname}`, '-addext', `subjectAltName=DNS:${hostname}`], { stdio: 'ignore' });
  return { key: readFileSync(key), cert: readFileSync(cert) };
}

interface Subscribed extends Subscription {
  id: number;
  /** What was pushed and not removed, by data. */
  sent: Map<string, WireRecord>;
  /** One look at the source at a time per subscription (a NOTIFY may come while the first PUSH is made). */
  chain: Promise<void>;
}

interface Connection {
  socket: TLSSocket;
  subscriptions: Map<number, Subscribed>;
}

export interface DnsPushServerOptions {
  tls: TlsIdentity;
  source: RecordSource;
  /** The timers the server sets (its KEEPALIVE response). */
  keepalive?: Keepalive;
}

export class DnsPushServer {
  private readonly server: Server;
  readonly connections = new Set<Connection>();
  /** Every DSO message received, decoded (for assertions), and how many sessions were opened. */
  readonly received: DsoMessage[] = [];
  sessionsOpened = 0;
  /** The records clients said seem stale (RECONFIRM), in order. */
  readonly reconfirmed: Reconfirm[] = [];

  constructor(private readonly opts: DnsPushServerOptions) {
    this.server = createServer({ key: opts.tls.key, cert: opts.tls.cert }, (socket) => this.accept(socket));
  }

  async listen(port = 0, host = '127.0.0.1'): Promise<number> {
    this.server.listen(port, host);
    await once(this.server, 'listening');
    return (this.server.address() as { port: number }).port;
  }

  async close(): Promise<void> {
    for (const c of this.connections) c.socket.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }

  /** Subscriptions open now, over all connections. */
  subscriptions(): Subscribed[] {
    return [...this.connections].flatMap((c) => [...c.subscriptions.values()]);
  }

  /** Looks at every subscription again and pushes what changed (the source changed). */
  async refresh(): Promise<void> {
    await Promise.all([...this.connections].map((c) => Promise.all([...c.subscriptions.values()].map((s) => this.pushChanges(c, s)))));
  }

  /** RFC 8490 §7.2: tells every client to go away and come back after `delayMs`. */
  retryDelay(delayMs: number): void {
    for (const c of this.connections) this.send(c, { id: 0, response: false, rcode: 2, tlvs: [retryDelayTlv(delayMs)] });
  }

  /** Sends `bytes` to every client as one framed message. */
  sendRaw(bytes: Buffer): void {
    for (const c of this.connections) c.socket.write(framed(bytes));
  }

  private accept(socket: TLSSocket): void {
    const c: Connection = { socket, subscriptions: new Map() };
    this.connections.add(c);
    const framer = new MessageFramer();
    socket.on('data', (chunk: Buffer) => {
      for (const raw of framer.push(chunk)) void this.handle(c, decodeDso(raw));
    });
    socket.on('error', () => undefined);
    socket.on('close', () => this.connections.delete(c));
  }

  private send(c: Connection, m: DsoMessage): void {
    if (!c.socket.destroyed) c.socket.write(framed(encodeDso(m)));
  }

  private async handle(c: Connection, m: DsoMessage): Promise<void> {
    this.received.push(m);
    const primary = m.tlvs[0];
    if (!primary || m.response) return;
    if (m.id === 0) {
      if (primary.type === DSO_TYPE.unsubscribe) c.subscriptions.delete(readUnsubscribe(primary.data));
      if (primary.type === DSO_TYPE.reconfirm) {
        this.reconfirmed.push(readReconfirm(primary.data));
        await this.refresh(); // the source is asked again; what is gone there is pushed as removed
      }
      return;
    }
    if (primary.type === DSO_TYPE.keepalive) {
      this.sessionsOpened++;
      this.send(c, { id: m.id, response: true, rcode: 0, tlvs: [keepaliveTlv(this.opts.keepalive ?? { inactivityMs: 15_000, intervalMs: 15_000 })] });
      return;
    }
    if (primary.type === DSO_TYPE.subscribe) {
      const s: Subscribed = { ...readSubscribe(primary.data), id: m.id, sent: new Map(), chain: Promise.resolve() };
      c.subscriptions.set(m.id, s);
      // RFC 8765 §6.2: the response first, then (if anything exists) a PUSH of what does.
      this.send(c, { id: m.id, response: true, rcode: 0, tlvs: [] });
      await this.pushChanges(c, s);
      return;
    }
    this.send(c, { id: m.id, response: true, rcode: 11, tlvs: [] }); // DSOTYPENI
  }

  private pushChanges(c: Connection, s: Subscribed): Promise<void> {
    s.chain = s.chain.then(() => this.pushChangesNow(c, s));
    return s.chain;
  }

  private async pushChangesNow(c: Connection, s: Subscribed): Promise<void> {
    const now = await this.opts.source(s.name, s.type).catch(() => null);
    if (now === null || c.subscriptions.get(s.id) !== s) return;
    const current = new Map(now.filter((r) => canonicalName(r.name) === canonicalName(s.name) && (s.type === DNS_TYPE.ANY || r.type === s.type)).map((r) => [r.rdata.toString('base64'), r]));
    const changes: PushChange[] = [];
    for (const [id, r] of s.sent) if (!current.has(id)) changes.push({ kind: 'remove', record: r });
    for (const [id, r] of current) if (!s.sent.has(id)) changes.push({ kind: 'add', record: r });
    if (changes.length === 0) return;
    s.sent.clear();
    for (const [id, r] of current) s.sent.set(id, r);
    this.send(c, { id: 0, response: false, rcode: 0, tlvs: [pushTlv(changes)] });
  }
}
