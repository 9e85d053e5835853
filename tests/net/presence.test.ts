// Issue 9, presence at any size, on a LAN of 20 nodes:
// - nobody looking: after minute 1 not one TCP packet on the bridge (links are for relationships:
//   there are none here), and mDNS within twice what python-zeroconf sends on a LAN of the same
//   size over the same minute (run side by side, same machine);
// - a client subscribes (GET /api/events): within 5 s it lists the 19 others, verified (short
//   handshakes, made only now that someone looks);
// - with a client subscribed, a SIGKILLed peer is gone from that node's list within 5 s.
// Nothing is asked of the nodes during the quiet minutes: a GET /api/state would be a look.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isRoot, Lan, type Capture, type CapturedPacket } from '../support/lan.js';
import { sleep, startNode, type NearbyProcess } from '../support/nearby.js';
import { startZeroconfPublisher, type ZeroconfPublisher } from '../support/zeroconf.js';

const skip = isRoot() ? false : 'needs root to create network namespaces';
const NODES = 20;
/** Slack on top of twice zeroconf's count: both send a handful of packets a minute by then, and one more query is chance. */
const MDNS_SLACK_PACKETS = 2;

function minute(packets: CapturedPacket[], t0: number, m: number) {
  const inMinute = packets.filter((p) => p.time >= t0 + (m - 1) * 60_000 && p.time < t0 + m * 60_000);
  return { tcp: inMinute.filter((p) => p.protocol === 'tcp').length, mdns: inMinute.filter((p) => p.protocol === 'udp').length };
}

describe(`presence on a LAN of ${NODES} nodes`, { skip, timeout: 240_000 }, () => {
  let lan: Lan;
  let reference: Lan;
  let capture: Capture;
  let referenceCapture: Capture;
  let t0 = 0;
  let nodes: NearbyProcess[] = [];
  let zeroconf: ZeroconfPublisher[] = [];

  before(async () => {
    [lan, reference] = await Promise.all([Lan.create({ hosts: NODES, ipv6Dad: false }), Lan.create({ hosts: NODES, ipv6Dad: false })]);
    [capture, referenceCapture] = await Promise.all([lan.capture('udp port 5353 or tcp'), reference.capture('udp port 5353 or tcp')]);
    t0 = Date.now();
    [nodes, zeroconf] = await Promise.all([
      Promise.all(lan.hosts.map((h, i) => startNode(h, { name: `Node ${i + 1}` }))),
      Promise.all(reference.hosts.map((h, i) => startZeroconfPublisher(h, { instance: `Zeroconf ${i + 1}`, port: 7000 + i, txt: { name: `Zeroconf ${i + 1}` }, browse: true }, 30_000))),
    ]);
  });
  after(async () => {
    await Promise.allSettled([...nodes.map((n) => n.stop('SIGKILL')), ...zeroconf.map((z) => z.stop())]);
    await Promise.allSettled([capture?.stop(), referenceCapture?.stop()]);
    await Promise.allSettled([lan?.destroy(), reference?.destroy()]);
  });

  test('nobody looking: minute 2 carries no TCP packet, and mDNS within twice python-zeroconf\'s', async () => {
    await sleep(Math.max(0, t0 + 120_000 - Date.now()));
    const ours = minute(capture.packets(), t0, 2);
    const theirs = minute(referenceCapture.packets(), t0, 2);
    process.stdout.write(`# minute 2, ${NODES} nodes, nobody looking: ours ${ours.mdns} mDNS + ${ours.tcp} TCP packets; python-zeroconf ${theirs.mdns} mDNS\n`);
    assert.equal(ours.tcp, 0, 'no link, no verification while nobody looks');
    assert.ok(ours.mdns <= 2 * theirs.mdns + MDNS_SLACK_PACKETS, `${ours.mdns} mDNS packets, zeroconf ${theirs.mdns}`);
  });

  test('a client subscribes: within 5 s the node lists the 19 others, verified', async () => {
    const identities = nodes.map((n) => n.printedIdentity);
    const took: number[] = [];
    for (const [i, node] of nodes.entries()) {
      const others = identities.filter((_, j) => j !== i);
      const subscription = node.subscribe();
      const started = Date.now();
      try {
        await subscription.waitFor((s) => others.every((id) => s.peers.some((p) => p.identity === id && p.verified)), 5000, `${node.host.name} listing the ${NODES - 1} others verified`);
        took.push(Date.now() - started);
      } finally {
        subscription.close();
      }
    }
    process.stdout.write(`# subscribe to all ${NODES - 1} verified: median ${took.sort((a, b) => a - b)[Math.floor(took.length / 2)]} ms, max ${Math.max(...took)} ms\n`);
  });

  test('with a client subscribed, a SIGKILLed peer is gone from its list within 5 s', async () => {
    const watcher = nodes[0]!;
    const victim = nodes[NODES - 1]!;
    const id = victim.printedIdentity;
    const subscription = watcher.subscribe();
    try {
      await subscription.waitFor((s) => s.peers.some((p) => p.identity === id), 5000, 'the victim listed');
      await victim.stop('SIGKILL');
      const killedAt = Date.now();
      await subscription.waitFor((s) => !s.peers.some((p) => p.identity === id), 5000, 'the killed peer gone');
      const tookMs = Date.now() - killedAt;
      process.stdout.write(`# SIGKILL to gone on the looking node: ${tookMs} ms\n`);
      assert.ok(tookMs <= 5000);
      assert.equal(subscription.last?.peers.filter((p) => p.identity !== null).length, NODES - 2, 'the others stay');
    } finally {
      subscription.close();
    }
  });
});
