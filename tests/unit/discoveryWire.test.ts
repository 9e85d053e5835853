// Unit tests of the discovery engine's pure parts: message codec, peer cache, responder rules.
// The responder is driven through a recording Transport (a fake is fine inside a unit test).

import { afterEach, beforeEach, describe, mock, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import dnsPacket from 'dns-packet';
import { decodeMessage, encodeQuery, encodeResponse, instanceLabelOf, type MdnsRecord } from '../../src-main/core/discovery/dnsMessage.js';
import { PeerCache, claimedIdentity } from '../../src-main/core/discovery/peerCache.js';
import { Responder } from '../../src-main/core/discovery/responder.js';
import { Browser } from '../../src-main/core/discovery/browser.js';
import { buildOwnRecords, recordKey, type Advertisement } from '../../src-main/core/discovery/ownRecords.js';
import { interfaceForSource, type MulticastInterface } from '../../src-main/core/discovery/networkInterfaces.js';
import type { Transport } from '../../src-main/core/discovery/transport.js';
import { TRUNCATED_QUERIES_PENDING_MAX } from '../../src-main/core/discovery/constants.js';
import { encodeRemoteIdentity } from '../../src-shared/identity.js';
import { encodeTxt } from '../../src-shared/txtCodec.js';

const newIdentity = () => encodeRemoteIdentity(randomBytes(32));
const eth0: MulticastInterface = {
  name: 'eth0',
  ipv4: [{ address: '10.0.0.1', netmask: '255.255.255.0' }],
  ipv6: [{ address: 'fe80::1', netmask: 'ffff:ffff:ffff:ffff::', scopeId: 2 }],
};

function advertisement(identity = newIdentity()): Advertisement {
  const txt = encodeTxt({ name: 'Unit', operatingSystem: 'linux', deviceModel: null, version: '1.0.0', libraries: [] }).strings;
  return { instance: identity, hostname: 'sd-0123456789abcdef', port: 4242, txt };
}

class RecordingTransport implements Transport {
  readonly sent: Array<{ kind: 'multicast' | 'unicast' | 'direct'; to?: string; port?: number; packet: Buffer; at?: number }> = [];
  interfaces() {
    return [eth0];
  }
  async multicast(_iface: string, packet: Buffer) {
    this.sent.push({ kind: 'multicast', packet, at: Date.now() });
  }
  async unicast(address: string, port: number, packet: Buffer) {
    this.sent.push({ kind: 'unicast', to: address, port, packet });
  }
  async directQuery(address: string, packet: Buffer) {
    this.sent.push({ kind: 'direct', to: address, packet });
  }
}

describe('dnsMessage', () => {
  test('a QU question round-trips with its unicast-response bit (dns-packet cannot set it)', () => {
    const msg = decodeMessage(encodeQuery([{ name: '_sd._udp.local', type: 'PTR', unicastResponse: true }, { name: 'x._sd._udp.local', type: 'SRV', unicastResponse: false }]));
    assert.ok(msg);
    assert.deepEqual(msg.questions.map((q) => q.unicastResponse), [true, false]);
    assert.deepEqual(msg.questions.map((q) => q.type), ['PTR', 'SRV']);
  });

  test('malformed and oversize datagrams decode to null instead of throwing', () => {
    assert.equal(decodeMessage(Buffer.alloc(5)), null);
    assert.equal(decodeMessage(Buffer.alloc(9001)), null);
    for (let i = 0; i < 2000; i++) assert.doesNotThrow(() => decodeMessage(randomBytes(12 + (i % 300))));
    // A compression pointer that points at itself.
    const loop = Buffer.from('000084000000000100000000c00c000c0001000000780002c00c', 'hex');
    assert.equal(decodeMessage(loop), null);
  });

  test('records of foreign classes or broken SRV data are dropped, the rest kept', () => {
    const buf = dnsPacket.encode({
      type: 'response',
      answers: [
        { name: '_sd._udp.local', type: 'PTR', ttl: 10, data: 'a._sd._udp.local' },
        { name: 'a._sd._udp.local', type: 'SRV', ttl: 10, class: 'CH', data: { target: 'h.local', port: 1 } } as dnsPacket.Answer,
      ],
    });
    const msg = decodeMessage(buf);
    assert.deepEqual(msg?.records.map((r) => r.type), ['PTR']);
  });

  test('instance labels are taken from _sd._udp names only, within 63 bytes', () => {
    assert.equal(instanceLabelOf('abc._sd._udp.local'), 'abc');
    assert.equal(instanceLabelOf('ABC._SD._UDP.LOCAL'), 'ABC');
    assert.equal(instanceLabelOf('abc._http._tcp.local'), null);
    assert.equal(instanceLabelOf(`${'x'.repeat(64)}._sd._udp.local`), null);
  });
});

describe('PeerCache', () => {
  const ptr = (label: string, ttl = 4500): MdnsRecord => ({ name: '_sd._udp.local', type: 'PTR', ttl, flush: false, data: `${label}._sd._udp.local` });
  const srv = (label: string, port = 1, ttl = 120): MdnsRecord => ({ name: `${label}._sd._udp.local`, type: 'SRV', ttl, flush: true, data: { target: 'h.local', port, priority: 0, weight: 0 } });
  const txt = (label: string, ...strings: string[]): MdnsRecord => ({ name: `${label}._sd._udp.local`, type: 'TXT', ttl: 4500, flush: true, data: strings.map((s) => Buffer.from(s)) });

  test('our own instance is never a peer, whatever its case', () => {
    const own = newIdentity();
    const cache = new PeerCache(() => own, 10);
    cache.apply([ptr(own.toUpperCase()), ptr(own)], 'eth0', '10.0.0.2', Date.now());
    assert.equal(cache.size, 0);
  });

  test('a TXT alone (no PTR) updates a known peer', () => {
    const id = newIdentity();
    const cache = new PeerCache(() => null, 10);
    cache.apply([ptr(id), srv(id), txt(id, 'name=Old')], 'eth0', '10.0.0.2', 1000);
    const r = cache.apply([txt(id, 'name=New')], 'eth0', '10.0.0.2', 2000);
    assert.equal(r.changed, true);
    assert.equal(cache.toPeer(cache.get(`${id.toLowerCase()}._sd._udp.local`)!).name, 'New');
  });

  test('a goodbye is reported, not applied: the caller verifies it first', () => {
    const id = newIdentity();
    const cache = new PeerCache(() => null, 10);
    cache.apply([ptr(id), srv(id)], 'eth0', '10.0.0.2', 1000);
    const r = cache.apply([ptr(id, 0)], 'eth0', '10.0.0.9', 2000);
    assert.equal(r.goodbyes.size, 1);
    assert.equal(cache.size, 1);
  });

  test('the table is capped, and a newcomer replaces the entry heard from least recently', () => {
    const cache = new PeerCache(() => null, 3);
    cache.apply(Array.from({ length: 10 }, () => ptr(newIdentity())), 'eth0', '10.0.0.2', 1000);
    assert.equal(cache.size, 3);
    const real = newIdentity();
    cache.apply([ptr(real)], 'eth0', '10.0.0.3', 2000);
    assert.equal(cache.size, 3);
    assert.ok(cache.get(`${real.toLowerCase()}._sd._udp.local`), 'the real newcomer is in');
    assert.ok(cache.overflowed > 0, 'the overflow is counted for a warning');
  });

  test('one sender address holds at most 32 entries, its newest', () => {
    const cache = new PeerCache(() => null, 512);
    cache.apply(Array.from({ length: 40 }, () => ptr(newIdentity())), 'eth0', '10.0.0.2', 1000);
    assert.equal(cache.size, 32);
    const latest = newIdentity();
    cache.apply([ptr(latest)], 'eth0', '10.0.0.2', 2000);
    assert.equal(cache.size, 32);
    assert.ok(cache.get(`${latest.toLowerCase()}._sd._udp.local`), 'its newest announcement is kept');
    cache.apply([ptr(newIdentity())], 'eth0', '10.0.0.3', 1000);
    assert.equal(cache.size, 33, 'another sender is not held back');
  });

  test('a conflict suffix " (2)" still yields the claimed identity; anything else is no identity', () => {
    const id = newIdentity();
    assert.equal(claimedIdentity(`${id} (2)`), id);
    assert.equal(claimedIdentity(id.slice(0, 42)), null);
    assert.equal(claimedIdentity(`${id}A`), null);
  });

  test('link-local addresses get the scope of the interface they were heard on', () => {
    const id = newIdentity();
    const cache = new PeerCache(() => null, 10);
    cache.apply([srv(id), { name: 'h.local', type: 'AAAA', ttl: 120, flush: true, data: 'fe80::2' }, { name: 'h.local', type: 'A', ttl: 120, flush: true, data: '10.0.0.2' }], 'eth1', '10.0.0.2', 1000);
    assert.deepEqual(cache.toPeer(cache.get(`${id.toLowerCase()}._sd._udp.local`)!).addresses, ['10.0.0.2', 'fe80::2%eth1']);
  });

  test('records expire with their TTL', () => {
    const id = newIdentity();
    const cache = new PeerCache(() => null, 10);
    cache.apply([ptr(id, 10)], 'eth0', '10.0.0.2', 0);
    assert.deepEqual(cache.expire(5000), []);
    assert.equal(cache.expire(10_001).length, 1);
    assert.equal(cache.size, 0);
  });
});

describe('Responder', () => {
  const query = (questions: Parameters<typeof encodeQuery>[0], known: MdnsRecord[] = []) => decodeMessage(encodeQuery(questions, known))!;

  test('answers a PTR question with the full record set, after a short delay', async () => {
    const t = new RecordingTransport();
    const r = new Responder(t);
    const ad = advertisement();
    r.setAdvertisement(ad);
    r.handleQuery(query([{ name: '_sd._udp.local', type: 'PTR', unicastResponse: false }]), { address: '10.0.0.2', port: 5353 }, eth0);
    assert.equal(t.sent.length, 0, 'shared answers wait 20-120 ms');
    await new Promise((res) => setTimeout(res, 150));
    assert.equal(t.sent.length, 1);
    const msg = decodeMessage(t.sent[0]!.packet)!;
    assert.deepEqual(new Set(msg.records.map((x) => x.type)), new Set(['PTR', 'SRV', 'TXT', 'A', 'AAAA']));
  });

  test('known-answer suppression: no answer when the querier holds our PTR with over half its TTL', () => {
    const t = new RecordingTransport();
    const r = new Responder(t);
    const ad = advertisement();
    r.setAdvertisement(ad);
    const own = buildOwnRecords(ad, eth0);
    r.handleQuery(query([{ name: '_sd._udp.local', type: 'PTR', unicastResponse: true }], [{ ...own.ptr, ttl: 4000 }]), { address: '10.0.0.2', port: 5353 }, eth0);
    assert.equal(t.sent.length, 0);
    r.handleQuery(query([{ name: '_sd._udp.local', type: 'PTR', unicastResponse: true }], [{ ...own.ptr, ttl: 100 }]), { address: '10.0.0.2', port: 5353 }, eth0);
    assert.equal(t.sent.length, 1, 'a known answer close to expiry is refreshed');
  });

  test('a truncated query waits 400-500 ms for the rest of its known answers (RFC 6762 §7.2)', async () => {
    const t = new RecordingTransport();
    const r = new Responder(t);
    const ad = advertisement();
    r.setAdvertisement(ad);
    const own = buildOwnRecords(ad, eth0);
    const ptrQuestion = { name: '_sd._udp.local', type: 'PTR' as const, unicastResponse: false };
    const tc = (known: MdnsRecord[] = []) => decodeMessage(encodeQuery([ptrQuestion], known, true))!;
    const rest = (known: MdnsRecord[]) => decodeMessage(encodeQuery([], known))!;
    const from = (address: string) => ({ address, port: 5353 });

    // Querier A lists our PTR in its second packet: we stay silent.
    r.handleQuery(tc(), from('10.0.0.2'), eth0);
    // Querier B's second packet lists only someone else; C sent a continuation without a first packet.
    r.handleQuery(tc(), from('10.0.0.3'), eth0);
    r.handleQuery(rest([{ ...own.ptr, ttl: 4000 }]), from('10.0.0.2'), eth0);
    r.handleQuery(rest([{ name: '_sd._udp.local', type: 'PTR', flush: false, data: `${newIdentity()}._sd._udp.local`, ttl: 4000 }]), from('10.0.0.3'), eth0);
    r.handleQuery(rest([{ ...own.ptr, ttl: 4000 }]), from('10.0.0.4'), eth0);
    await new Promise((res) => setTimeout(res, 350));
    assert.equal(t.sent.length, 0, 'nothing before 400 ms');
    await new Promise((res) => setTimeout(res, 250));
    assert.equal(t.sent.length, 1, 'B is answered once, A is not');
    const msg = decodeMessage(t.sent[0]!.packet)!;
    assert.ok(msg.records.some((x) => x.type === 'PTR'));
  });

  test('truncated queries held at once are capped; past the cap a query is answered as if whole', async () => {
    const t = new RecordingTransport();
    const r = new Responder(t);
    r.setAdvertisement(advertisement());
    const q = decodeMessage(encodeQuery([{ name: '_sd._udp.local', type: 'PTR', unicastResponse: true }], [], true))!;
    for (let i = 0; i < TRUNCATED_QUERIES_PENDING_MAX; i++) r.handleQuery(q, { address: `10.0.${i >> 8}.${i & 255}`, port: 5353 }, eth0);
    assert.equal(t.sent.length, 0);
    r.handleQuery(q, { address: '10.1.0.1', port: 5353 }, eth0);
    assert.equal(t.sent.length, 1, 'the one over the cap is answered at once (QU)');
    r.cancelTimers();
  });

  test('legacy unicast: answered to the source port, id and question echoed, TTL at most 10 s', () => {
    const t = new RecordingTransport();
    const r = new Responder(t);
    const ad = advertisement();
    r.setAdvertisement(ad);
    const q = decodeMessage(dnsPacket.encode({ type: 'query', id: 4321, questions: [{ name: `${ad.instance}._sd._udp.local`, type: 'SRV' }] }))!;
    r.handleQuery(q, { address: '10.0.0.2', port: 40000 }, eth0);
    assert.equal(t.sent.length, 1);
    assert.equal(t.sent[0]!.kind, 'unicast');
    assert.equal(t.sent[0]!.port, 40000);
    const decoded = dnsPacket.decode(t.sent[0]!.packet);
    assert.equal(decoded.id, 4321);
    assert.equal(decoded.questions?.[0]?.name, `${ad.instance}._sd._udp.local`);
    assert.ok((decoded.answers ?? []).every((a) => (a as { ttl: number }).ttl <= 10));
  });

  test('a record multicast less than a second ago waits, then goes out', async () => {
    const t = new RecordingTransport();
    const r = new Responder(t);
    const ad = advertisement();
    r.setAdvertisement(ad);
    r.announce();
    assert.equal(t.sent.length, 1);
    r.handleQuery(query([{ name: `${ad.instance}._sd._udp.local`, type: 'SRV', unicastResponse: false }]), { address: '10.0.0.2', port: 5353 }, eth0);
    assert.equal(t.sent.length, 1, 'not at once');
    await new Promise((res) => setTimeout(res, 1100));
    r.cancelTimers();
    assert.ok(t.sent.length >= 2, 'the answer went out after the second passed');
  });

  /** Every record a responder multicast (answers and additionals), with when it went out. */
  const multicastRecords = (t: RecordingTransport) =>
    t.sent.filter((s) => s.kind === 'multicast').flatMap((s) => decodeMessage(s.packet)!.records.map((r) => ({ at: s.at!, key: recordKey(r) })));
  /** The shortest time between two multicasts of one record. */
  const shortestRepeatMs = (sent: Array<{ at: number; key: string }>) => {
    const last = new Map<string, number>();
    let shortest = Infinity;
    for (const { at, key } of sent) {
      if (last.has(key)) shortest = Math.min(shortest, at - last.get(key)!);
      last.set(key, at);
    }
    return shortest;
  };
  /** Mocked time, in 10 ms steps, letting the sends' completions (promises) run between them. */
  const advance = async (ms: number) => {
    for (let t = 0; t < ms; t += 10) {
      mock.timers.tick(10);
      await new Promise<void>((res) => setImmediate(res));
    }
  };

  describe('no record multicast twice within a second (RFC 6762 §6)', () => {
    beforeEach(() => mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_000_000 }));
    afterEach(() => mock.timers.reset());

    test('an announcement does not repeat, within a second, the records an answer multicast a moment before', async () => {
      const t = new RecordingTransport();
      const r = new Responder(t);
      const ad = advertisement();
      r.setAdvertisement(ad);
      const ptrQuery = () => r.handleQuery(query([{ name: '_sd._udp.local', type: 'PTR', unicastResponse: false }]), { address: '10.0.0.2', port: 5353 }, eth0);
      ptrQuery();
      await advance(200); // answered (20-120 ms): every record
      r.announce(); // as after a change of libraries; the second announcement a second later
      await advance(900);
      ptrQuery(); // just before the second announcement
      await advance(4000);
      const sent = multicastRecords(t);
      assert.ok(sent.length >= 10, `${sent.length} records multicast`);
      assert.ok(shortestRepeatMs(sent) >= 1000, `a record went again after ${shortestRepeatMs(sent)} ms`);
      r.cancelTimers();
    });

    test('an announcement sends what changed at once, and the records that went out less than a second ago when their second is over', async () => {
      const t = new RecordingTransport();
      const r = new Responder(t);
      r.setAdvertisement(advertisement());
      r.announce();
      await advance(300);
      const changedAt = Date.now();
      const moved: MulticastInterface = { ...eth0, ipv4: [{ address: '10.0.0.77', netmask: '255.255.255.0' }] };
      r.announce([moved]); // the address changed: announced again at once
      await advance(2000);
      const packets = t.sent.map((x) => ({ at: x.at!, msg: decodeMessage(x.packet)! }));
      const withNewAddress = packets.filter((p) => p.msg.records.some((x) => x.type === 'A' && x.data === '10.0.0.77'));
      assert.ok(withNewAddress.length > 0, 'the new address was announced');
      assert.ok(withNewAddress[0]!.at - changedAt < 100, `the new address went at once (after ${withNewAddress[0]!.at - changedAt} ms)`);
      const srvAfter = packets.filter((p) => p.at >= changedAt && p.msg.records.some((x) => x.type === 'SRV'));
      assert.ok(srvAfter.length > 0, 'the service record followed');
      assert.ok(shortestRepeatMs(multicastRecords(t)) >= 1000, 'and nothing twice within a second');
      r.cancelTimers();
    });

    test('a TXT changed and changed back within a second goes out at once both times (a library turned off and on again)', async () => {
      const t = new RecordingTransport();
      const r = new Responder(t);
      const ad = advertisement();
      r.setAdvertisement(ad);
      r.announce();
      await advance(200);
      const changed = { ...ad, txt: [Buffer.from('v=1'), Buffer.from('n=Changed')] };
      r.setAdvertisement(changed);
      r.announce();
      await advance(200);
      const backAt = Date.now();
      r.setAdvertisement({ ...ad });
      r.announce();
      await advance(50);
      const txtOf = (x: { packet: Buffer }) => decodeMessage(x.packet)!.records.flatMap((rec) => (rec.type === 'TXT' ? [rec.data.map((b) => b.toString()).join(',')] : []));
      const first = txtOf(t.sent[0]!)[0];
      assert.ok(first !== undefined, 'the first announcement carried the TXT');
      const since = t.sent.filter((x) => x.at! >= backAt).flatMap(txtOf);
      assert.ok(since.includes(first), `the TXT as it was first went out again at once (since: ${JSON.stringify(since)})`);
      r.cancelTimers();
    });

    test('records sent as additionals are not multicast again as answers within the second', async () => {
      const t = new RecordingTransport();
      const r = new Responder(t);
      const ad = advertisement();
      r.setAdvertisement(ad);
      r.handleQuery(query([{ name: '_sd._udp.local', type: 'PTR', unicastResponse: false }]), { address: '10.0.0.2', port: 5353 }, eth0);
      await advance(150); // the answer: PTR, with SRV, TXT and addresses as additionals
      const instance = `${ad.instance}._sd._udp.local`;
      r.handleQuery(query([{ name: instance, type: 'SRV', unicastResponse: false }, { name: instance, type: 'TXT', unicastResponse: false }]), { address: '10.0.0.3', port: 5353 }, eth0);
      await advance(3000);
      const sent = multicastRecords(t);
      assert.ok(sent.some((x) => x.key.includes('|SRV|')), 'the SRV went out');
      assert.ok(shortestRepeatMs(sent) >= 1000, `a record went again after ${shortestRepeatMs(sent)} ms`);
      r.cancelTimers();
    });
  });

  test('goodbye sends every record with TTL 0 and then answers nothing', async () => {
    const t = new RecordingTransport();
    const r = new Responder(t);
    const ad = advertisement();
    r.setAdvertisement(ad);
    await r.goodbye();
    const msg = decodeMessage(t.sent[0]!.packet)!;
    assert.ok(msg.records.length >= 4 && msg.records.every((x) => x.ttl === 0));
    r.handleQuery(query([{ name: '_sd._udp.local', type: 'PTR', unicastResponse: true }]), { address: '10.0.0.2', port: 5353 }, eth0);
    assert.equal(t.sent.length, 1);
  });
});

