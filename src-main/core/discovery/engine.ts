// The discovery engine (DESIGN §4): sockets on every interface that can multicast, IPv4 and
// IPv6, re-read when interfaces change; a responder for our instance and a browser for the others.

import { createSocket, type RemoteInfo } from 'node:dgram';
import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { isIPv6 } from 'node:net';
import { DIRECT_QUESTION_SOCKET_MS, DUPLICATE_PACKET_WINDOW_MS, INTERFACE_POLL_MS, MDNS_PORT, PEERS_EVENT_MIN_INTERVAL_MS, PEERS_MAX } from './constants.js';
import { decodeMessage } from './dnsMessage.js';
import { MdnsSocket, type Family } from './mdnsSocket.js';
import { interfaceForSource, interfacesSignature, listMulticastInterfaces, type MulticastInterface } from './networkInterfaces.js';
import type { Advertisement } from './ownRecords.js';
import { Responder } from './responder.js';
import { Browser } from './browser.js';
import type { DirectQuestionFailure, Transport } from './transport.js';
import type { Peer } from '../../../src-shared/peer.js';
import { sameTxtStrings } from '../../../src-shared/txtCodec.js';

/** The QR bit of a DNS header's third byte: set in responses (RFC 1035 §4.1.1). */
const DNS_QR_BIT = 0x80;
/** SD_NEARBY_DEBUG_MDNS=1 logs every packet in and out to stderr (read once: packets are a hot path). */
const DEBUG_MDNS = Boolean(process.env.SD_NEARBY_DEBUG_MDNS);

export interface DiscoveryEngineEvents {
  peers: [Peer[]];
  warning: [string];
  /** The interfaces or their addresses changed: another network, where nothing of the last one may carry over (the Contacts only port). */
  network: [];
}

export interface DiscoveryEngineOptions {
  /** Reads the interfaces; tests may narrow it. */
  readInterfaces?: () => MulticastInterface[];
  maxPeers?: number;
  /**
   * What the port-5353 sockets take (mdnsSocket.ts): 'any' (default) for a node, 'group' for an
   * engine that only browses beside another program on the port (the network check): its
   * questions are all multicast ones (QM), and the unicast sent to the port stays the other's.
   */
  listensTo?: 'any' | 'group';
}

/** A DNS-safe, unique host name for an identity: lowercase hex of a hash (DESIGN §4). */
export function hostnameForIdentity(identity: string): string {
  return `sd-${createHash('sha256').update(identity).digest('hex').slice(0, 16)}`;
}

export class DiscoveryEngine extends EventEmitter<DiscoveryEngineEvents> implements Transport {
  private readonly sockets = new Map<string, MdnsSocket>(); // `${iface}/${family}`
  /** Closes the socket of each direct question still waiting for its answer (one per question). */
  private readonly directQuestionClosers = new Set<() => void>();
  /** Kinds of send failure already reported (`${iface}/${family}/${code}`): one warning each. */
  private readonly sendFailuresReported = new Set<string>();
  private current: MulticastInterface[] = [];
  private signature = '';
  private pollTimer: NodeJS.Timeout | null = null;
  private readonly recent = new Map<string, { at: number; sockets: Set<object> }>();
  private readonly sentRecently = new Map<string, number>();
  private readonly responder = new Responder(this);
  private readonly browser: Browser;
  private running = false;
  private changeTimer: NodeJS.Timeout | null = null;
  private lastPeersEventAt = 0;
  private readonly readInterfaces: () => MulticastInterface[];
  private readonly listensTo: 'any' | 'group';

  constructor(opts: DiscoveryEngineOptions = {}) {
    super();
    this.readInterfaces = opts.readInterfaces ?? (() => listMulticastInterfaces());
    this.listensTo = opts.listensTo ?? 'any';
    this.browser = new Browser(this, () => this.responder.advertisement?.instance ?? null, opts.maxPeers ?? PEERS_MAX);
    this.browser.on('change', () => this.schedulePeersEvent());
    this.browser.on('overflow', () =>
      this.emit('warning', 'this network announces more devices than Nearby keeps (or many from one address); the least recently seen are left out'),
    );
  }

  get isRunning(): boolean {
    return this.running;
  }

  interfaces(): MulticastInterface[] {
    return this.current.filter((i) => this.sockets.has(`${i.name}/4`) || this.sockets.has(`${i.name}/6`));
  }

  peers(): Peer[] {
    return this.browser.peers();
  }

  /** Changes whenever a peer was heard from (an answer to a direct question moves its "last seen" and nothing else). */
  get heardCount(): number {
    return this.browser.heardCount;
  }

