// The network check's own mDNS sockets (issue 15): for a few seconds, on every interface and
// family, it asks the LAN which services exist and counts what comes back, by who sent it.
//
// How one host tells its causes apart, by what it sends:
// - A multicast question from port 5353 (QM, RFC 6762 §5.2), with loopback on: the system hands a
//   copy of it back to this host's own sockets, and that copy goes through the firewall's input
//   like any packet from the wire (Linux: the looped packet is received on the interface it left
//   by, so a rule dropping incoming UDP 5353 drops it too). Heard back: nothing on this host drops
//   incoming mDNS. Not heard back: something does.
// - The system refusing the send (EPERM, EACCES) is this host's firewall refusing outgoing UDP;
//   a route error (ENETUNREACH, ENODEV) is a missing route or interface.
// - The same question from an ephemeral port (a legacy question, RFC 6762 §6.7): responders
//   answer it by unicast to that port, not to 5353, so an answer gets past a rule that drops only
//   port 5353, and proves that other hosts exist and hear us even when port 5353 hears nothing.
// - Every responder answers a question for the service types (RFC 6763 §9) whenever it has one:
//   responses from others that never name those types after we asked mean they do not hear us.

import { createHash } from 'node:crypto';
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { networkInterfaces } from 'node:os';
import { MDNS_IPV4_GROUP, MDNS_IPV6_GROUP, MDNS_PORT, SERVICE_ENUMERATION_NAME, SERVICE_TYPE } from '../discovery/constants.js';
import { decodeMessage, encodeQuery, sameName, type MdnsMessage } from '../discovery/dnsMessage.js';
import { MdnsSocket, type Family } from '../discovery/mdnsSocket.js';
import { interfaceForSource, type MulticastInterface } from '../discovery/networkInterfaces.js';
import type { HeardHost, PacketCounts } from '../../../src-shared/networkCheck.js';

/**
 * When the questions go out, in ms from the start: RFC 6762 §5.2's intervals (1 s, then doubling),
 * those that fit the window. The legacy questions go shortly after the first two multicast ones
 * (200 ms), so that this host's packets do not leave in one burst.
 */
export const PROBE_QUESTION_TIMES_MS = [0, 1000, 3000, 7000, 15000, 31000];
export const PROBE_LEGACY_QUESTION_TIMES_MS = [200, 2200];
/** A question is sent only when its answers have this long left in the window to come back. */
export const PROBE_ANSWER_ROOM_MS = 500;
/** The same bytes from the same sender within this long are one packet heard on several sockets. */
const PROBE_DUPLICATE_WINDOW_MS = 100;

/** What one family of one interface saw. */
export interface ProbeCounters extends PacketCounts {
  /** Why the socket on port 5353 could not open or join the group; null when it did. */
  socketError: string | null;
}

export interface ProbeObservations {
  /** By `${interface}/${family}`, for each interface and family with an address. */
  counters: Map<string, ProbeCounters>;
  /** Other hosts heard, by address: the interface, the service types they named, the addresses they gave for themselves. */
  hosts: Map<string, HeardAddress>;
}

export interface HeardAddress {
  interface: string;
  services: Set<string>;
  /** The addresses in its own address records, when the one it sent from is among them. */
  sameHost: Set<string>;
}

export function newCounters(): ProbeCounters {
  return { socketError: null, sent: 0, sendErrors: {}, ownLoopedBack: 0, fromThisHost: 0, fromOthers: 0, responsesFromOthers: 0, answersToUs: 0 };
}

function bare(address: string): string {
  const noScope = address.replace(/%.*$/, '').toLowerCase();
  return /^::ffff:\d+\.\d+\.\d+\.\d+$/.test(noScope) ? noScope.slice(7) : noScope;
}

function digestOf(buffer: Buffer): string {
  return createHash('sha1').update(buffer).digest('base64');
}

/** Every address of this host, loopback included: a packet from one of them is ours. */
function ownAddresses(): Set<string> {
  return new Set(Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((i) => bare(i.address))));
}

/** The service types a response names: the data of a service-type PTR, the name of an instance PTR. */
function servicesNamed(msg: MdnsMessage): string[] {
  const types = new Set<string>();
  for (const r of msg.records) {
    if (r.type !== 'PTR') continue;
    if (sameName(r.name, SERVICE_ENUMERATION_NAME)) types.add(r.data.toLowerCase());
    else if (/\._(tcp|udp)\.local\.?$/i.test(r.name)) types.add(r.name.toLowerCase().replace(/\.$/, ''));
  }
  return [...types];
}

