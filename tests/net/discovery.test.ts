// Issue 2, points 1, 4 and 5: nodes on a namespace LAN find each other with every field right,
// follow library changes at once, and leave honestly (goodbye, crash), while a spoofed goodbye
// removes nobody. Real processes, real mDNS, inside namespaces this test creates.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isRoot, Lan } from '../support/lan.js';
import { browseJson, startNode, sleep, type NearbyProcess } from '../support/nearby.js';
import { sendMdns } from '../support/mdnsInjector.js';
import type { Library } from '../../src-shared/peer.js';

const skip = isRoot() ? false : 'needs root to create network namespaces';

describe('discovery between nodes on one LAN', { skip }, () => {
  let lan: Lan;
  let alpha: NearbyProcess;
  let beta: NearbyProcess;

  before(async () => {
    lan = await Lan.create({ hosts: 4 });
    [alpha, beta] = await Promise.all([
      startNode(lan.hosts[0]!, { name: 'Alpha laptop', libraries: ['Photos', 'Work'] }),
      startNode(lan.hosts[1]!, { name: 'Beta desktop' }),
    ]);
  });
  after(async () => {
    await Promise.allSettled([alpha?.stop('SIGKILL'), beta?.stop('SIGKILL')]);
    await lan?.destroy();
  });

  test('browse on a third host lists both nodes with every field right', async () => {
    const [a, b] = await Promise.all([alpha.state(), beta.state()]);
    const peers = await browseJson(lan.hosts[2]!, 1.5);
    assert.equal(peers.length, 2, `expected 2 peers, got ${JSON.stringify(peers.map((p) => p.name))}`);
    const pa = peers.find((p) => p.identity === a.self.identity);
    const pb = peers.find((p) => p.identity === b.self.identity);
    assert.ok(pa && pb, 'both identities listed');
    assert.equal(pa.name, 'Alpha laptop');
    assert.equal(pb.name, 'Beta desktop');
    for (const [p, s, host] of [[pa, a, lan.hosts[0]!], [pb, b, lan.hosts[1]!]] as const) {
      assert.equal(p.operatingSystem, 'linux');
      assert.equal(p.version, s.self.version);
      assert.equal(p.deviceModel, s.self.deviceModel);
      assert.equal(p.port, s.self.port);
      assert.equal(p.hostname, s.self.hostname);
      assert.equal(p.verified, false, 'mDNS alone never verifies');
      assert.ok(p.addresses.includes(host.ipv4!), `${p.name} has address ${host.ipv4}: ${p.addresses.join(', ')}`);
      assert.ok(p.addresses.some((x) => /^fe80:.*%eth0$/.test(x)), `${p.name} has a scoped link-local address: ${p.addresses.join(', ')}`);
      assert.ok(!Number.isNaN(Date.parse(p.lastSeen)));
    }
    const expectedLibraries = a.libraries.filter((l) => l.active).map((l) => ({ uuid: l.uuid, identity: a.self.identity }));
    assert.deepEqual([...pa.libraries].sort((x, y) => x.uuid.localeCompare(y.uuid)), expectedLibraries.sort((x, y) => x.uuid.localeCompare(y.uuid)));
    assert.equal(expectedLibraries.length, 2);
    assert.deepEqual(pb.libraries, []);
  });

  test('each node lists the other and never itself', async () => {
    const [a, b] = await Promise.all([
      alpha.waitForState((s) => s.peers.length === 1, 3000, 'alpha to list beta'),
      beta.waitForState((s) => s.peers.length === 1, 3000, 'beta to list alpha'),
    ]);
    assert.equal(a.state.peers[0]!.identity, b.state.self.identity);
    assert.equal(b.state.peers[0]!.identity, a.state.self.identity);
  });

  test('a library activated or deactivated reaches a peer within 1 s', async () => {
    const created = await alpha.command<Library>('createLibrary', { name: 'Music' });
    assert.equal(created.status, 200);
    const uuid = created.body.uuid;
    const seen = await beta.waitForState((s) => s.peers.some((p) => p.libraries.some((l) => l.uuid === uuid)), 1000, 'the new library on beta');
    assert.ok(seen.elapsedMs <= 1000);
    assert.equal((await alpha.command('deactivateLibrary', { uuid })).status, 200);
    await beta.waitForState((s) => s.peers.length === 1 && !s.peers[0]!.libraries.some((l) => l.uuid === uuid), 1000, 'the library gone on beta');
    assert.equal((await alpha.command('activateLibrary', { uuid })).status, 200);
    await beta.waitForState((s) => s.peers.some((p) => p.libraries.some((l) => l.uuid === uuid)), 1000, 'the library back on beta');
  });

  test('a spoofed goodbye for a live node does not remove it', async () => {
    const a = await alpha.state();
    await beta.waitForState((s) => s.peers.some((p) => p.identity === a.self.identity), 3000, 'beta to list alpha');
    // Host 4 claims, from its own address, that alpha's records are gone (TTL 0).
    await sendMdns(lan.hosts[3]!, [{ kind: 'goodbye', instance: a.self.identity, hostname: a.self.hostname }]);
    await sleep(1500);
    const b = await beta.state();
    assert.ok(b.peers.some((p) => p.identity === a.self.identity), 'alpha is still listed after the spoofed goodbye');
  });

  test('SIGTERM: peers drop the node within 1 s, and the node exits 0', async () => {
    const gamma = await startNode(lan.hosts[2]!, { name: 'Gamma' });
    const g = await gamma.state();
    await beta.waitForState((s) => s.peers.some((p) => p.identity === g.self.identity), 3000, 'beta to list gamma');
    const exit = gamma.stop('SIGTERM');
    const gone = await beta.waitForState((s) => !s.peers.some((p) => p.identity === g.self.identity), 1000, 'gamma gone after SIGTERM');
    assert.ok(gone.elapsedMs <= 1000);
    assert.deepEqual(await exit, { code: 0, signal: null });
  });

  test('SIGKILL: peers drop the node within 30 s', async () => {
    const delta = await startNode(lan.hosts[2]!, { name: 'Delta' });
    const d = await delta.state();
    await beta.waitForState((s) => s.peers.some((p) => p.identity === d.self.identity), 3000, 'beta to list delta');
    await delta.stop('SIGKILL');
    const gone = await beta.waitForState((s) => !s.peers.some((p) => p.identity === d.self.identity), 30_000, 'delta gone after SIGKILL');
    assert.ok(gone.elapsedMs <= 30_000);
  });
});
