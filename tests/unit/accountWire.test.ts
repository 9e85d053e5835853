// Issue 14 on the wire, on loopback: the credentials in a verification's answer (a real TLS 1.3
// handshake on the P2P server), which modes share them with whom, and a hello that carries them.

import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, describe, test } from 'node:test';
import { LinkServer, dialLink } from '../../src-main/core/p2p/linkServer.js';
import { createTlsIdentity } from '../../src-main/core/p2p/tlsIdentity.js';
import { encodeVerifyAnswer, readVerifyAnswer } from '../../src-main/core/accounts/verifyAnswer.js';
import { linkMessageSchema } from '../../src-main/core/p2p/messages.js';
import { everyonePolicy } from '../../src-main/core/modes/everyone.js';
import { contactsOnlyPolicy } from '../../src-main/core/modes/contactsOnly.js';
import { disabledPolicy } from '../../src-main/core/modes/disabled.js';
import type { ModeContext } from '../../src-main/core/modes/modePolicy.js';
import { emptyDeviceMetadata } from '../../src-shared/peerMetadata.js';
import { encodeFrame } from '../../src-main/core/p2p/frames.js';
import { verifyTargetOf } from '../../src-main/core/peers/peerDirectory.js';
import { VERIFIED_RECHECK_MS, Verifier } from '../../src-main/core/peers/verifier.js';
import { peerFixture } from '../support/nodeStateFixture.js';

const PRESENTED = { account: 'QUJD', device: 'REVG' };
const servers: LinkServer[] = [];
after(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

async function serverAnswering(answer: () => Buffer | null): Promise<{ port: number; identity: string }> {
  const id = createTlsIdentity(generateKeyPairSync('ed25519').privateKey);
  const server = new LinkServer(id, (socket) => socket.destroy());
  server.setVerifyAnswer(answer);
  servers.push(server);
  return { port: await server.listen(0), identity: id.identity };
}

async function verify(port: number): Promise<{ identity: string; account: unknown }> {
  const client = createTlsIdentity(generateKeyPairSync('ed25519').privateKey);
  const { socket, identity } = await dialLink(client, '127.0.0.1', port, 3000, undefined, 'verify');
  return { identity, account: await readVerifyAnswer(socket) };
}

describe('accounts in a verification (ALPN sd-nearby-verify/1)', () => {
  test('the server answers with its credentials inside the session that proved its key, then closes', async () => {
    const server = await serverAnswering(() => encodeVerifyAnswer(PRESENTED));
    assert.deepEqual(await verify(server.port), { identity: server.identity, account: PRESENTED });
  });

  test('a server that says nothing (an older node, or a mode that keeps the account private): no account', async () => {
    const server = await serverAnswering(() => null);
    assert.deepEqual(await verify(server.port), { identity: server.identity, account: null });
  });

  test('an answer that is not one (another message, extra keys): no account, nothing thrown', async () => {
    const other = await serverAnswering(() => encodeFrame({ type: 'hello', version: 1 }));
    assert.equal((await verify(other.port)).account, null);
    const extra = await serverAnswering(() => encodeFrame({ type: 'account', version: 1, account: { ...PRESENTED, name: 'x' } }));
    assert.equal((await verify(extra.port)).account, null);
  });
});

describe('who hears our account (ModePolicy.sharesAccount)', () => {
  const contact = 'contact';
  const ctx = { isContact: (id: string) => id === contact } as unknown as ModeContext;
  test('Everyone: anyone, also a verification; Contacts only: contacts (and My devices) only, never a verification; Disabled: no one', () => {
    assert.deepEqual([everyonePolicy.sharesAccount('stranger', ctx), everyonePolicy.sharesAccount(null, ctx)], [true, true]);
    assert.deepEqual([contactsOnlyPolicy.sharesAccount(contact, ctx), contactsOnlyPolicy.sharesAccount('stranger', ctx), contactsOnlyPolicy.sharesAccount(null, ctx)], [true, false, false]);
    assert.deepEqual([disabledPolicy.sharesAccount(contact, ctx), disabledPolicy.sharesAccount(null, ctx)], [false, false]);
  });
});

describe('a verification is redone for a device heard anew', () => {
  test('same address, port and TXT, but its entry made again (it restarted, perhaps with new credentials): another target', () => {
    const id = createTlsIdentity(generateKeyPairSync('ed25519').privateKey).identity;
    const first = peerFixture(id, 'Desk', { addresses: ['10.0.0.7'], port: 7373, firstSeen: '2026-12-06T09:00:00.000Z' });
    const again = { ...first, firstSeen: '2026-12-06T09:05:00.000Z', lastSeen: '2026-12-06T09:05:00.000Z' };
    assert.notEqual(verifyTargetOf(again, id)?.advertisement, verifyTargetOf(first, id)?.advertisement);
    assert.equal(verifyTargetOf({ ...first, lastSeen: '2026-12-06T09:06:00.000Z' }, id)?.advertisement, verifyTargetOf(first, id)?.advertisement, 'heard again, not anew: the verdict stands');
  });
});

describe('a verified endpoint is checked again now and then', () => {
  test(`after ${VERIFIED_RECHECK_MS / 60_000} minutes while someone looks: a device restarted in place shows the credentials it presents now`, async () => {
    let now = 1_000_000;
    let presented: { account: string; device: string } | null = null;
    const identity = createTlsIdentity(generateKeyPairSync('ed25519').privateKey).identity;
    let dials = 0;
    const verifier = new Verifier({ dial: async (addresses) => (dials++, { identity, address: addresses[0] as string, account: presented }), random: () => 0, now: () => now });
    const t = { identity, addresses: ['10.0.0.9'], port: 7373, advertisement: 'same' };
    const settle = () => new Promise((r) => setTimeout(r, 30));
    verifier.setActive(true);
    verifier.request([t]);
    await settle();
    assert.deepEqual([dials, verifier.verdictFor(t)?.kind === 'verified' ? verifier.verdictFor(t) : null], [1, { kind: 'verified', address: '10.0.0.9', at: now, account: null }]);
    presented = PRESENTED;
    now += VERIFIED_RECHECK_MS - 1;
    verifier.request([t]);
    await settle();
    assert.equal(dials, 1, 'not due yet');
    now += 1;
    verifier.request([t]);
    await settle();
    assert.equal(dials, 2);
    const verdict = verifier.verdictFor(t);
    assert.deepEqual(verdict?.kind === 'verified' ? verdict.account : null, PRESENTED);
  });
});

describe('the hello', () => {
  const hello = { type: 'hello', version: 1, metadata: emptyDeviceMetadata(), port: 7373 };
  test('carries credentials or none (older peers send none); an oversize credential is left to the checker, which says why', () => {
    assert.equal(linkMessageSchema.safeParse(hello).success, true);
    assert.equal(linkMessageSchema.safeParse({ ...hello, account: PRESENTED }).success, true);
    assert.equal(linkMessageSchema.safeParse({ ...hello, account: { account: 'A'.repeat(5000), device: 'B' } }).success, true);
    assert.equal(linkMessageSchema.safeParse({ ...hello, account: { account: 'A' } }).success, false, 'both credentials or none');
  });
});
