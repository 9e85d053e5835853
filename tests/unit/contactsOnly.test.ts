// Contacts only (issue 5, docs/protocol.md): token derivation, epochs and their windows, the
// secrets (ours, rotated; our contacts'), resolution, the TLS server-name gate, and the service
// that passes secrets over links.

import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Duplex } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { connect as tlsConnect, createSecureContext, TLSSocket } from 'node:tls';
import { EventEmitter } from 'node:events';
import { isRemoteIdentity } from '../../src-shared/identity.js';
import {
  EPOCH_DEFAULT_MS, TOKEN_CHARS, base32, checkPrivateServerName, epochEndsAt, epochMsFrom, epochOf, epochWindow, isPrivateToken,
  newBroadcastSecret, privateHostname, privateServerName, privateToken,
} from '../../src-main/core/contactsOnly/broadcastTokens.js';
import { BROADCAST_SECRET_FILE, BroadcastSecretStore } from '../../src-main/core/contactsOnly/broadcastSecret.js';
import { CONTACT_SECRETS_FILE, ContactSecretStore } from '../../src-main/core/contactsOnly/contactSecrets.js';
import { TokenResolver } from '../../src-main/core/contactsOnly/tokenResolver.js';
import { EpochClock } from '../../src-main/core/contactsOnly/epochClock.js';
import { SniGate } from '../../src-main/core/contactsOnly/sniGate.js';
import { ContactsOnlyService, WITHHELD_METADATA, type ContactList } from '../../src-main/core/contactsOnly/contactsOnlyService.js';
import { createTlsIdentity, provenIdentity, tlsOptions } from '../../src-main/core/p2p/tlsIdentity.js';
import type { LinkMessage } from '../../src-main/core/p2p/messages.js';
import { emptyDeviceMetadata, type DeviceMetadata } from '../../src-shared/peerMetadata.js';
import type { Peer } from '../../src-shared/peer.js';
import { channelPair, identityFromSeed, settle } from '../support/memoryChannel.js';

const posix = process.platform !== 'win32';
const secretA = Buffer.alloc(32, 0xa1);
const secretB = Buffer.alloc(32, 0xb2);

let root: string;
let counter = 0;
before(async () => {
  root = await fsp.mkdtemp(path.join(os.tmpdir(), 'sd-nearby-contacts-only-'));
});
after(async () => {
  await fsp.rm(root, { recursive: true, force: true });
});
async function freshDir(): Promise<string> {
  const dir = path.join(root, `t${++counter}`);
  await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
  return dir;
}

describe('tokens', () => {
  test('base32 follows RFC 4648 (lowercase, no padding)', () => {
    const vectors: Array<[string, string]> = [['', ''], ['f', 'my'], ['fo', 'mzxq'], ['foo', 'mzxw6'], ['foob', 'mzxw6yq'], ['fooba', 'mzxw6ytb'], ['foobar', 'mzxw6ytboi']];
    for (const [input, expected] of vectors) assert.equal(base32(Buffer.from(input)), expected, input);
  });

  test('a token is 26 lowercase base32 characters, a valid DNS label, never an identity', () => {
    const t = privateToken(secretA, 1000);
    assert.equal(t.length, TOKEN_CHARS);
    assert.match(t, /^[a-z2-7]{26}$/);
    assert.ok(isPrivateToken(t));
    assert.ok(!isRemoteIdentity(t));
    assert.ok(!isPrivateToken(identityFromSeed('x')), 'an identity is not a token');
    assert.ok(!isPrivateToken('Oscars Laptop'));
    assert.ok(!isPrivateToken(privateToken(secretA, 1000).toUpperCase()), 'labels are compared lowercased by the resolver, not here');
  });

  test('the same secret and epoch give the same token; another epoch or another secret, another token', () => {
    assert.equal(privateToken(secretA, 1000), privateToken(Buffer.from(secretA), 1000));
    const tokens = new Set<string>();
    for (let e = 1000; e < 1100; e++) tokens.add(privateToken(secretA, e));
    for (let e = 1000; e < 1100; e++) tokens.add(privateToken(secretB, e));
    assert.equal(tokens.size, 200, 'no two of 200 tokens alike');
  });

  test('the host name is per epoch too, DNS-safe, and unrelated to the token', () => {
    const h = privateHostname(secretA, 1000);
    assert.match(h, /^sd-[0-9a-f]{16}$/);
    assert.notEqual(h, privateHostname(secretA, 1001));
    assert.notEqual(h, privateHostname(secretB, 1000));
    assert.ok(!privateToken(secretA, 1000).includes(h.slice(3, 10)));
  });

  test('a secret of the wrong size is refused', () => {
    assert.throws(() => privateToken(Buffer.alloc(16), 1), /32 bytes/);
    assert.throws(() => privateToken(secretA, -1), /not an epoch/);
    assert.equal(newBroadcastSecret().length, 32);
    assert.notDeepEqual(newBroadcastSecret(), newBroadcastSecret());
  });
});

