// `npm run bench [-- --long] [-- --only NAME[,NAME]] [-- --impl ours,avahi,zeroconf] [-- --sizes 10,30,50] [-- --sequential]`
//
// Runs the same scenarios for our node (`sd-nearby serve`), avahi-daemon and python3-zeroconf,
// each inside namespace LANs created here (tests/support/lan.ts; nothing runs in the root network
// namespace, and the LANs are removed at the end, on error and on Ctrl-C), prints a table with
// ours as a ratio to each, and writes bench/results/latest.json. See bench/README.md.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cleanupStaleNamespaces, isRoot } from '../tests/support/lan.js';
import { REPO_ROOT } from '../tests/support/nearby.js';
import { IMPLS, type ImplName } from './lib/impls.js';
import { keepNeighbourLimits, neighbourTableFulls, raiseNeighbourLimits } from './lib/kernel.js';
import { MachineMonitor } from './lib/machine.js';
import { buildPresenceRows, presenceBody, presenceHeader, presenceJson, renderTable } from './lib/presenceTable.js';
import { sleep } from './lib/proc.js';
import { cellOf, fmtCell, fmtRatio, ratioValue, summarize, type Cell, type Summary } from './lib/stats.js';
import { runPackets, type Departures, type LookCase, type PacketResult } from './scenarios/packets.js';
import { TimingRun, type TimingConfig, type TimingResult } from './scenarios/timing.js';

const SCENARIOS = ['publish-to-seen', 'browser-start-to-list', 'sigterm', 'sigkill', 'packets'] as const;
/** Packet-rate LANs up to this many hosts run alongside the timing scenarios; larger ones after. */
const SMALL_LAN_MAX = 10;
/** Our nodes running at once in the large LANs: today's node idles at 1.3 % of a core with 49
 *  peers, so 60 of them already take most of a core of this 2-core machine. */
const OURS_LARGE_HOSTS_AT_ONCE_MAX = 60;
/** Peers that leave the looking node's view at once (SIGKILL, or gone silent). */
const DEPARTURE_BATCH = 5;
type ScenarioName = (typeof SCENARIOS)[number];

const USAGE = `usage: npm run bench -- [--long] [--only NAME[,NAME...]] [--impl ours,avahi,zeroconf] [--sizes N,N...] [--sequential] [--out FILE]
  scenarios (--only): ${SCENARIOS.join(', ')} (packets: the presence LANs - packets/min, lists,
                the boot storm, idle cost, and on the largest looking LAN peers killed and gone silent)
  --impl        default ours,zeroconf (avahi is optional)
  --long        more repetitions, SIGKILL waits up to 180 s, packet counts up to minute 10
  --sizes       hosts per packet-rate LAN, 2 to 60 (default 10,30,50); ours runs each size twice
                (nobody looking, one client looking). LANs over ${SMALL_LAN_MAX} hosts start after the
                timing scenarios, one boot storm at a time, at most ${OURS_LARGE_HOSTS_AT_ONCE_MAX} of our nodes at once
  --sequential  run the small packet-rate LANs after the timing scenarios instead of alongside them
  --raise-neighbour-tables
                raise the machine-wide ARP/ND table caps (gc_thresh2/3) for the run, put back at exit:
                a stand-in for hosts that each have a table of their own. Off by default: the run
                then also shows whether the LANs stay within the machine's own caps (overflows counted)
  --out FILE    also write the JSON there (bench/results/latest.json is always written)`;

