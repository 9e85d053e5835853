// Scenario 4: mDNS traffic on a LAN of N hosts, each one publisher + browser of one
// implementation, captured on the bridge (every frame once) from before the first start.
// Minute k = [t0 + (k-1) min, t0 + k min), t0 = capture ready, just before the hosts start.

import { Lan } from '../../tests/support/lan.js';
import type { CapturedPacket } from '../../tests/support/capture.js';
import { makeImpl, type ImplName, type Peer } from '../lib/impls.js';
import { sleep } from '../lib/proc.js';

export interface MinuteCount {
  minute: number;
  /** Packets to 224.0.0.251 / ff02::fb. */
  multicast: number;
  /** Other port-5353 packets (unicast questions and answers). */
  unicast: number;
  multicastQueries: number;
  multicastResponses: number;
  multicastIpv4: number;
  multicastIpv6: number;
  multicastBytes: number;
  unicastQueries: number;
  unicastResponses: number;
  unicastIpv4: number;
  unicastIpv6: number;
  unicastBytes: number;
}

export interface PacketResult {
  impl: ImplName;
  nodes: number;
  minutes: MinuteCount[];
  /** Seconds from t0 until every host was started (its stack up). */
  startupSeconds: number;
  /** How many others each host listed at the end (expect nodes - 1 everywhere). */
  listedAtEnd: number[];
  errors: string[];
}

const MULTICAST = new Set(['224.0.0.251', 'ff02::fb']);

export function countByMinute(packets: CapturedPacket[], t0: number, minutes: number): MinuteCount[] {
  const out: MinuteCount[] = [];
  for (let m = 1; m <= minutes; m++) {
    const from = t0 + (m - 1) * 60000;
    const to = t0 + m * 60000;
    const c: MinuteCount = { minute: m, multicast: 0, unicast: 0, multicastQueries: 0, multicastResponses: 0, multicastIpv4: 0, multicastIpv6: 0, multicastBytes: 0, unicastQueries: 0, unicastResponses: 0, unicastIpv4: 0, unicastIpv6: 0, unicastBytes: 0 };
    for (const p of packets) {
      if (p.time < from || p.time >= to) continue;
      const response = p.payload.length >= 4 && ((p.payload[2] ?? 0) & 0x80) !== 0;
      if (MULTICAST.has(p.dst)) {
        c.multicast++;
        c.multicastBytes += p.payload.length;
        if (p.ipVersion === 4) c.multicastIpv4++;
        else c.multicastIpv6++;
        if (response) c.multicastResponses++;
        else c.multicastQueries++;
      } else {
        c.unicast++;
        c.unicastBytes += p.payload.length;
        if (p.ipVersion === 4) c.unicastIpv4++;
        else c.unicastIpv6++;
        if (response) c.unicastResponses++;
        else c.unicastQueries++;
      }
    }
    out.push(c);
  }
  return out;
}

export async function runPackets(name: ImplName, nodes: number, minutes: number, log: (m: string) => void): Promise<PacketResult> {
  const res: PacketResult = { impl: name, nodes, minutes: [], startupSeconds: 0, listedAtEnd: [], errors: [] };
  const lan = await Lan.create({ hosts: nodes, ipv6Dad: false });
  const impl = makeImpl(name);
  const peers: Peer[] = [];
  try {
    const cap = await lan.capture('udp port 5353');
    const t0 = Date.now();
    const started = await Promise.allSettled(lan.hosts.map((h, i) => impl.startPeer(h, `n${nodes}-${i}`)));
    for (const s of started) {
      if (s.status === 'fulfilled') peers.push(s.value);
      else res.errors.push(`start: ${(s.reason as Error).message}`);
    }
    res.startupSeconds = Math.round((Date.now() - t0) / 100) / 10;
    log(`[packets ${name} x${nodes}] all started after ${res.startupSeconds} s; capturing ${minutes} min`);
    for (let m = 1; m <= minutes; m++) {
      await sleep(Math.max(0, t0 + m * 60000 - Date.now()));
      if (m < minutes) {
        const c = countByMinute(cap.packets(), t0, m).at(-1)!;
        log(`[packets ${name} x${nodes}] minute ${m}: ${c.multicast} multicast, ${c.unicast} unicast`);
      }
    }
    res.listedAtEnd = await Promise.all(peers.map((p) => p.seen().catch(() => -1)));
    const packets = await cap.stop();
    res.minutes = countByMinute(packets, t0, minutes);
    const last = res.minutes.at(-1)!;
    log(`[packets ${name} x${nodes}] minute ${minutes}: ${last.multicast} multicast, ${last.unicast} unicast; listed at end: ${res.listedAtEnd.join(',')}`);
    if (res.listedAtEnd.some((n) => n !== nodes - 1)) res.errors.push(`not every host listed the ${nodes - 1} others at the end: ${res.listedAtEnd.join(',')}`);
  } catch (e) {
    res.errors.push((e as Error).message);
  } finally {
    await Promise.allSettled(peers.map((p) => p.stop()));
    await impl.shutdown().catch(() => undefined);
    await lan.destroy().catch((e: unknown) => res.errors.push(`teardown: ${(e as Error).message}`));
  }
  return res;
}