describe('epochs', () => {
  test('epochOf counts whole epochs since 1970; the window is the epoch and its neighbours', () => {
    assert.equal(epochOf(0), 0);
    assert.equal(epochOf(EPOCH_DEFAULT_MS - 1), 0);
    assert.equal(epochOf(EPOCH_DEFAULT_MS), 1);
    assert.equal(epochOf(10_500, 3000), 3);
    assert.equal(epochEndsAt(3, 3000), 12_000);
    assert.deepEqual(epochWindow(7), [6, 7, 8]);
  });

  test('the epoch length comes from a setting only when it is sane', () => {
    assert.equal(epochMsFrom(undefined), EPOCH_DEFAULT_MS);
    assert.equal(epochMsFrom('3000'), 3000);
    assert.equal(epochMsFrom('10'), EPOCH_DEFAULT_MS, 'too short: the LAN would be flooded');
    assert.equal(epochMsFrom('abc'), EPOCH_DEFAULT_MS);
    assert.equal(epochMsFrom(1.5), EPOCH_DEFAULT_MS);
  });

  test('EpochClock ticks once per epoch, with the new epoch already current', async () => {
    let now = Date.now();
    const clock = new EpochClock(1000, () => Date.now());
    const seen: number[] = [];
    clock.on('epoch', (e) => {
      seen.push(e);
      now = Date.now();
      assert.equal(epochOf(now, 1000), e);
    });
    clock.start();
    await new Promise((r) => setTimeout(r, 2300));
    clock.stop();
    assert.ok(seen.length === 2 || seen.length === 3, `ticks: ${seen.join(',')}`);
    for (let i = 1; i < seen.length; i++) assert.equal(seen[i], (seen[i - 1] as number) + 1);
  });
});

describe('TLS server name (SNI)', () => {
  test('a holder of the secret makes one the node accepts; a stranger, a wrong epoch or a changed name is refused', () => {
    const name = privateServerName(secretA, 500);
    assert.match(name, /^[a-z2-7]{16}-[a-z2-7]{26}$/);
    assert.ok(name.length <= 63, 'one DNS label');
    assert.deepEqual(checkPrivateServerName(secretA, [499, 500, 501], name)?.epoch, 500);
    assert.equal(checkPrivateServerName(secretB, [499, 500, 501], name), null, 'another secret');
    assert.equal(checkPrivateServerName(secretA, [502, 503], name), null, 'outside the window');
    const tampered = name.slice(0, -2) + (name.endsWith('aa') ? 'bb' : 'aa');
    assert.equal(checkPrivateServerName(secretA, [500], tampered), null);
    assert.equal(checkPrivateServerName(secretA, [500], 'example.com'), null);
    assert.notEqual(privateServerName(secretA, 500), privateServerName(secretA, 500), 'a fresh nonce each time');
  });
});

// -------------------------------------------------------------------------------------------
// the gate, in a real TLS 1.3 handshake over an in-memory stream (no network)

function duplexPair(): [Duplex, Duplex] {
  // eslint-disable-next-line prefer-const
  let b: Duplex;
  const a: Duplex = new Duplex({
    read() {},
    write(chunk, _enc, cb) {
      b.push(chunk);
      cb();
    },
    final(cb) {
      b.push(null);
      cb();
    },
  });
  b = new Duplex({
    read() {},
    write(chunk, _enc, cb) {
      a.push(chunk);
      cb();
    },
    final(cb) {
      a.push(null);
      cb();
    },
  });
  return [a, b];
}

