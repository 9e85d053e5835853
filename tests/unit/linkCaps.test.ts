// Who may hold the node's links (issue 11): relationships have room strangers cannot take, caps
// count per /24 and /64, unannounced links have a small pool of their own where the oldest goes
// first. The policy alone (admitLink), then the link manager carrying it out over real TLS, and
// the server's rate of new connections per address.

import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { connect, type TLSSocket } from 'node:tls';
import { after, describe, test } from 'node:test';
import {
  admitLink,
  LINKS_MAX,
  networkOf,
  STRANGER_LINKS_MAX,
  STRANGER_LINKS_PER_NETWORK_MAX,
  UNANNOUNCED_LINKS_MAX,
  UNANNOUNCED_LINKS_PER_NETWORK_MAX,
  type LinkSlot,
  type LinkStanding,
} from '../../src-main/core/p2p/linkCaps.js';
import { LinkManager } from '../../src-main/core/p2p/linkManager.js';
import { LinkServer } from '../../src-main/core/p2p/linkServer.js';
import { encodeFrame } from '../../src-main/core/p2p/frames.js';
import { createTlsIdentity, tlsOptions, type TlsIdentity } from '../../src-main/core/p2p/tlsIdentity.js';
import { emptyDeviceMetadata } from '../../src-shared/peerMetadata.js';

let clock = 0;
const slot = (standing: LinkStanding, address: string, identity = `id${++clock}`): LinkSlot => ({ identity, address, standing, since: clock });
const many = (n: number, standing: LinkStanding, address: (i: number) => string) => Array.from({ length: n }, (_, i) => slot(standing, address(i)));
const evicted = (current: LinkSlot[], candidate: LinkSlot) => {
  const a = admitLink(current, candidate);
  assert.ok(a.admit, `admitted: ${a.admit ? '' : a.reason}`);
  return a.evict.map((s) => s.identity);
};
const refusal = (current: LinkSlot[], candidate: LinkSlot) => {
  const a = admitLink(current, candidate);
  assert.ok(!a.admit, 'refused');
  return a.reason;
};

describe('networkOf: caps count per IPv4 /24 and IPv6 /64', () => {
  test('addresses of one network share it, others do not', () => {
    assert.equal(networkOf('10.1.2.3'), '10.1.2.0/24');
    assert.equal(networkOf('10.1.2.250'), networkOf('10.1.2.3'));
    assert.notEqual(networkOf('10.1.3.3'), networkOf('10.1.2.3'));
    assert.equal(networkOf('fe80::1%eth0'), networkOf('fe80::abcd:1234:5678:9abc%eth0'), 'link-local addresses of one interface share it');
    assert.equal(networkOf('fe80::abcd:1234:5678:9abc'), networkOf('FE80:0000::1'));
    assert.equal(networkOf('2001:db8:1:2:aaaa::1'), '2001:db8:1:2::/64');
    assert.notEqual(networkOf('2001:db8:1:3::1'), networkOf('2001:db8:1:2::1'));
    assert.equal(networkOf('::ffff:10.1.2.3'), '10.1.2.0/24', 'an IPv4 peer on our dual-stack port counts in its /24');
    assert.notEqual(networkOf('::ffff:10.1.3.3'), networkOf('::ffff:10.1.2.3'));
  });
});

