// Interop both ways with independent mDNS stacks (DESIGN §6): avahi and python-zeroconf find our
// node with every field of its record, and our node (and `sd-nearby browse`) finds services they
// publish with the spellings of Spacedrive 0.4 peers; departures are followed: goodbyes within
// ~2 s, a crash within 30 s, and a live peer is never dropped (they answer our direct questions).
// Real processes inside namespaces this test creates; one LAN, the independent parts in parallel.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isRoot, Lan, type Host } from '../support/lan.js';
import { startAvahi, type Avahi } from '../support/avahi.js';
import { startZeroconfPublisher, zeroconfBrowse, type ZeroconfPublisher } from '../support/zeroconf.js';
import { browseJson, REPO_ROOT, sleep, startNode, type NearbyProcess } from '../support/nearby.js';
import { detectDeviceModel } from '../../src-main/core/deviceModel.js';
import type { NodeState } from '../../src-shared/contract.js';
import type { Peer } from '../../src-shared/peer.js';

const skip = isRoot() ? false : 'needs root to create network namespaces';
const TYPE = '_sd._udp';

/** A valid remote identity: 32 random bytes, standard base64 without padding (43 characters). */
function randomIdentity(): string {
  return randomBytes(32).toString('base64').replace(/=+$/, '');
}

/**
 * Asks `target`:5353 the node's own direct question (the product's encodeQuery: an SRV question
 * with the QU bit, from an ephemeral port, i.e. legacy unicast) and returns the SRV answers.
 */
async function directSrvQuestion(from: Host, target: string, identity: string): Promise<Array<{ name: string; ttl: number; port: number }>> {
  const dnsMessage = pathToFileURL(join(REPO_ROOT, 'dist/src-main/core/discovery/dnsMessage.js')).href;
  const script = `
    import { createSocket } from 'node:dgram';
    const { encodeQuery, decodeMessage } = await import(${JSON.stringify(dnsMessage)});
    const [target, name] = process.argv.slice(1);
    const socket = createSocket('udp4');
    const timer = setTimeout(() => { console.log('[]'); socket.close(); }, 1500);
    socket.on('message', (buf) => {
      const msg = decodeMessage(buf);
      const srv = (msg?.records ?? []).filter((r) => r.type === 'SRV').map((r) => ({ name: r.name, ttl: r.ttl, port: r.data.port }));
      if (!msg?.isResponse || srv.length === 0) return;
      clearTimeout(timer);
      console.log(JSON.stringify(srv));
      socket.close();
    });
    socket.bind(0, () => socket.send(encodeQuery([{ name, type: 'SRV', unicastResponse: true }]), 5353, target));
  `;
  const r = await from.run(process.execPath, ['--input-type=module', '-e', script, target, `${identity}._sd._udp.local`], { timeoutMs: 10_000 });
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout.trim()) as Array<{ name: string; ttl: number; port: number }>;
}

