// Pairing (src-main/core/p2p/pairing.ts and pairingCode.ts) over in-memory PeerChannel pairs:
// the code both sides show, contacts on both confirmations only, the commitment, a relay in the
// middle, and a peer that breaks the protocol (it ends the session with a reason, never a crash).

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CommandError } from '../../src-shared/contract.js';
import type { PairingSessionState } from '../../src-shared/pairing.js';
import { ContactStore } from '../../src-main/core/storage/contacts.js';
import type { LinkMessage } from '../../src-main/core/p2p/messages.js';
import {
  PAIRING_INCOMING_PER_ADDRESS_MAX,
  PAIRING_INCOMING_PER_PREFIX_MAX,
  PAIRING_INCOMING_SESSIONS_MAX,
  PAIRING_REQUESTS_PER_PEER_MAX,
  PairingService,
  type PairingServiceOptions,
} from '../../src-main/core/p2p/pairing.js';
import {
  commitmentMatches,
  encodePairingBytes,
  newPairingNonce,
  pairingCode,
  pairingCommitment,
} from '../../src-main/core/p2p/pairingCode.js';
import { channelPair, identityFromSeed, settle, type MemoryChannel } from '../support/memoryChannel.js';

let root: string;
let counter = 0;
before(async () => {
  root = await fsp.mkdtemp(path.join(os.tmpdir(), 'sd-nearby-pairing-'));
});
after(async () => {
  await fsp.rm(root, { recursive: true, force: true });
});

const ALICE = identityFromSeed('alice');
const BOB = identityFromSeed('bob');
const MALLORY = identityFromSeed('mallory');
const NAMES: Record<string, string> = { [ALICE]: 'Alice laptop', [BOB]: 'Bob desktop', [MALLORY]: 'Mallory' };

interface Side {
  identity: string;
  dir: string;
  contacts: ContactStore;
  pairing: PairingService;
  logs: string[];
}

const services: PairingService[] = [];
after(() => {
  for (const s of services) s.close();
});

async function side(identity: string, opts: Partial<Pick<PairingServiceOptions, 'timeoutMs' | 'now' | 'revealDeadlineMs' | 'standing'>> = {}): Promise<Side> {
  const dir = path.join(root, `side${++counter}`);
  await fsp.mkdir(dir);
  const contacts = await ContactStore.load(dir);
  const logs: string[] = [];
  const pairing = new PairingService({ contacts, peerName: (id) => NAMES[id] ?? null, log: (m) => logs.push(m), ...opts });
  services.push(pairing);
  return { identity, dir, contacts, pairing, logs };
}

/** A link between two sides: `a` opened it; both services listen on their end. */
function link(a: Side, b: Side): [MemoryChannel, MemoryChannel] {
  const [ca, cb] = channelPair(a.identity, b.identity);
  a.pairing.attach(ca);
  b.pairing.attach(cb);
  return [ca, cb];
}

function only(s: Side): PairingSessionState {
  const list = s.pairing.list();
  assert.equal(list.length, 1, `one session: ${JSON.stringify(list)}`);
  return list[0]!;
}