  /** The P2P link vouches for a peer's liveness (by Peer.id): mDNS stops asking it directly. */
  setMonitored(peerId: string, monitored: boolean): void {
    this.browser.setMonitored(peerId, monitored);
  }

  /**
   * Whether someone looks at the peer list (issue 9): while someone does, peers are asked
   * directly every few seconds and their records kept fresh, so that the list is exact within
   * seconds; while nobody does, no packet about any one peer is sent. Until this is first
   * called the engine behaves as if someone looked.
   */
  setLooking(looking: boolean): void {
    this.browser.setLooking(looking);
  }

  /**
   * Asks the LAN for an instance's records again (its owner's answer replaces an impostor's); by
   * a question about the whole service when questions may not name it.
   */
  askFor(instanceName: string): void {
    this.browser.askFor(instanceName);
  }

  /** Which instances a multicast question may name (the mode's policy, modes/modePolicy.ts `mayNameInQuestions`). */
  setQuestionsMayName(mayName: (instanceLabel: string) => boolean): void {
    this.browser.setQuestionsMayName(mayName);
  }

  /** Opens the sockets, starts browsing and, with an advertisement, announces it. */
  async start(advertisement: Advertisement | null): Promise<void> {
    if (this.running) {
      this.setAdvertisement(advertisement);
      return;
    }
    this.running = true;
    this.responder.setAdvertisement(advertisement);
    await this.syncInterfaces(true);
    this.browser.start();
    this.responder.announce();
    this.pollTimer = setInterval(() => void this.syncInterfaces(false), INTERFACE_POLL_MS);
  }

  /** Changes what we advertise and announces it at once (the libraries hook, a new name). */
  setAdvertisement(advertisement: Advertisement | null): void {
    if (!this.running) {
      this.responder.setAdvertisement(advertisement);
      return;
    }
    if (advertisement === null) {
      void this.responder.goodbye();
      return;
    }
    // The same records again (a mode re-applied, a library write that changed no active uuid): nothing to announce.
    const previous = this.responder.advertisement;
    if (previous && previous.instance === advertisement.instance && previous.hostname === advertisement.hostname && previous.port === advertisement.port && sameTxtStrings(previous.txt, advertisement.txt)) return;
    // A new instance or host name (a Contacts only epoch, a switch of mode): the old records say
    // goodbye first (RFC 6762 §10.1), so that nobody keeps them, nor links them to the new ones.
    if (previous && (previous.instance !== advertisement.instance || previous.hostname !== advertisement.hostname)) void this.responder.goodbye();
    this.responder.setAdvertisement(advertisement);
    this.responder.cancelTimers();
    this.responder.announce();
  }

  /** Goodbyes first (RFC 6762 §10.1), then every socket closes: nothing is sent afterwards. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    if (this.pollTimer) clearInterval(this.pollTimer);
    this.pollTimer = null;
    await this.responder.goodbye();
    this.browser.stop();
    await Promise.all([...this.sockets.values()].map((s) => s.close()));
    this.sockets.clear();
    for (const close of [...this.directQuestionClosers]) close();
    this.current = [];
    this.signature = '';
    this.recent.clear();
    this.sentRecently.clear();
    if (this.changeTimer) clearTimeout(this.changeTimer);
    this.changeTimer = null;
    this.emit('peers', []);
  }

  /**
   * A change goes out within 20 ms; while changes pour in (a flood of announcements), at most
   * every PEERS_EVENT_MIN_INTERVAL_MS: each event lists every peer, hundreds of them then.
   */
  private schedulePeersEvent(): void {
    if (this.changeTimer) return;
    const wait = Math.max(20, this.lastPeersEventAt + PEERS_EVENT_MIN_INTERVAL_MS - Date.now());
    this.changeTimer = setTimeout(() => {
      this.changeTimer = null;
      this.lastPeersEventAt = Date.now();
      this.emit('peers', this.peers());
    }, wait);
  }