describe('interop with avahi and python-zeroconf', { skip }, () => {
  let lan: Lan;
  let nodeHost: Host; // h1: our node
  let avahiHost: Host; // h2: avahi-daemon (browses our node, publishes "Avahi Mac")
  let zcHost: Host; // h3: python-zeroconf publishing "Zeroconf PC"
  let zcEmptyHost: Host; // h4: python-zeroconf publishing an empty name (SIGKILLed later)
  let browserHost: Host; // h5: zeroconf browser and `sd-nearby browse`, no other mDNS stack
  let node: NearbyProcess;
  let self: NodeState;
  let avahi: Avahi;
  let avahiPublish: ChildProcess;
  let zcPc: ZeroconfPublisher;
  let zcEmpty: ZeroconfPublisher;

  const avahiPeer = { identity: randomIdentity(), uuid: randomUUID(), port: 7101 };
  const zcPeer = { identity: randomIdentity(), uuid: randomUUID(), port: 7102 };
  const zcEmptyPeer = { identity: randomIdentity(), port: 7103 };

  /** When the node first listed all three third-party peers, complete. */
  let discoveredAt = 0;
  /** Background watch over the node's list: every moment a live peer was missing. */
  const absences: string[] = [];
  let watching = true;
  let watcher: Promise<void> = Promise.resolve();

  const complete = (p: Peer | undefined, port: number) => !!p && p.port === port && p.addresses.length > 0 && p.name !== '' && p.operatingSystem !== 'other';
  const peerOf = (s: NodeState, identity: string) => s.peers.find((p) => p.identity === identity);

  before(async () => {
    lan = await Lan.create({ hosts: 5, ipv6Dad: false });
    [nodeHost, avahiHost, zcHost, zcEmptyHost, browserHost] = lan.hosts as [Host, Host, Host, Host, Host];
    [node, avahi, zcPc, zcEmpty] = await Promise.all([
      startNode(nodeHost, { name: 'Interop node', libraries: ['Photos'] }),
      startAvahi(avahiHost),
      startZeroconfPublisher(zcHost, {
        instance: zcPeer.identity,
        port: zcPeer.port,
        txt: {
          name: 'Zeroconf PC',
          operating_system: 'Windows',
          device_model: 'desktop',
          version: '0.4.2',
          [zcPeer.uuid]: zcPeer.identity,
        },
      }),
      startZeroconfPublisher(zcEmptyHost, {
        instance: zcEmptyPeer.identity,
        port: zcEmptyPeer.port,
        txt: { name: '', operating_system: 'linux' },
      }),
    ]);
    // Spacedrive 0.4 spellings: `os=MacOS` only, no version, a model without its space.
    avahiPublish = await avahi.publish(avahiPeer.identity, TYPE, avahiPeer.port, [
      'name=Avahi Mac',
      'os=MacOS',
      'device_model=MacBookPro',
      `${avahiPeer.uuid}=${avahiPeer.identity}`,
    ]);
    self = await node.state();
    await node.waitForState(
      (s) =>
        complete(peerOf(s, avahiPeer.identity), avahiPeer.port) &&
        complete(peerOf(s, zcPeer.identity), zcPeer.port) &&
        complete(peerOf(s, zcEmptyPeer.identity), zcEmptyPeer.port),
      10_000,
      'the node to list the avahi and zeroconf peers',
    );
    discoveredAt = Date.now();
    // From discovery on, the two live peers must never leave the list (checked by a test below).
    watcher = (async () => {
      while (watching) {
        const s = await node.state().catch(() => null);
        if (s && watching) {
          for (const [what, id] of [['avahi', avahiPeer.identity], ['zeroconf', zcPeer.identity]] as const) {
            if (!peerOf(s, id)) absences.push(`${what} peer missing ${((Date.now() - discoveredAt) / 1000).toFixed(1)} s after discovery`);
          }
        }
        await sleep(200);
      }
    })();
  });

  after(async () => {
    watching = false;
    await watcher;
    await Promise.allSettled([node?.stop('SIGKILL'), zcPc?.stop(), zcEmpty?.stop(), avahi?.stop()]);
    await lan?.destroy();
  });

  /** Our node's TXT record as it should be: every key, nothing else. */
  function expectedTxt(): Record<string, string> {
    const libs = self.libraries.filter((l) => l.active);
    assert.equal(libs.length, 1, 'the node has its one library (Photos) active');
    const txt: Record<string, string> = {
      name: 'Interop node',
      operating_system: 'linux',
      os: 'Linux',
      version: self.self.version,
      [libs[0]!.uuid]: self.self.identity,
    };
    // Every advertisement carries a model, as the original's do: what this machine's hardware tells
    // (the node runs on it, in a namespace), `Other` when it tells nothing (no DMI here).
    txt['device_model'] = detectDeviceModel(process.platform);
    return txt;
  }

  test('avahi-browse resolves our node: instance = identity, every TXT key, port, IPv4 address', async () => {
    const id = self.self.identity;
    const found = await avahi.browse(TYPE, 8000, { until: (s) => s.some((x) => x.name === id && x.protocol === 'IPv4') });
    const v4 = found.find((x) => x.name === id && x.protocol === 'IPv4');
    assert.ok(v4, `avahi did not resolve our node over IPv4; got ${JSON.stringify(found)}`);
    assert.equal(v4.port, self.self.port);
    assert.equal(v4.address, nodeHost.ipv4);
    assert.equal(v4.hostname, self.self.hostname);
    const txt = Object.entries(expectedTxt()).map(([k, v]) => `${k}=${v}`);
    assert.deepEqual([...v4.txt].sort(), txt.sort());
  });

  test('python-zeroconf resolves our node: instance = identity, every TXT key, port, IPv4 address', async () => {
    const id = self.self.identity;
    const found = await zeroconfBrowse(browserHost, TYPE, 8000, { expect: [id] });
    const svc = found.find((x) => x.name === id);
    assert.ok(svc, `zeroconf did not resolve our node; got ${JSON.stringify(found)}`);
    assert.equal(svc.port, self.self.port);
    assert.ok(svc.addresses.includes(nodeHost.ipv4!), `addresses ${svc.addresses.join(', ')} lack ${nodeHost.ipv4}`);
    assert.equal(svc.server, `${self.self.hostname}.`);
    assert.deepEqual(svc.txt, expectedTxt());
  });

  // One `sd-nearby browse` run serves the avahi and the zeroconf checks.
  let browsed: Promise<Peer[]> | null = null;
  const browseOnce = () => (browsed ??= browseJson(browserHost, 2));

  function assertAvahiMac(p: Peer | undefined, where: string): void {
    assert.ok(p, `${where}: the avahi-published peer is listed`);
    assert.equal(p.name, 'Avahi Mac');
    assert.equal(p.operatingSystem, 'macos');
    assert.equal(p.deviceModel, 'MacBook Pro');
    assert.equal(p.version, null);
    assert.deepEqual(p.libraries, [{ uuid: avahiPeer.uuid, identity: avahiPeer.identity }]);
    assert.equal(p.port, avahiPeer.port);
    assert.ok(p.addresses.includes(avahiHost.ipv4!), `${where}: addresses ${p.addresses.join(', ')} lack ${avahiHost.ipv4}`);
    assert.equal(p.verified, false);
  }

  function assertZeroconfPc(p: Peer | undefined, where: string): void {
    assert.ok(p, `${where}: the zeroconf-published peer is listed`);
    assert.equal(p.name, 'Zeroconf PC');
    assert.equal(p.operatingSystem, 'windows');
    assert.equal(p.deviceModel, 'Desktop');
    assert.equal(p.version, '0.4.2');
    assert.deepEqual(p.libraries, [{ uuid: zcPeer.uuid, identity: zcPeer.identity }]);
    assert.equal(p.port, zcPeer.port);
    assert.ok(p.addresses.includes(zcHost.ipv4!), `${where}: addresses ${p.addresses.join(', ')} lack ${zcHost.ipv4}`);
  }

  function assertEmptyName(p: Peer | undefined, where: string): void {
    assert.ok(p, `${where}: the zeroconf peer with an empty name is listed`);
    assert.equal(p.name, zcEmptyPeer.identity.slice(0, 8), 'an empty name falls back to the short identity');
    assert.equal(p.operatingSystem, 'linux');
    assert.equal(p.port, zcEmptyPeer.port);
    assert.ok(p.addresses.includes(zcEmptyHost.ipv4!), `${where}: addresses ${p.addresses.join(', ')} lack ${zcEmptyHost.ipv4}`);
  }

  test('browse --json and the node list the avahi-published Spacedrive 0.4 service', async () => {
    const peers = await browseOnce();
    assertAvahiMac(peers.find((p) => p.identity === avahiPeer.identity), 'browse --json');
    const s = await node.state();
    assertAvahiMac(peerOf(s, avahiPeer.identity), 'node state');
    assert.ok(!s.peers.some((p) => p.identity === s.self.identity), 'the node never lists itself');
  });

  test('browse --json and the node list the zeroconf services (odd-case OS, lowercase model, empty name)', async () => {
    const peers = await browseOnce();
    assertZeroconfPc(peers.find((p) => p.identity === zcPeer.identity), 'browse --json');
    assertEmptyName(peers.find((p) => p.identity === zcEmptyPeer.identity), 'browse --json');
    assert.equal(peers.length, 4, `browse lists the node, avahi and two zeroconf peers: ${JSON.stringify(peers.map((p) => p.name))}`);
    const s = await node.state();
    assertZeroconfPc(peerOf(s, zcPeer.identity), 'node state');
    assertEmptyName(peerOf(s, zcEmptyPeer.identity), 'node state');
  });

  test('avahi and python-zeroconf answer the direct (legacy unicast) SRV question the node checks peers with', async () => {
    const [a, z] = await Promise.all([
      directSrvQuestion(browserHost, avahiHost.ipv4!, avahiPeer.identity),
      directSrvQuestion(browserHost, zcHost.ipv4!, zcPeer.identity),
    ]);
    assert.equal(a.length, 1, `avahi answered: ${JSON.stringify(a)}`);
    assert.equal(a[0]!.port, avahiPeer.port);
    assert.ok(a[0]!.ttl > 0);
    assert.equal(z.length, 1, `zeroconf answered: ${JSON.stringify(z)}`);
    assert.equal(z[0]!.port, zcPeer.port);
    assert.ok(z[0]!.ttl > 0); // python-zeroconf 0.47 answers with the full TTL (120 s), not the capped 10 s: harmless here
  });

  test('a SIGKILLed zeroconf publisher (no goodbye) is dropped within 30 s', async (t) => {
    zcEmpty.process.kill('SIGKILL');
    const gone = await node.waitForState((s) => !peerOf(s, zcEmptyPeer.identity), 30_000, 'the killed zeroconf peer to be dropped');
    assert.ok(gone.elapsedMs <= 30_000);
    t.diagnostic(`killed zeroconf peer dropped after ${gone.elapsedMs} ms`);
  });

  test('live avahi and zeroconf peers are still listed 25 s after discovery (they answer direct questions)', async () => {
    const until = discoveredAt + 25_000;
    while (Date.now() < until && absences.length === 0) await sleep(Math.min(250, until - Date.now()));
    watching = false;
    await watcher;
    assert.deepEqual(absences, [], 'a live peer was dropped');
    const s = await node.state();
    const a = peerOf(s, avahiPeer.identity);
    const z = peerOf(s, zcPeer.identity);
    assertAvahiMac(a, 'node state after 25 s');
    assertZeroconfPc(z, 'node state after 25 s');
    // Kept by answers heard since discovery, not by a long TTL: lastSeen has moved on.
    for (const p of [a!, z!]) {
      assert.ok(Date.parse(p.lastSeen) > discoveredAt + 5000, `${p.name} last seen ${p.lastSeen}: no answer heard since discovery`);
    }
  });

  test('stopped avahi and zeroconf publishers (goodbyes) are dropped within 2 s', async (t) => {
    avahiPublish.kill('SIGTERM'); // avahi-daemon withdraws the service: goodbye packets
    const zcStopped = zcPc.stop(); // unregister_service: goodbye packets
    const [a, z] = await Promise.all([
      node.waitForState((s) => !peerOf(s, avahiPeer.identity), 2000, 'the avahi peer to be dropped after its goodbye'),
      node.waitForState((s) => !peerOf(s, zcPeer.identity), 2000, 'the zeroconf peer to be dropped after its goodbye'),
    ]);
    await zcStopped;
    t.diagnostic(`goodbyes: avahi dropped after ${a.elapsedMs} ms, zeroconf after ${z.elapsedMs} ms`);
    assert.deepEqual((await node.state()).peers, [], 'nothing left in the list');
  });
});