async function until(what: string, predicate: () => boolean, timeoutMs = 2000): Promise<void> {
  const start = Date.now();
  const holds = () => {
    try {
      return predicate();
    } catch {
      return false; // not there yet
    }
  };
  while (!holds()) {
    if (Date.now() - start > timeoutMs) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** Starts pairing from `a` and waits until both sides show a code. */
async function toCodes(a: Side, b: Side, channel: MemoryChannel): Promise<[PairingSessionState, PairingSessionState]> {
  a.pairing.start(channel);
  await until('codes on both sides', () => only(a).code !== null && b.pairing.list()[0]?.code != null);
  return [only(a), only(b)];
}

/** The other end of a scripted peer: what the service under test sent to it. */
function sentBy(channel: MemoryChannel): LinkMessage[] {
  return channel.sent;
}

describe('the pairing code', () => {
  const nonceA = Buffer.alloc(32, 1);
  const nonceB = Buffer.alloc(32, 2);
  const inputs = { initiatorIdentity: ALICE, responderIdentity: BOB, initiatorNonce: nonceA, responderNonce: nonceB };

  test('six digits from SHA-256 over the length-prefixed prefix, identities and nonces', () => {
    const code = pairingCode(inputs);
    assert.match(code, /^\d{6}$/);
    const field = (b: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, b.length]), b]);
    const digest = createHash('sha256')
      .update(Buffer.concat([field(Buffer.from('sd-nearby pairing v1')), field(Buffer.from(ALICE)), field(Buffer.from(BOB)), field(nonceA), field(nonceB)]))
      .digest();
    assert.equal(code, String(digest.readUInt32BE(0) % 1_000_000).padStart(6, '0'));
    assert.equal(pairingCode({ ...inputs }), code, 'deterministic');
  });

  test('every input changes the code, and so does swapping roles', () => {
    const code = pairingCode(inputs);
    const variants = [
      { ...inputs, initiatorIdentity: MALLORY },
      { ...inputs, responderIdentity: MALLORY },
      { ...inputs, initiatorNonce: Buffer.alloc(32, 3) },
      { ...inputs, responderNonce: Buffer.alloc(32, 3) },
      { ...inputs, initiatorIdentity: BOB, responderIdentity: ALICE },
      { ...inputs, initiatorNonce: nonceB, responderNonce: nonceA },
    ];
    for (const v of variants) assert.notEqual(pairingCode(v), code);
  });

  test('codes are spread over all six digits (leading zeros kept)', () => {
    const codes = Array.from({ length: 2000 }, () => pairingCode({ ...inputs, initiatorNonce: newPairingNonce() }));
    assert.ok(codes.every((c) => /^\d{6}$/.test(c)));
    assert.ok(new Set(codes).size > 1990, 'nearly all different');
    assert.ok(codes.some((c) => c.startsWith('0')), 'some start with 0');
  });

  test('the commitment binds the nonce; nonces are 32 fresh bytes', () => {
    const nonce = newPairingNonce();
    assert.equal(nonce.length, 32);
    assert.notDeepEqual(newPairingNonce(), nonce);
    const commitment = pairingCommitment(nonce);
    assert.deepEqual(commitment, createHash('sha256').update('sd-nearby commit v1').update(nonce).digest());
    assert.ok(commitmentMatches(commitment, nonce));
    assert.ok(!commitmentMatches(commitment, newPairingNonce()));
    assert.ok(!commitmentMatches(commitment.subarray(0, 16), nonce));
    assert.match(encodePairingBytes(nonce), /^[A-Za-z0-9+/]{43}=$/, 'the wire form the message schema takes');
  });
});