describe('admitLink: which link is closed when full', () => {
  test('unannounced links from one network: at most 4, a new one closes the oldest of them', () => {
    const held = many(UNANNOUNCED_LINKS_PER_NETWORK_MAX, 'unannounced', (i) => `10.0.0.${200 + i}`);
    const oldest = held[0]!.identity;
    assert.deepEqual(evicted(held, slot('unannounced', '10.0.0.207')), [oldest], 'another address of the same /24 counts for the same network');
  });

  test('the unannounced pool full: a newcomer from another network closes the oldest of all, and cannot push out more than one network allows', () => {
    const a = many(UNANNOUNCED_LINKS_PER_NETWORK_MAX, 'unannounced', (i) => `10.0.0.${i + 1}`);
    const b = many(UNANNOUNCED_LINKS_MAX - UNANNOUNCED_LINKS_PER_NETWORK_MAX, 'unannounced', (i) => `10.9.9.${i + 1}`);
    assert.deepEqual(evicted([...a, ...b], slot('unannounced', '192.168.1.5')), [a[0]!.identity]);
    // An attacker's network at its cap pushes out only its own links, never another network's.
    assert.deepEqual(evicted([...b, ...a], slot('unannounced', '10.0.0.99')), [a[0]!.identity]);
  });

  test('a relationship takes the place of the oldest stranger when the table is full: unannounced first, then announced', () => {
    const relationships = many(LINKS_MAX - STRANGER_LINKS_MAX, 'relationship', (i) => `10.0.${i >> 8}.${i & 255}`);
    const announced = many(STRANGER_LINKS_MAX - 2, 'announced', (i) => `10.1.${i}.1`);
    const unannounced = many(2, 'unannounced', (i) => `10.2.${i}.1`);
    const full = [...unannounced, ...announced, ...relationships];
    assert.equal(full.length, LINKS_MAX);
    assert.deepEqual(evicted(full, slot('relationship', '10.3.0.1')), [unannounced[0]!.identity]);
    assert.deepEqual(evicted([...announced, ...relationships, ...many(2, 'relationship', () => '10.4.0.1')], slot('relationship', '10.3.0.1')), [announced[0]!.identity]);
  });

  test('only relationships fill the whole table: 128 of them refuse the next', () => {
    const relationships = many(LINKS_MAX, 'relationship', (i) => `10.0.${i >> 8}.${i & 255}`);
    assert.match(refusal(relationships, slot('relationship', '10.3.0.1')), /128 links are open/);
    assert.match(refusal(relationships, slot('announced', '10.3.0.1')), /./);
  });

  test('strangers never take the relationships\' room: 32 at most, 16 per network', () => {
    const fromOne = many(STRANGER_LINKS_PER_NETWORK_MAX, 'announced', (i) => `10.0.0.${i + 1}`);
    assert.match(refusal(fromOne, slot('announced', '10.0.0.100')), /16 links from 10\.0\.0\.0\/24/);
    assert.match(refusal(fromOne, slot('unannounced', '10.0.0.100')), /16 links from 10\.0\.0\.0\/24/);
    assert.deepEqual(evicted(fromOne, slot('announced', '10.0.1.1')), [], 'another network has room');
    const strangers = [...fromOne, ...many(STRANGER_LINKS_MAX - STRANGER_LINKS_PER_NETWORK_MAX, 'announced', (i) => `10.5.${i}.1`)];
    assert.match(refusal(strangers, slot('announced', '10.7.0.1')), /32 links that nobody here asked for/);
    assert.deepEqual(evicted(strangers, slot('relationship', '10.0.0.100')), [], 'a relationship is admitted beside them');
  });

  test('an announced stranger pushes out an unannounced one when strangers are full', () => {
    const unannounced = many(UNANNOUNCED_LINKS_PER_NETWORK_MAX, 'unannounced', (i) => `10.0.0.${100 + i}`);
    const announced = many(STRANGER_LINKS_PER_NETWORK_MAX - UNANNOUNCED_LINKS_PER_NETWORK_MAX, 'announced', (i) => `10.0.0.${i + 1}`);
    assert.deepEqual(evicted([...unannounced, ...announced], slot('announced', '10.0.0.50')), [unannounced[0]!.identity]);
  });

  test('the attack of issue 11: 128 unannounced links from 8 addresses of one /24 hold 4 places, the newest', () => {
    let held: LinkSlot[] = [];
    for (let i = 0; i < 128; i++) {
      const candidate = slot('unannounced', `10.0.0.${200 + (i % 8)}`);
      const a = admitLink(held, candidate);
      if (!a.admit) continue;
      held = [...held.filter((s) => !a.evict.includes(s)), candidate];
    }
    assert.equal(held.length, UNANNOUNCED_LINKS_PER_NETWORK_MAX);
    // A device the node wants, on the same /24, still gets its link.
    assert.deepEqual(evicted(held, slot('relationship', '10.0.0.5')), []);
  });
});

