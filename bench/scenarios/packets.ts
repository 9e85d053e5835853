// Scenarios 4-6 on a LAN of N hosts, each one publisher + browser of one implementation, all
// started at once, captured on the bridge (every frame once) from before the first start:
//   - packets per minute: mDNS multicast and unicast (UDP 5353), and TCP (our P2P links; the
//     references have none). Minute k = [t0 + (k-1) min, t0 + k min), t0 = just before the
//     hosts start.
//   - the boot storm: the time until every host lists every other, from t0 and from the last
//     host's ready mark, and the packets sent until then;
//   - idle cost: CPU time and resident memory of each host's processes over the last minute.

import { Lan } from '../../tests/support/lan.js';
import type { CapturedPacket } from '../../tests/support/capture.js';
import { readFileSync } from 'node:fs';
import { listedNow, makeImpl, type ImplName, type Peer } from '../lib/impls.js';
import { now, sleep } from '../lib/proc.js';

export interface MinuteCount {
  minute: number;
  /** Packets to 224.0.0.251 / ff02::fb. */
  multicast: number;
  /** Other port-5353 packets (unicast questions and answers). */
  unicast: number;
  /** TCP packets (our P2P links: TLS handshakes, pings, metadata). */
  tcp: number;
  tcpBytes: number;
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

export interface StormResult {
  /** ms from t0 until every host listed every other; null when that did not happen within capMs. */
  allListedFromStartMs: number | null;
  /** ms from the last host's ready mark (its stack up) until every host listed every other. */
  allListedFromLastReadyMs: number | null;
  /** ms from t0 until the last host was ready (start-up of N stacks on this machine's cores). */
  lastReadyMs: number;
  capMs: number;
  /** Hosts whose stack came up (a storm may keep some from starting at all). */
  started: number;
  /** Of the N * (N - 1) (host, other) pairs, how many were listed when the storm ended. */
  pairsListed: number;
  pairs: number;
  /** Packets on the bridge from t0 until every host listed every other (or the cap). */
  multicast: number;
  unicast: number;
  tcp: number;
}

/** One host's stack over the idle window: CPU time and memory of its processes together. */
export interface HostCost {
  cpuPercent: number;
  rssMB: number;
}

export interface PacketResult {
  impl: ImplName;
  nodes: number;
  minutes: MinuteCount[];
  /** Seconds from t0 until every host was started (its stack up). */
  startupSeconds: number;
  storm: StormResult | null;
  /** The window the idle cost was measured over (s from t0), and each host's cost. */
  idleWindow: { fromS: number; toS: number } | null;
  idle: HostCost[];
  /** How many others each host listed at the end (expect nodes - 1 everywhere). */
  listedAtEnd: number[];
  errors: string[];
}

export interface PacketOptions {
  minutes: number;
  /** How long the storm may take before it is reported as not finished. */
  stormCapMs: number;
  log: (m: string) => void;
  /** Called once the storm is over (everyone listed, capped, or failed). */
  onStormOver?: () => void;
}

const MULTICAST = new Set(['224.0.0.251', 'ff02::fb']);

export function countByMinute(packets: CapturedPacket[], t0: number, minutes: number): MinuteCount[] {
  const out: MinuteCount[] = [];
  for (let m = 1; m <= minutes; m++) {
    const from = t0 + (m - 1) * 60000;
    const to = t0 + m * 60000;
    const c: MinuteCount = { minute: m, multicast: 0, unicast: 0, tcp: 0, tcpBytes: 0, multicastQueries: 0, multicastResponses: 0, multicastIpv4: 0, multicastIpv6: 0, multicastBytes: 0, unicastQueries: 0, unicastResponses: 0, unicastIpv4: 0, unicastIpv6: 0, unicastBytes: 0 };
    for (const p of packets) {
      if (p.time < from || p.time >= to) continue;
      if (p.protocol === 'tcp') {
        c.tcp++;
        c.tcpBytes += p.payload.length;
        continue;
      }
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

const CLOCK_TICKS = 100; // USER_HZ on Linux

/** utime + stime of a process, in clock ticks; null when it is gone. */
function cpuTicks(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]); // fields 14 and 15 of proc(5)
  } catch {
    return null;
  }
}

function rssKB(pid: number): number | null {
  try {
    const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** Waits until every host lists every other (events, as they arrive), or capMs after `from`. */
function waitAllListed(peers: Peer[], from: number, capMs: number): Promise<{ at: number | null; pairsListed: number }> {
  const keys = new Set(peers.map((p) => p.key));
  const count = () => peers.reduce((n, p) => n + [...listedNow(p.events, p.key)].filter((k) => keys.has(k)).length, 0);
  const target = peers.length * (peers.length - 1);
  return new Promise((resolve) => {
    const check = () => {
      if (count() < target) return;
      done({ at: now(), pairsListed: target });
    };
    const timer = setTimeout(() => done({ at: null, pairsListed: count() }), Math.max(0, from + capMs - now()));
    const done = (r: { at: number | null; pairsListed: number }) => {
      clearTimeout(timer);
      for (const p of peers) p.events.off('event', check);
      resolve(r);
    };
    for (const p of peers) p.events.on('event', check);
    check();
  });
}

export async function runPackets(name: ImplName, nodes: number, opts: PacketOptions): Promise<PacketResult> {
  const { minutes, log } = opts;
  const tag = `[packets ${name} x${nodes}]`;
  const res: PacketResult = { impl: name, nodes, minutes: [], startupSeconds: 0, storm: null, idleWindow: null, idle: [], listedAtEnd: [], errors: [] };
  let stormOver = false;
  const endStorm = () => {
    if (stormOver) return;
    stormOver = true;
    opts.onStormOver?.();
  };
  const impl = makeImpl(name);
  const peers: Peer[] = [];
  let lan: Lan | null = null;
  try {
    lan = await Lan.create({ hosts: nodes, ipv6Dad: false });
    const cap = await lan.capture('udp port 5353 or tcp');
    const t0 = Date.now();
    const t0Perf = now();
    const started = await Promise.allSettled(lan.hosts.map((h, i) => impl.startPeer(h, `n${nodes}-${i}`)));
    for (const s of started) {
      if (s.status === 'fulfilled') peers.push(s.value);
      else res.errors.push(`start: ${(s.reason as Error).message}`);
    }
    res.startupSeconds = Math.round((Date.now() - t0) / 100) / 10;
    log(`${tag} all started after ${res.startupSeconds} s; capturing ${minutes} min`);

    // The boot storm: everyone started at once; until everyone lists everyone.
    const lastReady = Math.max(...peers.map((p) => p.readyAt));
    // Every host of the LAN must list every other: with hosts that never started, nobody does.
    const all = peers.length === nodes ? await waitAllListed(peers, t0Perf, opts.stormCapMs) : { at: null, pairsListed: 0 };
    const stormEnd = all.at === null ? t0 + opts.stormCapMs : t0 + (all.at - t0Perf);
    const upToEnd = countByMinute(
      cap.packets().filter((p) => p.time < stormEnd),
      t0,
      Math.max(1, Math.ceil((stormEnd - t0) / 60000)),
    );
    res.storm = {
      allListedFromStartMs: all.at === null ? null : Math.round(all.at - t0Perf),
      allListedFromLastReadyMs: all.at === null ? null : Math.round(all.at - lastReady),
      lastReadyMs: Math.round(lastReady - t0Perf),
      capMs: opts.stormCapMs,
      started: peers.length,
      pairsListed: all.pairsListed,
      pairs: nodes * (nodes - 1),
      multicast: upToEnd.reduce((a, c) => a + c.multicast, 0),
      unicast: upToEnd.reduce((a, c) => a + c.unicast, 0),
      tcp: upToEnd.reduce((a, c) => a + c.tcp, 0),
    };
    if (peers.length < nodes) res.errors.push(`only ${peers.length}/${nodes} hosts started`);
    if (all.at === null && peers.length === nodes) res.errors.push(`boot storm: ${all.pairsListed}/${nodes * (nodes - 1)} pairs listed after ${opts.stormCapMs / 1000} s`);
    log(
      `${tag} boot storm: ${all.at === null ? `not everyone listed within ${opts.stormCapMs / 1000} s` : `everyone lists everyone ${res.storm.allListedFromStartMs} ms after the start`} ` +
        `(last ready at ${res.storm.lastReadyMs} ms); ${res.storm.multicast} multicast, ${res.storm.unicast} unicast, ${res.storm.tcp} TCP packets until then`,
    );
    endStorm();

    // Idle cost: the last minute of the window, from 5 s into it (the minute's edge may still
    // hold a scheduled re-query) to 1 s before its end.
    const winFrom = (minutes - 1) * 60 + 5;
    const winTo = minutes * 60 - 1;
    const sampleAll = () => peers.map((p) => new Map(p.pids().map((pid) => [pid, cpuTicks(pid)])));
    for (let m = 1; m <= minutes; m++) {
      if (m === minutes) {
        await sleep(Math.max(0, t0 + winFrom * 1000 - Date.now()));
        const before = sampleAll();
        const tBefore = Date.now();
        await sleep(Math.max(0, t0 + winTo * 1000 - Date.now()));
        const after = sampleAll();
        const seconds = (Date.now() - tBefore) / 1000;
        res.idleWindow = { fromS: winFrom, toS: winTo };
        res.idle = peers.map((p, i) => {
          let ticks = 0;
          for (const [pid, a] of after[i] ?? []) {
            const b = before[i]?.get(pid);
            if (a != null && b != null) ticks += a - b;
          }
          const rss = p.pids().reduce((sum, pid) => sum + (rssKB(pid) ?? 0), 0);
          return { cpuPercent: Math.round(((ticks / CLOCK_TICKS / seconds) * 100) * 100) / 100, rssMB: Math.round(rss / 102.4) / 10 };
        });
      }
      await sleep(Math.max(0, t0 + m * 60000 - Date.now()));
      if (m < minutes) {
        const c = countByMinute(cap.packets(), t0, m).at(-1)!;
        log(`${tag} minute ${m}: ${c.multicast} multicast, ${c.unicast} unicast, ${c.tcp} TCP`);
      }
    }
    res.listedAtEnd = await Promise.all(peers.map((p) => p.seen().catch(() => -1)));
    const packets = await cap.stop();
    res.minutes = countByMinute(packets, t0, minutes);
    const last = res.minutes.at(-1)!;
    const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
    log(
      `${tag} minute ${minutes}: ${last.multicast} multicast, ${last.unicast} unicast, ${last.tcp} TCP; idle per host: CPU ${med(res.idle.map((x) => x.cpuPercent))}%, ` +
        `RSS ${med(res.idle.map((x) => x.rssMB))} MB (medians); listed at end: ${res.listedAtEnd.join(',')}`,
    );
    if (res.listedAtEnd.some((n) => n !== nodes - 1)) res.errors.push(`not every host listed the ${nodes - 1} others at the end: ${res.listedAtEnd.join(',')}`);
  } catch (e) {
    res.errors.push((e as Error).message);
  } finally {
    endStorm();
    await Promise.allSettled(peers.map((p) => p.stop()));
    await impl.shutdown().catch(() => undefined);
    await lan?.destroy().catch((e: unknown) => res.errors.push(`teardown: ${(e as Error).message}`));
  }
  return res;
}