describe('pairing between two devices', () => {
  test('both sides show the same code; after both confirm each has the other as a contact, also after a reload', async () => {
    const alice = await side(ALICE);
    const bob = await side(BOB);
    const [toBob] = link(alice, bob);
    const started = alice.pairing.start(toBob);
    assert.equal(started.stage, 'waiting-for-peer');
    assert.equal(started.code, null, 'no code before both nonces are known');
    assert.equal(started.direction, 'outgoing');
    await until('the request reaches Bob', () => bob.pairing.list().length === 1);
    await until('codes on both sides', () => only(alice).code !== null && only(bob).code !== null);
    const [a, b] = [only(alice), only(bob)];
    assert.equal(a.code, b.code);
    assert.deepEqual([a.peerIdentity, a.peerName, b.peerIdentity, b.peerName, b.direction], [BOB, 'Bob desktop', ALICE, 'Alice laptop', 'incoming']);
    assert.deepEqual([a.stage, b.stage], ['confirm-code', 'confirm-code']);

    assert.equal(alice.pairing.confirm(a.id).stage, 'waiting-for-peer-confirmation');
    await until('Bob sees that Alice confirmed', () => only(bob).peerConfirmed);
    assert.equal(bob.contacts.list().length, 0, 'no contact on one confirmation');
    assert.equal(alice.contacts.list().length, 0);
    bob.pairing.confirm(b.id);
    await until('both done with contacts', () => alice.contacts.has(BOB) && bob.contacts.has(ALICE) && only(alice).stage === 'done');
    assert.equal(only(bob).stage, 'done');
    assert.deepEqual(alice.contacts.list().map((c) => [c.identity, c.name]), [[BOB, 'Bob desktop']]);
    assert.deepEqual(bob.contacts.list().map((c) => [c.identity, c.name]), [[ALICE, 'Alice laptop']]);

    const aliceAgain = await ContactStore.load(alice.dir);
    const bobAgain = await ContactStore.load(bob.dir);
    assert.deepEqual(aliceAgain.list(), alice.contacts.list());
    assert.deepEqual(bobAgain.list(), bob.contacts.list());
  });

  test('a reject on either side leaves no contact on either', async () => {
    for (const rejecter of ['initiator', 'responder'] as const) {
      const alice = await side(ALICE);
      const bob = await side(BOB);
      const [toBob] = link(alice, bob);
      const [a, b] = await toCodes(alice, bob, toBob);
      // The other one confirms first: a reject still wins.
      if (rejecter === 'responder') {
        alice.pairing.confirm(a.id);
        assert.equal(bob.pairing.reject(b.id).stage, 'rejected');
      } else {
        bob.pairing.confirm(b.id);
        alice.pairing.reject(a.id);
      }
      await until('both rejected', () => only(alice).stage === 'rejected' && only(bob).stage === 'rejected');
      const [rejected, told] = rejecter === 'responder' ? [only(bob), only(alice)] : [only(alice), only(bob)];
      assert.equal(rejected.reason, 'You rejected the pairing.');
      assert.match(told.reason ?? '', /ended the pairing: rejected by its user/);
      await settle();
      assert.deepEqual([alice.contacts.list(), bob.contacts.list()], [[], []], rejecter);
      assert.throws(() => alice.pairing.confirm(only(alice).id), (e) => e instanceof CommandError && /ended/.test(e.message));
    }
  });

  test('a request not finished in time ends as timed-out on both sides, with no contact', async () => {
    const alice = await side(ALICE, { timeoutMs: 150 });
    const bob = await side(BOB, { timeoutMs: 150 });
    const [toBob] = link(alice, bob);
    const [, b] = await toCodes(alice, bob, toBob);
    bob.pairing.confirm(b.id); // Alice never answers
    await until('timed out', () => only(alice).stage === 'timed-out' && only(bob).stage === 'timed-out', 3000);
    // Whichever timer fired first, the other side learns it from the peer's pair-reject.
    for (const s of [only(alice), only(bob)]) assert.match(s.reason ?? '', /^The pairing was not confirmed on both devices within|gave up waiting: the pairing timed out/);
    await settle();
    assert.deepEqual([alice.contacts.list(), bob.contacts.list()], [[], []]);
  });

  test('a peer that never answers: the request times out', async () => {
    const alice = await side(ALICE, { timeoutMs: 100 });
    const [toSilent] = channelPair(ALICE, BOB);
    alice.pairing.start(toSilent);
    await until('timed out', () => only(alice).stage === 'timed-out');
    assert.match(only(alice).reason ?? '', /^Bob desktop did not answer within/);
    assert.equal(toSilent.sent.at(-1)?.type, 'pair-reject', 'the peer is told');
  });

  test('a lost link ends the session', async () => {
    const alice = await side(ALICE);
    const bob = await side(BOB);
    const [toBob] = link(alice, bob);
    await toCodes(alice, bob, toBob);
    toBob.close();
    await until('failed', () => only(alice).stage === 'failed' && only(bob).stage === 'failed');
    assert.equal(only(alice).reason, 'The connection to Bob desktop was lost.');
  });

  test('both users press Pair at once: one request goes on, and both sides still agree', async () => {
    const alice = await side(ALICE);
    const bob = await side(BOB);
    const [toBob, toAlice] = link(alice, bob);
    alice.pairing.start(toBob);
    bob.pairing.start(toAlice);
    await until('one session each with a code', () => {
      const a = alice.pairing.list().filter((s) => s.stage === 'confirm-code');
      const b = bob.pairing.list().filter((s) => s.stage === 'confirm-code');
      return a.length === 1 && b.length === 1;
    });
    const a = alice.pairing.list().find((s) => s.stage === 'confirm-code')!;
    const b = bob.pairing.list().find((s) => s.stage === 'confirm-code')!;
    assert.equal(a.code, b.code);
    assert.notEqual(a.direction, b.direction);
    alice.pairing.confirm(a.id);
    bob.pairing.confirm(b.id);
    await until('contacts', () => alice.contacts.has(BOB) && bob.contacts.has(ALICE));
  });

  test('the peer backs out after we stored the contact (its timeout raced our confirmation): ours is undone', async () => {
    const bob = await side(BOB);
    const [toBob, fromAlice] = channelPair(ALICE, BOB);
    bob.pairing.attach(fromAlice);
    const nonce = newPairingNonce();
    toBob.send({ type: 'pair-request', requestId: 'request-1', commitment: encodePairingBytes(pairingCommitment(nonce)) });
    await until('nonce', () => sentBy(fromAlice).some((m) => m.type === 'pair-nonce'));
    toBob.send({ type: 'pair-reveal', requestId: 'request-1', nonce: encodePairingBytes(nonce) });
    toBob.send({ type: 'pair-confirm', requestId: 'request-1' });
    await until('code', () => only(bob).peerConfirmed);
    bob.pairing.confirm(only(bob).id);
    await until('stored', () => bob.contacts.has(ALICE));
    toBob.send({ type: 'pair-reject', requestId: 'request-1', reason: 'timed out' });
    await until('undone', () => !bob.contacts.has(ALICE));
    assert.equal(only(bob).stage, 'rejected');
    assert.match(only(bob).reason ?? '', /ended the pairing before it finished: timed out/);
  });
});

