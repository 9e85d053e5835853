// Every frame on a LAN's bridge, counted as it arrives: tcpdump in the switch namespace, no
// filter, headers only (-s 200), parsed from its pcap stream into 100 ms bins (time stamps are
// the kernel's, so a late delivery still lands in the right bin). Nothing is kept
// per packet, so a 10-minute capture of a LAN carrying 60,000 packets a minute stays small.
//
// Why not tests/support/capture.ts: that one keeps every packet (tests look at their contents)
// and filters in the kernel with `udp port 5353 or tcp`. Two things that filter cannot do:
// - see IPv6 UDP packets that carry a Fragment header: libpcap's `udp port N` looks for UDP
//   right after the fixed IPv6 header (see `tcpdump -d 'udp port 5353'`), so an mDNS message
//   over 1452 bytes sent over IPv6 (python-zeroconf allows 1460) was not counted at all, while
//   the same message over IPv4 (1488 bytes on the wire, no fragments) was;
// - count what unicast costs underneath (ARP, neighbour discovery) and MLD/IGMP reports.
// Also recorded: the kernel's drop count (tcpdump's "dropped by kernel" line at exit). A capture
// starved of CPU on a busy machine drops packets, which shows there instead of as quiet minutes.
//
// On a machine at 100 % with a load of 90, tcpdump (or the bench reading it) fell more than a
// minute behind the wire: a 50-node LAN showed 0 packets in minute 2 while tcpdump said it had
// received 172,161 (its ring is large, so nothing was "dropped"). So a window is read only once
// the capture has caught up with it: caughtUp(T) sends a marker frame out of the bridge after T
// (an unused EtherType, broadcast: the hosts' kernels ignore it) and waits until that frame comes
// out of the capture; the ring is in order, so everything before T has been counted by then.

import { spawn, type ChildProcess } from 'node:child_process';

/** What a frame is, for the counts (every frame is exactly one of the first four). */
export const FRAME_CLASSES = ['mdnsMulticast', 'mdnsUnicast', 'tcp', 'other'] as const;
export type FrameClass = (typeof FRAME_CLASSES)[number];

/** Counters of one bin (and of any sum of bins). */
export interface WireCounts {
  all: number;
  bytes: number;
  mdnsMulticast: number;
  mdnsUnicast: number;
  tcp: number;
  /** ARP, ICMPv6 (neighbour discovery, MLD), IGMP, other UDP, IP fragments after the first. */
  other: number;
  ipv4: number;
  ipv6: number;
  /** Frames that are neither (ARP). */
  noIp: number;
  mdnsMulticastIpv4: number;
  mdnsMulticastIpv6: number;
  mdnsUnicastIpv4: number;
  mdnsUnicastIpv6: number;
  tcpIpv4: number;
  tcpIpv6: number;
  mdnsQueries: number;
  mdnsResponses: number;
  mdnsBytes: number;
  tcpBytes: number;
  /** IP fragments after the first (counted in `other`: they carry no port). */
  fragments: number;
}

const FIELDS: Array<keyof WireCounts> = [
  'all', 'bytes', 'mdnsMulticast', 'mdnsUnicast', 'tcp', 'other', 'ipv4', 'ipv6', 'noIp',
  'mdnsMulticastIpv4', 'mdnsMulticastIpv6', 'mdnsUnicastIpv4', 'mdnsUnicastIpv6', 'tcpIpv4', 'tcpIpv6',
  'mdnsQueries', 'mdnsResponses', 'mdnsBytes', 'tcpBytes', 'fragments',
];
const INDEX = new Map(FIELDS.map((f, i) => [f, i]));

export function zeroCounts(): WireCounts {
  return Object.fromEntries(FIELDS.map((f) => [f, 0])) as unknown as WireCounts;
}

export const BIN_MS = 100;
const SNAP_BYTES = 200; // Ethernet + IPv6 + extension headers + UDP + the DNS flags fit
/** The kernel's ring for the capture: minutes of a 50-node mesh's traffic, for the moments the
 *  machine is too busy to run tcpdump (a busy shared machine made it drop with 16 MiB). */
