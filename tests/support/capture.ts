// Packet capture for the namespace LAN: tcpdump writing pcap to stdout, parsed here (Ethernet,
// 802.1Q, IPv4, IPv6 with extension headers, UDP and TCP). No npm dependency.
//
// Pitfalls:
// - `-U` alone is not enough: libpcap's TPACKET_V3 ring hands packets over per block (or after a
//   timeout), so a packet seen just before stop() could be lost. `--immediate-mode` fixes that.
// - tcpdump is ready only once it prints "listening on ..." to stderr; startCapture waits for it.
// - Capturing on the bridge (br0 in the switch namespace) sees each frame once; tcpdump puts br0
//   in promiscuous mode, so unicast frames forwarded between two ports are seen as well.

import { spawn, type ChildProcess } from 'node:child_process';

export interface CapturedPacket {
  /** Capture time, ms since the epoch (fractional). */
  time: number;
  src: string;
  dst: string;
  srcPort: number;
  dstPort: number;
  payload: Buffer;
  ipVersion: 4 | 6;
  srcMac: string;
  dstMac: string;
  /** IPv4 TTL or IPv6 hop limit. */
  ttl: number;
  protocol: 'udp' | 'tcp';
  /** TCP flags byte (FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10); 0 for UDP. */
  tcpFlags: number;
}

export interface Capture {
  /** Stops tcpdump and returns every UDP and TCP packet captured. */
  stop(): Promise<CapturedPacket[]>;
  /** The packets captured so far (tcpdump keeps running). */
  packets(): CapturedPacket[];
  /** Resolves with packets() as soon as `pred(packets())` holds; rejects after timeoutMs. */
  waitFor(pred: (pkts: CapturedPacket[]) => boolean, timeoutMs: number): Promise<CapturedPacket[]>;
  readonly process: ChildProcess;
}

// ---------------------------------------------------------------------------------------------
// pcap parsing

function macToString(b: Buffer, off: number): string {
  const parts: string[] = [];
  for (let i = 0; i < 6; i++) parts.push((b[off + i] ?? 0).toString(16).padStart(2, '0'));
  return parts.join(':');
}

/** RFC 5952 text form of a 16-byte IPv6 address. */
export function ipv6ToString(b: Buffer, off = 0): string {
  const words: number[] = [];
  for (let i = 0; i < 8; i++) words.push(b.readUInt16BE(off + i * 2));
  // IPv4-mapped
  if (words.slice(0, 5).every((w) => w === 0) && words[5] === 0xffff) {
    return `::ffff:${b[off + 12]}.${b[off + 13]}.${b[off + 14]}.${b[off + 15]}`;
  }
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = words.map((w) => w.toString(16));
  if (bestStart < 0) return hex.join(':');
  const left = hex.slice(0, bestStart).join(':');
  const right = hex.slice(bestStart + bestLen).join(':');
  return `${left}::${right}`;
}

function parsePacket(
  frame: Buffer,
  time: number,
): CapturedPacket | null {
  if (frame.length < 14) return null;
  const dstMac = macToString(frame, 0);
  const srcMac = macToString(frame, 6);
  let off = 12;
  let etherType = frame.readUInt16BE(off);
  off += 2;
  while ((etherType === 0x8100 || etherType === 0x88a8) && frame.length >= off + 4) {
    etherType = frame.readUInt16BE(off + 2);
    off += 4;
  }
  let src: string;
  let dst: string;
  let ttl: number;
  let ipVersion: 4 | 6;
  let udpOff: number;
  let next: number;
  let end = frame.length;
  if (etherType === 0x0800) {
    if (frame.length < off + 20) return null;
    const ihl = ((frame[off] ?? 0) & 0x0f) * 4;
    const totalLen = frame.readUInt16BE(off + 2);
    const fragOffset = frame.readUInt16BE(off + 6) & 0x1fff;
    next = frame[off + 9] ?? 0;
    if ((next !== 17 && next !== 6) || fragOffset !== 0) return null;
    ttl = frame[off + 8] ?? 0;
    src = `${frame[off + 12]}.${frame[off + 13]}.${frame[off + 14]}.${frame[off + 15]}`;
    dst = `${frame[off + 16]}.${frame[off + 17]}.${frame[off + 18]}.${frame[off + 19]}`;
    end = Math.min(end, off + totalLen);
    udpOff = off + ihl;
    ipVersion = 4;
  } else if (etherType === 0x86dd) {
    if (frame.length < off + 40) return null;
    const payloadLen = frame.readUInt16BE(off + 4);
    next = frame[off + 6] ?? 0;
    ttl = frame[off + 7] ?? 0;
    src = ipv6ToString(frame, off + 8);
    dst = ipv6ToString(frame, off + 24);
    end = Math.min(end, off + 40 + payloadLen);
    let p = off + 40;
    // skip extension headers: hop-by-hop, routing, destination options, fragment
    for (;;) {
      if (next === 0 || next === 43 || next === 60) {
        if (p + 2 > end) return null;
        const n = frame[p] ?? 0;
        p += ((frame[p + 1] ?? 0) + 1) * 8;
        next = n;
      } else if (next === 44) {
        if (p + 8 > end) return null;
        if ((frame.readUInt16BE(p + 2) & 0xfff8) !== 0) return null; // not the first fragment
        next = frame[p] ?? 0;
        p += 8;
      } else break;
    }
    if (next !== 17 && next !== 6) return null;
    udpOff = p;
    ipVersion = 6;
  } else {
    return null;
  }
  if (next === 6) {
    if (udpOff + 20 > end) return null;
    const dataOff = ((frame[udpOff + 12] ?? 0) >> 4) * 4;
    const payload = Buffer.from(frame.subarray(Math.min(end, udpOff + dataOff), end));
    return {
      time, src, dst, srcPort: frame.readUInt16BE(udpOff), dstPort: frame.readUInt16BE(udpOff + 2), payload, ipVersion, srcMac, dstMac, ttl,
      protocol: 'tcp', tcpFlags: frame[udpOff + 13] ?? 0,
    };
  }
  if (udpOff + 8 > end) return null;
  const srcPort = frame.readUInt16BE(udpOff);
  const dstPort = frame.readUInt16BE(udpOff + 2);
  const udpLen = frame.readUInt16BE(udpOff + 4);
  const payloadEnd = Math.min(end, udpOff + Math.max(8, udpLen));
  const payload = Buffer.from(frame.subarray(udpOff + 8, payloadEnd));
  return { time, src, dst, srcPort, dstPort, payload, ipVersion, srcMac, dstMac, ttl, protocol: 'udp', tcpFlags: 0 };
}