interface Options {
  long: boolean;
  only: Set<ScenarioName>;
  impls: ImplName[];
  sequential: boolean;
  sizes: number[];
  out: string | null;
  raiseNeighbourTables: boolean;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { long: false, only: new Set(SCENARIOS), impls: ['ours', 'zeroconf'], sequential: false, sizes: [10, 30, 50], out: null, raiseNeighbourTables: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = () => {
      const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i];
      if (!v) throw new Error(`${a} needs a value\n${USAGE}`);
      return v;
    };
    if (a === '--long') o.long = true;
    else if (a === '--sequential') o.sequential = true;
    else if (a === '--raise-neighbour-tables') o.raiseNeighbourTables = true;
    else if (a === '--only' || a.startsWith('--only=')) {
      const names = value().split(',').filter(Boolean);
      for (const n of names) if (!(SCENARIOS as readonly string[]).includes(n)) throw new Error(`unknown scenario ${n}\n${USAGE}`);
      o.only = new Set(names as ScenarioName[]);
    } else if (a === '--impl' || a.startsWith('--impl=')) {
      const names = value().split(',').filter(Boolean);
      for (const n of names) if (!(IMPLS as string[]).includes(n)) throw new Error(`unknown implementation ${n}\n${USAGE}`);
      o.impls = IMPLS.filter((x) => names.includes(x));
    } else if (a === '--sizes' || a.startsWith('--sizes=')) {
      const sizes = value().split(',').filter(Boolean).map(Number);
      if (sizes.length === 0 || sizes.some((n) => !Number.isInteger(n) || n < 2 || n > 60)) throw new Error(`--sizes takes whole numbers from 2 to 60\n${USAGE}`);
      o.sizes = [...new Set(sizes)].sort((x, y) => x - y);
    } else if (a === '--out' || a.startsWith('--out=')) o.out = value();
    else if (a === '-h' || a === '--help') {
      console.log(USAGE);
      process.exit(0);
    } else throw new Error(`unknown argument ${a}\n${USAGE}`);
  }
  return o;
}

function sh(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch {
    return '';
  }
}

function newestMtime(dir: string): number {
  let newest = 0;
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
    }
  };
  if (existsSync(dir)) walk(dir);
  return newest;
}

function machineInfo() {
  const cpus = os.cpus();
  return {
    nproc: Number(sh('nproc', [])) || os.availableParallelism(),
    cpuModel: cpus[0]?.model ?? 'unknown',
    node: process.version,
    kernel: os.release(),
    platform: `${os.platform()} ${os.arch()}`,
    memoryMB: Math.round(os.totalmem() / 1048576),
    avahi: sh('avahi-daemon', ['--version']),
    pythonZeroconf: sh('/usr/bin/python3', ['-c', 'import zeroconf; print(zeroconf.__version__)']),
    tcpdump: sh('tcpdump', ['--version']).split('\n')[0] ?? '',
  };
}

// ---------------------------------------------------------------------------------------------
// table

interface Row {
  scenario: string;
  cells: Partial<Record<ImplName, Cell>>;
}

const TIMING_ROWS: Array<{ key: keyof TimingResult; label: string; scenario: ScenarioName; stats: Array<'median' | 'max'> }> = [
  { key: 'publishToSeenFromStart', label: 'publish-to-seen, from start', scenario: 'publish-to-seen', stats: ['median', 'max'] },
  { key: 'publishToSeenFromReady', label: 'publish-to-seen, from ready mark', scenario: 'publish-to-seen', stats: ['median', 'max'] },
  { key: 'publisherStartToReady', label: 'publisher start-to-ready', scenario: 'publish-to-seen', stats: ['median'] },
  { key: 'browserStartToList', label: 'browser-start-to-list (5), from start', scenario: 'browser-start-to-list', stats: ['median', 'max'] },
  { key: 'browserReadyToList', label: 'browser-start-to-list (5), from ready', scenario: 'browser-start-to-list', stats: ['median', 'max'] },
  { key: 'sigtermToDropped', label: 'SIGTERM-to-dropped', scenario: 'sigterm', stats: ['median', 'max'] },
  { key: 'sigkillToDropped', label: 'SIGKILL-to-dropped', scenario: 'sigkill', stats: ['median', 'max'] },
];

function buildTimingRows(opts: Options, timing: Partial<Record<ImplName, Record<string, Summary>>>): Row[] {
  const rows: Row[] = [];
  for (const r of TIMING_ROWS) {
    if (!opts.only.has(r.scenario)) continue;
    for (const stat of r.stats) {
      const cells: Row['cells'] = {};
      let n = '';
      for (const impl of opts.impls) {
        const s = timing[impl]?.[r.key];
        cells[impl] = cellOf(s, stat);
        if (impl === 'ours' && s) n = `n=${s.n}`;
      }
      rows.push({ scenario: `${r.label}, ${stat}${n && stat === 'median' ? ` (${n})` : ''}`, cells });
    }
  }
  return rows;
}