const KERNEL_BUFFER_KIB = 64 * 1024;
/** IEEE 802 "local experimental" EtherType 1: nobody on the LAN speaks it. */
const MARKER_ETHERTYPE = 0x88b5;
const MARKER_MAGIC = Buffer.from('nearby-bench-marker:');
/** Sends one marker frame (its text after the magic) out of br0, from inside the switch namespace. */
const MARKER_SENDER = [
  'import socket, sys',
  's = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)',
  's.bind((sys.argv[1], 0))',
  `s.send(b'\\xff' * 6 + bytes.fromhex('020000000001') + bytes.fromhex('${MARKER_ETHERTYPE.toString(16)}') + sys.argv[2].encode())`,
].join('\n');
const MDNS_PORT = 5353;

interface Frame {
  cls: FrameClass;
  family: 4 | 6 | null;
  /** DNS QR bit of an mDNS packet: true = response. */
  response: boolean | null;
  fragment: boolean;
}

const isMdnsV4Group = (b: Buffer, o: number) => b[o] === 224 && b[o + 1] === 0 && b[o + 2] === 0 && b[o + 3] === 251;
function isMdnsV6Group(b: Buffer, o: number): boolean {
  if (b[o] !== 0xff || b[o + 1] !== 0x02) return false;
  for (let i = 2; i < 15; i++) if (b[o + i] !== 0) return false;
  return b[o + 15] === 0xfb;
}

/** Classifies one captured frame (possibly cut at SNAP_BYTES: only headers are read). */
export function classifyFrame(f: Buffer): Frame {
  const other: Frame = { cls: 'other', family: null, response: null, fragment: false };
  if (f.length < 14) return other;
  let off = 12;
  let etherType = f.readUInt16BE(off);
  off += 2;
  while ((etherType === 0x8100 || etherType === 0x88a8) && f.length >= off + 4) {
    etherType = f.readUInt16BE(off + 2);
    off += 4;
  }
  let family: 4 | 6;
  let proto: number;
  let l4: number;
  let multicast: boolean;
  if (etherType === 0x0800) {
    family = 4;
    if (f.length < off + 20) return { ...other, family };
    const fragOffset = f.readUInt16BE(off + 6) & 0x1fff;
    proto = f[off + 9] ?? 0;
    multicast = isMdnsV4Group(f, off + 16);
    if (fragOffset !== 0) return { ...other, family, fragment: true };
    l4 = off + ((f[off] ?? 0) & 0x0f) * 4;
  } else if (etherType === 0x86dd) {
    family = 6;
    if (f.length < off + 40) return { ...other, family };
    proto = f[off + 6] ?? 0;
    multicast = isMdnsV6Group(f, off + 24);
    l4 = off + 40;
    // Hop-by-hop, routing, destination options, fragment (RFC 8200 §4).
    for (;;) {
      if (proto === 0 || proto === 43 || proto === 60) {
        if (f.length < l4 + 2) return { ...other, family };
        const next = f[l4] ?? 0;
        l4 += ((f[l4 + 1] ?? 0) + 1) * 8;
        proto = next;
      } else if (proto === 44) {
        if (f.length < l4 + 8) return { ...other, family };
        if ((f.readUInt16BE(l4 + 2) & 0xfff8) !== 0) return { ...other, family, fragment: true };
        proto = f[l4] ?? 0;
        l4 += 8;
      } else break;
    }
  } else {
    return other; // ARP and anything else without IP
  }
  if (proto === 6) return { cls: 'tcp', family, response: null, fragment: false };
  if (proto !== 17 || f.length < l4 + 4) return { ...other, family };
  const sport = f.readUInt16BE(l4);
  const dport = f.readUInt16BE(l4 + 2);
  if (sport !== MDNS_PORT && dport !== MDNS_PORT) return { ...other, family };
  const flags = f[l4 + 8 + 2];
  return { cls: multicast ? 'mdnsMulticast' : 'mdnsUnicast', family, response: flags === undefined ? null : (flags & 0x80) !== 0, fragment: false };
}