async function handshake(gate: SniGate, servername: string | undefined): Promise<{ clientSaw: string | null; serverShowedIdentity: boolean }> {
  const clientId = createTlsIdentity(generateKeyPairSync('ed25519').privateKey);
  const [c, s] = duplexPair();
  const opts = gate.serverOptions();
  const server = new TLSSocket(s, {
    isServer: true,
    requestCert: true,
    rejectUnauthorized: false,
    secureContext: createSecureContext({ key: opts.key, cert: opts.cert, minVersion: opts.minVersion, maxVersion: opts.maxVersion, sigalgs: opts.sigalgs }),
    SNICallback: opts.SNICallback,
  });
  const serverDone = new Promise<boolean>((resolve) => server.once('secure', () => resolve(gate.presentedIdentity(server))));
  const client = tlsConnect({ ...tlsOptions(clientId), socket: c, ...(servername !== undefined ? { servername } : {}), checkServerIdentity: () => undefined });
  const clientSaw = await new Promise<string | null>((resolve, reject) => {
    client.once('secureConnect', () => resolve(provenIdentity(client)));
    client.once('error', reject);
  });
  const serverShowedIdentity = await serverDone;
  client.destroy();
  server.destroy();
  return { clientSaw, serverShowedIdentity };
}

describe('SniGate', () => {
  const identity = createTlsIdentity(generateKeyPairSync('ed25519').privateKey);
  const epochMs = 60_000;

  test('the identity certificate only for a valid, fresh server name; a decoy for anything else', async () => {
    const gate = new SniGate({ identity, secret: () => secretA, epochMs });
    const epoch = epochOf(Date.now(), epochMs);
    const good = privateServerName(secretA, epoch);

    const contact = await handshake(gate, good);
    assert.equal(contact.clientSaw, identity.identity, 'a contact sees the identity');
    assert.equal(contact.serverShowedIdentity, true);

    const replay = await handshake(gate, good);
    assert.notEqual(replay.clientSaw, identity.identity, 'a replayed server name gets the decoy');
    assert.equal(replay.serverShowedIdentity, false, 'and the server knows to close it');

    for (const name of [undefined, 'example.local', privateServerName(secretB, epoch), privateServerName(secretA, epoch + 5)]) {
      const stranger = await handshake(gate, name);
      assert.ok(stranger.clientSaw !== null && stranger.clientSaw !== identity.identity, `decoy for ${String(name)}`);
      assert.equal(stranger.serverShowedIdentity, false);
    }
    assert.deepEqual(gate.stats, { identity: 1, decoy: 4, replayed: 1 }, 'no SNI at all does not reach the callback');
  });

  test('a neighbouring epoch (clock skew) is accepted; the decoy differs for every listener', async () => {
    const gate = new SniGate({ identity, secret: () => secretA, epochMs });
    const epoch = epochOf(Date.now(), epochMs);
    assert.equal((await handshake(gate, privateServerName(secretA, epoch - 1))).serverShowedIdentity, true);
    assert.equal((await handshake(gate, privateServerName(secretA, epoch + 1))).serverShowedIdentity, true);
    const a = await handshake(gate, 'x');
    const b = await handshake(gate, 'x');
    assert.notEqual(a.clientSaw, b.clientSaw, 'decoys are throwaway keys');
  });
});

// -------------------------------------------------------------------------------------------

describe('BroadcastSecretStore', () => {
  test('made on first start (0600), the same after a restart, replaced by rotate()', async () => {
    const dir = await freshDir();
    const first = await BroadcastSecretStore.load(dir);
    assert.equal(first.problem, null);
    assert.equal(first.secret.length, 32);
    const file = path.join(dir, BROADCAST_SECRET_FILE);
    if (posix) assert.equal((await fsp.stat(file)).mode & 0o777, 0o600);
    const again = await BroadcastSecretStore.load(dir);
    assert.deepEqual(again.secret, first.secret);

    let rotated: Buffer | null = null;
    again.on('rotated', (s) => (rotated = s));
    const next = await again.rotate();
    assert.notDeepEqual(next, first.secret);
    assert.deepEqual(rotated, next);
    assert.deepEqual((await BroadcastSecretStore.load(dir)).secret, next, 'the rotation is saved');
    if (posix) assert.equal((await fsp.stat(file)).mode & 0o777, 0o600);
  });

  test('a corrupt file: set aside, a new secret, and a warning that says what follows', async () => {
    const dir = await freshDir();
    await fsp.writeFile(path.join(dir, BROADCAST_SECRET_FILE), '{"version":1,"secret":"short"');
    const store = await BroadcastSecretStore.load(dir);
    assert.equal(store.secret.length, 32);
    assert.match(store.problem ?? '', /broadcast-secret\.json could not be read/);
    assert.match(store.problem ?? '', /new broadcast secret/);
    const names = await fsp.readdir(dir);
    assert.ok(names.some((n) => n.startsWith(`${BROADCAST_SECRET_FILE}.corrupt-`)), names.join(','));
    assert.deepEqual((await BroadcastSecretStore.load(dir)).secret, store.secret, 'the new one was saved');
  });
});