function timingBody(rows: Row[], impls: ImplName[]): string[][] {
  const none: Cell = { value: null, unit: 'ms' };
  return rows.map((r) => [
    r.scenario,
    ...impls.map((i) => fmtCell(r.cells[i] ?? none)),
    ...impls.filter((i) => i !== 'ours').map((i) => (impls.includes('ours') ? fmtRatio(r.cells.ours ?? none, r.cells[i] ?? none) : 'n/a')),
  ]);
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  let opts: Options;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error((e as Error).message);
    process.exit(2);
  }
  if (!isRoot()) {
    console.error('bench: needs root (it creates network namespaces; nothing runs in the root namespace)');
    process.exit(2);
  }
  const cli = join(REPO_ROOT, 'dist/src-main/server/cli.bundle.mjs'); // what bin/sd-nearby.js runs
  if (!existsSync(cli)) {
    console.error('bench: the node is not built; run `npm run build:node` first');
    process.exit(2);
  }
  const distBuiltAt = statSync(cli).mtimeMs;
  const srcNewest = Math.max(newestMtime(join(REPO_ROOT, 'src-main')), newestMtime(join(REPO_ROOT, 'src-shared')));
  const stale = srcNewest > distBuiltAt;
  if (stale) console.error('bench: warning: sources are newer than dist/ - this measures the last build (`npm run build:node`)');

  const mode = opts.long ? 'long' : 'quick';
  const cfg: TimingConfig = {
    s1Reps: opts.long ? 20 : 10,
    s2Reps: opts.long ? 10 : 5,
    killReps: 0, // per implementation, below
    killCapMs: opts.long ? 180_000 : 40_000,
    seenTimeoutMs: 15_000,
    termTimeoutMs: 15_000,
    settleMs: 1200,
    want: { s1: opts.only.has('publish-to-seen'), s2: opts.only.has('browser-start-to-list'), term: opts.only.has('sigterm'), kill: opts.only.has('sigkill') },
    log: (m) => console.log(`${elapsed()} ${m}`),
  };
  const killReps = (impl: ImplName) => (impl === 'ours' ? (opts.long ? 20 : 10) : opts.long ? 10 : 5);
  const packetMinutes = opts.long ? 10 : 2;
  const reportMinutes = opts.long ? [1, 2, 10] : [1, 2];
  const smallSizes = opts.sizes.filter((n) => n <= SMALL_LAN_MAX);
  const bigSizes = opts.sizes.filter((n) => n > SMALL_LAN_MAX);
  const stormCapMs = opts.long ? 120_000 : 60_000;

  const started = new Date();
  const t0 = Date.now();
  const elapsed = () => `[${((Date.now() - t0) / 1000).toFixed(0).padStart(4)} s]`;
  const log = (m: string) => console.log(`${elapsed()} ${m}`);
  const loadStart = os.loadavg();
  const monitor = new MachineMonitor();
  const neighbourLimits = opts.raiseNeighbourTables ? raiseNeighbourLimits() : keepNeighbourLimits();
  const fullsAtStart = neighbourTableFulls();
  log(`bench ${mode}: ${[...opts.only].join(', ')} for ${opts.impls.join(', ')}; ${os.availableParallelism()} cores, node ${process.version}, kernel ${os.release()}`);
  if (neighbourLimits.error) log(`warning: ${neighbourLimits.error}`);
  else if (JSON.stringify(neighbourLimits.before) !== JSON.stringify(neighbourLimits.after)) {
    log(`kernel neighbour tables (ARP, ND: one for the whole machine) raised for this run, put back at exit: ${JSON.stringify(neighbourLimits.after)}`);
  }
  await cleanupStaleNamespaces();

  const errors: string[] = [];
  const wantTiming = cfg.want.s1 || cfg.want.s2 || cfg.want.term || cfg.want.kill;
  const wantPackets = opts.only.has('packets');

  // Presence LANs: per size, ours twice (nobody looking, one client looking) and each reference
  // once (no notion of looking). The small ones all at once (mostly idle processes once up); the
  // large ones one boot storm at a time, and at most OURS_LARGE_HOSTS_AT_ONCE_MAX of our nodes
  // at once, so that one storm's start-up does not slow another's on this machine's few cores.
  // The largest size's looking LAN (and each reference's) ends with peers killed and silenced.
  interface LanSpec {
    impl: ImplName;
    size: number;
    look: LookCase;
    departures: Departures | null;
  }
  const largest = Math.max(...opts.sizes);
  const departuresEach = opts.long ? 20 : 10;
  const departuresFor = (impl: ImplName, size: number, look: LookCase): Departures | null => {
    if (size !== largest || (impl === 'ours' && look !== 'looking')) return null;
    const each = Math.min(departuresEach, Math.floor((size - 1) / 2));
    return { kills: each, silences: each, batch: DEPARTURE_BATCH, capMs: opts.long ? 60_000 : 30_000 };
  };
  const specsFor = (sizes: number[]): LanSpec[] =>
    sizes.flatMap((size) =>
      opts.impls.flatMap((impl) => (impl === 'ours' ? (['nobody', 'looking'] as const) : (['nobody'] as const)).map((look) => ({ impl, size, look, departures: departuresFor(impl, size, look) }))),
    );
  const packetRuns: Array<Promise<PacketResult>> = [];
  const startLan = (spec: LanSpec): { stormOver: Promise<void>; done: Promise<PacketResult> } => {
    let over: () => void = () => undefined;
    const stormOver = new Promise<void>((r) => (over = r));
    const done = runPackets(spec.impl, spec.size, { minutes: packetMinutes, look: spec.look, stormCapMs, departures: spec.departures, machine: monitor, log, onStormOver: over });
    packetRuns.push(done);
    return { stormOver, done };
  };
  const describe = (spec: LanSpec) => `${spec.impl} x${spec.size}${spec.impl === 'ours' ? `, ${spec.look === 'looking' ? 'one client looking' : 'nobody looking'}` : ''}`;
  const startSmallPackets = async (): Promise<void> => {
    await Promise.all(specsFor(smallSizes).map((spec) => startLan(spec).stormOver));
  };
  const startBigPackets = async (): Promise<void> => {
    const queue = specsFor(bigSizes);
    const running = new Map<Promise<PacketResult>, LanSpec>();
    const oursRunning = () => [...running.values()].filter((s) => s.impl === 'ours').reduce((a, s) => a + s.size, 0);
    while (queue.length > 0) {
      const i = queue.findIndex((s) => s.impl !== 'ours' || oursRunning() === 0 || oursRunning() + s.size <= OURS_LARGE_HOSTS_AT_ONCE_MAX);
      if (i < 0) {
        await Promise.race(running.keys());
        continue;
      }
      const spec = queue.splice(i, 1)[0]!;
      log(`packets: ${describe(spec)}: all ${spec.size} hosts at once (boot storm), then ${packetMinutes} min${spec.departures ? ', then departures' : ''}`);
      const lan = startLan(spec);
      const tracked = lan.done.finally(() => running.delete(tracked));
      running.set(tracked, spec);
      await lan.stormOver;
    }
  };

  let cpuDuringTiming: number | null = null;
  if (wantPackets && !opts.sequential && smallSizes.length > 0) {
    log(`packets: starting ${specsFor(smallSizes).length} LANs (${smallSizes.join(' and ')} hosts), ${packetMinutes} min each, alongside the timing scenarios`);
    await startSmallPackets();
    if (wantTiming) await sleep(5000); // let the start-up burst of all those stacks pass
  }

  const runs: TimingRun[] = [];
  if (wantTiming) {
    const cpu0 = os.cpus().reduce((a, c) => a + c.times.idle, 0);
    const wall0 = Date.now();
    try {
      for (const impl of opts.impls) {
        const run = new TimingRun(impl, { ...cfg, killReps: killReps(impl) });
        runs.push(run);
        log(`[${impl}] timing LAN up...`);
        try {
          await run.setup();
          await run.runMain();
        } catch (e) {
          run.result.errors.push((e as Error).message);
          log(`[${impl}] error: ${(e as Error).message}`);
        }
      }
      if (cfg.want.kill) {
        log(`SIGKILL-to-dropped: all implementations at once (cap ${cfg.killCapMs / 1000} s per wait)`);
        await Promise.all(
          runs.map((run) =>
            run.runKill().catch((e: unknown) => {
              run.result.errors.push((e as Error).message);
            }),
          ),
        );
      }
    } finally {
      await Promise.allSettled(runs.map((r) => r.teardown()));
    }
    const idleMs = (os.cpus().reduce((a, c) => a + c.times.idle, 0) - cpu0) * 1; // ms of idle, summed over cores
    const wallMs = Date.now() - wall0;
    cpuDuringTiming = Math.round((1 - idleMs / (wallMs * os.cpus().length)) * 1000) / 10;
  }

  if (wantPackets && opts.sequential && smallSizes.length > 0) {
    log(`packets: starting ${specsFor(smallSizes).length} LANs, ${packetMinutes} min each`);
    await startSmallPackets();
  }
  if (wantPackets && bigSizes.length > 0) await startBigPackets();
  if (wantPackets) log('packets: waiting for the capture windows to end...');
  const packets = await Promise.all(packetRuns);
  monitor.stop();
  neighbourLimits.restore();
  const fullsAtEnd = neighbourTableFulls();
  for (const p of packets) for (const e of p.errors) errors.push(`packets ${p.impl} x${p.nodes}${p.impl === 'ours' ? ` ${p.case}` : ''}: ${e}`);

  // ------------------------------------------------------------------------------------------
  const timing: Partial<Record<ImplName, Record<string, Summary>>> = {};
  for (const run of runs) {
    const r = run.result;
    const s: Record<string, Summary> = {};
    for (const k of ['publishToSeenFromStart', 'publishToSeenFromReady', 'publishToSeenInternal', 'publisherStartToReady', 'browserStartToList', 'browserReadyToList', 'browserWarmToList', 'sigtermToDropped', 'sigkillToDropped'] as const) {
      if (r[k].length > 0) s[k] = summarize(r[k]);
    }
    timing[r.impl] = s;
    for (const e of r.errors) errors.push(`${r.impl}: ${e}`);
  }
  const rows = buildTimingRows(opts, timing);
  const timingHeader = ['scenario', ...opts.impls, ...opts.impls.filter((i) => i !== 'ours').map((i) => `ours/${i}`)];
  const timingTable = rows.length > 0 ? renderTable(timingHeader, timingBody(rows, opts.impls)) : '';
  const presenceRows = wantPackets ? buildPresenceRows(packets, opts.impls, reportMinutes, os.availableParallelism()) : [];
  const presenceTable = presenceRows.length > 0 ? renderTable(presenceHeader(opts.impls), presenceBody(presenceRows, opts.impls)) : '';
  const table = [timingTable, presenceTable].filter(Boolean).join('\n\n');
  const finished = new Date();

  const machine = { ...machineInfo(), loadavgStart: loadStart.map((x) => Math.round(x * 100) / 100), loadavgEnd: os.loadavg().map((x) => Math.round(x * 100) / 100) };
  const json = {
    date: started.toISOString(),
    finished: finished.toISOString(),
    wallSeconds: Math.round((finished.getTime() - started.getTime()) / 1000),
    mode,
    options: { only: [...opts.only], impls: opts.impls, sequential: opts.sequential, packetsAlongsideTiming: wantPackets && wantTiming && !opts.sequential },
    machine,
    cpuBusyPercentDuringTiming: cpuDuringTiming,
    build: {
      gitCommit: sh('git', ['-C', REPO_ROOT, 'rev-parse', 'HEAD']),
      gitDirtyFiles: sh('git', ['-C', REPO_ROOT, 'status', '--porcelain']).split('\n').filter(Boolean).length,
      distBuiltAt: new Date(distBuiltAt).toISOString(),
      sourcesNewerThanDist: stale,
    },
    kernel: {
      neighbourLimitsBefore: neighbourLimits.before,
      neighbourLimitsDuringRun: neighbourLimits.after,
      neighbourLimitsError: neighbourLimits.error,
      neighbourTableFullsDuringRun: { arp: fullsAtEnd.arp - fullsAtStart.arp, nd: fullsAtEnd.nd - fullsAtStart.nd },
    },
    machineSamples: monitor.samples,
    machineDuringRun: monitor.summary(started.getTime(), finished.getTime()),
    config: {
      ...cfg,
      log: undefined,
      killReps: Object.fromEntries(opts.impls.map((i) => [i, killReps(i)])),
      packetMinutes,
      packetSizes: opts.sizes,
      smallLanMax: SMALL_LAN_MAX,
      oursLargeHostsAtOnceMax: OURS_LARGE_HOSTS_AT_ONCE_MAX,
      stormCapMs,
      batch: 5,
      departures: departuresFor('ours', largest, 'looking'),
    },
    definitions: {
      start: 'spawn of the process that publishes/browses. ours: `sd-nearby serve` (node start-up included); avahi publisher: avahi-publish -s with the daemon already running; avahi fresh browser: the avahi-daemon spawn (a new daemon each repetition, private D-Bus already up); zeroconf: the python3 process.',
      ready: "ours: the `api ...` stdout line (after the discovery engine started and announced); avahi publisher: 'Established under name' (after probing); avahi fresh browser: avahi-browse spawn, just after the new daemon logged 'Server startup complete'; zeroconf publisher: READY (register_service returned, i.e. after probing and announcing); zeroconf browser: the watcher's first line (ServiceBrowser created).",
      listed: "the observer's line for the instance, timed on arrival at the bench through a pipe: ours `+ NAME (...)` on serve's stdout; avahi the first resolved '=' line of avahi-browse -rp; zeroconf the watcher's 'resolved' line (ServiceBrowser add + get_service_info).",
      dropped: "ours `- NAME`; avahi the '-' line that removes the last interface/protocol entry; zeroconf 'removed' (ServiceBrowser remove_service).",
      sigterm: 'ours: SIGTERM to the node; avahi: SIGTERM to avahi-publish (the daemon withdraws the service); zeroconf: SIGTERM to the python publisher (unregister_service).',
      sigkill: 'ours: SIGKILL to the node; avahi: SIGKILL to the publishing host\'s avahi-daemon (and avahi-publish): killing only the client lets the daemon say goodbye; zeroconf: SIGKILL to the python publisher. Batches of 5 crashed at once; each drop timed from its own kill.',
      packets: 'tcpdump on the LAN bridge (br0 in the switch namespace), no filter, every frame once, headers only, counted in 100 ms bins (bench/lib/wire.ts). all = every frame; mdnsMulticast = UDP to or from port 5353 sent to 224.0.0.251/ff02::fb; mdnsUnicast = the other port-5353 packets (direct questions and their answers, QU answers); tcp = every TCP segment (our P2P links: handshakes, pings, ACKs; the references have none); other = ARP, ICMPv6 (neighbour discovery, MLD), IGMP, IP fragments after the first. Families by EtherType (IPv4 0x0800, IPv6 0x86dd; ARP is neither); IPv6 extension headers are followed, so a fragmented mDNS message counts as mDNS. Minute k = [t0+(k-1) min, t0+k min), t0 = just before the hosts start. Each host: ours one serve; avahi daemon + avahi-browse -r + avahi-publish; zeroconf a publisher that also browses and resolves. LANs carry IPv4 and IPv6 (link-local). capture.droppedByKernel is tcpdump\'s own count of packets it lost.',
      cases: 'ours runs every size twice: nobody looking (no client subscribed to any node; the bench asks no node anything: lists come from serve\'s stdout `+`/`-` lines, which are not a look) and looking (one client subscribed to h1\'s state through GET /api/events over the node\'s Unix-socket API, from h1\'s ready mark to the end of the LAN). avahi and zeroconf have no notion of looking: their one LAN is compared with both cases.',
      listedAtMinute: 'peers listed: for each host, how many of the LAN\'s other instances its own browser output listed at the end of minute m (t0 + m min); min and median over hosts. ours: serve\'s `+`/`-` lines.',
      h1Traffic: 'frames whose source or destination MAC is h1\'s eth0 (its own unicast and multicast, ARP and ND included) over the idle window, per second, and that divided by its N-1 peers; the extra of looking = the looking LAN\'s h1 minus the nobody-looking LAN\'s h1.',
      departures: 'on the largest looking LAN (and each reference\'s LAN of that size), after the window: peers h1 lists at that moment are SIGKILLed (ours: the node; zeroconf: the python process; avahi: its daemon too), 5 at once, then other hosts go silent (eth0 taken down inside their namespace: no goodbye, no RST), 5 at once; each timed from its own kill / link-down to its removal from h1\'s list as the looking client saw it (ours: its /api/events stream; the references: h1\'s own browser); capped (30 s quick, 60 s long).',
      machine: 'every 5 s: the share of all cores busy since the last sample (every process on the machine, other work included), the 1-minute load average, free memory; each LAN records them over its storm and its idle window, and the sum of its own processes\' CPU over the idle window (lanIdleCpuPercent, % of one core).',
      bootStorm: 'every host of a LAN started at once at t0; "everyone lists everyone" = the first moment each host\'s own browser output lists all the others (events as they arrive); also from the last host\'s ready mark, which takes out the start-up of N stacks on this machine\'s cores; packets = every frame from t0 until then. The table shows the largest size; the JSON has every LAN.',
      idle: 'CPU time (utime + stime from /proc/PID/stat) and VmRSS of each host\'s processes, summed per host, over the last minute of the packet window (from 5 s into it to 1 s before its end); ours: the serve process; avahi: avahi-daemon + avahi-publish + avahi-browse (its private dbus-daemon not counted); zeroconf: the python process. CPU in % of one core.',
    },
    timing,
    timingNotes: Object.fromEntries(runs.map((r) => [r.result.impl, r.result.notes])),
    browserPerInstanceFromReady: Object.fromEntries(runs.map((r) => [r.result.impl, r.result.browserPerInstanceFromReady])),
    packets,
    presenceTable: presenceJson(presenceRows, opts.impls),
    timingTable: rows.map((r) => ({
      scenario: r.scenario,
      ...Object.fromEntries(opts.impls.map((i) => [i, r.cells[i] ?? null])),
      ...Object.fromEntries(opts.impls.filter((i) => i !== 'ours').map((i) => [`oursOver_${i}`, ratioValue(r.cells.ours ?? { value: null, unit: 'ms' }, r.cells[i] ?? { value: null, unit: 'ms' })])),
    })),
    tableText: table,
    errors,
  };

  const resultsDir = join(dirname(fileURLToPath(import.meta.url)), 'results');
  mkdirSync(resultsDir, { recursive: true });
  const latest = join(resultsDir, 'latest.json');
  const text = `${JSON.stringify(json, null, 2)}\n`;
  writeFileSync(latest, text);
  const stamped = join(resultsDir, `${mode}-${started.toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(stamped, text);
  if (opts.out) writeFileSync(opts.out, text);

  console.log('');
  console.log(`Nearby bench (${mode}), ${started.toISOString()}, ${json.wallSeconds} s wall; ${machine.nproc} cores (${machine.cpuModel}), node ${machine.node}, kernel ${machine.kernel}; ${machine.avahi}, python-zeroconf ${machine.pythonZeroconf}`);
  if (wantPackets && wantTiming) {
    if (smallSizes.length > 0) console.log(opts.sequential ? `packet-rate LANs of ${smallSizes.join(', ')} hosts ran after the timing scenarios` : `packet-rate LANs of ${smallSizes.join(', ')} hosts ran alongside the timing scenarios (CPU busy during timing: ${cpuDuringTiming}% of ${machine.nproc} cores)`);
    if (bigSizes.length > 0) console.log(`LANs of ${bigSizes.join(', ')} hosts ran after them, one boot storm at a time, at most ${OURS_LARGE_HOSTS_AT_ONCE_MAX} of our nodes at once`);
  }
  console.log('');
  console.log(table);
  console.log('');
  console.log('times: median/max over n repetitions; "from start" = process spawn, "from ready" = the stack\'s own ready mark (ours: the `api` line); ratios = ours / theirs (< 1: ours is faster or sends less).');
  if (presenceTable) {
    console.log('presence: ours runs each LAN twice - nobody looking (no client subscribed; the bench asks no node anything) and one client subscribed to h1\'s /api/events from its ready mark on;');
    console.log('  avahi and zeroconf have no notion of looking: their one LAN is compared with both. h1 = the looking host (the same host in the nobody-looking LAN).');
    const m = json.machineDuringRun;
    console.log(`machine during the run: CPU busy ${m.cpuBusyPercentMean}% on average (max ${m.cpuBusyPercentMax}%) of ${machine.nproc} cores, load ${m.load1Mean} (max ${m.load1Max}), every process included`);
  }
  if (errors.length > 0) {
    console.log(`\n${errors.length} problem(s):`);
    for (const e of errors) console.log(`  - ${e}`);
  }
  console.log(`\nwrote ${relative(process.cwd(), latest) || latest} (and ${relative(process.cwd(), stamped)})`);
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