function add(bin: Float64Array, fr: Frame, wireBytes: number): void {
  const inc = (k: keyof WireCounts, by = 1) => {
    const i = INDEX.get(k)!;
    bin[i] = (bin[i] ?? 0) + by;
  };
  inc('all');
  inc('bytes', wireBytes);
  inc(fr.cls);
  if (fr.family === 4) inc('ipv4');
  else if (fr.family === 6) inc('ipv6');
  else inc('noIp');
  if (fr.fragment) inc('fragments');
  if (fr.cls === 'mdnsMulticast' || fr.cls === 'mdnsUnicast' || fr.cls === 'tcp') {
    if (fr.family) inc(`${fr.cls}Ipv${fr.family}` as keyof WireCounts);
  }
  if (fr.cls === 'mdnsMulticast' || fr.cls === 'mdnsUnicast') {
    inc('mdnsBytes', wireBytes);
    if (fr.response === true) inc('mdnsResponses');
    else if (fr.response === false) inc('mdnsQueries');
  }
  if (fr.cls === 'tcp') inc('tcpBytes', wireBytes);
}

/** 100 ms bins of counts, from a start time on. */
class Bins {
  private readonly bins = new Map<number, Float64Array>();
  constructor(private readonly t0: number) {}

  add(time: number, fr: Frame, wireBytes: number): void {
    const k = Math.floor((time - this.t0) / BIN_MS);
    let b = this.bins.get(k);
    if (!b) this.bins.set(k, (b = new Float64Array(FIELDS.length)));
    add(b, fr, wireBytes);
  }

  /** The sum over [from, to) (epoch ms), at bin resolution. */
  sum(from: number, to: number): WireCounts {
    const lo = Math.floor((from - this.t0) / BIN_MS);
    const hi = Math.floor((to - this.t0) / BIN_MS);
    const acc = new Float64Array(FIELDS.length);
    for (const [k, b] of this.bins) {
      if (k < lo || k >= hi) continue;
      for (let i = 0; i < acc.length; i++) acc[i]! += b[i]!;
    }
    return Object.fromEntries(FIELDS.map((f, i) => [f, acc[i]!])) as unknown as WireCounts;
  }
}

export interface WireStats {
  /** tcpdump's own counts at exit (null when it did not print them). */
  captured: number | null;
  receivedByFilter: number | null;
  droppedByKernel: number | null;
  /** Frames parsed here (`captured` less the markers, and less what was still queued at stop). */
  parsed: number;
  /** Marker frames sent (caughtUp) and the longest a marker took to come out of the capture. */
  markers: number;
  maxLagMs: number;
}

/** Streams pcap records (any byte order, µs or ns time stamps) to `onRecord`. */
class PcapStream {
  private buf: Buffer = Buffer.alloc(0);
  private le: boolean | null = null;
  private nano = false;
  constructor(private readonly onRecord: (timeMs: number, frame: Buffer, origLen: number) => void) {}

  push(chunk: Buffer): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    let off = 0;
    if (this.le === null) {
      if (this.buf.length < 24) return;
      const magic = this.buf.readUInt32LE(0);
      if (magic === 0xa1b2c3d4 || magic === 0xa1b23c4d) this.le = true;
      else if (this.buf.readUInt32BE(0) === 0xa1b2c3d4 || this.buf.readUInt32BE(0) === 0xa1b23c4d) this.le = false;
      else throw new Error('tcpdump did not write a pcap stream');
      this.nano = (this.le ? magic : this.buf.readUInt32BE(0)) === 0xa1b23c4d;
      const u32 = (o: number) => (this.le ? this.buf.readUInt32LE(o) : this.buf.readUInt32BE(o));
      if (u32(20) !== 1) throw new Error(`tcpdump link type ${u32(20)}, expected Ethernet`);
      off = 24;
    }
    const u32 = (o: number) => (this.le ? this.buf.readUInt32LE(o) : this.buf.readUInt32BE(o));
    while (off + 16 <= this.buf.length) {
      const incl = u32(off + 8);
      if (off + 16 + incl > this.buf.length) break;
      const time = u32(off) * 1000 + (this.nano ? u32(off + 4) / 1e6 : u32(off + 4) / 1e3);
      this.onRecord(time, this.buf.subarray(off + 16, off + 16 + incl), u32(off + 12));
      off += 16 + incl;
    }
    this.buf = Buffer.from(this.buf.subarray(off));
  }
}

/**
 * tcpdump on `iface` inside `ns`, every frame; counts per 100 ms from `t0` (epoch ms) on, for
 * the whole LAN and for the frames to or from `focusMac` (one host's own traffic).
 */
export class WireCapture {
  readonly lan: Bins;
  readonly focus: Bins;
  private readonly child: ChildProcess;
  private stderr = '';
  private parsed = 0;
  private readonly closed: Promise<void>;
  private focusMacBytes: Buffer | null = null;
  private readonly markersSeen = new Map<number, number>();
  private markerCount = 0;
  /** Longest wait for a marker (ms): how far behind the wire the capture was at worst. */
  maxLagMs = 0;