describe('ContactSecretStore', () => {
  test('keeps each contact’s secret (0600), replaces it, forgets removed contacts', async () => {
    const dir = await freshDir();
    const a = identityFromSeed('a');
    const b = identityFromSeed('b');
    const store = await ContactSecretStore.load(dir);
    assert.equal(await store.set(a, secretA), true);
    assert.equal(await store.set(a, secretA), false, 'the same again changes nothing');
    await store.set(b, secretB);
    if (posix) assert.equal((await fsp.stat(path.join(dir, CONTACT_SECRETS_FILE))).mode & 0o777, 0o600);
    const reloaded = await ContactSecretStore.load(dir);
    assert.deepEqual(reloaded.get(a), secretA);
    assert.equal(reloaded.size, 2);
    await reloaded.set(a, secretB);
    await reloaded.retainOnly([a]);
    const last = await ContactSecretStore.load(dir);
    assert.deepEqual(last.get(a), secretB);
    assert.equal(last.get(b), null);
    await assert.rejects(last.set('not an identity', secretA), /not an identity/);
    await assert.rejects(last.set(a, Buffer.alloc(5)), /32 bytes/);
  });
});

describe('TokenResolver', () => {
  test('recognises a contact’s token for the current epoch and its neighbours only', () => {
    let now = 100 * 3000 + 10;
    const alice = identityFromSeed('alice');
    const resolver = new TokenResolver({ secrets: () => [{ identity: alice, secret: secretA }], epochMs: 3000, now: () => now });
    assert.deepEqual(resolver.resolve(privateToken(secretA, 100)), { identity: alice, epoch: 100 });
    assert.deepEqual(resolver.resolve(privateToken(secretA, 99)), { identity: alice, epoch: 99 });
    assert.deepEqual(resolver.resolve(privateToken(secretA, 101).toUpperCase()), { identity: alice, epoch: 101 }, 'DNS names ignore case');
    assert.equal(resolver.resolve(privateToken(secretA, 102)), null);
    assert.equal(resolver.resolve(privateToken(secretB, 100)), null, 'not a contact');
    now += 3 * 3000;
    assert.equal(resolver.resolve(privateToken(secretA, 100)), null, 'the table follows the clock');
    assert.deepEqual(resolver.resolve(privateToken(secretA, 103))?.epoch, 103);
  });

  test('invalidate() picks up new or removed secrets', () => {
    const alice = identityFromSeed('alice');
    let secrets = [{ identity: alice, secret: secretA }];
    const resolver = new TokenResolver({ secrets: () => secrets, epochMs: 3000, now: () => 300_000 });
    const oldToken = privateToken(secretA, 100);
    assert.ok(resolver.resolve(oldToken));
    secrets = [{ identity: alice, secret: secretB }];
    assert.ok(resolver.resolve(oldToken), 'cached until told');
    resolver.invalidate();
    assert.equal(resolver.resolve(oldToken), null);
    assert.ok(resolver.resolve(privateToken(secretB, 100)));
  });

  test('50 contacts × 3 epochs: the table builds in a few milliseconds and a lookup is a map access', () => {
    const timings: Record<string, number> = {};
    for (const n of [1, 50]) {
      const secrets = Array.from({ length: n }, (_, i) => ({ identity: identityFromSeed(`c${i}`), secret: newBroadcastSecret() }));
      let now = 1_000_000_000;
      const resolver = new TokenResolver({ secrets: () => secrets, epochMs: 1000, now: () => now });
      const target = privateToken((secrets[n - 1] as { secret: Buffer }).secret, epochOf(now, 1000));
      const runs = 50;
      const start = process.hrtime.bigint();
      for (let i = 0; i < runs; i++) {
        now += 1000; // a new epoch each run: the table is rebuilt
        resolver.resolve(target);
      }
      const buildMs = Number(process.hrtime.bigint() - start) / 1e6 / runs;
      assert.equal(resolver.size, n * 3);
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < 10_000; i++) resolver.resolve(target);
      const lookupUs = Number(process.hrtime.bigint() - t0) / 1e3 / 10_000;
      timings[`${n} contacts: rebuild (ms)`] = Number(buildMs.toFixed(3));
      timings[`${n} contacts: lookup (µs)`] = Number(lookupUs.toFixed(3));
      assert.ok(buildMs < 50, `rebuild for ${n} contacts took ${buildMs} ms`);
    }
    console.log('resolution timings', JSON.stringify(timings));
  });
});

