// Issue 16, DNS Push: where the wide-area zone names a push server (`_dns-push-tls._tcp` SRV, RFC
// 8765 §6.1), nodes subscribe there instead of polling. The zone is served by a real BIND 9 in a
// namespace, which tells of every change by NOTIFY; the push server beside it is the test's own
// (tests/support/dnsPushServer.ts: none that offers push can be installed here), with a certificate
// the nodes trust through NODE_EXTRA_CA_CERTS, as a private CA is given to Node. Two LANs joined
// by a router: only the domain introduces the nodes to each other.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Lan, type Host, type Router } from '../support/lan.js';
import { startNode, type NearbyProcess, type StateSubscription } from '../support/nearby.js';
import { bindSkipReason, startNamed, type NamedServer } from '../support/bind.js';
import { PUSH_NOTIFY_PORT, pushZoneRecords, startPushGateway, type PushGateway } from '../support/pushGateway.js';

const skip = bindSkipReason();
const ZONE = 'sd.test';

describe('wide-area discovery by DNS Push beside a real BIND 9', { skip }, () => {
  const lans: Lan[] = [];
  const nodes: NearbyProcess[] = [];
  const subscriptions: StateSubscription[] = [];
  let lanA: Lan;
  let lanB: Lan;
  let router: Router;
  let named: NamedServer;
  let gateway: PushGateway;
  /** Node B, on LAN B, which hears LAN A only through the wide-area domain. */
  let nodeB: NearbyProcess;

  before(async () => {
    lanA = await Lan.create({ hosts: 2, ipv6Dad: false });
    lanB = await Lan.create({ hosts: 1, ipv6Dad: false });
    lans.push(lanA, lanB);
    router = await Lan.router(lanA, lanB);
    named = await startNamed(router.host, ZONE, pushZoneRecords(ZONE, router.addressOn(lanA)), { alsoNotifyPort: PUSH_NOTIFY_PORT });
    gateway = await startPushGateway(router.host, ZONE);
  });

  after(async () => {
    for (const s of subscriptions) s.close();
    gateway?.stop();
    await Promise.allSettled(nodes.map((n) => n.stop('SIGKILL')));
    await named?.stop().catch(() => undefined);
    await Promise.allSettled(lans.map((l) => l.destroy()));
  });

  async function start(host: Host, name: string): Promise<NearbyProcess> {
    const node = await startNode(host, {
      name,
      extraArgs: ['--wide-area', ZONE, '--dns-server', router.addressOn(host === lanB.hosts[0] ? lanB : lanA), '--tsig-key', named.keyFile],
      env: { NODE_EXTRA_CA_CERTS: gateway.caFile },
    });
    nodes.push(node);
    return node;
  }

  type Watched = { peers: Array<{ identity: string | null; verified: boolean; source: string }>; wideArea?: { updates?: string | null; pushServer?: string | null } | null };
  const listed = (id: string) => (s: Watched) => s.peers.some((p) => p.identity === id && p.verified && p.source === 'wide-area');

  test('nodes on two LANs subscribe at the push server the zone names and list each other verified; a newcomer and a leaver show as the server pushes them', async (t) => {
    const [one, two] = await Promise.all([start(lanA.hosts[0]!, 'Pushed A'), start(lanB.hosts[0]!, 'Pushed B')]);
    nodeB = two;
    const [watchOne, watchTwo] = [one.subscribe(), two.subscribe()];
    subscriptions.push(watchOne, watchTwo);
    const pushed = (s: Watched) => s.wideArea?.updates === 'push';
    await Promise.all([watchOne.waitFor(pushed, 10_000, 'A to use DNS Push'), watchTwo.waitFor(pushed, 10_000, 'B to use DNS Push')]);
    assert.match(watchTwo.last?.wideArea?.pushServer ?? '', /^push\.sd\.test \(/, 'the push server named in the state');
    await Promise.all([watchOne.waitFor(listed(two.printedIdentity), 5000, 'A to list B verified'), watchTwo.waitFor(listed(one.printedIdentity), 5000, 'B to list A verified')]);

    // A newcomer on LAN A: its UPDATE reaches BIND, BIND's NOTIFY the push server, its PUSH B.
    const startedAt = Date.now();
    const three = await start(lanA.hosts[1]!, 'Pushed C');
    await watchTwo.waitFor(listed(three.printedIdentity), 5000, 'B to list the newcomer');
    t.diagnostic(`B listed the newcomer verified ${Date.now() - startedAt} ms after it was started`);
    const stoppedAt = Date.now();
    await three.stop('SIGTERM'); // removes its records at once
    await watchTwo.waitFor((s) => !s.peers.some((p) => p.identity === three.printedIdentity), 5000, 'B to drop the leaver');
    t.diagnostic(`B dropped it ${Date.now() - stoppedAt} ms after SIGTERM`);
  });

  test('the push server goes away: polling takes over with a warning and still finds newcomers; push comes back by itself', async () => {
    // B, from the test before (by name: `nodes` holds A and B in the order they finished starting).
    const watch = nodeB.subscribe();
    subscriptions.push(watch);
    await watch.waitFor((s) => s.wideArea?.updates === 'push', 5000, 'B to use DNS Push');
    gateway?.stop();
    await watch.waitFor((s) => s.wideArea?.updates === 'poll', 5000, 'B to poll');
    assert.ok(nodeB.stderr.includes('polling instead'), `a warning says so: ${nodeB.stderr.slice(-400)}`);
    const four = await start(lanA.hosts[1]!, 'Polled D');
    await watch.waitFor(listed(four.printedIdentity), 10_000, 'B to list a newcomer by polls');
    await gateway.start();
    await watch.waitFor((s) => s.wideArea?.updates === 'push', 15_000, 'B back on DNS Push');
  });
});