/**
 * Parses a classic pcap file (any byte order, µs or ns timestamps, link type Ethernet) and
 * returns its UDP and TCP packets. A truncated trailing record (capture still running) is ignored.
 */
export function parsePcap(buf: Buffer): CapturedPacket[] {
  if (buf.length < 24) return [];
  const magicLE = buf.readUInt32LE(0);
  let le: boolean;
  let nano: boolean;
  if (magicLE === 0xa1b2c3d4 || magicLE === 0xa1b23c4d) {
    le = true;
    nano = magicLE === 0xa1b23c4d;
  } else {
    const magicBE = buf.readUInt32BE(0);
    if (magicBE !== 0xa1b2c3d4 && magicBE !== 0xa1b23c4d) throw new Error('not a pcap file');
    le = false;
    nano = magicBE === 0xa1b23c4d;
  }
  const u32 = (o: number) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const linkType = u32(20);
  if (linkType !== 1) throw new Error(`unsupported pcap link type ${linkType} (want Ethernet)`);
  const out: CapturedPacket[] = [];
  let off = 24;
  while (off + 16 <= buf.length) {
    const sec = u32(off);
    const frac = u32(off + 4);
    const incl = u32(off + 8);
    if (off + 16 + incl > buf.length) break;
    const time = sec * 1000 + (nano ? frac / 1e6 : frac / 1e3);
    const p = parsePacket(buf.subarray(off + 16, off + 16 + incl), time);
    if (p) out.push(p);
    off += 16 + incl;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------

/** Starts `tcpdump -i iface -U --immediate-mode -w - filter` inside `ns`; resolves once listening. */
export function startCapture(ns: string, iface: string, filter: string, readyTimeoutMs = 10000): Promise<Capture> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      'ip',
      ['netns', 'exec', ns, 'tcpdump', '-i', iface, '-n', '-U', '--immediate-mode', '-w', '-', filter],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const chunks: Buffer[] = [];
    let stderr = '';
    let ready = false;
    let closed = false;
    const closedP = new Promise<void>((r) => child.on('close', () => ((closed = true), r())));
    child.stdout.on('data', (d: Buffer) => chunks.push(d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      if (!ready && /listening on/.test(stderr)) {
        ready = true;
        clearTimeout(timer);
        resolve(capture);
      }
    });
    const fail = (why: string) => {
      if (ready) return;
      ready = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`tcpdump in ${ns}: ${why}: ${stderr.trim()}`));
    };
    const timer = setTimeout(() => fail('not listening in time'), readyTimeoutMs);
    child.on('error', (e) => fail(e.message));
    child.on('close', (code) => fail(`exited with ${code}`));

    const packets = () => parsePcap(Buffer.concat(chunks));
    const capture: Capture = {
      process: child,
      packets,
      async stop() {
        if (!closed) {
          child.kill('SIGTERM');
          const t = setTimeout(() => child.kill('SIGKILL'), 2000);
          await closedP;
          clearTimeout(t);
        }
        return packets();
      },
      async waitFor(pred, timeoutMs) {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          const p = packets();
          if (pred(p)) return p;
          if (Date.now() > deadline) throw new Error(`capture: condition not met after ${timeoutMs} ms (${p.length} packets)`);
          if (closed) throw new Error(`capture: tcpdump exited (${p.length} packets): ${stderr.trim()}`);
          await new Promise((r) => setTimeout(r, 50));
        }
      },
    };
  });
}
