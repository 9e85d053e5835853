// Issue 2, point 3: Disabled sends goodbyes, then nothing at all; Everyone is back at once; the
// mode survives a restart. Contacts only (issue 5) hides the node from a non-contact at once; its
// own tests are in contactsOnly.test.ts.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isRoot, Lan, type Host } from '../support/lan.js';
import { startNode, sleep, type NearbyProcess } from '../support/nearby.js';
import type { NodeState } from '../../src-shared/contract.js';

const skip = isRoot() ? false : 'needs root to create network namespaces';
const SILENCE_MS = 30_000;

async function macOf(host: Host, iface = 'eth0'): Promise<string> {
  const r = await host.run('cat', [`/sys/class/net/${iface}/address`]);
  return r.stdout.trim().toLowerCase();
}

describe('discovery modes', { skip }, () => {
  let lan: Lan;
  let subject: NearbyProcess;
  let observer: NearbyProcess;
  let identity: string;

  before(async () => {
    lan = await Lan.create({ hosts: 2 });
    [subject, observer] = await Promise.all([
      startNode(lan.hosts[0]!, { name: 'Subject' }),
      startNode(lan.hosts[1]!, { name: 'Observer' }),
    ]);
    identity = await subject.identity();
    await observer.waitForState((s) => s.peers.some((p) => p.identity === identity), 3000, 'observer to list subject');
    // And the other way round: the first test checks that a Contacts only node keeps listing others.
    await subject.waitForState((s) => s.peers.some((p) => p.name === 'Observer'), 3000, 'subject to list observer');
  });
  after(async () => {
    await Promise.allSettled([subject?.stop('SIGKILL'), observer?.stop('SIGKILL')]);
    await lan?.destroy();
  });

  test('Contacts only: a non-contact stops listing the node within 3 s and sees only a private device; Everyone brings it back', async () => {
    const r = await subject.command<NodeState>('setMode', { mode: 'contacts-only' });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.mode, 'contacts-only');
    assert.equal(r.body.everyoneUntil, null);
    const gone = await observer.waitForState((s) => !s.peers.some((p) => p.identity === identity || p.name === 'Subject'), 3000, 'subject hidden');
    // Goodbyes are confirmed by direct questions and the stranger's link is closed: ~0.5-1 s
    // measured alone; the bound leaves room for a loaded CI machine.
    assert.ok(gone.elapsedMs <= 3000);
    await observer.waitForState((s) => s.privateDevices === 1 && s.peers.length === 0, 3000, 'one private device, no device listed');
    assert.ok((await subject.state()).peers.some((p) => p.name === 'Observer'), 'a Contacts only node still lists the others');
    assert.equal((await subject.command('setMode', { mode: 'everyone' })).status, 200);
    await observer.waitForState((s) => s.peers.some((p) => p.identity === identity), 2000, 'subject back');
  });

  test('Disabled: peers see the node leave within 1 s, then it sends nothing for 30 s', async () => {
    const mac = await macOf(lan.hosts[0]!);
    const capture = await lan.capture('udp');
    const r = await subject.command<NodeState>('setMode', { mode: 'disabled' });
    assert.equal(r.status, 200);
    assert.equal(r.body.mode, 'disabled');
    assert.deepEqual(r.body.peers, [], 'a disabled node shows nobody');
    assert.match(r.body.discoveryNote ?? '', /Discovery is off/);
    const gone = await observer.waitForState((s) => !s.peers.some((p) => p.identity === identity), 1000, 'subject gone');
    assert.ok(gone.elapsedMs <= 1000);
    const quietFrom = Date.now();
    await sleep(SILENCE_MS);
    const packets = await capture.stop();
    const fromSubject = packets.filter((p) => p.srcMac === mac);
    const duringSilence = fromSubject.filter((p) => p.time >= quietFrom);
    // The capture works and caught the goodbye: packets from the subject before the silence.
    assert.ok(fromSubject.length > 0, 'the capture saw the goodbye from the subject');
    assert.equal(duringSilence.length, 0, `packets from the disabled node: ${JSON.stringify(duringSilence.map((p) => [p.dst, p.dstPort]))}`);
  });

  test('back to Everyone: visible again within 2 s', async () => {
    const r = await subject.command<NodeState>('setMode', { mode: 'everyone' });
    assert.equal(r.status, 200);
    const back = await observer.waitForState((s) => s.peers.some((p) => p.identity === identity), 2000, 'subject back');
    assert.ok(back.elapsedMs <= 2000);
    await subject.waitForState((s) => s.peers.length === 1, 2000, 'subject to list the observer again');
  });

  test('the mode survives a restart', async () => {
    assert.equal((await subject.command('setMode', { mode: 'disabled' })).status, 200);
    assert.deepEqual(await subject.stop('SIGTERM'), { code: 0, signal: null });
    const capture = await lan.capture('udp port 5353');
    subject = await startNode(lan.hosts[0]!, { dataDir: subject.dataDir });
    const s = await subject.state();
    assert.equal(s.mode, 'disabled');
    assert.equal(s.self.identity, identity, 'same identity after restart');
    await sleep(2000);
    const mac = await macOf(lan.hosts[0]!);
    const packets = await capture.stop();
    assert.equal(packets.filter((p) => p.srcMac === mac).length, 0, 'a node restarted in Disabled sends no mDNS');
    assert.ok(!(await observer.state()).peers.some((p) => p.identity === identity));
    assert.equal((await subject.command('setMode', { mode: 'everyone' })).status, 200);
    await observer.waitForState((st) => st.peers.some((p) => p.identity === identity), 2000, 'subject visible after mode change');
  });
});
