// The presence scenarios, on a LAN of N hosts, each one publisher + browser of one
// implementation, all started at once, every frame on the bridge counted from before the first
// start (lib/wire.ts). Two cases for ours (the references have no such notion):
//   nobody looking - no client subscribed on any host, and the bench asks no node anything (the
//                    lists come from serve's `+`/`-` stdout lines, which are not a look);
//   looking        - one client subscribed to h1's state (GET /api/events) from h1's ready mark
//                    to the end, as an open app window would be.
// Measured:
//   - packets per minute, all and split (mDNS multicast, mDNS unicast, TCP, other), by family;
//     minute k = [t0 + (k-1) min, t0 + k min), t0 = just before the hosts start;
//   - how many of its N-1 peers each host lists at the end of every minute;
//   - the boot storm: until every host lists every other, from t0 and from the last ready mark,
//     and the packets until then;
//   - idle cost: CPU time and memory of each host's processes over the last minute;
//   - h1's own traffic (frames to or from its MAC) per second and per peer, in both cases;
//   - departures (looking LAN of the largest size only): peers SIGKILLed, then hosts gone
//     silent (eth0 down in their namespace), in batches; each timed from its own kill/silence
//     to its removal from h1's list as the looking client saw it.

import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { Lan } from '../../tests/support/lan.js';
import type { EventLog } from '../lib/proc.js';
import { listedNow, makeImpl, type ImplName, type Peer } from '../lib/impls.js';
import { neighbourTableFulls } from '../lib/kernel.js';
import type { MachineMonitor, MachineSummary } from '../lib/machine.js';
import { now, sleep } from '../lib/proc.js';
import type { Sample } from '../lib/stats.js';
import { WireCapture, type WireCounts, type WireStats } from '../lib/wire.js';

export type LookCase = 'nobody' | 'looking';

export interface MinuteCount extends WireCounts {
  minute: number;
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
  /** Every frame on the bridge from t0 until every host listed every other (or the cap). */
  packets: WireCounts;
  /** The hosts whose list was complete last: ready, first and last peer listed (ms from t0). */
  lastListers?: Array<{ host: string; readyMs: number; firstListedMs: number | null; lastListedMs: number | null; listedWithinOneSecondOfReady: number }>;
}

/** One host's stack over the idle window: CPU time and memory of its processes together. */
export interface HostCost {
  cpuPercent: number;
  rssMB: number;
}

/** How many of its peers each host listed at the end of a minute. */
export interface ListedAt {
  minute: number;
  min: number;
  median: number;
  perHost: number[];
  /** looking LAN: h1's list as its subscribed client saw it. */
  lookingClient?: number;
}

export interface DepartureResult {
  kind: 'sigkill' | 'silent';
  /** Time to removal from h1's list as the looking client saw it (ours: its /api/events; the
   *  references: h1's own browser). */
  toGone: Sample[];
  /** ours only: the same removals on h1's `-` stdout lines. */
  toGoneStdout: Sample[];
  /** Targets not listed by h1 when their turn came (skipped; today's node loses peers at 50). */
  notListedBefore: number;
}

export interface PacketResult {
  impl: ImplName;
  nodes: number;
  case: LookCase;
  /** Every frame on the bridge per minute. */
  minutes: MinuteCount[];
  /** Frames to or from h1 (the looking host in the looking case) per minute. */
  h1Minutes: MinuteCount[];
  /** h1's traffic over the idle window: frames to or from it per second, and that per peer. */
  h1Traffic: { packetsPerSecond: number; perPeerPerSecond: number; tcpPerSecond: number; mdnsPerSecond: number } | null;
  /** Seconds from t0 until every host was started (its stack up). */
  startupSeconds: number;
  storm: StormResult | null;
  listed: ListedAt[];
  /** The window the idle cost was measured over (s from t0), and each host's cost. */
  idleWindow: { fromS: number; toS: number } | null;
  idle: HostCost[];
  /** Sum of the hosts' idle CPU, in % of one core: the LAN's share of the machine. */
  lanIdleCpuPercent: number | null;
  /** How many others each host listed at the end of the window (expect nodes - 1 everywhere). */
  listedAtEnd: number[];
  departures: DepartureResult[];
  /** The whole machine (every process, other work included) during the storm and the idle window. */
  machine: { storm: MachineSummary | null; window: MachineSummary | null };
  /** Times the kernel's neighbour tables (one per family for the whole machine) were full from
   *  this LAN's start to the end of its window, whoever filled them: packets lost (lib/kernel.ts). */
  neighbourTableFulls: { arp: number; nd: number } | null;
  capture: WireStats | null;
  /** ours looking case: state events h1's client received, and whether its stream broke. */
  lookingClient: { states: number; error: string | null } | null;
  errors: string[];
}