  private async syncInterfaces(initial: boolean): Promise<void> {
    if (!this.running) return;
    let list: MulticastInterface[];
    try {
      list = this.readInterfaces();
    } catch (err) {
      this.emit('warning', `could not read the network interfaces: ${(err as Error).message}`);
      return;
    }
    const signature = interfacesSignature(list);
    if (!initial && signature === this.signature) return;
    const previous = new Map(this.current.map((i) => [i.name, interfacesSignature([i])]));
    this.signature = signature;
    // Another network, perhaps other failures: each kind is worth one warning again.
    this.sendFailuresReported.clear();
    this.current = list;
    const wanted = new Set<string>();
    for (const iface of list) {
      if (iface.ipv4[0]) wanted.add(`${iface.name}/4`);
      if (iface.ipv6.length > 0) wanted.add(`${iface.name}/6`);
    }
    for (const [key, socket] of this.sockets) {
      if (!wanted.has(key)) {
        this.sockets.delete(key);
        await socket.close();
      }
    }
    for (const iface of list) {
      for (const family of [4, 6] as const) {
        const key = `${iface.name}/${family}`;
        const sig = interfacesSignature([iface]);
        // An IPv4 socket is tied to its address: a changed address needs a new socket.
        if (this.sockets.has(key) && family === 4 && previous.get(iface.name) !== sig) {
          await this.sockets.get(key)?.close();
          this.sockets.delete(key);
        }
        if (!wanted.has(key) || this.sockets.has(key)) continue;
        const local = family === 4 ? iface.ipv4[0]?.address ?? '' : '';
        const socket = new MdnsSocket(iface.name, family, local, MDNS_PORT, this.listensTo);
        socket.on('message', (buf, rinfo) => this.onMessage(buf, rinfo, socket, false));
        socket.on('error', (err) => this.emit('warning', `mDNS on ${iface.name} (IPv${family}): ${err.message}`));
        try {
          await socket.open();
          this.sockets.set(key, socket);
        } catch (err) {
          await socket.close();
          this.emit('warning', `cannot listen for mDNS on ${iface.name} (IPv${family}): ${(err as Error).message}`);
        }
      }
    }
    if (list.length === 0) this.emit('warning', 'no network interface with an address: discovery waits for one');
    if (!initial && this.running) {
      // The network changed: announce on every interface and ask again (DESIGN §4).
      this.responder.cancelTimers();
      this.responder.announce();
      this.browser.restartQueries();
      this.emit('network');
    }
  }

  private onMessage(buffer: Buffer, rinfo: RemoteInfo, receiver: object, viaDirectQuery: boolean): void {
    try {
      const now = Date.now();
      // Our own multicast comes back to us (loopback): not a message from anyone else.
      const digest = createHash('sha1').update(buffer).digest('base64');
      if (!viaDirectQuery && (this.sentRecently.get(digest) ?? 0) > now - 2000 && this.isOwnAddress(rinfo.address)) return;
      const iface = interfaceForSource(rinfo.address, this.current);
      if (!iface) return; // off-link source: RFC 6762 §11
      // A multicast packet reaches every one of our sockets: handle it once. The same bytes
      // again on a socket that already had them are a new packet (a repeated announcement).
      // A dual-stack responder sends each response to both groups, the same bytes from its IPv4
      // and its IPv6 address: the records are the same, so the second copy is not handled again
      // (half the work for every host in a boot storm). Queries stay per source: a question
      // asked for a unicast answer must get its answer at the address that asked.
      const isMulticastResponse = rinfo.port === MDNS_PORT && buffer.length > 2 && (buffer[2]! & DNS_QR_BIT) !== 0;
      const dedupeKey = isMulticastResponse ? `${iface.name}|${digest}` : `${rinfo.address}|${rinfo.port}|${digest}`;
      const seen = this.recent.get(dedupeKey);
      if (seen && seen.at > now - DUPLICATE_PACKET_WINDOW_MS && !seen.sockets.has(receiver)) {
        seen.sockets.add(receiver);
        return;
      }
      this.recent.set(dedupeKey, { at: now, sockets: new Set([receiver]) });
      if (this.recent.size > 4096) for (const [k, v] of this.recent) if (v.at < now - DUPLICATE_PACKET_WINDOW_MS) this.recent.delete(k);
      const msg = decodeMessage(buffer);
      if (DEBUG_MDNS) console.error(Date.now() % 100000, 'mdns <-', rinfo.address, rinfo.port, viaDirectQuery ? 'direct' : '', JSON.stringify(msg));
      if (!msg) return;
      if (msg.isResponse) {
        // RFC 6762 §6: multicast responses come from port 5353; others are not trusted as such.
        if (!viaDirectQuery && rinfo.port !== MDNS_PORT) return;
        this.browser.handleResponse(msg, rinfo.address, iface.name, viaDirectQuery);
      } else if (!viaDirectQuery) {
        this.responder.handleQuery(msg, { address: rinfo.address, port: rinfo.port }, iface);
        if (rinfo.port === MDNS_PORT) this.browser.observeQuery(msg);
      }
    } catch (err) {
      // Nothing a peer sends may crash the node (DESIGN §4); a bug here is reported, not fatal.
      this.emit('warning', `ignored a packet from ${rinfo.address} that could not be handled: ${(err as Error).message}`);
    }
  }