// -------------------------------------------------------------------------------------------

class FakeContacts extends EventEmitter implements ContactList {
  private items: Array<{ identity: string; name: string }> = [];
  has(identity: string): boolean {
    return this.items.some((c) => c.identity === identity);
  }
  list(): Array<{ identity: string; name: string }> {
    return [...this.items];
  }
  add(identity: string, name: string): void {
    this.items.push({ identity, name });
    this.emit('change');
  }
  remove(identity: string): void {
    this.items = this.items.filter((c) => c.identity !== identity);
    this.emit('change');
  }
}

const META: DeviceMetadata = { ...emptyDeviceMetadata(), name: 'Oscars Laptop', operatingSystem: 'macos', deviceModel: 'MacBook Pro', version: '0.1.0' };

async function makeService(seed: string) {
  const dir = await freshDir();
  const tls = createTlsIdentity(generateKeyPairSync('ed25519').privateKey);
  const secret = await BroadcastSecretStore.load(dir);
  const contactSecrets = await ContactSecretStore.load(dir);
  const contacts = new FakeContacts();
  const service = new ContactsOnlyService({ tls, secret, contactSecrets, contacts, metadata: () => ({ ...META, name: seed }), epochMs: 60_000 });
  return { service, secret, contactSecrets, contacts, identity: tls.identity };
}

function secretsSent(sent: LinkMessage[]): string[] {
  return sent.filter((m) => m.type === 'contact-secret').map((m) => (m as { secret: string }).secret);
}

