// `node --import tsx bench/wideArea.ts [--runs N] [--lease S] [--rest-seconds S]`: what wide-area
// discovery (issue 16) costs and how fast it is, with a real DNS server (BIND's named on a router
// joining two namespace LANs; nothing runs in the root network namespace), side by side in one run
// for the two ways browsing learns of changes: polls (BIND alone, which offers no DNS Push) and DNS
// Push (the same BIND, its zone naming the tests' push gateway, which BIND tells of each change by
// NOTIFY: tests/support/pushGateway.ts). For each:
//   - start to listed across networks: two nodes started at once on two LANs that multicast does
//     not join, each watched by a client (someone looking), until each lists the other verified
//     (time from the spawn of the processes, and from their API answering);
//   - a newcomer: a third node started on LAN A, until the node on LAN B lists it verified;
//   - at rest (nobody looking, one peer in the domain): the UPDATEs a node sends per hour, its
//     questions to the server and its push-session messages per hour, and every packet between it
//     and the router (ACKs included), counted on the wire (tcpdump on its LAN's bridge). The
//     UPDATEs are counted under a short lease and scaled to the default one (an hour): refreshes
//     come once per 75-80 % of the lease, so the rate is inversely proportional to it.
// Prints a table; writes bench/results/wide-area.json.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Lan, type Router } from '../tests/support/lan.js';
import { REPO_ROOT, sleep, startNode, type NearbyProcess } from '../tests/support/nearby.js';
import { startNamed } from '../tests/support/bind.js';
import { PUSH_NOTIFY_PORT, PUSH_PORT, pushZoneRecords, startPushGateway } from '../tests/support/pushGateway.js';
import { WIDE_AREA_LEASE_S } from '../src-main/core/wideArea/constants.js';
import { median, numberArg } from './lib/stats.js';
import { OPCODE_UPDATE } from '../src-main/core/wideArea/dnsWire.js';

const RUNS = numberArg('--runs', 5);
const LEASE_S = numberArg('--lease', 20);
const REST_SECONDS = numberArg('--rest-seconds', 120);
const ZONE = 'sd.test';


type Updates = 'poll' | 'push';

/** One configuration measured: named (with the push gateway beside it for 'push'), the runs, then the rest. */
async function measure(updates: Updates, lanA: Lan, lanB: Lan, router: Router, nodes: NearbyProcess[]) {
  const named = await startNamed(router.host, ZONE, updates === 'push' ? pushZoneRecords(ZONE, router.addressOn(lanA)) : [], updates === 'push' ? { alsoNotifyPort: PUSH_NOTIFY_PORT } : {});
  const gateway = updates === 'push' ? await startPushGateway(router.host, ZONE) : null;
  try {
    const env = (lease: number): Record<string, string> => ({ SD_NEARBY_WIDE_AREA_LEASE_S: String(lease), ...(gateway ? { NODE_EXTRA_CA_CERTS: gateway.caFile } : {}) });
    const args = (lease: number) => ({ extraArgs: ['--wide-area', ZONE, '--dns-server', router.addressOn(lanA), '--tsig-key', named.keyFile], env: env(lease) });
    const lists = (id: string) => (s: { peers: Array<{ identity: string | null; verified: boolean }> }) => s.peers.some((p) => p.identity === id && p.verified);

    const fromSpawn: number[] = [];
    const fromApi: number[] = [];
    const newcomer: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const spawned = Date.now();
      const [a, b] = await Promise.all([startNode(lanA.hosts[0]!, { name: `A${run}`, ...args(WIDE_AREA_LEASE_S) }), startNode(lanB.hosts[0]!, { name: `B${run}`, ...args(WIDE_AREA_LEASE_S) })]);
      nodes.push(a, b);
      const apiUp = Date.now();
      const [watchA, watchB] = [a.subscribe(), b.subscribe()];
      await Promise.all([watchA.waitFor(lists(b.printedIdentity), 30_000, 'A to list B'), watchB.waitFor(lists(a.printedIdentity), 30_000, 'B to list A')]);
      fromSpawn.push(Date.now() - spawned);
      fromApi.push(Date.now() - apiUp);
      if (updates === 'push') await watchB.waitFor((s: { wideArea?: { updates?: string | null } | null }) => s.wideArea?.updates === 'push', 10_000, 'B on DNS Push');
      await sleep(3000); // B at rest for a while: its polls backed off as they would be
      const c0 = Date.now();
      const c = await startNode(lanA.hosts[1]!, { name: `C${run}`, ...args(WIDE_AREA_LEASE_S) });
      nodes.push(c);
      await watchB.waitFor(lists(c.printedIdentity), 60_000, 'B to list the newcomer');
      newcomer.push(Date.now() - c0);
      watchA.close();
      watchB.close();
      await Promise.all([a.stop('SIGTERM'), b.stop('SIGTERM'), c.stop('SIGTERM')]);
    }

    // At rest: A and B registered, nobody looking; A's packets to and from the router counted on LAN A's bridge.
    const [a, b] = await Promise.all([startNode(lanA.hosts[0]!, { name: 'Rest A', ...args(LEASE_S) }), startNode(lanB.hosts[0]!, { name: 'Rest B', ...args(LEASE_S) })]);
    nodes.push(a, b);
    await sleep(45_000); // the browse backoff reaches its 30 s cap
    const capture = await lanA.capture(`udp port 53 or tcp port ${PUSH_PORT}`);
    await sleep(REST_SECONDS * 1000);
    const self = lanA.hosts[0]!.ipv4;
    const all = (await capture.stop()).filter((p) => p.src === self || p.dst === self);
    const toServer = all.filter((p) => p.src === self && p.payload.length > 0);
    const udp = toServer.filter((p) => p.protocol === 'udp' && p.dstPort === 53 && p.payload.length >= 12 && (p.payload[2]! & 0x80) === 0);
    const updatesSent = udp.filter((p) => ((p.payload[2]! >> 3) & 0xf) === OPCODE_UPDATE).length;
    const queries = udp.length - updatesSent;
    const pushMessages = toServer.filter((p) => p.protocol === 'tcp' && p.dstPort === PUSH_PORT).length;
    const hours = REST_SECONDS / 3600;
    await Promise.all([a.stop('SIGTERM'), b.stop('SIGTERM')]);
    return {
      updates,
      listedAcrossNetworksMs: { fromSpawn: { median: median(fromSpawn), max: Math.max(...fromSpawn) }, fromApi: { median: median(fromApi), max: Math.max(...fromApi) } },
      newcomerListedMs: { median: median(newcomer), max: Math.max(...newcomer) },
      atRest: {
        seconds: REST_SECONDS,
        leaseS: LEASE_S,
        updates: updatesSent,
        updatesPerHourAtThisLease: updatesSent / hours,
        updatesPerHourAtDefaultLease: (updatesSent / hours) * (LEASE_S / WIDE_AREA_LEASE_S),
        defaultLeaseS: WIDE_AREA_LEASE_S,
        queries,
        queriesPerHour: queries / hours,
        pushSessionSegmentsSent: pushMessages,
        pushSessionSegmentsPerHour: pushMessages / hours,
        packetsBothWays: all.length,
        packetsPerHour: all.length / hours,
      },
    };
  } finally {
    gateway?.stop();
    await named.stop();
  }
}

