// The node's P2P port (DESIGN §5): a TLS 1.3 server where each connecting peer proves its
// identity, and the dialer that does the same the other way. Caps keep a hostile LAN from
// exhausting the node: connections in total, new connections per second from one address, TLS
// handshakes in progress (in total and per remote address), a deadline for each handshake
// (slowloris); links themselves time out (link.ts), and who may hold one is linkCaps.ts's.

import { connect as netConnect } from 'node:net';
import { lookup } from 'node:dns/promises';
import { createServer, connect as tlsConnect, type Server, type TlsOptions, type TLSSocket } from 'node:tls';
import { plainAddress } from './link.js';
import { TokenBucket } from '../../../src-shared/tokenBucket.js';
import { provenIdentity, tlsClientOptions, tlsOptions, tlsVerifyClientOptions, VERIFY_ALPN, type TlsIdentity } from './tlsIdentity.js';

export interface LinkServerLimits {
  /** TCP connections at once, authenticated or not. */
  connectionsMax: number;
  /** TLS handshakes in progress at once, from anyone. */
  handshakesMax: number;
  /** TLS handshakes in progress at once from one address. */
  handshakesPerAddressMax: number;
  /** A handshake not done within this is cut (slowloris). */
  handshakeTimeoutMs: number;
  /** New connections from one address: a sustained rate per second and a burst (token bucket); more are closed before TLS. */
  connectionsPerAddressPerSecond: number;
  connectionBurstPerAddress: number;
}

export const DEFAULT_LINK_SERVER_LIMITS: LinkServerLimits = {
  connectionsMax: 256,
  handshakesMax: 64,
  // A node makes one link dial and one verification at a time to a peer; 4 leave room for a NAS
  // running a few, and an attacker needs 16 addresses to hold every handshake slot (issue 11:
  // with 8 per address, 8 addresses held them all and verifications found no room).
  handshakesPerAddressMax: 4,
  handshakeTimeoutMs: 5000,
  // Each connection costs a TLS handshake (and a hello of up to 64 KB) before the link caps can
  // close it: a host that reopens what the caps close must not make the node spend a core on
  // handshakes. A node dials a peer about once a second at most (its retries wait 1 s and more;
  // verifications 5 s): 2 a second with a burst of 8 leave room for a few nodes behind one address.
  connectionsPerAddressPerSecond: 2,
  connectionBurstPerAddress: 8,
};

/** Addresses whose connection rate is remembered, at most; the least recently seen are forgotten first (and get a full burst again). */
const RATE_ADDRESSES_MAX = 4096;

/** Outgoing: the whole attempt (name lookup, TCP, TLS) for one address. */
export const LINK_DIAL_TIMEOUT_MS = 5000;

/** Turns a failed listen into a sentence a person can act on. */
export function describeListenError(err: NodeJS.ErrnoException, port: number): Error {
  if (err.code === 'EADDRINUSE') return new Error(`port ${port} is in use by another program; choose another with --port, or leave it out for a random one`, { cause: err });
  if (err.code === 'EACCES') return new Error(`port ${port} needs privileges this user does not have; choose a port above 1023`, { cause: err });
  return new Error(`cannot listen on port ${port}: ${err.message}`, { cause: err });
}

export interface LinkServerStats {
  connections: number;
  handshakes: number;
  refused: number;
  /** Of those refused: over their address's connection rate. */
  rateLimited: number;
  failedHandshakes: number;
  /** Verifications answered: handshakes that ended there, with no link. */
  verifications: number;
}

export class LinkServer {
  private readonly server: Server;
  private readonly limits: LinkServerLimits;
  /** `${address}|${port}` of connections still in their TLS handshake -> remote address. */
  private readonly pending = new Map<string, string>();
  private readonly pendingByAddress = new Map<string, number>();
  /** Connection tokens per remote address (connectionsPerAddressPerSecond); insertion order is recency. */
  private readonly connectionTokens = new Map<string, TokenBucket>();
  private accepting = true;
  private port = 0;
  /** What a verification is answered with before it closes (accounts/verifyAnswer.ts); null: nothing. */
  private verifyAnswer: () => Buffer | null = () => null;
  readonly stats: LinkServerStats = { connections: 0, handshakes: 0, refused: 0, rateLimited: 0, failedHandshakes: 0, verifications: 0 };

