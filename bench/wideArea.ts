// `node --import tsx bench/wideArea.ts [--runs N] [--lease S] [--rest-seconds S]`: what wide-area
// discovery (issue 16) costs and how fast it is, with a real DNS server (BIND's named on a router
// joining two namespace LANs; nothing runs in the root network namespace):
//   - start to listed across networks: two nodes started at once on two LANs that multicast does
//     not join, each watched by a client (someone looking), until each lists the other verified
//     (time from the spawn of the processes, and from their API answering);
//   - at rest (nobody looking, one peer in the domain): the UPDATEs a node sends per hour and its
//     questions to the server per hour, counted on the wire (tcpdump on its LAN's bridge). The
//     UPDATEs are counted under a short lease and scaled to the default one (an hour): refreshes
//     come once per 75-80 % of the lease, so the rate is inversely proportional to it.
// Prints a table; writes bench/results/wide-area.json.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Lan } from '../tests/support/lan.js';
import { REPO_ROOT, sleep, startNode, type NearbyProcess } from '../tests/support/nearby.js';
import { startNamed } from '../tests/support/bind.js';
import { WIDE_AREA_LEASE_S } from '../src-main/core/wideArea/constants.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}
const RUNS = arg('--runs', 5);
const LEASE_S = arg('--lease', 20);
const REST_SECONDS = arg('--rest-seconds', 120);
const ZONE = 'sd.test';
const OPCODE_UPDATE = 5;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

async function main(): Promise<void> {
  const lanA = await Lan.create({ hosts: 1, ipv6Dad: false });
  const lanB = await Lan.create({ hosts: 1, ipv6Dad: false });
  const nodes: NearbyProcess[] = [];
  try {
    const router = await Lan.router(lanA, lanB);
    const named = await startNamed(router.host, ZONE);
    const args = (lease: number) => ({ extraArgs: ['--wide-area', ZONE, '--dns-server', router.addressOn(lanA), '--tsig-key', named.keyFile], env: { SD_NEARBY_WIDE_AREA_LEASE_S: String(lease) } });

    const fromSpawn: number[] = [];
    const fromApi: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const spawned = Date.now();
      const [a, b] = await Promise.all([startNode(lanA.hosts[0]!, { name: `A${run}`, ...args(WIDE_AREA_LEASE_S) }), startNode(lanB.hosts[0]!, { name: `B${run}`, ...args(WIDE_AREA_LEASE_S) })]);
      nodes.push(a, b);
      const apiUp = Date.now();
      const [watchA, watchB] = [a.subscribe(), b.subscribe()];
      const lists = (id: string) => (s: { peers: Array<{ identity: string | null; verified: boolean }> }) => s.peers.some((p) => p.identity === id && p.verified);
      await Promise.all([watchA.waitFor(lists(b.printedIdentity), 30_000, 'A to list B'), watchB.waitFor(lists(a.printedIdentity), 30_000, 'B to list A')]);
      fromSpawn.push(Date.now() - spawned);
      fromApi.push(Date.now() - apiUp);
      watchA.close();
      watchB.close();
      await Promise.all([a.stop('SIGTERM'), b.stop('SIGTERM')]);
    }

    // At rest: A and B registered, nobody looking; A's packets to the server counted on LAN A's bridge.
    const [a, b] = await Promise.all([startNode(lanA.hosts[0]!, { name: 'Rest A', ...args(LEASE_S) }), startNode(lanB.hosts[0]!, { name: 'Rest B', ...args(LEASE_S) })]);
    nodes.push(a, b);
    await sleep(45_000); // the browse backoff reaches its 30 s cap
    const capture = await lanA.capture('udp port 53');
    await sleep(REST_SECONDS * 1000);
    const packets = (await capture.stop()).filter((p) => p.src === lanA.hosts[0]!.ipv4 && p.dstPort === 53 && p.payload.length >= 12 && (p.payload[2]! & 0x80) === 0);
    const updates = packets.filter((p) => ((p.payload[2]! >> 3) & 0xf) === OPCODE_UPDATE).length;
    const queries = packets.length - updates;
    const hours = REST_SECONDS / 3600;
    const result = {
      runs: RUNS,
      listedAcrossNetworksMs: { fromSpawn: { median: median(fromSpawn), max: Math.max(...fromSpawn) }, fromApi: { median: median(fromApi), max: Math.max(...fromApi) } },
      atRest: {
        seconds: REST_SECONDS,
        leaseS: LEASE_S,
        updates,
        updatesPerHourAtThisLease: updates / hours,
        updatesPerHourAtDefaultLease: (updates / hours) * (LEASE_S / WIDE_AREA_LEASE_S),
        defaultLeaseS: WIDE_AREA_LEASE_S,
        queries,
        queriesPerHour: queries / hours,
      },
    };
    console.log(`start to listed (both ways, verified), ${RUNS} runs: median ${result.listedAcrossNetworksMs.fromSpawn.median} ms from spawn (max ${result.listedAcrossNetworksMs.fromSpawn.max}), ${result.listedAcrossNetworksMs.fromApi.median} ms from the API answering (max ${result.listedAcrossNetworksMs.fromApi.max})`);
    console.log(`at rest over ${REST_SECONDS} s with a ${LEASE_S} s lease: ${updates} UPDATEs = ${result.atRest.updatesPerHourAtThisLease.toFixed(0)}/h, i.e. ${result.atRest.updatesPerHourAtDefaultLease.toFixed(2)}/h at the default ${WIDE_AREA_LEASE_S} s lease; ${queries} questions = ${result.atRest.queriesPerHour.toFixed(0)}/h (polling one peer)`);
    const dir = join(REPO_ROOT, 'bench/results');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'wide-area.json'), `${JSON.stringify(result, null, 2)}\n`);
    await named.stop();
  } finally {
    await Promise.allSettled(nodes.map((n) => n.stop('SIGKILL')));
    await Promise.allSettled([lanA.destroy(), lanB.destroy()]);
  }
}

await main();
