// Issue 2, point 7: a host on two LANs is visible on both, each side given an address it can
// reach; on a LAN with IPv6 only, nodes find each other by their link-local addresses.

import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isRoot, Lan } from '../support/lan.js';
import { startNode, type NearbyProcess } from '../support/nearby.js';

const skip = isRoot() ? false : 'needs root to create network namespaces';

describe('networks', { skip }, () => {
  const lans: Lan[] = [];
  const nodes: NearbyProcess[] = [];
  after(async () => {
    await Promise.allSettled(nodes.map((n) => n.stop('SIGKILL')));
    await Promise.allSettled(lans.map((l) => l.destroy()));
  });

  test('a host on two LANs is visible on both, with an address of each LAN', async () => {
    const lanA = await Lan.create({ hosts: 2, ipv6Dad: false });
    const lanB = await Lan.create({ hosts: 1, ipv6Dad: false });
    lans.push(lanA, lanB);
    const bridgeHost = lanA.hosts[0]!;
    const addressOnB = await lanB.attach(bridgeHost);
    const addressOnA = bridgeHost.ipv4Of('eth0')!;
    assert.notEqual(addressOnA, addressOnB);
    const bridge = await startNode(bridgeHost, { name: 'Two networks' });
    const onA = await startNode(lanA.hosts[1]!, { name: 'On A' });
    const onB = await startNode(lanB.hosts[0]!, { name: 'On B' });
    nodes.push(bridge, onA, onB);
    const id = await bridge.identity();
    const seenA = (await onA.waitForState((s) => s.peers.some((p) => p.identity === id), 3000, 'LAN A to list the bridge host')).state;
    const seenB = (await onB.waitForState((s) => s.peers.some((p) => p.identity === id), 3000, 'LAN B to list the bridge host')).state;
    const peerA = seenA.peers.find((p) => p.identity === id)!;
    const peerB = seenB.peers.find((p) => p.identity === id)!;
    assert.ok(peerA.addresses.includes(addressOnA), `LAN A gets ${addressOnA}: ${peerA.addresses.join(', ')}`);
    assert.ok(!peerA.addresses.includes(addressOnB), `LAN A is not given LAN B's address: ${peerA.addresses.join(', ')}`);
    assert.ok(peerB.addresses.includes(addressOnB), `LAN B gets ${addressOnB}: ${peerB.addresses.join(', ')}`);
    assert.ok(!peerB.addresses.includes(addressOnA), `LAN B is not given LAN A's address: ${peerB.addresses.join(', ')}`);
    // The bridge host sees both sides, each on its own interface.
    const both = await bridge.waitForState((s) => s.peers.length === 2, 3000, 'the bridge host to list both LANs');
    const byName = new Map(both.state.peers.map((p) => [p.name, p]));
    assert.deepEqual(byName.get('On A')?.interfaces, ['eth0']);
    assert.deepEqual(byName.get('On B')?.interfaces, ['eth1']);
    // Multicast does not cross: the two single-LAN nodes do not see each other.
    assert.ok(!(await onA.state()).peers.some((p) => p.name === 'On B'));
  });

  test('on an IPv6-only LAN nodes find each other by link-local address', async () => {
    const lan = await Lan.create({ hosts: 2, ipv4: false });
    lans.push(lan);
    const [one, two] = await Promise.all([startNode(lan.hosts[0]!, { name: 'Six one' }), startNode(lan.hosts[1]!, { name: 'Six two' })]);
    nodes.push(one, two);
    const oneLinkLocal = await lan.hosts[0]!.ipv6LinkLocal('eth0');
    assert.ok(oneLinkLocal, 'host 1 has a link-local address');
    const seen = await two.waitForState((s) => s.peers.some((p) => p.name === 'Six one'), 3000, 'node two to list node one');
    const peer = seen.state.peers.find((p) => p.name === 'Six one')!;
    assert.ok(peer.addresses.includes(`${oneLinkLocal}%eth0`), `scoped link-local address expected: ${peer.addresses.join(', ')}`);
    assert.ok(peer.addresses.every((a) => a.includes(':')), 'only IPv6 addresses on an IPv6-only LAN');
    await one.waitForState((s) => s.peers.some((p) => p.name === 'Six two'), 3000, 'node one to list node two');
  });
});