async function main(): Promise<void> {
  const lanA = await Lan.create({ hosts: 2, ipv6Dad: false });
  const lanB = await Lan.create({ hosts: 1, ipv6Dad: false });
  const nodes: NearbyProcess[] = [];
  try {
    const router = await Lan.router(lanA, lanB);
    const poll = await measure('poll', lanA, lanB, router, nodes);
    const push = await measure('push', lanA, lanB, router, nodes);
    const ratio = (x: number, y: number) => (y === 0 ? 'n/a' : (x / y).toFixed(2));
    for (const r of [poll, push]) {
      console.log(`${r.updates}: start to listed (both ways, verified), ${RUNS} runs: median ${r.listedAcrossNetworksMs.fromSpawn.median} ms from spawn (max ${r.listedAcrossNetworksMs.fromSpawn.max}), ${r.listedAcrossNetworksMs.fromApi.median} ms from the API answering; a newcomer listed from its spawn: median ${r.newcomerListedMs.median} ms (max ${r.newcomerListedMs.max})`);
      console.log(`${r.updates}: at rest over ${REST_SECONDS} s with a ${LEASE_S} s lease: ${r.atRest.updates} UPDATEs = ${r.atRest.updatesPerHourAtDefaultLease.toFixed(2)}/h at the default ${WIDE_AREA_LEASE_S} s lease; ${r.atRest.queries} questions = ${r.atRest.queriesPerHour.toFixed(0)}/h; ${r.atRest.pushSessionSegmentsSent} push-session segments sent = ${r.atRest.pushSessionSegmentsPerHour.toFixed(0)}/h; ${r.atRest.packetsBothWays} packets both ways = ${r.atRest.packetsPerHour.toFixed(0)}/h`);
    }
    console.log(`push / poll: start to listed ${ratio(push.listedAcrossNetworksMs.fromSpawn.median, poll.listedAcrossNetworksMs.fromSpawn.median)}, newcomer ${ratio(push.newcomerListedMs.median, poll.newcomerListedMs.median)}, packets at rest ${ratio(push.atRest.packetsBothWays, poll.atRest.packetsBothWays)}`);
    const result = { runs: RUNS, poll, push };
    const dir = join(REPO_ROOT, 'bench/results');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'wide-area.json'), `${JSON.stringify(result, null, 2)}\n`);
  } finally {
    await Promise.allSettled(nodes.map((n) => n.stop('SIGKILL')));
    await Promise.allSettled([lanA.destroy(), lanB.destroy()]);
  }
}

await main();
