// Issue 9: links are for relationships. Two contacts keep a standing link, kept alive at a pace fit
// for an idle laptop (a ping after 30 s of quiet); a stranger on the same LAN gets none; a crashed
// contact is noticed at once through its link. Nobody looks at either node during the quiet window
// (a GET /api/state would be a look): the capture on the bridge tells what they send.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { PairingSessionState } from '../../src-shared/pairing.js';
import { isRoot, Lan, type CapturedPacket } from '../support/lan.js';
import { sleep, startNode, type NearbyProcess } from '../support/nearby.js';

const skip = isRoot() ? false : 'needs root to create network namespaces';
const STEP_TIMEOUT_MS = 15_000;
/** Longer than the 30 s keepalive interval at rest: at least one ping goes by. */
const QUIET_WINDOW_MS = 40_000;

const SYN = 0x02;
const between = (p: CapturedPacket, x: string, y: string) => (p.src === x && p.dst === y) || (p.src === y && p.dst === x);

describe('standing links follow relationships', { skip, timeout: 120_000 }, () => {
  let lan: Lan;
  let a: NearbyProcess;
  let b: NearbyProcess;
  let stranger: NearbyProcess;

  before(async () => {
    lan = await Lan.create({ hosts: 3, ipv6Dad: false });
    [a, b, stranger] = await Promise.all([startNode(lan.hosts[0]!, { name: 'Laptop' }), startNode(lan.hosts[1]!, { name: 'Desktop' }), startNode(lan.hosts[2]!, { name: 'Stranger' })]);
    // A and B pair through the API.
    const idB = b.printedIdentity;
    const { state } = await a.waitForState((s) => s.peers.some((p) => p.identity === idB), STEP_TIMEOUT_MS, 'B listed');
    const started = await a.command<PairingSessionState>('startPairing', { peerId: state.peers.find((p) => p.identity === idB)!.id });
    assert.equal(started.status, 200, JSON.stringify(started.body));
    const sessionOf = async (node: NearbyProcess) =>
      (await node.waitForState((s) => s.pairing.some((p) => p.code !== null), STEP_TIMEOUT_MS, 'the code')).state.pairing.find((p) => p.code !== null)!;
    const [atA, atB] = await Promise.all([sessionOf(a), sessionOf(b)]);
    await Promise.all([a.command('confirmPairing', { sessionId: atA.id }), b.command('confirmPairing', { sessionId: atB.id })]);
    await Promise.all([a, b].map((n) => n.waitForState((s) => s.contacts.length === 1, STEP_TIMEOUT_MS, 'the contact stored')));
  });
  after(async () => {
    await Promise.allSettled([a, b, stranger].map((n) => n?.stop('SIGKILL')));
    await lan?.destroy();
  });

  test(`nobody looking for ${QUIET_WINDOW_MS / 1000} s: the contacts' one link stays up on a 30 s keepalive; the stranger gets no link`, async () => {
    const [ipA, ipB, ipS] = lan.hosts.map((h) => h.ipv4!);
    await sleep(16_000); // past the 15 s look that the API calls above were
    const capture = await lan.capture('tcp');
    await sleep(QUIET_WINDOW_MS);
    const packets = await capture.stop();
    const link = packets.filter((p) => between(p, ipA!, ipB!));
    const stranger = packets.filter((p) => p.src === ipS || p.dst === ipS);
    process.stdout.write(`# ${QUIET_WINDOW_MS / 1000} s, nobody looking: ${link.length} TCP packets between the contacts, ${stranger.length} to or from the stranger\n`);
    assert.equal(link.filter((p) => (p.tcpFlags & SYN) !== 0).length, 0, 'no new connection: the link stood');
    assert.ok(link.length >= 2, `the keepalive went by (${link.length} packets)`);
    assert.ok(link.length <= 12, `${link.length} packets in ${QUIET_WINDOW_MS / 1000} s: a ping, a pong and their ACKs once or twice`);
    assert.equal(stranger.length, 0, 'no link, no verification while nobody looks');
  });

  test('a contact that crashes is gone from the other at once: its link resets', async () => {
    const idB = b.printedIdentity;
    await a.waitForState((s) => s.peers.some((p) => p.identity === idB && p.verified), STEP_TIMEOUT_MS, 'B listed, verified');
    await b.stop('SIGKILL');
    const gone = await a.waitForState((s) => !s.peers.some((p) => p.identity === idB), 5000, 'B gone');
    process.stdout.write(`# SIGKILLed contact gone after ${gone.elapsedMs} ms\n`);
  });
});