describe('ContactsOnlyService', () => {
  test('after pairing each side holds the other’s secret, and resolves the other’s token', async () => {
    const a = await makeService('A');
    const b = await makeService('B');
    const [ab, ba] = channelPair(a.identity, b.identity);
    a.service.attach(ab);
    b.service.attach(ba);
    await settle();
    assert.deepEqual(ab.sent, [], 'no secret to a stranger');
    // Pairing ends on both sides, A first: B's secret reaches A before A is B's contact.
    a.contacts.add(b.identity, 'B');
    await settle();
    b.contacts.add(a.identity, 'A');
    await settle();
    await Promise.all([a.service.settled(), b.service.settled()]);
    assert.deepEqual(a.contactSecrets.get(b.identity), b.secret.secret);
    assert.deepEqual(b.contactSecrets.get(a.identity), a.secret.secret);
    const adA = a.service.advertisement(4321);
    assert.deepEqual(b.service.resolver.resolve(adA.instance)?.identity, a.identity);
    assert.equal(adA.port, 4321);
    assert.deepEqual(adA.txt, [new Uint8Array(0)], 'a TXT record with nothing in it');
    a.service.close();
    b.service.close();
  });

  test('removing a contact rotates the secret: the removed one cannot resolve the next token, the others get the new secret', async () => {
    const a = await makeService('A');
    const b = await makeService('B');
    const c = await makeService('C');
    // A is paired with B and with C (both ways).
    for (const [x, y] of [[a, b], [a, c]] as const) {
      x.contacts.add(y.identity, 'y');
      y.contacts.add(x.identity, 'x');
    }
    const [ab, ba] = channelPair(a.identity, b.identity);
    const [ac, ca] = channelPair(a.identity, c.identity);
    a.service.attach(ab);
    b.service.attach(ba);
    a.service.attach(ac);
    c.service.attach(ca);
    await settle();
    await Promise.all([a.service.settled(), b.service.settled(), c.service.settled()]);
    const before = a.secret.secret;
    assert.deepEqual(b.contactSecrets.get(a.identity), before);
    assert.deepEqual(c.contactSecrets.get(a.identity), before);

    let rotated = 0;
    a.service.on('rotated', () => rotated++);
    ab.close(); // B is not around when A removes it
    await settle();
    a.contacts.remove(b.identity);
    await a.service.settled();
    await settle();
    await c.service.settled();
    assert.equal(rotated, 1);
    assert.notDeepEqual(a.secret.secret, before);
    assert.equal(a.contactSecrets.get(b.identity), null, 'B’s secret is forgotten');
    assert.deepEqual(c.contactSecrets.get(a.identity), a.secret.secret, 'C, linked, got the new one');
    const next = a.service.advertisement(1).instance;
    assert.equal(b.service.resolver.resolve(next), null, 'B cannot resolve A any more');
    assert.equal(c.service.resolver.resolve(next)?.identity, a.identity, 'C still can');
    for (const s of [a, b, c]) s.service.close();
  });

  test('metadata only to a contact: in the hello, and on request', async () => {
    const a = await makeService('A');
    const friend = identityFromSeed('friend');
    const stranger = identityFromSeed('stranger');
    a.contacts.add(friend, 'Friend');
    assert.equal(a.service.metadataFor(friend, false).name, 'A');
    assert.deepEqual(a.service.metadataFor(stranger, false), WITHHELD_METADATA);
    assert.equal(a.service.metadataFor(stranger, true).name, 'A', 'in Everyone mode everybody may know');
    for (const [who, expected] of [[friend, 'metadata'], [stranger, 'error']] as const) {
      const [mine, theirs] = channelPair(a.identity, who);
      a.service.attach(mine);
      const got: LinkMessage[] = [];
      theirs.on('message', (m: LinkMessage) => got.push(m));
      theirs.send({ type: 'metadata-request' });
      await settle();
      const answer = got.find((m) => m.type === 'metadata' || m.type === 'error');
      assert.equal(answer?.type, expected, who);
      if (answer?.type === 'error') assert.doesNotMatch(JSON.stringify(got), /"A"/);
    }
    a.service.close();
  });

  test('a secret from someone who never becomes a contact is never stored', async () => {
    const a = await makeService('A');
    const b = await makeService('B');
    const [ab, ba] = channelPair(a.identity, b.identity);
    a.service.attach(ab);
    ba.send({ type: 'contact-secret', secret: secretB.toString('base64') });
    await settle();
    await a.service.settled();
    assert.equal(a.contactSecrets.get(b.identity), null);
    assert.deepEqual(secretsSent(ab.sent), []);
    a.service.close();
  });

  test('split(): open peers pass, a contact’s token resolves (claimed identity, contact name), others are counted only', async () => {
    const a = await makeService('A');
    const friend = identityFromSeed('friend');
    a.contacts.add(friend, 'Friend');
    await a.contactSecrets.set(friend, secretB);
    a.service.resolver.invalidate();
    const base: Peer = {
      id: 'x', identity: null, instance: 'x', verified: false, name: 'x', operatingSystem: 'other', deviceModel: null, version: null, libraries: [],
      librariesOmitted: 0, addresses: ['10.0.0.2'], port: 5000, hostname: 'h.local', interfaces: ['eth0'], firstSeen: '', lastSeen: '', source: 'mdns',
    };
    const open = { ...base, id: 'open', identity: identityFromSeed('o'), instance: identityFromSeed('o') };
    const foreign = { ...base, id: 'foreign', instance: 'Living room printer' };
    const theirs = privateToken(secretB, a.service.epoch);
    const mine = { ...base, id: 'mine', instance: theirs, name: theirs };
    const unknown = { ...base, id: 'unknown', instance: privateToken(secretA, a.service.epoch) };
    const split = a.service.split([open, foreign, mine, unknown]);
    assert.deepEqual(split.open.map((p) => p.id), ['open', 'foreign']);
    assert.deepEqual(split.resolved.map((p) => [p.id, p.identity, p.name]), [['mine', friend, 'Friend']]);
    assert.deepEqual(split.unresolved.map((p) => p.id), ['unknown']);
    assert.match(a.service.serverNameFor(friend) ?? '', /^[a-z2-7]{16}-[a-z2-7]{26}$/);
    assert.equal(a.service.serverNameFor(identityFromSeed('nobody')), null);
    a.service.close();
  });
});