describe('a relaying man-in-the-middle', () => {
  test('relaying messages verbatim: the two sides show different codes, and a blind confirmation pairs no one with the other', async () => {
    const alice = await side(ALICE);
    const bob = await side(BOB);
    // Alice's link ends at Mallory (the handshake proves Mallory's key), so does Bob's.
    const [aliceEnd, malloryToAlice] = channelPair(ALICE, MALLORY);
    const [malloryToBob, bobEnd] = channelPair(MALLORY, BOB);
    malloryToAlice.on('message', (m: LinkMessage) => malloryToBob.send(m));
    malloryToBob.on('message', (m: LinkMessage) => malloryToAlice.send(m));
    bob.pairing.attach(bobEnd);
    alice.pairing.start(aliceEnd);
    await until('codes', () => only(alice).code !== null && only(bob).code !== null);
    assert.notEqual(only(alice).code, only(bob).code);
    assert.equal(only(alice).peerIdentity, MALLORY);
    assert.equal(only(bob).peerIdentity, MALLORY);
    alice.pairing.confirm(only(alice).id);
    bob.pairing.confirm(only(bob).id);
    await until('done', () => only(alice).stage === 'done' && only(bob).stage === 'done');
    await settle();
    assert.ok(!alice.contacts.has(BOB) && !bob.contacts.has(ALICE), 'never each other: only the key the link proved is stored');
  });

  test('running its own pairing towards each side: the two sides show different codes', async () => {
    for (let attempt = 0; attempt < 5; attempt++) {
      const alice = await side(ALICE);
      const bob = await side(BOB);
      const mallory = await side(MALLORY);
      const [aliceEnd, malloryToAlice] = channelPair(ALICE, MALLORY);
      const [malloryToBob, bobEnd] = channelPair(MALLORY, BOB);
      mallory.pairing.attach(malloryToAlice);
      bob.pairing.attach(bobEnd);
      alice.pairing.start(aliceEnd);
      // Mallory answers Alice and asks Bob at once, as a relay has to.
      await until('Alice’s request at Mallory', () => mallory.pairing.list().length === 1);
      mallory.pairing.start(malloryToBob);
      await until('codes', () => only(alice).code !== null && only(bob).code !== null && mallory.pairing.list().every((s) => s.code !== null));
      assert.notEqual(only(alice).code, only(bob).code, `attempt ${attempt}`);
    }
  });
});