// ---------------------------------------------------------------------------------------------
// the link manager carries it out

const newId = (): TlsIdentity => createTlsIdentity(generateKeyPairSync('ed25519').privateKey);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const cleanups: Array<() => unknown> = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

/** A client with its own key: TLS, a hello; resolves once connected, with a promise of its close. */
function stranger(port: number, name: string): Promise<{ socket: TLSSocket; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const s = connect({ ...tlsOptions(newId()), host: '127.0.0.1', port, checkServerIdentity: () => undefined });
    s.on('data', () => {});
    s.on('error', () => {});
    const closed = new Promise<void>((r) => s.once('close', () => r()));
    s.once('secureConnect', () => {
      s.write(encodeFrame({ type: 'hello', version: 1, metadata: { ...emptyDeviceMetadata(), name, version: '1', operatingSystem: 'linux' }, port: 1 }));
      resolve({ socket: s, closed });
    });
    s.once('error', reject);
    cleanups.push(() => s.destroy());
  });
}

describe('LinkManager: the caps over real links', () => {
  test('strangers that only connected: the oldest are closed as newer ones come; a link the node dials still gets its place', async () => {
    const logged: string[] = [];
    const id = newId();
    const m = new LinkManager({ tls: id, hello: () => ({ metadata: emptyDeviceMetadata(), port: 1 }), standing: () => 'unannounced', log: (line) => logged.push(line) });
    const port = await m.listen(0);
    cleanups.push(() => m.stop());
    const clients = [];
    for (let i = 0; i < UNANNOUNCED_LINKS_PER_NETWORK_MAX + 2; i++) {
      clients.push(await stranger(port, `Stranger ${i}`));
      await sleep(30); // each established after the one before
    }
    await Promise.all([clients[0]!.closed, clients[1]!.closed]);
    await sleep(100);
    assert.deepEqual(m.readyLinks().map((l) => l.remoteMetadata?.name).sort(), ['Stranger 2', 'Stranger 3', 'Stranger 4', 'Stranger 5']);
    assert.equal(m.stats.evicted, 2);
    assert.equal(logged.length, 1, 'logged once for the network, not once per link');
    assert.match(logged[0]!, /closed the oldest link from 127\.0\.0\.1/);
    // A node it dials (a relationship) is linked beside them.
    const friend = new LinkManager({ tls: newId(), hello: () => ({ metadata: { ...emptyDeviceMetadata(), name: 'Friend' }, port: 2 }) });
    const friendPort = await friend.listen(0);
    cleanups.push(() => friend.stop());
    const r = await m.dial('127.0.0.1', friendPort);
    const link = m.adopt(r.socket, r.identity, true, 'manual');
    assert.ok(link, 'the link the node dialled is adopted');
    await new Promise((resolve) => link.once('ready', resolve));
    assert.equal(m.readyLinks().length, UNANNOUNCED_LINKS_PER_NETWORK_MAX + 1);
  });
});

describe('LinkServer: new connections per address', () => {
  test('past its burst, an address opening connections faster than the rate is closed before TLS; the rate brings it back', async () => {
    const server = new LinkServer(newId(), (socket) => socket.end(), { connectionsPerAddressPerSecond: 5, connectionBurstPerAddress: 2 });
    const port = await server.listen(0);
    cleanups.push(() => server.close());
    const handshake = () =>
      new Promise<boolean>((resolve) => {
        const s = connect({ ...tlsOptions(newId()), host: '127.0.0.1', port, checkServerIdentity: () => undefined });
        s.once('secureConnect', () => {
          s.destroy();
          resolve(true);
        });
        s.once('error', () => resolve(false));
        s.once('close', () => resolve(false));
      });
    assert.deepEqual([await handshake(), await handshake(), await handshake()], [true, true, false]);
    assert.equal(server.stats.rateLimited, 1);
    await sleep(250); // one token back at 5 a second
    assert.equal(await handshake(), true);
  });
});