  /** `tlsOverrides`: e.g. the Contacts only gate's decoy certificate and SNICallback (contactsOnly/sniGate.ts). */
  constructor(id: TlsIdentity, private readonly onPeer: (socket: TLSSocket, identity: string) => void, limits: Partial<LinkServerLimits> = {}, tlsOverrides: TlsOptions = {}) {
    this.limits = { ...DEFAULT_LINK_SERVER_LIMITS, ...limits };
    this.server = createServer({ ...tlsOptions(id), requestCert: true, handshakeTimeout: this.limits.handshakeTimeoutMs, ...tlsOverrides });
    this.server.maxConnections = this.limits.connectionsMax;
    // Registered after tls.Server's own listener: the TLS wrapper exists, destroying the raw socket ends both.
    this.server.on('connection', (socket) => {
      const address = plainAddress(socket.remoteAddress);
      const key = `${address}|${socket.remotePort ?? 0}`;
      const fromAddress = this.pendingByAddress.get(address) ?? 0;
      if (!this.accepting || this.pending.size >= this.limits.handshakesMax || fromAddress >= this.limits.handshakesPerAddressMax || !this.takeConnectionToken(address)) {
        this.stats.refused++;
        socket.destroy();
        return;
      }
      this.stats.connections++;
      this.pending.set(key, address);
      this.pendingByAddress.set(address, fromAddress + 1);
      socket.once('close', () => this.handshakeOver(key));
    });
    this.server.on('secureConnection', (socket: TLSSocket) => {
      this.handshakeOver(`${plainAddress(socket.remoteAddress)}|${socket.remotePort ?? 0}`);
      this.stats.handshakes++;
      socket.on('error', () => socket.destroy());
      if (socket.alpnProtocol === VERIFY_ALPN) {
        // A verification: the handshake proved our identity to the client; nothing more is said.
        this.stats.verifications++;
        const answer = this.verifyAnswer();
        if (answer) socket.end(answer);
        else socket.end();
        return;
      }
      const identity = provenIdentity(socket);
      if (!this.accepting || identity === null) {
        socket.destroy();
        return;
      }
      try {
        this.onPeer(socket, identity);
      } catch {
        socket.destroy();
      }
    });
    // Handshake failures (timeouts, garbage, no certificate) end that socket only.
    this.server.on('tlsClientError', (_err, socket) => {
      this.stats.failedHandshakes++;
      socket.destroy();
    });
    this.server.on('error', () => {
      // Errors after listen (e.g. EMFILE on accept) are transient; the server keeps listening.
    });
  }

  /** Whether `address` may open a connection now (its token bucket); takes the token. */
  private takeConnectionToken(address: string): boolean {
    const bucket = this.connectionTokens.get(address) ?? new TokenBucket(this.limits.connectionsPerAddressPerSecond, this.limits.connectionBurstPerAddress);
    this.connectionTokens.delete(address);
    this.connectionTokens.set(address, bucket);
    if (this.connectionTokens.size > RATE_ADDRESSES_MAX) this.connectionTokens.delete(this.connectionTokens.keys().next().value as string);
    if (bucket.take()) return true;
    this.stats.rateLimited++;
    return false;
  }

  private handshakeOver(key: string): void {
    const address = this.pending.get(key);
    if (address === undefined) return;
    this.pending.delete(key);
    const n = (this.pendingByAddress.get(address) ?? 1) - 1;
    if (n <= 0) this.pendingByAddress.delete(address);
    else this.pendingByAddress.set(address, n);
  }

  get listeningPort(): number {
    return this.port;
  }

  get handshakesInProgress(): number {
    return this.pending.size;
  }

  /** What a verification hears before the server closes it (the node's account credentials, when the mode shares them). */
  setVerifyAnswer(answer: () => Buffer | null): void {
    this.verifyAnswer = answer;
  }

  /** While false, every incoming connection is closed at once (Disabled mode). */
  setAccepting(accepting: boolean): void {
    this.accepting = accepting;
  }

  /** Listens on `port` (0: random) on every address, IPv6 and IPv4, or IPv4 only on a host without IPv6. */
  async listen(port: number): Promise<number> {
    const listenOn = (host: string) =>
      new Promise<void>((resolve, reject) => {
        const onError = (err: Error) => reject(err);
        this.server.once('error', onError);
        this.server.listen({ port, host, ipv6Only: false }, () => {
          this.server.off('error', onError);
          resolve();
        });
      });
    try {
      await listenOn('::').catch(async (err: NodeJS.ErrnoException) => {
        if (err.code === 'EAFNOSUPPORT' || err.code === 'EADDRNOTAVAIL') await listenOn('0.0.0.0');
        else throw err;
      });
    } catch (err) {
      throw describeListenError(err as NodeJS.ErrnoException, port);
    }
    const address = this.server.address();
    this.port = typeof address === 'object' && address ? address.port : port;
    return this.port;
  }

  get isListening(): boolean {
    return this.server.listening;
  }