  private isOwnAddress(address: string): boolean {
    const bare = address.replace(/%.*$/, '').toLowerCase();
    return this.current.some((i) => [...i.ipv4, ...i.ipv6].some((a) => a.address.replace(/%.*$/, '').toLowerCase() === bare));
  }

  private noteSent(packet: Buffer): void {
    const now = Date.now();
    this.sentRecently.set(createHash('sha1').update(packet).digest('base64'), now);
    if (this.sentRecently.size > 1024) for (const [k, t] of this.sentRecently) if (t < now - 2000) this.sentRecently.delete(k);
  }

  async multicast(interfaceName: string, packet: Buffer): Promise<void> {
    if (DEBUG_MDNS) console.error(Date.now() % 100000, 'mdns ->', interfaceName, JSON.stringify(decodeMessage(packet)).slice(0, 200));
    this.noteSent(packet);
    await Promise.all(
      ([4, 6] as const).map(async (family) => {
        const socket = this.sockets.get(`${interfaceName}/${family}`);
        const err = await socket?.send(packet);
        if (socket && err) this.reportSendFailure(interfaceName, family, err, socket.group);
      }),
    );
  }

  async unicast(address: string, port: number, packet: Buffer): Promise<void> {
    const family = address.includes(':') ? 6 : 4;
    const iface = interfaceForSource(address, this.current);
    const socket = iface ? this.sockets.get(`${iface.name}/${family}`) : undefined;
    const err = await socket?.send(packet, { address, port });
    if (iface && err) this.reportSendFailure(iface.name, family, err, address);
  }

  /**
   * A question from a socket of its own, connected to the peer's port 5353: the answer comes
   * back to it alone, and so does an ICMP "port unreachable" (ECONNREFUSED), which tells at once
   * that nothing answers there any more. The socket closes at the first answer, or after
   * DIRECT_QUESTION_SOCKET_MS.
   */
  directQuery(address: string, packet: Buffer, onFailure: (failure: DirectQuestionFailure) => void): void {
    const family = isIPv6(address.replace(/%.*$/, '')) ? 6 : 4;
    const socket = createSocket(family === 4 ? { type: 'udp4' } : { type: 'udp6', ipv6Only: true });
    let open = true;
    const close = () => {
      if (!open) return;
      open = false;
      clearTimeout(timer);
      this.directQuestionClosers.delete(close);
      socket.close();
    };
    this.directQuestionClosers.add(close);
    const timer = setTimeout(close, DIRECT_QUESTION_SOCKET_MS);
    const fail = (err: NodeJS.ErrnoException) => {
      if (!open) return;
      close();
      if (err.code === 'ECONNREFUSED') {
        onFailure('port-unreachable');
        return;
      }
      this.reportSendFailure(interfaceForSource(address, this.current)?.name ?? 'the network', family, err, address);
      onFailure('send-failed');
    };
    socket.on('message', (buf, rinfo) => {
      this.onMessage(buf, rinfo, socket, true);
      close();
    });
    socket.on('error', fail);
    // Node calls back with the error when connecting fails (its types leave the argument out).
    const onConnect = (err?: NodeJS.ErrnoException) => {
      if (err) fail(err);
      else if (open) socket.send(packet, (sendErr) => sendErr && fail(sendErr as NodeJS.ErrnoException));
    };
    socket.connect(MDNS_PORT, address, onConnect as () => void);
  }

  /**
   * A packet the system would not send: one warning per interface, family and error (a full
   * neighbour table makes every packet to a new address fail alike, and a per-packet warning
   * would bury every other one).
   */
  private reportSendFailure(interfaceName: string, family: Family, err: NodeJS.ErrnoException, to: string): void {
    const code = err.code ?? err.message;
    const kind = `${interfaceName}/${family}/${code}`;
    if (this.sendFailuresReported.has(kind)) return;
    this.sendFailuresReported.add(kind);
    this.emit('warning', `mDNS on ${interfaceName} (IPv${family}): the system refused to send to ${to} (${code}): ${sendFailureMeaning(code, family)}; other packets that fail this way are not reported again`);
  }
}

/** What a send error means for someone who reads the warning. */
function sendFailureMeaning(code: string, family: Family): string {
  switch (code) {
    case 'EINVAL':
    case 'ENOBUFS':
      return `the address could not be resolved on the local network (the system's IPv${family} neighbour table may be full, or the address is not usable yet); devices are still reached over the other address family where they have one`;
    case 'ENETUNREACH':
    case 'EHOSTUNREACH':
      return 'there is no route to it on this interface';
    case 'EADDRNOTAVAIL':
      return `the interface has no usable IPv${family} address`;
    case 'EPERM':
    case 'EACCES':
      return 'a firewall on this computer blocks it';
    default:
      return 'the network stack gave this error';
  }
}
