// The engine handles a packet once however many of its sockets hear it: a dual-stack responder
// sends each response to both groups (the same bytes from its IPv4 and its IPv6 address), and a
// host in a boot storm of 50 would otherwise decode and apply every response twice. Queries stay
// per source: a question asked for a unicast answer is answered at the address that asked.
// The engine is driven without sockets (it never opens one here): packets are handed to its
// receive path as the sockets would, and what the browser took is read from its counter.

import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { RemoteInfo } from 'node:dgram';
import { DiscoveryEngine } from '../../src-main/core/discovery/engine.js';
import { encodeQuery, encodeResponse, type MdnsRecord } from '../../src-main/core/discovery/dnsMessage.js';
import type { MulticastInterface } from '../../src-main/core/discovery/networkInterfaces.js';
import { DUPLICATE_PACKET_WINDOW_MS } from '../../src-main/core/discovery/constants.js';
import { encodeRemoteIdentity } from '../../src-shared/identity.js';

const eth0: MulticastInterface = {
  name: 'eth0',
  ipv4: [{ address: '10.0.0.1', netmask: '255.255.255.0' }],
  ipv6: [{ address: 'fe80::1', netmask: 'ffff:ffff:ffff:ffff::', scopeId: 2 }],
};

/** The engine's receive path, as its sockets call it (private: a unit test of this one module). */
interface Receiving {
  onMessage(buffer: Buffer, rinfo: RemoteInfo, receiver: object, viaDirectQuery: boolean): void;
  current: MulticastInterface[];
  browser: { start(): void; stop(): void };
  responder: { handleQuery(...args: unknown[]): void };
}

const from = (address: string, port = 5353): RemoteInfo => ({ address, port, family: address.includes(':') ? 'IPv6' : 'IPv4', size: 0 });

function response(): Buffer {
  const instance = `${encodeRemoteIdentity(randomBytes(32))}._sd._udp.local`;
  const records: MdnsRecord[] = [
    { name: '_sd._udp.local', type: 'PTR', ttl: 4500, flush: false, data: instance },
    { name: instance, type: 'SRV', ttl: 120, flush: true, data: { target: 'sd-00000000000000aa.local', port: 4242, priority: 0, weight: 0 } },
    { name: 'sd-00000000000000aa.local', type: 'A', ttl: 120, flush: true, data: '10.0.0.9' },
    { name: 'sd-00000000000000aa.local', type: 'AAAA', ttl: 120, flush: true, data: 'fe80::9' },
  ];
  return encodeResponse(records.slice(0, 1), records.slice(1));
}

describe('a packet heard on several sockets', () => {
  let engine: DiscoveryEngine;
  let receiving: Receiving;
  const v4Socket = {};
  const v6Socket = {};

  const setUp = () => {
    engine = new DiscoveryEngine({ readInterfaces: () => [eth0] });
    receiving = engine as unknown as Receiving;
    receiving.current = [eth0];
    receiving.browser.start();
  };
  afterEach(() => receiving.browser.stop());

  test('a response sent to both groups by a dual-stack responder is taken once', () => {
    setUp();
    const packet = response();
    const before = engine.heardCount;
    receiving.onMessage(packet, from('10.0.0.9'), v4Socket, false);
    receiving.onMessage(packet, from('fe80::9%eth0'), v6Socket, false);
    assert.equal(engine.heardCount - before, 1, 'the IPv6 copy of the same bytes is not handled again');
    assert.equal(engine.peers().length, 1);
  });

  test('the same response again on the socket that had it is a new packet (a repeated announcement)', () => {
    setUp();
    const packet = response();
    const before = engine.heardCount;
    receiving.onMessage(packet, from('10.0.0.9'), v4Socket, false);
    receiving.onMessage(packet, from('10.0.0.9'), v4Socket, false);
    assert.equal(engine.heardCount - before, 2);
  });

  test('different responses on the two sockets are both taken', () => {
    setUp();
    const before = engine.heardCount;
    receiving.onMessage(response(), from('10.0.0.9'), v4Socket, false);
    receiving.onMessage(response(), from('fe80::9%eth0'), v6Socket, false);
    assert.equal(engine.heardCount - before, 2);
    assert.equal(engine.peers().length, 2);
  });

  test('the same query from two addresses is handled for each: the answer goes where it was asked', async () => {
    setUp();
    const asked: string[] = [];
    receiving.responder.handleQuery = (_msg: unknown, source: unknown) => asked.push((source as { address: string }).address);
    const query = encodeQuery([{ name: '_sd._udp.local', type: 'PTR', unicastResponse: true }]);
    receiving.onMessage(query, from('10.0.0.9'), v4Socket, false);
    receiving.onMessage(query, from('fe80::7%eth0'), v6Socket, false);
    assert.deepEqual(asked, ['10.0.0.9', 'fe80::7%eth0']);
    // And a response's copy is taken again once the window is over (it is a new packet then).
    const packet = response();
    const before = engine.heardCount;
    receiving.onMessage(packet, from('10.0.0.9'), v4Socket, false);
    await new Promise((r) => setTimeout(r, DUPLICATE_PACKET_WINDOW_MS + 20));
    receiving.onMessage(packet, from('fe80::9%eth0'), v6Socket, false);
    assert.equal(engine.heardCount - before, 2);
  });
});