export interface Departures {
  kills: number;
  silences: number;
  /** Peers made to leave at once. */
  batch: number;
  capMs: number;
}

export interface PacketOptions {
  minutes: number;
  look: LookCase;
  /** How long the storm may take before it is reported as not finished. */
  stormCapMs: number;
  departures: Departures | null;
  machine: MachineMonitor;
  log: (m: string) => void;
  /** Called once the storm is over (everyone listed, capped, or failed). */
  onStormOver?: () => void;
}

const CLOCK_TICKS = 100; // USER_HZ on Linux
const MINUTE_MS = 60_000;

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

async function macOf(ns: string, iface: string): Promise<string | null> {
  const { stdout } = await promisify(execFile)('ip', ['-n', ns, '-o', 'link', 'show', 'dev', iface]);
  return /link\/ether ([0-9a-f:]{17})/.exec(stdout)?.[1] ?? null;
}

/** The LAN's instances `events` listed at performance.now() time `t`, without its own. */
function listedAt(events: EventLog, own: string, keys: Set<string>, t: number): number {
  const names = new Set<string>();
  for (const e of events.events) {
    if (e.t > t) break;
    if (e.kind === 'listed') names.add(e.key);
    else names.delete(e.key);
  }
  names.delete(own);
  return [...names].filter((k) => keys.has(k)).length;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

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

/**
 * The hosts whose list was complete last (at most 3), to tell what a storm waited for: when each
 * was ready, when it listed its first peer and when its last (ms from t0, listings that held).
 */
function lastListers(peers: Peer[], t0Perf: number): NonNullable<StormResult['lastListers']> {
  const out: NonNullable<StormResult['lastListers']> = [];
  for (const p of peers) {
    const since = new Map<string, number>();
    for (const e of p.events.events) {
      if (e.kind === 'listed') {
        if (!since.has(e.key)) since.set(e.key, e.t);
      } else since.delete(e.key);
    }
    since.delete(p.key);
    const times = [...since.values()].map((t) => Math.round(t - t0Perf)).sort((x, y) => x - y);
    const readyMs = Math.round(p.readyAt - t0Perf);
    out.push({ host: p.key, readyMs, firstListedMs: times[0] ?? null, lastListedMs: times.at(-1) ?? null, listedWithinOneSecondOfReady: times.filter((t) => t <= readyMs + 1000).length });
  }
  return out.sort((x, y) => (y.lastListedMs ?? Infinity) - (x.lastListedMs ?? Infinity)).slice(0, 3);
}

/** Idle cost: CPU and RSS of each host's processes between two moments (epoch ms). */
async function measureIdle(peers: Peer[], from: number, to: number): Promise<HostCost[]> {
  await sleep(Math.max(0, from - Date.now()));
  const sampleAll = () => peers.map((p) => new Map(p.pids().map((pid) => [pid, cpuTicks(pid)])));
  const before = sampleAll();
  const tBefore = Date.now();
  await sleep(Math.max(0, to - Date.now()));
  const after = sampleAll();
  const seconds = (Date.now() - tBefore) / 1000;
  return peers.map((p, i) => {
    let ticks = 0;
    for (const [pid, a] of after[i] ?? []) {
      const b = before[i]?.get(pid);
      if (a != null && b != null) ticks += a - b;
    }
    const rss = p.pids().reduce((sum, pid) => sum + (rssKB(pid) ?? 0), 0);
    return { cpuPercent: Math.round((ticks / CLOCK_TICKS / seconds) * 100 * 100) / 100, rssMB: Math.round(rss / 102.4) / 10 };
  });
}

/**
 * Peers leave h1's view: SIGKILL (`kills` of them), then eth0 down (`silences`), `batch` at a
 * time, each timed from its own kill or silence. Targets are peers h1 lists at that moment.
 */
async function runDepartures(peers: Peer[], d: Departures, isOurs: boolean, log: (m: string) => void): Promise<DepartureResult[]> {
  const looker = peers[0]!;
  const view = looker.look?.events ?? looker.events;
  const pool = peers.slice(1);
  const out: DepartureResult[] = [];
  for (const [kind, count] of [['sigkill', d.kills], ['silent', d.silences]] as const) {
    const r: DepartureResult = { kind, toGone: [], toGoneStdout: [], notListedBefore: 0 };
    out.push(r);
    let left = count;
    while (left > 0 && pool.length > 0) {
      const listed = listedNow(view, looker.key);
      const batch: Peer[] = [];
      while (batch.length < Math.min(d.batch, left) && pool.length > 0) {
        const p = pool.shift()!;
        if (listed.has(p.key)) batch.push(p);
        else r.notListedBefore++;
      }
      if (batch.length === 0) continue;
      left -= batch.length;
      const gone = await Promise.all(
        batch.map(async (p) => {
          const t = now();
          if (kind === 'sigkill') p.crash();
          else await p.silence();
          const [seen, line] = await Promise.all([view.wait('dropped', p.key, t, d.capMs), isOurs && looker.look ? looker.events.wait('dropped', p.key, t, d.capMs) : Promise.resolve(null)]);
          return { seen: seen ? seen.t - t : null, line: line ? line.t - t : null };
        }),
      );
      for (const g of gone) {
        r.toGone.push(g.seen === null ? { ms: null, capMs: d.capMs } : { ms: g.seen });
        if (isOurs && looker.look) r.toGoneStdout.push(g.line === null ? { ms: null, capMs: d.capMs } : { ms: g.line });
      }
      log(`${kind === 'sigkill' ? 'SIGKILL' : 'gone silent'} -> gone from h1: ${gone.map((g) => (g.seen === null ? `>${d.capMs}` : Math.round(g.seen))).join(', ')} ms`);
    }
  }
  return out;
}

export async function runPackets(name: ImplName, nodes: number, opts: PacketOptions): Promise<PacketResult> {
  const { minutes, log } = opts;
  const looking = opts.look === 'looking' && name === 'ours';
  const tag = `[packets ${name} x${nodes}${name === 'ours' ? ` ${opts.look}` : ''}]`;
  const res: PacketResult = {
    impl: name, nodes, case: opts.look, minutes: [], h1Minutes: [], h1Traffic: null, startupSeconds: 0, storm: null, listed: [], idleWindow: null, idle: [],
    lanIdleCpuPercent: null, listedAtEnd: [], departures: [], machine: { storm: null, window: null }, neighbourTableFulls: null, capture: null, lookingClient: null, errors: [],
  };
  let stormOver = false;
  const endStorm = () => {
    if (stormOver) return;
    stormOver = true;
    opts.onStormOver?.();
  };
  const impl = makeImpl(name);
  const peers: Peer[] = [];
  let lan: Lan | null = null;
  let cap: WireCapture | null = null;
  const fullsBefore = neighbourTableFulls();
  try {
    lan = await Lan.create({ hosts: nodes, ipv6Dad: false });
    const h1 = lan.hosts[0]!;
    cap = await WireCapture.start(lan.switchNs, 'br0', Date.now(), await macOf(h1.ns, 'eth0'));
    const t0 = cap.t0;
    const t0Perf = now() - (Date.now() - t0);
    const started = await Promise.allSettled(lan.hosts.map((h, i) => impl.startPeer(h, `n${nodes}-${i}`, { look: looking && i === 0 })));
    for (const s of started) {
      if (s.status === 'fulfilled') peers.push(s.value);
      else res.errors.push(`start: ${(s.reason as Error).message}`);
    }
    res.startupSeconds = Math.round((Date.now() - t0) / 100) / 10;
    log(`${tag} all started after ${res.startupSeconds} s; counting ${minutes} min`);
    if (looking && !peers[0]?.look) throw new Error('h1 did not start: nobody can look');

    // The boot storm: everyone started at once; until everyone lists everyone.
    const lastReady = Math.max(...peers.map((p) => p.readyAt));
    // Every host of the LAN must list every other: with hosts that never started, nobody does.
    const all = peers.length === nodes ? await waitAllListed(peers, t0Perf, opts.stormCapMs) : { at: null, pairsListed: 0 };
    const stormEnd = all.at === null ? t0 + opts.stormCapMs : t0 + (all.at - t0Perf);
    if (!(await cap.caughtUp(stormEnd))) res.errors.push('the capture was still behind the boot storm after 120 s: its packet counts are low');
    res.storm = {
      allListedFromStartMs: all.at === null ? null : Math.round(all.at - t0Perf),
      allListedFromLastReadyMs: all.at === null ? null : Math.round(all.at - lastReady),
      lastReadyMs: Math.round(lastReady - t0Perf),
      capMs: opts.stormCapMs,
      started: peers.length,
      pairsListed: all.pairsListed,
      pairs: nodes * (nodes - 1),
      packets: cap.lan.sum(t0, stormEnd),
      lastListers: all.at === null ? undefined : lastListers(peers, t0Perf),
    };
    res.machine.storm = opts.machine.summary(t0, stormEnd);
    if (peers.length < nodes) res.errors.push(`only ${peers.length}/${nodes} hosts started`);
    if (all.at === null && peers.length === nodes) res.errors.push(`boot storm: ${all.pairsListed}/${nodes * (nodes - 1)} pairs listed after ${opts.stormCapMs / 1000} s`);
    const sp = res.storm.packets;
    log(
      `${tag} boot storm: ${all.at === null ? `not everyone listed within ${opts.stormCapMs / 1000} s (${all.pairsListed}/${res.storm.pairs} pairs)` : `everyone lists everyone ${res.storm.allListedFromStartMs} ms after the start`} ` +
        `(last ready at ${res.storm.lastReadyMs} ms); ${sp.all} packets until then (${sp.mdnsMulticast} mDNS multicast, ${sp.mdnsUnicast} unicast, ${sp.tcp} TCP, ${sp.other} other)`,
    );
    endStorm();

    // Idle cost over the last minute, from 5 s into it (the minute's edge may still hold a
    // scheduled re-query) to 1 s before its end; per-minute progress in the log.
    const winFrom = t0 + (minutes - 1) * MINUTE_MS + 5000;
    const winTo = t0 + minutes * MINUTE_MS - 1000;
    const idle = measureIdle(peers, winFrom, winTo);
    for (let m = 1; m <= minutes; m++) {
      if (!(await cap.caughtUp(t0 + m * MINUTE_MS))) res.errors.push(`the capture was still behind minute ${m} after 120 s: its packet counts are low`);
      const c = cap.lan.sum(t0 + (m - 1) * MINUTE_MS, t0 + m * MINUTE_MS);
      const keys = new Set(peers.map((p) => p.key));
      const at = t0Perf + m * MINUTE_MS;
      const perHost = peers.map((p) => listedAt(p.events, p.key, keys, at));
      const entry: ListedAt = { minute: m, min: Math.min(...perHost), median: median(perHost), perHost };
      if (looking && peers[0]?.look) entry.lookingClient = listedAt(peers[0].look.events, peers[0].key, keys, at);
      res.listed.push(entry);
      log(`${tag} minute ${m}: ${c.all} packets (${c.mdnsMulticast} mDNS multicast, ${c.mdnsUnicast} unicast, ${c.tcp} TCP, ${c.other} other); lists ${entry.min}..${Math.max(...perHost)} of ${nodes - 1}`);
    }
    res.idle = await idle;
    res.idleWindow = { fromS: (winFrom - t0) / 1000, toS: (winTo - t0) / 1000 };
    res.lanIdleCpuPercent = Math.round(res.idle.reduce((a, x) => a + x.cpuPercent, 0) * 100) / 100;
    res.machine.window = opts.machine.summary(winFrom, winTo);
    for (let m = 1; m <= minutes; m++) {
      const from = t0 + (m - 1) * MINUTE_MS;
      const to = t0 + m * MINUTE_MS;
      res.minutes.push({ minute: m, ...cap.lan.sum(from, to) });
      res.h1Minutes.push({ minute: m, ...cap.focus.sum(from, to) });
    }
    const h1w = cap.focus.sum(winFrom, winTo);
    const seconds = (winTo - winFrom) / 1000;
    const pps = (x: number) => Math.round((x / seconds) * 100) / 100;
    res.h1Traffic = { packetsPerSecond: pps(h1w.all), perPeerPerSecond: Math.round((h1w.all / seconds / (nodes - 1)) * 1000) / 1000, tcpPerSecond: pps(h1w.tcp), mdnsPerSecond: pps(h1w.mdnsMulticast + h1w.mdnsUnicast) };
    res.listedAtEnd = peers.map((p) => p.seen());
    const fullsAfter = neighbourTableFulls();
    res.neighbourTableFulls = { arp: fullsAfter.arp - fullsBefore.arp, nd: fullsAfter.nd - fullsBefore.nd };
    if (res.neighbourTableFulls.arp + res.neighbourTableFulls.nd > 0) {
      res.errors.push(`the kernel's neighbour tables were full ${res.neighbourTableFulls.arp} (ARP) and ${res.neighbourTableFulls.nd} (ND) times during this LAN: packets were dropped by the machine, not the stacks`);
    }
    const last = res.minutes.at(-1)!;
    log(
      `${tag} minute ${minutes}: ${last.all} packets; idle per host: CPU ${median(res.idle.map((x) => x.cpuPercent))}%, RSS ${median(res.idle.map((x) => x.rssMB))} MB (medians), ` +
        `the LAN ${res.lanIdleCpuPercent}% of one core, machine ${res.machine.window.cpuBusyPercentMean ?? '?'}% busy (load ${res.machine.window.load1Mean ?? '?'}); h1 ${res.h1Traffic.packetsPerSecond} packets/s`,
    );
    if (res.listedAtEnd.some((n) => n !== nodes - 1)) res.errors.push(`not every host listed the ${nodes - 1} others at the end: ${res.listedAtEnd.join(',')}`);

    if (opts.departures) res.departures = await runDepartures(peers, opts.departures, name === 'ours', (m) => log(`${tag} ${m}`));
  } catch (e) {
    res.errors.push((e as Error).message);
  } finally {
    endStorm();
    const look = peers[0]?.look;
    if (look) {
      res.lookingClient = { states: look.states, error: look.error };
      if (look.error) res.errors.push(`the looking client: ${look.error}`);
    }
    await Promise.allSettled(peers.map((p) => p.stop()));
    await impl.shutdown().catch(() => undefined);
    if (cap) {
      res.capture = await cap.stop().catch(() => null);
      const dropped = res.capture?.droppedByKernel ?? 0;
      if (dropped > 0) res.errors.push(`the capture lost ${dropped} packets (tcpdump: dropped by kernel): the counts are low by that much`);
    }
    await lan?.destroy().catch((e: unknown) => res.errors.push(`teardown: ${(e as Error).message}`));
  }
  return res;
}
