// Issue 11, point 6: "Verified" says nothing about the name. A stranger links to the node with a
// key of its own and a hello that copies a contact's name, OS, model and library uuids (all public
// in TXT), then asks to pair. Before the fix the list showed two identical "Bob" rows, both
// Verified, and the request read "Bob wants to pair". Now /api/state marks the real contact as a
// contact under the name stored at pairing, with its fingerprint, and flags the stranger's row and
// its pairing request as a lookalike of that contact; also after the contact renames itself.
//
// LAN: h1 the node (A), h2 its contact Bob (B), h3 the stranger.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { NodeState } from '../../src-shared/contract.js';
import { identityFingerprint } from '../../src-shared/identity.js';
import type { PairingSessionState } from '../../src-shared/pairing.js';
import type { Peer } from '../../src-shared/peer.js';
import { isRoot, Lan } from '../support/lan.js';
import { startImpostor, type Impostor } from '../support/linkAttack.js';
import { startNode, type NearbyProcess } from '../support/nearby.js';

const skip = isRoot() ? false : 'needs root to create network namespaces';
const STEP_TIMEOUT_MS = 15_000;

describe('a stranger that uses a contact’s name', { skip }, () => {
  let lan: Lan;
  let a: NearbyProcess;
  let b: NearbyProcess;
  let impostor: Impostor | undefined;
  let idA: string;
  let idB: string;

  before(async () => {
    lan = await Lan.create({ hosts: 3, ipv6Dad: false });
    [a, b] = await Promise.all([
      startNode(lan.hosts[0]!, { name: 'Desk' }),
      startNode(lan.hosts[1]!, { name: 'Bob', libraries: ['Photos'], env: { SD_NEARBY_DEVICE_MODEL: 'MacBook Pro' } }),
    ]);
    [idA, idB] = await Promise.all([a.identity(), b.identity()]);
    // A and Bob pair, the way users do.
    await a.waitForState((s) => s.peers.some((p) => p.identity === idB && p.verified), STEP_TIMEOUT_MS, 'Bob verified on A');
    const started = await a.command<PairingSessionState>('startPairing', { peerId: idB });
    assert.equal(started.status, 200, JSON.stringify(started.body));
    const { state: sa } = await a.waitForState((s) => s.pairing.some((p) => p.code !== null), STEP_TIMEOUT_MS, 'the code on A');
    const { state: sb } = await b.waitForState((s) => s.pairing.some((p) => p.code !== null), STEP_TIMEOUT_MS, 'the code on Bob');
    await a.command('confirmPairing', { sessionId: sa.pairing[0]!.id });
    await b.command('confirmPairing', { sessionId: sb.pairing[0]!.id });
    await a.waitForState((s) => s.contacts.some((c) => c.identity === idB), STEP_TIMEOUT_MS, 'Bob in A’s contacts');
  });
  after(async () => {
    impostor?.stop();
    await Promise.allSettled([a?.stop('SIGKILL'), b?.stop('SIGKILL')]);
    await lan?.destroy();
  });

  const rowsNamed = (s: NodeState, name: string): Peer[] => s.peers.filter((p) => p.name === name);

  test('the contact is marked with its stored name and fingerprint; the stranger’s row and its request are flagged', async () => {
    const bobOnA = (await a.state()).peers.find((p) => p.identity === idB)!;
    impostor = await startImpostor(lan.hosts[2]!, 'Bob', 0, {
      dial: { host: lan.hosts[0]!.ipv4!, port: (await a.state()).self.port },
      metadata: { operatingSystem: bobOnA.operatingSystem, deviceModel: bobOnA.deviceModel, libraries: bobOnA.libraries.map((l) => ({ ...l })) },
      pair: true,
    });
    const { state } = await a.waitForState(
      (s) => rowsNamed(s, 'Bob').length === 2 && s.pairing.some((p) => p.peerIdentity !== idB && p.direction === 'incoming' && p.code !== null),
      STEP_TIMEOUT_MS,
      'two rows named Bob on A and the stranger’s request',
    ).catch((err: Error) => {
      throw new Error(`${err.message}\nthe stranger said:\n${impostor?.output()}`);
    });
    const fingerprintB = identityFingerprint(idB)!;
    const real = state.peers.find((p) => p.identity === idB)!;
    const stranger = rowsNamed(state, 'Bob').find((p) => p.identity !== idB)!;
    // Both verified (each proved its own key), but only one is the contact.
    assert.deepEqual([real.verified, stranger.verified], [true, true]);
    assert.equal(stranger.operatingSystem, real.operatingSystem);
    assert.deepEqual(real.contact, { name: 'Bob', fingerprint: fingerprintB });
    assert.equal(real.lookalikeOf, undefined);
    assert.equal(stranger.contact, undefined, 'the stranger is not marked as a contact');
    assert.deepEqual(stranger.lookalikeOf, { name: 'Bob', fingerprint: fingerprintB });
    assert.notEqual(identityFingerprint(stranger.identity!), fingerprintB);
    const request = state.pairing.find((p) => p.peerIdentity === stranger.identity)!;
    assert.equal(request.peerName, 'Bob');
    assert.equal(request.contact, undefined);
    assert.deepEqual(request.lookalikeOf, { name: 'Bob', fingerprint: fingerprintB }, 'its pairing request is flagged');

    // Bob renames itself: it is still the contact under the stored name; the stranger is still flagged.
    assert.equal((await b.command('setName', { name: 'Robert' })).status, 200);
    const { state: later } = await a.waitForState((s) => s.peers.some((p) => p.identity === idB && p.name === 'Robert'), STEP_TIMEOUT_MS, 'Bob’s new name on A');
    const renamed = later.peers.find((p) => p.identity === idB)!;
    assert.deepEqual(renamed.contact, { name: 'Bob', fingerprint: fingerprintB });
    assert.deepEqual(later.peers.find((p) => p.identity === stranger.identity)?.lookalikeOf, { name: 'Bob', fingerprint: fingerprintB });
    assert.ok(!later.peers.some((p) => p.identity !== idB && p.contact !== undefined), 'no one else is marked as a contact');
    void idA;
  });
});
