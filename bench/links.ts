// `node --import tsx bench/links.ts [--runs N] [--minutes M] [--swarm N] [--only crash,packets,memory]`: what the P2P links
// cost and what they buy, measured in namespace LANs (tests/support/lan.ts; nothing runs in the
// root network namespace):
//   - crash to gone: a linked peer SIGKILLed (its port then refuses) and a linked host that goes
//     silent (its link taken down: no FIN, no RST), the time until an observer's list drops it;
//   - packets per minute per linked peer, TCP (the link) and mDNS unicast (direct liveness
//     questions, which the link replaces), captured on the bridge between two idle nodes;
//   - memory per linked peer: a link server's memory after full GCs with N links up (from a swarm
//     of link endpoints with keys of their own) minus with none, over N.

import { join } from 'node:path';
import { Lan } from '../tests/support/lan.js';
import { REPO_ROOT, sleep, startNode, tempDataDir, type NearbyProcess } from '../tests/support/nearby.js';
import { median, numberArg } from './lib/stats.js';

const RUNS = numberArg('--runs', 10);
const MINUTES = numberArg('--minutes', 1);
const SWARM = numberArg('--swarm', 64);
const onlyIndex = process.argv.indexOf('--only');
const ONLY = new Set(onlyIndex >= 0 ? (process.argv[onlyIndex + 1] ?? '').split(',') : ['crash', 'packets', 'memory']);


async function waitLinked(observer: NearbyProcess, id: string): Promise<void> {
  await observer.waitForState((s) => s.peers.some((p) => p.identity === id && p.verified), 15_000, 'linked');
}

async function crashToGone(lan: Lan, observer: NearbyProcess, how: 'sigkill' | 'silent'): Promise<number[]> {
  const times: number[] = [];
  const victimHost = lan.hosts[1]!;
  for (let i = 0; i < RUNS; i++) {
    const victim = await startNode(victimHost, { name: `Victim ${i}`, dataDir: tempDataDir(`victim${i}`) });
    const id = await victim.identity();
    await waitLinked(observer, id);
    await sleep(1000);
    const t0 = Date.now();
    if (how === 'sigkill') await victim.stop('SIGKILL');
    else await victimHost.setLink('eth0', false);
    await observer.waitForState((s) => !s.peers.some((p) => p.identity === id), 60_000, 'gone');
    times.push(Date.now() - t0);
    if (how === 'silent') {
      await victim.stop('SIGKILL');
      await victimHost.setLink('eth0', true);
    }
    process.stderr.write(`  ${how} run ${i + 1}: ${times.at(-1)} ms\n`);
  }
  return times;
}

async function main(): Promise<void> {
  const results: Record<string, unknown> = {};
  // --- crash to gone ---------------------------------------------------------------------------
  if (ONLY.has('crash')) {
    const lan = await Lan.create({ hosts: 2, ipv6Dad: false });
    try {
      const observer = await startNode(lan.hosts[0]!, { name: 'Observer' });
      const kill = await crashToGone(lan, observer, 'sigkill');
      const silent = await crashToGone(lan, observer, 'silent');
      results.crashToGoneMs = {
        sigkill: { runs: kill, median: median(kill), max: Math.max(...kill) },
        hostSilent: { runs: silent, median: median(silent), max: Math.max(...silent) },
      };
      await observer.stop('SIGKILL');
    } finally {
      await lan.destroy();
    }
  }
  // --- packets per minute per linked peer --------------------------------------------------------
  if (ONLY.has('packets')) {
    const lan = await Lan.create({ hosts: 2, ipv6Dad: false });
    try {
      const [a, b] = await Promise.all([startNode(lan.hosts[0]!, { name: 'A' }), startNode(lan.hosts[1]!, { name: 'B' })]);
      await waitLinked(a, await b.identity());
      await sleep(5000); // past the announcements and the first queries
      const capture = await lan.capture('tcp or udp port 5353');
      await sleep(MINUTES * 60_000);
      const packets = await capture.stop();
      const tcp = packets.filter((p) => p.protocol === 'tcp');
      const mdnsUnicast = packets.filter((p) => p.protocol === 'udp' && !p.dst.startsWith('224.') && !p.dst.startsWith('ff02:'));
      const mdnsMulticast = packets.filter((p) => p.protocol === 'udp' && (p.dst.startsWith('224.') || p.dst.startsWith('ff02:')));
      results.packetsPerMinutePerLink = {
        minutes: MINUTES,
        tcp: tcp.length / MINUTES,
        tcpBytes: tcp.reduce((n, p) => n + p.payload.length, 0) / MINUTES,
        mdnsUnicast: mdnsUnicast.length / MINUTES,
        mdnsMulticast: mdnsMulticast.length / MINUTES,
      };
      await Promise.all([a.stop('SIGKILL'), b.stop('SIGKILL')]);
    } finally {
      await lan.destroy();
    }
  }
  // --- memory per linked peer ------------------------------------------------------------------------
  if (ONLY.has('memory')) {
    const perHost = 16; // links opened from one address
    const hosts = Math.ceil(SWARM / perHost);
    const lan = await Lan.create({ hosts: 1 + hosts, ipv6Dad: false });
    try {
      // The link machinery alone, measured after full GCs: the growth from the first swarm host's
      // links to all of them (the process is warm by then), per link.
      const first = Math.min(perHost, SWARM);
      const server = lan.hosts[0]!.spawn(process.execPath, ['--expose-gc', '--import', 'tsx', join(REPO_ROOT, 'bench/linkMemoryMain.ts'), `${first},${SWARM}`], { cwd: REPO_ROOT });
      let out = '';
      server.stdout?.setEncoding('utf8').on('data', (d: string) => (out += d));
      const points = () => out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { links: number; memory: Record<string, number> });
      while (!/port (\d+)/.test(out)) await sleep(50);
      const port = Number(/port (\d+)/.exec(out)?.[1]);
      const swarm = (h: (typeof lan.hosts)[number], i: number) =>
        h.spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'bench/linkSwarmMain.ts'), lan.hosts[0]!.ipv4!, String(port), String(Math.min(perHost, SWARM - i * perHost))], { cwd: REPO_ROOT });
      const swarms = [swarm(lan.hosts[1]!, 0)];
      while (points().length < 2) await sleep(200);
      swarms.push(...lan.hosts.slice(2).map((h, i) => swarm(h, i + 1)));
      while (points().length < 3) await sleep(200);
      const [, a, b] = points() as [unknown, { links: number; memory: Record<string, number> }, { links: number; memory: Record<string, number> }];
      const per = (k: string) => Math.round(((b.memory[k]! - a.memory[k]!) / (b.links - a.links) / 1024) * 10) / 10;
      results.memoryPerLinkKiB = { from: a.links, to: b.links, heapUsed: per('heapUsed'), external: per('external'), rss: per('rss') };
      for (const s of swarms) s.kill('SIGKILL');
      server.kill('SIGKILL');
    } finally {
      await lan.destroy();
    }
  }
  console.log(JSON.stringify(results, null, 2));
}

await main();