/** The addresses heard, one entry per host: addresses its own address records tie together are one. */
export function heardHosts(heard: ReadonlyMap<string, HeardAddress>): HeardHost[] {
  const hosts: HeardHost[] = [];
  const hostOf = new Map<string, HeardHost>();
  for (const [address, h] of heard) {
    const tied = [address, ...h.sameHost].map((a) => hostOf.get(a)).find((x) => x !== undefined);
    const host = tied ?? { addresses: [], interface: h.interface, services: [] };
    if (!tied) hosts.push(host);
    host.addresses.push(address);
    host.services = [...new Set([...host.services, ...h.services])].sort();
    for (const a of [address, ...h.sameHost]) hostOf.set(a, host);
  }
  return hosts;
}

const PROBE_QUESTIONS = [
  { name: SERVICE_ENUMERATION_NAME, type: 'PTR' as const, unicastResponse: false },
  { name: SERVICE_TYPE, type: 'PTR' as const, unicastResponse: false },
];

export class MdnsProbe {
  private readonly counters = new Map<string, ProbeCounters>();
  private readonly hosts = new Map<string, HeardAddress>();
  private readonly sentDigests = new Set<string>();
  private readonly recent = new Map<string, number>();
  private readonly groupSockets = new Map<string, MdnsSocket>();
  private readonly legacySockets = new Map<string, Socket>();
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly own = ownAddresses();
  private askedAt = Infinity;

  constructor(private readonly interfaces: readonly MulticastInterface[]) {}

  /** Listens for `windowMs`, asking at PROBE_QUESTION_TIMES_MS; then closes every socket. */
  async run(windowMs: number): Promise<ProbeObservations> {
    await this.open();
    const ask = (times: number[], send: () => void) => {
      for (const at of times.filter((t, i) => i === 0 || t + PROBE_ANSWER_ROOM_MS <= windowMs)) this.timers.push(setTimeout(send, at));
    };
    ask(PROBE_QUESTION_TIMES_MS, () => this.askMulticast());
    ask(PROBE_LEGACY_QUESTION_TIMES_MS, () => this.askLegacy());
    await new Promise((resolve) => setTimeout(resolve, windowMs));
    await this.close();
    return { counters: this.counters, hosts: this.hosts };
  }

  private countersOf(iface: string, family: Family): ProbeCounters {
    const key = `${iface}/${family}`;
    let c = this.counters.get(key);
    if (!c) this.counters.set(key, (c = newCounters()));
    return c;
  }

  private async open(): Promise<void> {
    for (const iface of this.interfaces) {
      for (const family of [4, 6] as const) {
        const local = family === 4 ? iface.ipv4[0]?.address : iface.ipv6[0]?.address;
        if (local === undefined) continue;
        const socket = await this.openGroupSocket(iface.name, family, family === 4 ? local : '');
        if (socket === null) continue;
        this.countersOf(iface.name, family); // counted from now on, even if nothing comes
        this.groupSockets.set(`${iface.name}/${family}`, socket);
        await this.openLegacySocket(iface.name, family, local);
      }
    }
  }

  /**
   * Bound to the group, not to any address: the unicast a node on this host waits for on port
   * 5353 (answers, peers' direct questions) stays the node's (mdnsSocket.ts). Where the system
   * does not bind a socket to a group address (Windows), bound to any address instead.
   */
  private async openGroupSocket(iface: string, family: Family, local: string): Promise<MdnsSocket | null> {
    let lastError = '';
    for (const listensTo of ['group', 'any'] as const) {
      const socket = new MdnsSocket(iface, family, local, MDNS_PORT, listensTo);
      socket.on('message', (buf, rinfo) => this.onMessage(buf, rinfo, false));
      socket.on('error', () => undefined); // a late error of a closing socket: the counts say what matters
      try {
        await socket.open();
        return socket;
      } catch (err) {
        lastError = (err as Error).message;
        await socket.close();
      }
    }
    this.countersOf(iface, family).socketError = lastError;
    return null;
  }

