// The peer table under a flood (issue 6, found by tests/net/hardening-flood.test.ts): host names
// of departed entries do not keep newcomers' addresses out, peers something answers for are
// evicted last, the queries start again once a flood is over, and a query with many known answers
// goes out as a few frames (TC set on all but the last, RFC 6762 §7.2), never as IP fragments.

import { describe, mock, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { decodeMessage, encodeQuery, encodeQueryPackets, knownAnswersThatFit, type MdnsRecord } from '../../src-main/core/discovery/dnsMessage.js';
import { PeerCache } from '../../src-main/core/discovery/peerCache.js';
import { Browser } from '../../src-main/core/discovery/browser.js';
import { KNOWN_ANSWER_PACKETS_MAX, PACKET_SEND_MAX_BYTES } from '../../src-main/core/discovery/constants.js';
import type { MulticastInterface } from '../../src-main/core/discovery/networkInterfaces.js';
import type { Transport } from '../../src-main/core/discovery/transport.js';
import { encodeRemoteIdentity } from '../../src-shared/identity.js';

const newIdentity = () => encodeRemoteIdentity(randomBytes(32));
const instance = (id: string) => `${id}._sd._udp.local`;
const key = (id: string) => instance(id).toLowerCase();

/** PTR + SRV + A of one service whose host is `host`. */
function service(id: string, host: string, address: string, ttl = 120): MdnsRecord[] {
  return [
    { name: '_sd._udp.local', type: 'PTR', ttl: 4500, flush: false, data: instance(id) },
    { name: instance(id), type: 'SRV', ttl: ttl, flush: true, data: { target: host, port: 7373, priority: 0, weight: 0 } },
    { name: host, type: 'A', ttl, flush: true, data: address },
  ];
}

describe('the peer table under a flood', () => {
  test('host names of evicted entries make room: a newcomer gets its own addresses', () => {
    const cache = new PeerCache(() => null, 4); // room for 8 host names
    // 50 services with a host name each, a TTL of 136 years, from 50 senders: the table turns over.
    for (let i = 0; i < 50; i++) cache.apply(service(newIdentity(), `fake-${i}.local`, `10.0.1.${i}`, 0xffffffff), 'eth0', `10.0.1.${i}`, 1000 + i);
    assert.equal(cache.size, 4);
    const real = newIdentity();
    cache.apply(service(real, 'real.local', '10.0.0.9'), 'eth0', '10.0.0.9', 2000);
    const entry = cache.get(key(real))!;
    assert.ok(cache.hasAddresses(entry), 'the newcomer has the addresses it announced');
    assert.deepEqual(cache.addressesOf(entry), ['10.0.0.9']);
  });

  test('a full table evicts the entries nothing answers for first', () => {
    const cache = new PeerCache(() => null, 3);
    const answered = newIdentity();
    cache.apply(service(answered, 'answered.local', '10.0.0.2'), 'eth0', '10.0.0.2', 1000);
    cache.get(key(answered))!.vouched = true; // the browser does this when a direct question is answered
    for (let i = 0; i < 20; i++) cache.apply(service(newIdentity(), `fake-${i}.local`, `10.0.1.${i}`), 'eth0', `10.0.1.${i}`, 2000 + i);
    assert.equal(cache.size, 3);
    assert.ok(cache.get(key(answered)), 'the peer that answers is still there, though heard from least recently');
    assert.ok(cache.overflowed > 0);
  });

  test('a query with 500 known answers still fits in one packet, and decodes', () => {
    const known: MdnsRecord[] = Array.from({ length: 500 }, () => ({ name: '_sd._udp.local', type: 'PTR', ttl: 4500, flush: false, data: instance(newIdentity()) }));
    const question = { name: '_sd._udp.local', type: 'PTR' as const, unicastResponse: true };
    const fit = knownAnswersThatFit([question], known);
    const packet = encodeQuery([question], fit);
    assert.ok(packet.length <= PACKET_SEND_MAX_BYTES, `${packet.length} bytes`);
    assert.ok(fit.length >= 10 && fit.length < 500, `${fit.length} known answers`);
    const msg = decodeMessage(packet)!;
    assert.equal(msg.knownAnswers.length, fit.length);
    assert.equal(msg.questions[0]?.unicastResponse, true);
    assert.deepEqual(knownAnswersThatFit([question], known.slice(0, 3)), known.slice(0, 3), 'a few all fit');
  });

  test('30 known answers: the question and the first ones, then the rest, TC on all but the last', () => {
    const known: MdnsRecord[] = Array.from({ length: 30 }, () => ({ name: '_sd._udp.local', type: 'PTR', ttl: 4500, flush: false, data: instance(newIdentity()) }));
    const question = { name: '_sd._udp.local', type: 'PTR' as const, unicastResponse: false };
    const packets = encodeQueryPackets([question], known);
    assert.ok(packets.length >= 2, `${packets.length} packets`);
    const msgs = packets.map((p) => decodeMessage(p)!);
    packets.forEach((p) => assert.ok(p.length <= PACKET_SEND_MAX_BYTES, `${p.length} bytes`));
    assert.deepEqual(msgs.map((m) => m.truncated), [...msgs.slice(1).map(() => true), false]);
    assert.deepEqual(msgs.map((m) => m.questions.length), [1, ...msgs.slice(1).map(() => 0)]);
    assert.deepEqual(msgs.flatMap((m) => m.knownAnswers.map((r) => r.data)), known.map((r) => r.data), 'every known answer, once, in order');
    const one = encodeQueryPackets([question], known.slice(0, 3));
    assert.equal(one.length, 1);
    assert.equal(decodeMessage(one[0]!)!.truncated, false, 'a query that fits has no TC');
  });

  test(`500 known answers: at most ${KNOWN_ANSWER_PACKETS_MAX} packets, the last without TC`, () => {
    const known: MdnsRecord[] = Array.from({ length: 500 }, () => ({ name: '_sd._udp.local', type: 'PTR', ttl: 4500, flush: false, data: instance(newIdentity()) }));
    const packets = encodeQueryPackets([{ name: '_sd._udp.local', type: 'PTR', unicastResponse: false }], known);
    assert.equal(packets.length, KNOWN_ANSWER_PACKETS_MAX);
    assert.equal(decodeMessage(packets.at(-1)!)!.truncated, false);
  });

  test('when a flood is over, the queries start again (the peers it pushed out are found again)', () => {
    mock.timers.enable({ apis: ['setTimeout', 'setInterval', 'Date'], now: 1_000_000 });
    try {
      const queries: number[] = [];
      const eth0: MulticastInterface = { name: 'eth0', ipv4: [{ address: '10.0.0.1', netmask: '255.255.255.0' }], ipv6: [] };
      const transport: Transport = {
        interfaces: () => [eth0],
        multicast: async (_iface, packet) => {
          const msg = decodeMessage(packet);
          if (msg && !msg.isResponse && msg.questions.some((q) => q.name === '_sd._udp.local')) queries.push(Date.now());
        },
        unicast: async () => {},
        directQuery: async () => {},
      };
      const browser = new Browser(transport, () => null, 4);
      let overflows = 0;
      browser.on('overflow', () => overflows++);
      browser.start();
      for (let i = 0; i < 2000; i++) mock.timers.tick(100); // 200 s: the backoff is long by now, the next query minutes away
      const before = queries.length;
      for (let i = 0; i < 40; i++) {
        browser.handleResponse({ id: 0, isResponse: true, questions: [], records: service(newIdentity(), `f${i}.local`, `10.0.0.${10 + i}`), knownAnswers: [], truncated: false }, `10.0.0.${10 + i}`, 'eth0', false);
        mock.timers.tick(50);
      }
      for (let i = 0; i < 3; i++) mock.timers.tick(100);
      assert.ok(overflows > 0, 'the overflow is reported');
      assert.equal(queries.length, before, 'no query while the flood goes on');
      for (let i = 0; i < 30; i++) mock.timers.tick(100);
      assert.ok(queries.length > before, 'a query soon after the flood ended');
      browser.stop();
    } finally {
      mock.timers.reset();
    }
  });
});

describe('cache maintenance (RFC 6762 §5.2)', () => {
  const eth0: MulticastInterface = { name: 'eth0', ipv4: [{ address: '10.0.0.1', netmask: '255.255.255.0' }], ipv6: [] };
  /** A browser on mocked timers whose multicast questions are recorded; the peers answer its
   *  direct (liveness) questions while `alive`, with legacy-unicast TTLs of 10 s. */
  function recordingBrowser() {
    const asked: Array<{ at: number; name: string; type: string; qu: boolean }> = [];
    const alive = new Map<string, { address: string; host: string }>();
    const transport: Transport = {
      interfaces: () => [eth0],
      multicast: async (_iface, packet) => {
        const msg = decodeMessage(packet);
        if (msg && !msg.isResponse) for (const q of msg.questions) asked.push({ at: Date.now(), name: q.name, type: q.type, qu: q.unicastResponse });
      },
      unicast: async () => {},
      directQuery: async (address, packet) => {
        const name = decodeMessage(packet)?.questions[0]?.name ?? '';
        const peer = alive.get(name);
        if (peer?.address !== address) return;
        const srv: MdnsRecord = { name, type: 'SRV', ttl: 10, flush: true, data: { target: peer.host, port: 7373, priority: 0, weight: 0 } };
        setTimeout(() => browser.handleResponse({ id: 0, isResponse: true, questions: [], records: [srv], knownAnswers: [], truncated: false }, address, 'eth0', true), 5); // the answer a moment later (mocked timers)
      },
    };
    const browser = new Browser(transport, () => null);
    /** PTR, SRV, TXT and A of a live peer, as it announces them. */
    const announce = (id: string, host: string, address: string, records = [...service(id, host, address), txt(id)]) => {
      alive.set(instance(id), { address, host });
      browser.handleResponse({ id: 0, isResponse: true, questions: [], records, knownAnswers: [], truncated: false }, address, 'eth0', false);
    };
    return { browser, asked, announce };
  }
  const txt = (id: string): MdnsRecord => ({ name: instance(id), type: 'TXT', ttl: 4500, flush: true, data: [Buffer.from('name=Quiet')] });
  const seconds = (s: number) => {
    for (let i = 0; i < s * 4; i++) mock.timers.tick(250);
  };

  test('a quiet peer is asked for its SRV at 80-97 % of its lifetime; answered, its port and address stay', () => {
    mock.timers.enable({ apis: ['setTimeout', 'setInterval', 'Date'], now: 1_000_000 });
    try {
      const { browser, asked, announce } = recordingBrowser();
      browser.start();
      const id = newIdentity();
      const t0 = Date.now();
      announce(id, 'quiet.local', '10.0.0.7');
      const srvQuestions = () => asked.filter((q) => q.type === 'SRV' && q.name === instance(id));
      seconds(95);
      assert.equal(srvQuestions().length, 0, 'nothing before 80 %');
      seconds(3.5); // 98.5 s: past 80 % + up to 2 % (98.4 s)
      assert.equal(srvQuestions().length, 1);
      assert.ok(srvQuestions()[0]!.at - t0 >= 96_000, `${srvQuestions()[0]!.at - t0} ms`);
      assert.equal(srvQuestions()[0]!.qu, false, 'by multicast: one answer refreshes every cache');
      // Its answer: the same records, fresh.
      announce(id, 'quiet.local', '10.0.0.7', service(id, 'quiet.local', '10.0.0.7').slice(1));
      seconds(60);
      assert.equal(srvQuestions().length, 1, 'no more questions until its next 80 %');
      const peer = browser.peers().find((p) => p.identity === id);
      assert.equal(peer?.port, 7373);
      assert.deepEqual(peer?.addresses, ['10.0.0.7']);
      browser.stop();
    } finally {
      mock.timers.reset();
    }
  });

  test('unanswered, the SRV is asked for at 80, 85, 90 and 95 % and then runs out', () => {
    mock.timers.enable({ apis: ['setTimeout', 'setInterval', 'Date'], now: 1_000_000 });
    try {
      const { browser, asked, announce } = recordingBrowser();
      browser.start();
      const id = newIdentity();
      const t0 = Date.now();
      announce(id, 'gone.local', '10.0.0.8'); // answers direct questions, never a refresh
      seconds(121);
      // The refreshes are multicast (QM) questions; once the SRV has run out, an answered direct
      // question may add one more for what is missing.
      assert.equal(asked.filter((q) => q.type === 'SRV' && q.name === instance(id) && !q.qu && q.at < t0 + 120_000).length, 4);
      assert.equal(browser.peers().find((p) => p.identity === id)?.port ?? null, null, 'no port after its lifetime');
      browser.stop();
    } finally {
      mock.timers.reset();
    }
  });

  test('a peer the P2P link vouches for keeps its records without questions; when the link goes, they are asked for again', () => {
    mock.timers.enable({ apis: ['setTimeout', 'setInterval', 'Date'], now: 1_000_000 });
    try {
      const { browser, asked, announce } = recordingBrowser();
      browser.start();
      const id = newIdentity();
      announce(id, 'linked.local', '10.0.0.9');
      browser.setMonitored(key(id), true);
      seconds(600);
      assert.equal(asked.filter((q) => q.name === instance(id)).length, 0, 'no refresh while linked');
      const peer = browser.peers().find((p) => p.identity === id);
      assert.equal(peer?.port, 7373, 'its port is still known after 10 min');
      assert.deepEqual(peer?.addresses, ['10.0.0.9']);
      browser.setMonitored(key(id), false);
      seconds(0.5);
      assert.equal(browser.peers().find((p) => p.identity === id)?.port, 7373, 'the link ended: its port stays known for the re-dial');
      seconds(3);
      assert.ok(asked.some((q) => q.name === instance(id) && q.type === 'SRV'), 'and its SRV is asked for again (refresh)');
      seconds(120);
      assert.equal(browser.peers().find((p) => p.identity === id)?.port ?? null, null, 'unanswered, it runs out');
      browser.stop();
    } finally {
      mock.timers.reset();
    }
  });
});

describe('questions about the names peers sent', () => {
  test('a name with a line break next to a dot does not make encodeQuery throw, and the QU bits land on their questions', () => {
    // dns-packet drops a dot next to a line break when it writes a name; the QU bits used to be
    // placed by a length computed from the string: past the end of the packet (found by fuzzing).
    for (const odd of ['a\n.b._sd._udp.local', 'x.\nb.local', 'é.\n.\n.local', '.', '..']) {
      const packet = encodeQuery([
        { name: odd, type: 'SRV', unicastResponse: true },
        { name: 'h.local', type: 'A', unicastResponse: false },
        { name: 'h.local', type: 'AAAA', unicastResponse: true },
      ]);
      const msg = decodeMessage(packet)!;
      assert.deepEqual(msg.questions.map((q) => [q.type, q.unicastResponse]), [['SRV', true], ['A', false], ['AAAA', true]], JSON.stringify(odd));
    }
  });
});