describe('interfaceForSource', () => {
  test('IPv4 by subnet, link-local IPv6 by scope, off-link sources by nothing', () => {
    const eth1: MulticastInterface = { name: 'eth1', ipv4: [{ address: '192.168.5.1', netmask: '255.255.255.0' }], ipv6: [] };
    assert.equal(interfaceForSource('10.0.0.77', [eth0, eth1])?.name, 'eth0');
    assert.equal(interfaceForSource('192.168.5.3', [eth0, eth1])?.name, 'eth1');
    assert.equal(interfaceForSource('fe80::9%eth1', [eth0, eth1])?.name, 'eth1');
    assert.equal(interfaceForSource('8.8.8.8', [eth0, eth1]), null);
  });
});

test('encodeResponse keeps the cache-flush bit', () => {
  const ad = advertisement();
  const own = buildOwnRecords(ad, eth0);
  const msg = decodeMessage(encodeResponse([own.srv, own.ptr]))!;
  assert.deepEqual(msg.records.map((r) => r.flush), [true, false]);
});

describe('Browser duplicate question suppression (RFC 6762 §7.3)', () => {
  const queriesSent = (t: RecordingTransport) => t.sent.filter((s) => decodeMessage(s.packet)?.isResponse === false).length;
  const othersQuery = (known: string[]) =>
    decodeMessage(encodeQuery([{ name: '_sd._udp.local', type: 'PTR', unicastResponse: false }], known.map((k) => ({ name: '_sd._udp.local', type: 'PTR', ttl: 4500, flush: false, data: `${k}._sd._udp.local` }))))!;

  test('a query listing answers we lack does not stand in for ours: we still ask', async () => {
    const t = new RecordingTransport();
    const b = new Browser(t, () => null);
    b.start();
    b.observeQuery(othersQuery([newIdentity()]));
    await new Promise((res) => setTimeout(res, 200));
    b.stop();
    assert.equal(queriesSent(t), 1);
  });

  test('the same question with no answers we lack does stand in for ours', async () => {
    const t = new RecordingTransport();
    const b = new Browser(t, () => null);
    b.start();
    b.observeQuery(othersQuery([]));
    await new Promise((res) => setTimeout(res, 200));
    b.stop();
    assert.equal(queriesSent(t), 0);
  });
});