  /**
   * Closes the port (a scan finds nothing there) and keeps the links it accepted; listen() opens
   * it again. Not awaited: the server's close completes only when those links have ended.
   */
  stopListening(): void {
    if (this.server.listening) this.server.close();
    this.port = 0;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.server.listening) return resolve();
      this.server.close(() => resolve());
    });
  }
}

// ---------------------------------------------------------------------------------------------
// dialing

export type DialFailure = 'name-not-found' | 'refused' | 'timed-out' | 'unreachable' | 'not-nearby' | 'other';

export class DialError extends Error {
  constructor(readonly kind: DialFailure, message: string) {
    super(message);
    this.name = 'DialError';
  }
}

export interface DialResult {
  socket: TLSSocket;
  /** The identity the peer proved in the handshake. */
  identity: string;
  /** The address that answered. */
  address: string;
}

function classify(err: NodeJS.ErrnoException): DialFailure {
  switch (err.code) {
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NONAME':
    case 'EAI_NODATA':
      return 'name-not-found';
    case 'ECONNREFUSED':
      return 'refused';
    case 'ETIMEDOUT':
      return 'timed-out';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'EADDRNOTAVAIL':
      return 'unreachable';
    default:
      return 'other';
  }
}

/** What a dial is for: a standing link (we show our identity), or a verification (we show none, and close after the handshake). */
export type DialPurpose = 'link' | 'verify';

/** One address: TCP, then TLS 1.3, then the proven identity; within `timeoutMs`. `servername`: a fresh SNI per attempt (Contacts only). */
function dialAddress(id: TlsIdentity, address: string, port: number, timeoutMs: number, servername: (() => string) | undefined, purpose: DialPurpose): Promise<DialResult> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const raw = netConnect({ host: address, port });
    const options = purpose === 'verify' ? tlsVerifyClientOptions() : tlsClientOptions(id);
    const socket = tlsConnect({ ...options, socket: raw, ...(servername ? { servername: servername() } : {}) });
    const finish = (err: DialError | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) {
        socket.destroy();
        raw.destroy();
        reject(err);
        return;
      }
      const identity = provenIdentity(socket);
      if (identity === null) {
        socket.destroy();
        reject(new DialError('not-nearby', 'it answered without a Nearby identity (another program on that port?)'));
        return;
      }
      socket.removeListener('error', onError);
      socket.on('error', () => socket.destroy());
      resolve({ socket, identity, address });
    };
    const onError = (err: NodeJS.ErrnoException) => {
      const kind = classify(err);
      // Anything after TCP connected but before TLS completed means "not one of us".
      const tlsStage = raw.readyState === 'open' || (err.code ?? '').startsWith('ERR_SSL') || /SSL|TLS|socket disconnected/i.test(err.message);
      finish(new DialError(kind === 'other' && tlsStage ? 'not-nearby' : kind, err.message));
    };
    const timer = setTimeout(() => finish(new DialError('timed-out', `no answer within ${timeoutMs / 1000} s`)), timeoutMs);
    raw.on('error', onError);
    socket.on('error', onError);
    socket.once('secureConnect', () => finish(null));
  });
}

/**
 * Connects to `host` (an IP address, or a name looked up through the system resolver: /etc/hosts,
 * DNS) on `port`, trying each address in turn, and returns the first TLS socket whose peer proved
 * an identity. The error of the last address is thrown when none works.
 */
export async function dialLink(id: TlsIdentity, hosts: string | string[], port: number, timeoutMs = LINK_DIAL_TIMEOUT_MS, servername?: () => string, purpose: DialPurpose = 'link'): Promise<DialResult> {
  const deadline = Date.now() + timeoutMs;
  let addresses: string[] = [];
  for (const host of Array.isArray(hosts) ? hosts : [hosts]) {
    if (/^[\d.]+$/.test(host) || host.includes(':')) addresses.push(host);
    else {
      try {
        const found = await lookup(host, { all: true });
        addresses.push(...found.map((a) => a.address));
      } catch (err) {
        if (!Array.isArray(hosts) || hosts.length === 1) throw new DialError('name-not-found', (err as Error).message);
      }
    }
  }
  addresses = [...new Set(addresses)];
  if (addresses.length === 0) throw new DialError('name-not-found', 'no address');
  let last: DialError = new DialError('other', 'no address');
  for (const address of addresses) {
    const left = deadline - Date.now();
    if (left <= 0) break;
    try {
      return await dialAddress(id, address, port, left, servername, purpose);
    } catch (err) {
      last = err instanceof DialError ? err : new DialError('other', (err as Error).message);
    }
  }
  throw last;
}