  private constructor(private readonly ns: string, private readonly iface: string, readonly t0: number, focusMac: string | null) {
    this.lan = new Bins(t0);
    this.focus = new Bins(t0);
    if (focusMac) this.focusMacBytes = Buffer.from(focusMac.split(':').map((h) => parseInt(h, 16)));
    // -U: each packet is written out at once (no stdio buffer holding the quiet minutes' last
    // packets); no --immediate-mode: blocks of packets per wake-up, far less CPU at 2,000/s.
    this.child = spawn('ip', ['netns', 'exec', ns, 'tcpdump', '-i', iface, '-n', '-U', '-B', String(KERNEL_BUFFER_KIB), '-s', String(SNAP_BYTES), '-w', '-'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const stream = new PcapStream((time, frame, origLen) => {
      if (frame.length >= 14 + MARKER_MAGIC.length && frame.readUInt16BE(12) === MARKER_ETHERTYPE && frame.subarray(14, 14 + MARKER_MAGIC.length).equals(MARKER_MAGIC)) {
        this.markersSeen.set(parseInt(frame.subarray(14 + MARKER_MAGIC.length).toString(), 10), time);
        return;
      }
      this.parsed++;
      const fr = classifyFrame(frame);
      this.lan.add(time, fr, origLen);
      const mac = this.focusMacBytes;
      if (mac && frame.length >= 12 && (frame.subarray(0, 6).equals(mac) || frame.subarray(6, 12).equals(mac))) this.focus.add(time, fr, origLen);
    });
    this.child.stdout!.on('data', (d: Buffer) => stream.push(d));
    this.child.stderr!.setEncoding('utf8').on('data', (d: string) => (this.stderr += d));
    this.closed = new Promise((r) => this.child.on('close', () => r()));
  }

  /** Starts the capture; resolves once tcpdump listens. */
  static async start(ns: string, iface: string, t0: number, focusMac: string | null, readyTimeoutMs = 10000): Promise<WireCapture> {
    const c = new WireCapture(ns, iface, t0, focusMac);
    const deadline = Date.now() + readyTimeoutMs;
    while (!/listening on/.test(c.stderr)) {
      if (c.child.exitCode !== null || Date.now() > deadline) {
        c.child.kill('SIGKILL');
        throw new Error(`tcpdump on ${iface} in ${ns} did not start: ${c.stderr.trim()}`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    return c;
  }

  /**
   * Resolves true once every frame captured before `time` (epoch ms, now or past) has been
   * counted; false when the capture is still behind after timeoutMs.
   */
  async caughtUp(time: number, timeoutMs = 120_000): Promise<boolean> {
    await new Promise((r) => setTimeout(r, Math.max(0, time - Date.now())));
    const id = ++this.markerCount;
    const sent = Date.now();
    await new Promise<void>((resolve) => {
      const p = spawn('ip', ['netns', 'exec', this.ns, '/usr/bin/python3', '-c', MARKER_SENDER, this.iface, `${MARKER_MAGIC.toString()}${id}`], { stdio: 'ignore' });
      p.on('close', () => resolve());
      p.on('error', () => resolve());
    });
    while (!this.markersSeen.has(id)) {
      if (Date.now() - sent > timeoutMs || this.child.exitCode !== null) return false;
      await new Promise((r) => setTimeout(r, 50));
    }
    this.maxLagMs = Math.max(this.maxLagMs, Date.now() - sent);
    return true;
  }

  /** Stops tcpdump (its statistics come with its exit). */
  async stop(): Promise<WireStats> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGTERM');
      const t = setTimeout(() => this.child.kill('SIGKILL'), 3000);
      await this.closed;
      clearTimeout(t);
    }
    const num = (re: RegExp) => {
      const m = re.exec(this.stderr);
      return m ? Number(m[1]) : null;
    };
    return {
      captured: num(/(\d+) packets? captured/),
      receivedByFilter: num(/(\d+) packets? received by filter/),
      droppedByKernel: num(/(\d+) packets? dropped by kernel/),
      parsed: this.parsed,
      markers: this.markerCount,
      maxLagMs: this.maxLagMs,
    };
  }
}