  private async openLegacySocket(iface: string, family: Family, local: string): Promise<void> {
    const socket = createSocket(family === 4 ? { type: 'udp4' } : { type: 'udp6', ipv6Only: true });
    socket.on('message', (buf, rinfo) => this.onMessage(buf, rinfo, true));
    socket.on('error', () => undefined);
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        socket.bind({ port: 0, address: family === 4 ? local : '::' }, () => resolve());
      });
      socket.setMulticastInterface(family === 4 ? local : `::%${iface}`);
      socket.setMulticastLoopback(true);
      this.legacySockets.set(`${iface}/${family}`, socket);
    } catch {
      socket.close();
    }
  }

  private recordSend(key: string, err: NodeJS.ErrnoException | null): void {
    const [iface = '', family] = key.split('/');
    const counters = this.countersOf(iface, family === '6' ? 6 : 4);
    counters.sent++;
    if (err) {
      const code = err.code ?? err.message;
      counters.sendErrors[code] = (counters.sendErrors[code] ?? 0) + 1;
    }
  }

  private askMulticast(): void {
    const packet = encodeQuery(PROBE_QUESTIONS);
    this.sentDigests.add(digestOf(packet));
    this.askedAt = Math.min(this.askedAt, Date.now());
    for (const [key, socket] of this.groupSockets) void socket.send(packet).then((err) => this.recordSend(key, err));
  }

  private askLegacy(): void {
    // A legacy question carries an id of its own (RFC 6762 §6.7: the answer echoes it).
    const packet = encodeQuery(PROBE_QUESTIONS);
    packet.writeUInt16BE(Math.floor(Math.random() * 0xffff) + 1, 0);
    this.sentDigests.add(digestOf(packet));
    for (const [key, socket] of this.legacySockets) {
      const iface = key.split('/')[0] ?? '';
      const group = key.endsWith('/6') ? `${MDNS_IPV6_GROUP}%${iface}` : MDNS_IPV4_GROUP;
      socket.send(packet, MDNS_PORT, group, (err) => this.recordSend(key, err ?? null));
    }
  }

  private isDuplicate(rinfo: RemoteInfo, digest: string): boolean {
    const now = Date.now();
    const key = `${bare(rinfo.address)}|${rinfo.port}|${digest}`;
    const seen = this.recent.get(key);
    this.recent.set(key, now);
    if (this.recent.size > 4096) for (const [k, t] of this.recent) if (t < now - PROBE_DUPLICATE_WINDOW_MS) this.recent.delete(k);
    return seen !== undefined && seen > now - PROBE_DUPLICATE_WINDOW_MS;
  }

  /** Counts a packet once, for the interface and family it came from, by who sent it. */
  private onMessage(buffer: Buffer, rinfo: RemoteInfo, toLegacySocket: boolean): void {
    const digest = digestOf(buffer);
    if (this.isDuplicate(rinfo, digest)) return;
    const iface = interfaceForSource(rinfo.address, [...this.interfaces]);
    if (!iface) return; // off-link: mDNS ignores it (RFC 6762 §11), and so does the check
    const counters = this.countersOf(iface.name, rinfo.family === 'IPv6' ? 6 : 4);
    if (this.own.has(bare(rinfo.address))) {
      if (this.sentDigests.has(digest)) counters.ownLoopedBack++;
      else counters.fromThisHost++;
      return;
    }
    const msg = decodeMessage(buffer);
    counters.fromOthers++;
    const host = this.hosts.get(bare(rinfo.address)) ?? { interface: iface.name, services: new Set<string>(), sameHost: new Set<string>() };
    this.hosts.set(bare(rinfo.address), host);
    if (!msg?.isResponse) return;
    counters.responsesFromOthers++;
    for (const service of servicesNamed(msg)) host.services.add(service);
    const ownRecords = msg.records.flatMap((r) => (r.type === 'A' || r.type === 'AAAA' ? [bare(r.data)] : []));
    if (ownRecords.includes(bare(rinfo.address))) for (const a of ownRecords) host.sameHost.add(a);
    const namesWhatWeAsked = msg.records.some((r) => sameName(r.name, SERVICE_ENUMERATION_NAME));
    if (toLegacySocket || (namesWhatWeAsked && Date.now() >= this.askedAt)) counters.answersToUs++;
  }

  private async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    for (const s of this.legacySockets.values()) s.close();
    this.legacySockets.clear();
    await Promise.all([...this.groupSockets.values()].map((s) => s.close()));
    this.groupSockets.clear();
  }
}
