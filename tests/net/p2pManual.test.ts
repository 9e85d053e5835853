// Issue 4, point 1: two LANs joined by a router (multicast does not cross, TCP does). A node on
// one adds the other by IP:port and by host name; both list each other, verified. The other
// node runs as in Docker (SD_DOCKER=true: port 7373, so `host` alone is enough). Wrong inputs get
// the right reasons: name not found, refused, timed out, identity changed.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isRoot, Lan, type Router } from '../support/lan.js';
import { sleep, startNode, tempDataDir, type NearbyProcess } from '../support/nearby.js';
import type { ManualPeerState, NodeState } from '../../src-shared/contract.js';

const skip = isRoot() ? false : 'needs root to create network namespaces';

function entry(s: NodeState, address: string): ManualPeerState | undefined {
  return s.manualPeers.find((m) => m.address === address);
}

describe('manual peers across a router', { skip }, () => {
  let lanA: Lan;
  let lanB: Lan;
  let router: Router;
  let alpha: NearbyProcess; // LAN A, adds by IP:port
  let gamma: NearbyProcess; // LAN A, adds by host name
  let bravo: NearbyProcess; // LAN B, SD_DOCKER=true
  let bravoId: string;
  const nodes: NearbyProcess[] = [];

  before(async () => {
    lanA = await Lan.create({ hosts: 2, ipv6Dad: false });
    lanB = await Lan.create({ hosts: 1, ipv6Dad: false });
    router = await Lan.router(lanA, lanB);
    // A prefix the router drops silently: connections there time out (no refusal, no ICMP).
    await router.host.run('ip', ['route', 'add', 'blackhole', '10.254.254.0/24']);
    lanA.hosts[1]!.setHostsFile({ 'bravo.example': lanB.hosts[0]!.ipv4! });
    [alpha, gamma, bravo] = await Promise.all([
      startNode(lanA.hosts[0]!, { name: 'Alpha' }),
      startNode(lanA.hosts[1]!, { name: 'Gamma' }),
      startNode(lanB.hosts[0]!, { name: 'Bravo', env: { SD_DOCKER: 'true' }, libraries: ['Shared'] }),
    ]);
    nodes.push(alpha, gamma, bravo);
    bravoId = await bravo.identity();
  });
  after(async () => {
    await Promise.allSettled(nodes.map((n) => n.stop('SIGKILL')));
    await lanA?.destroy();
    await lanB?.destroy();
  });

  test('multicast does not cross the router, TCP does', async () => {
    assert.equal((await bravo.state()).self.port, 7373, 'SD_DOCKER=true binds 7373');
    await sleep(1500);
    assert.ok(!(await alpha.state()).peers.some((p) => p.identity === bravoId), 'LAN A does not discover LAN B');
    const probe = `require('node:net').connect(7373, '${lanB.hosts[0]!.ipv4}').on('connect', () => { console.log('open'); process.exit(0); }).on('error', (e) => { console.error(e.message); process.exit(1); })`;
    const r = await lanA.hosts[0]!.run(process.execPath, ['-e', probe], { timeoutMs: 5000 });
    assert.match(r.stdout, /open/, `TCP crosses the router: ${r.stderr}`);
  });

  test('added by IP:port: online with its name, listed verified on both sides', async () => {
    const address = `${lanB.hosts[0]!.ipv4}:7373`;
    const added = await alpha.command<NodeState>('addManualPeer', { address });
    assert.equal(added.status, 200, JSON.stringify(added.body));
    const { state } = await alpha.waitForState((s) => entry(s, address)?.status === 'online', 10_000, 'the manual peer online');
    const e = entry(state, address)!;
    assert.equal(e.name, 'Bravo');
    assert.equal(e.identity, bravoId, 'the identity proven is pinned');
    const peer = (await alpha.waitForState((s) => s.peers.some((p) => p.identity === bravoId && p.verified), 5000, 'Bravo listed, verified')).state.peers.find((p) => p.identity === bravoId)!;
    assert.equal(peer.source, 'manual');
    assert.equal(peer.name, 'Bravo');
    assert.equal(peer.port, 7373);
    assert.deepEqual(peer.addresses, [lanB.hosts[0]!.ipv4]);
    assert.deepEqual(peer.libraries.map((l) => l.identity), [bravoId], 'its libraries came over the link');
    // The other side lists the node that connected, verified as well.
    const alphaId = await alpha.identity();
    const back = await bravo.waitForState((s) => s.peers.some((p) => p.identity === alphaId && p.verified), 5000, 'Bravo to list Alpha');
    const alphaPeer = back.state.peers.find((p) => p.identity === alphaId)!;
    assert.equal(alphaPeer.name, 'Alpha');
    assert.equal(alphaPeer.source, 'link');
    // The pin is saved.
    const settings = JSON.parse(await readFile(join(alpha.dataDir, 'settings.json'), 'utf8')) as { pinnedIdentities?: Record<string, string> };
    assert.equal(settings.pinnedIdentities?.[address], bravoId);
  });

  test('added by host name alone (port 7373): online, verified on both sides', async () => {
    const added = await gamma.command<NodeState>('addManualPeer', { address: 'bravo.example' });
    assert.equal(added.status, 200, JSON.stringify(added.body));
    const { state } = await gamma.waitForState((s) => entry(s, 'bravo.example:7373')?.status === 'online', 10_000, 'bravo.example online');
    assert.equal(entry(state, 'bravo.example:7373')?.name, 'Bravo');
    await gamma.waitForState((s) => s.peers.some((p) => p.identity === bravoId && p.verified && p.source === 'manual'), 5000, 'Bravo listed on Gamma');
    const gammaId = await gamma.identity();
    await bravo.waitForState((s) => s.peers.some((p) => p.identity === gammaId && p.verified), 5000, 'Bravo to list Gamma');
  });

  test('wrong inputs get the right reasons: name not found, refused, timed out', async () => {
    const cases: Array<[string, RegExp]> = [
      ['no-such-host.example', /^name not found/],
      [`${lanB.hosts[0]!.ipv4}:9`, /^refused/],
      ['10.254.254.1:7373', /^timed out/],
    ];
    for (const [address] of cases) assert.equal((await gamma.command('addManualPeer', { address })).status, 200);
    for (const [address, reason] of cases) {
      const canonical = address.includes(':') ? address : `${address}:7373`;
      const { state } = await gamma.waitForState((s) => entry(s, canonical)?.status === 'unreachable', 15_000, `${canonical} unreachable`);
      const e = entry(state, canonical)!;
      assert.match(e.reason ?? '', reason, `${canonical}: ${e.reason}`);
      assert.equal(e.identity, null);
      assert.ok(!state.peers.some((p) => p.source === 'manual' && p.identity !== bravoId), 'nothing listed for them');
    }
  });

  test('identity changed: another device at a pinned address is refused and never listed', async () => {
    const address = `${lanB.hosts[0]!.ipv4}:7373`;
    await bravo.stop('SIGKILL');
    const other = await startNode(lanB.hosts[0]!, { name: 'Bravo', env: { SD_DOCKER: 'true' }, dataDir: tempDataDir('bravo2') });
    nodes.push(other);
    const otherId = await other.identity();
    assert.notEqual(otherId, bravoId);
    const { state } = await alpha.waitForState((s) => /^identity changed/.test(entry(s, address)?.reason ?? ''), 20_000, 'identity changed');
    assert.equal(entry(state, address)?.status, 'unreachable');
    assert.equal(entry(state, address)?.identity, bravoId, 'the pin stays');
    await sleep(1500);
    const later = await alpha.state();
    assert.ok(!later.peers.some((p) => p.identity === otherId), 'the other device is not listed');
    assert.ok(!later.peers.some((p) => p.identity === bravoId), 'the old one is gone');
    // Removing the address forgets its pin; added again, it pins the new device.
    assert.equal((await alpha.command('removeManualPeer', { address })).status, 200);
    assert.equal((await alpha.command('addManualPeer', { address })).status, 200);
    const again = await alpha.waitForState((s) => entry(s, address)?.status === 'online', 10_000, 'online with the new device');
    assert.equal(entry(again.state, address)?.identity, otherId);
  });
});
