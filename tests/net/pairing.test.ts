// Issue 4, point 3: pairing through the API on two nodes of a namespace LAN, over their real TLS
// link. Both show the same code; after both confirm each is in the other's contacts, also after
// restarts; a reject and a timeout leave no contact; a relay in the middle (its own identity, the
// target's name) makes the two sides show different codes.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { NodeState } from '../../src-shared/contract.js';
import type { PairingSessionState } from '../../src-shared/pairing.js';
import { isRoot, Lan } from '../support/lan.js';
import { sendMdns } from '../support/mdnsInjector.js';
import { REPO_ROOT, startNode, type NearbyProcess } from '../support/nearby.js';

const skip = isRoot() ? false : 'needs root to create network namespaces';
const STEP_TIMEOUT_MS = 15_000;
/** Short enough for the timeout test, long enough for the API calls of a normal pairing. */
const PAIRING_TIMEOUT_MS = 4_000;
const env = { SD_NEARBY_PAIRING_TIMEOUT_MS: String(PAIRING_TIMEOUT_MS) };

describe('pairing over the link, through the API', { skip }, () => {
  let lan: Lan;
  let a: NearbyProcess;
  let b: NearbyProcess;
  let idA: string;
  let idB: string;
  let relay: ChildProcess | undefined;

  const start = (i: 0 | 1, name: string, dataDir?: string) => startNode(lan.hosts[i]!, { name, env, ...(dataDir ? { dataDir } : {}) });
  /** Waits until `node` lists the other as verified (its link is up); returns the peer's list id. */
  const verifiedPeer = async (node: NearbyProcess, identity: string): Promise<string> => {
    const { state } = await node.waitForState((s) => s.peers.some((p) => p.identity === identity && p.verified), STEP_TIMEOUT_MS, `a verified link to ${identity.slice(0, 8)}`);
    return state.peers.find((p) => p.identity === identity && p.verified)!.id;
  };
  const sessionWith = (s: NodeState, identity: string): PairingSessionState | undefined => s.pairing.filter((p) => p.peerIdentity === identity).at(-1);
  const waitSession = async (node: NearbyProcess, identity: string, predicate: (p: PairingSessionState) => boolean, what: string): Promise<PairingSessionState> => {
    const { state } = await node.waitForState((s) => {
      const p = sessionWith(s, identity);
      return p !== undefined && predicate(p);
    }, STEP_TIMEOUT_MS, what);
    return sessionWith(state, identity)!;
  };
  const startPairing = async (from: NearbyProcess, toIdentity: string): Promise<PairingSessionState> => {
    const peerId = await verifiedPeer(from, toIdentity);
    const r = await from.command<PairingSessionState>('startPairing', { peerId });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body;
  };
  const contactsOf = async (node: NearbyProcess) => (await node.state()).contacts.map((c) => c.identity);

  before(async () => {
    lan = await Lan.create({ hosts: 3, ipv6Dad: false });
    [a, b] = await Promise.all([start(0, 'Study laptop'), start(1, 'Living room NAS')]);
    [idA, idB] = await Promise.all([a.identity(), b.identity()]);
  });
  after(async () => {
    relay?.kill('SIGKILL');
    await Promise.allSettled([a?.stop('SIGKILL'), b?.stop('SIGKILL')]);
    await lan?.destroy();
  });

  test('both show the same code; after both confirm each is in the other’s contacts, and stays so after restarts', async () => {
    const started = await startPairing(a, idB);
    assert.deepEqual([started.direction, started.stage, started.code], ['outgoing', 'waiting-for-peer', null]);
    const atA = await waitSession(a, idB, (p) => p.code !== null, 'the code on A');
    const atB = await waitSession(b, idA, (p) => p.code !== null, 'the code on B');
    assert.match(atA.code!, /^\d{6}$/);
    assert.equal(atA.code, atB.code, 'the same code on both screens');
    assert.deepEqual([atB.direction, atB.peerName, atA.peerName], ['incoming', 'Study laptop', 'Living room NAS']);

    assert.equal((await a.command('confirmPairing', { sessionId: atA.id })).status, 200);
    await waitSession(b, idA, (p) => p.peerConfirmed, 'B sees that A confirmed');
    assert.deepEqual(await contactsOf(b), [], 'one confirmation adds no one');
    assert.equal((await b.command('confirmPairing', { sessionId: atB.id })).status, 200);
    await a.waitForState((s) => s.contacts.some((c) => c.identity === idB), STEP_TIMEOUT_MS, 'B in A’s contacts');
    await b.waitForState((s) => s.contacts.some((c) => c.identity === idA), STEP_TIMEOUT_MS, 'A in B’s contacts');
    assert.equal((await a.state()).contacts[0]?.name, 'Living room NAS');
    assert.equal(sessionWith(await a.state(), idB)?.stage, 'done');

    assert.deepEqual(await Promise.all([a.stop('SIGTERM'), b.stop('SIGTERM')]), [{ code: 0, signal: null }, { code: 0, signal: null }]);
    [a, b] = await Promise.all([start(0, 'Study laptop', a.dataDir), start(1, 'Living room NAS', b.dataDir)]);
    assert.deepEqual(await contactsOf(a), [idB], 'A still has B after a restart');
    assert.deepEqual(await contactsOf(b), [idA], 'B still has A after a restart');
  });

  test('a removed contact is gone; then a reject leaves no contact on either side', async () => {
    assert.equal((await a.command('removeContact', { identity: idB })).status, 200);
    assert.equal((await b.command('removeContact', { identity: idA })).status, 200);
    assert.deepEqual([await contactsOf(a), await contactsOf(b)], [[], []]);

    await startPairing(b, idA); // this time B asks: an incoming request on A
    const atA = await waitSession(a, idB, (p) => p.stage === 'confirm-code', 'the code on A');
    const atB = await waitSession(b, idA, (p) => p.code !== null, 'the code on B');
    assert.equal(atA.code, atB.code);
    assert.equal((await b.command('confirmPairing', { sessionId: atB.id })).status, 200);
    const rejected = await a.command<PairingSessionState>('rejectPairing', { sessionId: atA.id });
    assert.equal(rejected.body.stage, 'rejected');
    const told = await waitSession(b, idA, (p) => p.stage === 'rejected', 'B learns of the reject');
    assert.match(told.reason ?? '', /Study laptop ended the pairing: rejected by its user/);
    assert.deepEqual([await contactsOf(a), await contactsOf(b)], [[], []]);
    const late = await a.command<{ error: string }>('confirmPairing', { sessionId: atA.id });
    assert.equal(late.status, 409, JSON.stringify(late.body));
  });

  test('a request nobody confirms times out on both sides, with no contact', async () => {
    // The last session with each other ended (rejected), so a new one may start at once.
    await startPairing(a, idB);
    // The new request (listed on B once A revealed), not the one that ended before it.
    const atB = await waitSession(b, idA, (p) => p.stage === 'confirm-code', 'the code on B');
    assert.equal((await b.command('confirmPairing', { sessionId: atB.id })).status, 200); // A never answers
    const atA = await waitSession(a, idB, (p) => p.stage === 'timed-out', 'A times out');
    // Both timers run out within milliseconds of each other; whichever fires first tells the
    // other, so A shows its own message or B's, and either names the timeout.
    assert.match(atA.reason ?? '', /^(The pairing was not confirmed on both devices within 4 s\.|Living room NAS gave up waiting: the pairing timed out\.)$/);
    await waitSession(b, idA, (p) => p.stage === 'timed-out', 'B times out too');
    assert.deepEqual([await contactsOf(a), await contactsOf(b)], [[], []]);
  });

  test('a relaying man-in-the-middle: each side’s link proves the relay’s key, and the two sides show different codes', async () => {
    const portB = (await b.state()).self.port;
    const [ipB, ipM] = [lan.hosts[1]!.ipv4, lan.hosts[2]!.ipv4];
    assert.ok(ipB !== null && ipM !== null, 'the LAN has IPv4');
    relay = lan.hosts[2]!.spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'tests/support/pairingRelayMain.ts'), ipB, String(portB), 'Living room NAS'], { cwd: REPO_ROOT });
    let relayErr = '';
    relay.stderr?.setEncoding('utf8').on('data', (d: string) => (relayErr += d));
    const started = await new Promise<{ port: number; identity: string }>((resolve, reject) => {
      let out = '';
      relay!.stdout?.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0]!) as { port: number; identity: string });
      });
      relay!.on('exit', (code) => reject(new Error(`the relay exited with ${code}: ${relayErr}`)));
    });
    const idM = started.identity;
    const address = `${ipM}:${started.port}`;
    assert.equal((await a.command('addManualPeer', { address })).status, 200);
    await startPairing(a, idM); // A believes it pairs with "Living room NAS"
    const atA = await waitSession(a, idM, (p) => p.code !== null, 'the code on A');
    const atB = await waitSession(b, idM, (p) => p.code !== null, 'the code on B (the relayed request)');
    assert.equal(atA.peerName, 'Living room NAS', 'the relay took B’s name');
    assert.equal(atB.peerIdentity, idM, 'B sees the relay’s identity, not A’s');
    assert.notEqual(atA.code, atB.code, 'the users see different codes and reject');
    assert.match(relayErr, /relay pair-reveal/);
    await a.command('rejectPairing', { sessionId: atA.id });
    await waitSession(b, idM, (p) => p.stage === 'rejected', 'B learns of the reject through the relay');
    assert.deepEqual([await contactsOf(a), await contactsOf(b)], [[], []]);
    relay.kill('SIGTERM');
    assert.equal((await a.command('removeManualPeer', { address })).status, 200);
  });

  test('pairing with a listed device that has no verified link is refused, with the reason', async () => {
    // A device that claims an identity nobody can prove: listed, never verified.
    const claimed = 'Q'.repeat(42) + 'A';
    await sendMdns(lan.hosts[1]!, [{ kind: 'service', instance: claimed, hostname: 'nobody.local', port: 9, txt: ['name=Nobody', 'os=linux'] }]);
    const { state } = await a.waitForState((s) => s.peers.some((p) => p.identity === claimed), STEP_TIMEOUT_MS, 'the unverified device listed');
    const peer = state.peers.find((p) => p.identity === claimed)!;
    assert.equal(peer.verified, false);
    const r = await a.command<{ error: { message: string } }>('startPairing', { peerId: peer.id });
    assert.equal(r.status, 409, JSON.stringify(r.body));
    assert.match(JSON.stringify(r.body), /Nobody is not connected: a verified link is needed to pair/);
    assert.equal((await a.command('startPairing', { peerId: 'no-such-device' })).status, 404);
  });
});