describe('a peer that breaks the protocol', () => {
  async function responder(): Promise<{ bob: Side; peer: MemoryChannel; bobEnd: MemoryChannel }> {
    const bob = await side(BOB);
    const [peer, bobEnd] = channelPair(ALICE, BOB);
    bob.pairing.attach(bobEnd);
    return { bob, peer, bobEnd };
  }
  const request = (requestId: string, nonce = newPairingNonce()) =>
    ({ type: 'pair-request', requestId, commitment: encodePairingBytes(pairingCommitment(nonce)) }) as const;

  test('a revealed nonce that does not match the commitment: failed, told, no contact', async () => {
    const { bob, peer, bobEnd } = await responder();
    peer.send(request('request-1'));
    await until('nonce', () => bobEnd.sent.some((m) => m.type === 'pair-nonce'));
    peer.send({ type: 'pair-reveal', requestId: 'request-1', nonce: encodePairingBytes(newPairingNonce()) });
    await until('failed', () => only(bob).stage === 'failed');
    assert.match(only(bob).reason ?? '', /does not match its commitment/);
    assert.equal(only(bob).code, null, 'no code is shown');
    assert.deepEqual(bobEnd.sent.at(-1), { type: 'pair-reject', requestId: 'request-1', reason: 'the nonce does not match the commitment' });
    assert.deepEqual(bob.contacts.list(), []);
  });

  test('out-of-order, wrong-id and malformed messages before the reveal drop the request (never listed), the peer told why; nothing throws; the next pairing works', async () => {
    const cases: Array<[string, (peer: MemoryChannel, bobEnd: MemoryChannel) => void, RegExp]> = [
      ['a confirmation before the code', (peer) => peer.send({ type: 'pair-confirm', requestId: 'request-1' }), /a confirmation before the code was known/],
      ['a nonce to the responder', (peer) => peer.send({ type: 'pair-nonce', requestId: 'request-1', nonce: encodePairingBytes(newPairingNonce()) }), /a nonce out of order/],
      ['a message for another request', (peer) => peer.send({ type: 'pair-reveal', requestId: 'request-2', nonce: encodePairingBytes(newPairingNonce()) }), /a message for another request/],
      ['a malformed message', (_peer, bobEnd) => bobEnd.inject({ type: 'pair-reveal', requestId: 'request-1', nonce: 'x', extra: 1 }), /a malformed message/],
      ['a second request while one runs', (peer) => peer.send(request('request-3')), /^$/],
    ];
    for (const [what, act, reason] of cases) {
      const { bob, peer, bobEnd } = await responder();
      peer.send(request('request-1'));
      await until('nonce', () => bobEnd.sent.some((m) => m.type === 'pair-nonce'));
      act(peer, bobEnd);
      await settle();
      if (what === 'a second request while one runs') {
        assert.deepEqual(bobEnd.sent.at(-1), { type: 'pair-reject', requestId: 'request-3', reason: 'already pairing with this device' });
        peer.send({ type: 'pair-reveal', requestId: 'request-1', nonce: encodePairingBytes(Buffer.alloc(32)) });
        await until('the first goes on (its reveal is checked)', () => only(bob).stage === 'failed' && /does not match its commitment/.test(only(bob).reason ?? ''));
        continue;
      }
      // The user never saw the request: nothing is listed, and the peer learns why it ended.
      assert.deepEqual(bob.pairing.list(), [], what);
      const told = bobEnd.sent.at(-1);
      assert.equal(told?.type, 'pair-reject', `${what}: the peer is told`);
      assert.match((told as { reason: string }).reason, new RegExp(`^protocol error: ${reason.source}`), what);
    }
    // Junk of every kind: ignored or refused, never a throw out of the listener.
    const { bob, peer, bobEnd } = await responder();
    for (const junk of [null, 42, 'pair-request', {}, { type: 'pair-request' }, { type: 'pair-request', requestId: '!', commitment: 'x' }, { type: 'pair-nonce', requestId: 'nope-nope' }, { type: 'ping', n: 1 }]) {
      bobEnd.inject(junk);
    }
    peer.send({ type: 'pair-confirm', requestId: 'unknown-1' });
    peer.send({ type: 'pair-reject', requestId: 'unknown-1', reason: 'x' });
    await settle();
    assert.deepEqual(bob.pairing.list(), []);
    assert.deepEqual(bob.logs, []);
    // And the service still pairs.
    const alice = await side(ALICE);
    const [toBob] = link(alice, bob);
    const [a, b] = await toCodes(alice, bob, toBob);
    assert.equal(a.code, b.code);
    void peer;
  });

  test('the initiator: a reveal, a second nonce, or a confirmation twice end its session', async () => {
    const cases: Array<[string, (toAlice: MemoryChannel, requestId: string) => void, RegExp]> = [
      ['reveal', (c, id) => c.send({ type: 'pair-reveal', requestId: id, nonce: encodePairingBytes(newPairingNonce()) }), /a reveal out of order/],
      ['second nonce', (c, id) => {
        c.send({ type: 'pair-nonce', requestId: id, nonce: encodePairingBytes(newPairingNonce()) });
        c.send({ type: 'pair-nonce', requestId: id, nonce: encodePairingBytes(newPairingNonce()) });
      }, /a nonce out of order/],
      ['confirm twice', (c, id) => {
        c.send({ type: 'pair-nonce', requestId: id, nonce: encodePairingBytes(newPairingNonce()) });
        c.send({ type: 'pair-confirm', requestId: id });
        c.send({ type: 'pair-confirm', requestId: id });
      }, /a second confirmation/],
    ];
    for (const [what, act, reason] of cases) {
      const alice = await side(ALICE);
      const [aliceEnd, peer] = channelPair(ALICE, BOB);
      alice.pairing.start(aliceEnd);
      await settle();
      const req = aliceEnd.sent[0];
      assert.equal(req?.type, 'pair-request');
      act(peer, (req as { requestId: string }).requestId);
      await until(what, () => only(alice).stage === 'failed');
      assert.match(only(alice).reason ?? '', reason);
      assert.deepEqual(alice.contacts.list(), []);
    }
  });
});

describe('rate limits', () => {
  test(`at most ${PAIRING_REQUESTS_PER_PEER_MAX} incoming requests per peer a minute, one at a time; the excess is rejected with a reason`, async () => {
    let now = Date.parse('2025-01-01T00:00:00Z');
    const bob = await side(BOB, { now: () => now });
    const [peer, bobEnd] = channelPair(ALICE, BOB);
    bob.pairing.attach(bobEnd);
    const send = async (n: number, reveal = false) => {
      const requestId = `request-${n}`;
      const nonce = newPairingNonce();
      peer.send({ type: 'pair-request', requestId, commitment: encodePairingBytes(pairingCommitment(nonce)) });
      await settle();
      if (reveal) peer.send({ type: 'pair-reveal', requestId, nonce: encodePairingBytes(nonce) });
      await settle();
      return bobEnd.sent.filter((m) => 'requestId' in m && m.requestId === requestId);
    };
    for (let n = 1; n <= PAIRING_REQUESTS_PER_PEER_MAX; n++) {
      assert.equal((await send(n, true))[0]?.type, 'pair-nonce', `request ${n} accepted`);
      const active = bob.pairing.list().find((s) => s.stage === 'confirm-code')!;
      bob.pairing.reject(active.id);
      now += 1000;
    }
    const refused = await send(99);
    assert.deepEqual(refused.map((m) => m.type), ['pair-reject']);
    assert.match((refused[0] as { reason: string }).reason, /too many pairing requests/);
    assert.equal(bob.pairing.list().length, PAIRING_REQUESTS_PER_PEER_MAX, 'no dialog for the refused one');
    // Another peer is not affected; a minute later this one may ask again.
    const [other, bobEnd2] = channelPair(MALLORY, BOB);
    bob.pairing.attach(bobEnd2);
    other.send({ type: 'pair-request', requestId: 'other-request-1', commitment: encodePairingBytes(pairingCommitment(newPairingNonce())) });
    await settle();
    assert.equal(bobEnd2.sent[0]?.type, 'pair-nonce');
    now += 60_000;
    const again = await send(100);
    assert.equal(again[0]?.type, 'pair-nonce', JSON.stringify(again));
  });

  test('starting a second pairing with the same device is refused while one runs', async () => {
    const alice = await side(ALICE);
    const [aliceEnd] = channelPair(ALICE, BOB);
    alice.pairing.start(aliceEnd);
    assert.throws(() => alice.pairing.start(aliceEnd), (e) => e instanceof CommandError && e.code === 'refused' && /already pairing with Bob desktop/.test(e.message));
    assert.throws(() => alice.pairing.confirm('no-such-session'), (e) => e instanceof CommandError && e.code === 'not-found');
  });
});

describe('under a flood of requests (issue 11)', () => {
  const REVEAL_MS = 80;
  /** A peer at `address` (a fresh key each time: keys cost a flooder nothing), linked to `bob`. */
  let seed = 0;
  const flooder = (bob: Side, address: string) => {
    const [peer, bobEnd] = channelPair(identityFromSeed(`flooder-${++seed}`), BOB, { a: address });
    bob.pairing.attach(bobEnd);
    return { peer, bobEnd };
  };
  /** Sends a request that is never revealed; resolves to what bob answered (pair-nonce, or pair-reject with its reason). */
  const ask = async (f: { peer: MemoryChannel; bobEnd: MemoryChannel }) => {
    f.peer.send({ type: 'pair-request', requestId: 'request-1', commitment: encodePairingBytes(pairingCommitment(newPairingNonce())) });
    await settle();
    return f.bobEnd.sent.at(-1);
  };

  /** What bob answered: 'pair-nonce', or the reason of its pair-reject. */
  const reason = (m: LinkMessage | undefined) => (m?.type === 'pair-reject' ? m.reason : (m?.type ?? 'nothing'));

  test('a request not revealed by the deadline is dropped: never listed, no change announced, the peer told why', async () => {
    const bob = await side(BOB, { revealDeadlineMs: REVEAL_MS });
    let changes = 0;
    bob.pairing.on('change', () => changes++);
    const f = flooder(bob, '10.1.1.1');
    assert.equal((await ask(f))?.type, 'pair-nonce');
    assert.deepEqual(bob.pairing.list(), [], 'not listed before its reveal: no dialog');
    await until('dropped', () => f.bobEnd.sent.at(-1)?.type === 'pair-reject', 2000);
    assert.deepEqual(f.bobEnd.sent.at(-1), { type: 'pair-reject', requestId: 'request-1', reason: 'no reveal within 0.08 s' });
    assert.deepEqual([bob.pairing.list(), changes], [[], 0]);
  });

  test('a request revealed in time is listed at once, with the code, and keeps the whole pairing time', async () => {
    const bob = await side(BOB, { revealDeadlineMs: REVEAL_MS, timeoutMs: 5000 });
    const alice = await side(ALICE);
    const [toBob] = link(alice, bob);
    await toCodes(alice, bob, toBob);
    await new Promise((r) => setTimeout(r, REVEAL_MS * 3));
    assert.equal(only(bob).stage, 'confirm-code', 'the reveal deadline no longer applies');
  });

  test(`at most ${PAIRING_INCOMING_PER_ADDRESS_MAX} per address, ${PAIRING_INCOMING_PER_PREFIX_MAX} per /24 and ${PAIRING_INCOMING_SESSIONS_MAX} in all; the excess is refused at once, with the reason`, async () => {
    const bob = await side(BOB);
    const answers: string[] = [];
    for (let i = 0; i <= PAIRING_INCOMING_PER_ADDRESS_MAX; i++) answers.push(reason(await ask(flooder(bob, '10.2.2.1'))));
    assert.deepEqual(answers.slice(0, -1), Array(PAIRING_INCOMING_PER_ADDRESS_MAX).fill('pair-nonce'));
    assert.match(answers.at(-1)!, /^too many pairing requests from your address in progress/);
    // Other addresses of the same /24 fill the prefix.
    for (let i = PAIRING_INCOMING_PER_ADDRESS_MAX; i < PAIRING_INCOMING_PER_PREFIX_MAX; i++) assert.equal(reason(await ask(flooder(bob, `10.2.2.${10 + i}`))), 'pair-nonce');
    assert.match(reason(await ask(flooder(bob, '10.2.2.200'))), /^too many pairing requests from your network in progress/);
    // Other networks fill the rest.
    for (let i = PAIRING_INCOMING_PER_PREFIX_MAX; i < PAIRING_INCOMING_SESSIONS_MAX; i++) assert.equal(reason(await ask(flooder(bob, `10.3.${i}.1`))), 'pair-nonce');
    assert.match(reason(await ask(flooder(bob, '10.99.0.1'))), /^too many pairing requests in progress on this device/);
    // IPv6: one /64 is one network, whatever the interface identifier.
    const v6 = await side(BOB);
    for (let i = 0; i < PAIRING_INCOMING_PER_PREFIX_MAX; i++) assert.equal(reason(await ask(flooder(v6, `2001:db8:0:7::${i + 1}`))), 'pair-nonce');
    assert.match(reason(await ask(flooder(v6, '2001:db8:0:7:aaaa::1'))), /from your network/);
    assert.equal(reason(await ask(flooder(v6, '2001:db8:0:8::1'))), 'pair-nonce', 'the next /64 is another network');
  });

  test('incoming requests never block the user’s own pairing; an unseen request of the same peer gives way to it', async () => {
    const bob = await side(BOB);
    for (let i = 0; i < PAIRING_INCOMING_SESSIONS_MAX; i++) assert.equal(reason(await ask(flooder(bob, `10.4.${i}.1`))), 'pair-nonce');
    assert.match(reason(await ask(flooder(bob, '10.6.0.1'))), /on this device/, 'full of incoming requests');
    const alice = await side(ALICE);
    const [, bobToAlice] = link(alice, bob);
    assert.equal(bob.pairing.start(bobToAlice).direction, 'outgoing');
    await until('codes on both sides', () => only(alice).code !== null && bob.pairing.list().some((s) => s.code !== null));

    // Mallory asked, and has not revealed: Bob's user never saw it, and pairs with Mallory.
    const bob2 = await side(BOB);
    const [malloryEnd, bobToMallory] = channelPair(MALLORY, BOB);
    bob2.pairing.attach(bobToMallory);
    malloryEnd.send({ type: 'pair-request', requestId: 'request-m1', commitment: encodePairingBytes(pairingCommitment(newPairingNonce())) });
    await settle();
    assert.equal(bob2.pairing.start(bobToMallory).direction, 'outgoing');
    assert.deepEqual(bobToMallory.sent.find((m) => m.type === 'pair-reject'), { type: 'pair-reject', requestId: 'request-m1', reason: 'the other device started its own pairing' });
  });

  test('both users press Pair at once while the yielding side is full of incoming requests: the pairing still goes on', async () => {
    const alice = await side(ALICE);
    const bob = await side(BOB);
    const yielding = ALICE > BOB ? alice : bob; // the higher identity takes the other's request instead of its own
    for (let i = 0; i < PAIRING_INCOMING_SESSIONS_MAX; i++) assert.equal(reason(await ask(flooder(yielding, `10.7.${i}.1`))), 'pair-nonce');
    const [toBob, toAlice] = link(alice, bob);
    alice.pairing.start(toBob);
    bob.pairing.start(toAlice);
    await until('a code on both sides', () => alice.pairing.list().some((s) => s.code !== null) && bob.pairing.list().some((s) => s.code !== null));
    assert.equal(alice.pairing.list().find((s) => s.code !== null)?.code, bob.pairing.list().find((s) => s.code !== null)?.code);
  });

  test('every session says how its peer stands to the contacts', async () => {
    const mark = { name: 'Bob desktop', fingerprint: 'ABCDE-FGHJK' };
    const alice = await side(ALICE, { standing: (identity, name) => (identity === BOB ? { contact: mark } : name === 'Bob desktop' ? { lookalikeOf: mark } : {}) });
    const [toBob] = link(alice, await side(BOB));
    assert.deepEqual(alice.pairing.start(toBob).contact, mark);
    const [toMallory] = channelPair(ALICE, MALLORY);
    NAMES[MALLORY] = 'Bob desktop';
    try {
      const session = alice.pairing.start(toMallory);
      assert.deepEqual([session.contact, session.lookalikeOf], [undefined, mark]);
    } finally {
      NAMES[MALLORY] = 'Mallory';
    }
  });
});
