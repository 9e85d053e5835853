// Liveness by attention (issue 9): nobody looking, the browser sends nothing about any one peer;
// someone looking, every peer is asked directly every 2-3 s and dropped after two unanswered
// questions; a question that cannot be sent goes to the next address and is no miss; when someone
// starts looking, every peer is asked within about a second and what ran out is asked for again.
// The LAN is a fake Transport on mocked timers whose peers answer as ours do.

import { afterEach, beforeEach, describe, mock, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Browser } from '../../src-main/core/discovery/browser.js';
import { decodeMessage, type MdnsMessage, type MdnsRecord } from '../../src-main/core/discovery/dnsMessage.js';
import type { MulticastInterface } from '../../src-main/core/discovery/networkInterfaces.js';
import type { DirectQuestionFailure, Transport } from '../../src-main/core/discovery/transport.js';
import { PROBE_INTERVAL_MS, PROBE_SWEEP_SPREAD_MS } from '../../src-main/core/discovery/constants.js';
import { encodeRemoteIdentity } from '../../src-shared/identity.js';
import { contactsOnlyPolicy } from '../../src-main/core/modes/contactsOnly.js';
import { everyonePolicy } from '../../src-main/core/modes/everyone.js';

const eth0: MulticastInterface = {
  name: 'eth0',
  ipv4: [{ address: '10.0.0.1', netmask: '255.255.255.0' }],
  ipv6: [{ address: 'fe80::1', netmask: 'ffff:ffff:ffff:ffff::', scopeId: 2 }],
};
const SERVICE = '_sd._udp.local';

interface FakePeer {
  label: string;
  instance: string;
  host: string;
  v4: string;
  /** Its link-local address as our cache scopes it. */
  v6: string;
  /** Answers questions (direct and multicast) while true. */
  alive: boolean;
  /** When not alive: its host says "port unreachable" instead of nothing. */
  refuses: boolean;
  /** Addresses our host cannot send to (a broken IPv6, a full neighbour table). */
  unsendable: Set<string>;
}

interface Sent {
  at: number;
  kind: 'multicast' | 'direct';
  to?: string;
  msg: MdnsMessage;
}

function records(peer: FakePeer, ttlScale = 1): Record<'ptr' | 'srv' | 'txt' | 'a' | 'aaaa', MdnsRecord> {
  return {
    ptr: { name: SERVICE, type: 'PTR', ttl: 4500 * ttlScale, flush: false, data: peer.instance },
    srv: { name: peer.instance, type: 'SRV', ttl: 120 * ttlScale, flush: true, data: { target: peer.host, port: 7373, priority: 0, weight: 0 } },
    txt: { name: peer.instance, type: 'TXT', ttl: 4500 * ttlScale, flush: true, data: [Buffer.from(`name=${peer.label.slice(0, 6)}`)] },
    a: { name: peer.host, type: 'A', ttl: 120 * ttlScale, flush: true, data: peer.v4 },
    aaaa: { name: peer.host, type: 'AAAA', ttl: 120 * ttlScale, flush: true, data: peer.v6.replace(/%.*$/, '') },
  };
}

const response = (list: MdnsRecord[]): MdnsMessage => ({ id: 0, isResponse: true, questions: [], records: list, knownAnswers: [], truncated: false });

/** A LAN of peers that answer like our responder: multicast answers to QM questions after 30 ms,
 *  legacy unicast answers to direct questions after 2 ms. */
class FakeLan implements Transport {
  readonly sent: Sent[] = [];
  readonly peers: FakePeer[] = [];
  readonly browser = new Browser(this, () => null);
  /** When each peer left the browser's list (by instance, lowercased). */
  readonly droppedAt = new Map<string, number>();

  constructor() {
    this.browser.on('change', () => {
      const listed = new Set(this.browser.peers().map((p) => p.id));
      for (const peer of this.peers) if (!listed.has(peer.instance.toLowerCase()) && !this.droppedAt.has(peer.instance.toLowerCase())) this.droppedAt.set(peer.instance.toLowerCase(), Date.now());
    });
  }

  interfaces(): MulticastInterface[] {
    return [eth0];
  }

  addPeer(i: number): FakePeer {
    const label = encodeRemoteIdentity(randomBytes(32));
    const peer: FakePeer = { label, instance: `${label}._sd._udp.local`, host: `peer-${i}.local`, v4: `10.0.0.${10 + i}`, v6: `fe80::${(10 + i).toString(16)}%eth0`, alive: true, refuses: false, unsendable: new Set() };
    this.peers.push(peer);
    return peer;
  }

  /** The peer's announcement (all its records), heard from `source` (default its IPv4 address). */
  announce(peer: FakePeer, source = peer.v4): void {
    const r = records(peer);
    this.browser.handleResponse(response([r.ptr, r.srv, r.txt, r.a, r.aaaa]), source, 'eth0', false);
  }

  goodbye(peer: FakePeer): void {
    this.browser.handleResponse(response([records(peer, 0).ptr]), peer.v4, 'eth0', false);
  }

  /** A query with TC set, waiting for the packets that carry the rest of its known answers (§7.2). */
  private truncated: MdnsMessage | null = null;

  async multicast(_iface: string, packet: Buffer): Promise<void> {
    let msg = decodeMessage(packet)!;
    this.sent.push({ at: Date.now(), kind: 'multicast', msg });
    if (msg.isResponse) return;
    if (this.truncated) msg = { ...this.truncated, truncated: msg.truncated, knownAnswers: [...this.truncated.knownAnswers, ...msg.knownAnswers] };
    this.truncated = msg.truncated ? msg : null;
    if (msg.truncated) return;
    for (const peer of this.peers) {
      if (!peer.alive) continue;
      const r = records(peer);
      const answers: MdnsRecord[] = [];
      for (const q of msg.questions) {
        const name = q.name.toLowerCase();
        const known = msg.knownAnswers.some((k) => k.type === 'PTR' && k.data.toLowerCase() === peer.instance.toLowerCase() && k.ttl > 2250);
        if (name === SERVICE && q.type === 'PTR' && !known) answers.push(r.ptr, r.srv, r.txt, r.a, r.aaaa);
        if (name === peer.instance.toLowerCase() && q.type === 'SRV') answers.push(r.srv, r.a, r.aaaa);
        if (name === peer.instance.toLowerCase() && q.type === 'TXT') answers.push(r.txt);
        if (name === peer.host && q.type === 'A') answers.push(r.a);
        if (name === peer.host && q.type === 'AAAA') answers.push(r.aaaa);
      }
      if (answers.length > 0) setTimeout(() => this.browser.handleResponse(response(answers), peer.v4, 'eth0', false), 30);
    }
  }

  async unicast(): Promise<void> {}

  directQuery(address: string, packet: Buffer, onFailure: (failure: DirectQuestionFailure) => void): void {
    const msg = decodeMessage(packet)!;
    this.sent.push({ at: Date.now(), kind: 'direct', to: address, msg });
    const peer = this.peers.find((p) => p.instance.toLowerCase() === msg.questions[0]?.name.toLowerCase());
    if (!peer || ![peer.v4, peer.v6].includes(address)) return;
    if (peer.unsendable.has(address)) {
      setTimeout(() => onFailure('send-failed'), 1);
    } else if (!peer.alive) {
      if (peer.refuses) setTimeout(() => onFailure('port-unreachable'), 1);
    } else {
      const legacy = { ...records(peer).srv, ttl: 10, flush: false };
      setTimeout(() => this.browser.handleResponse(response([legacy]), address, 'eth0', true), 2);
    }
  }

  directQuestionsTo(peer: FakePeer, from = 0): Sent[] {
    return this.sent.filter((s) => s.kind === 'direct' && s.at >= from && s.msg.questions[0]?.name === peer.instance);
  }

  /** Multicast questions that name a peer (its instance or host) rather than the whole service. */
  perPeerMulticastQuestions(from = 0): Sent[] {
    return this.sent.filter((s) => s.kind === 'multicast' && !s.msg.isResponse && s.at >= from && s.msg.questions.some((q) => q.name.toLowerCase() !== SERVICE));
  }

  listed(peer: FakePeer) {
    return this.browser.peers().find((p) => p.id === peer.instance.toLowerCase());
  }
}

/** Advances the mocked clock in 50 ms steps (answers come 2-30 ms after a question). */
function advance(ms: number): void {
  for (let t = 0; t < ms; t += 50) mock.timers.tick(50);
}

/** 20 peers listed while someone looks (the default), then ended one after another, 137 ms
 *  apart; `refuses`: their hosts answer "port unreachable" (a SIGKILL), else nothing (gone silent). */
function killOneByOne(opts: { refuses: boolean }) {
  const lan = new FakeLan();
  lan.browser.start();
  const peers = Array.from({ length: 20 }, (_, i) => lan.addPeer(i));
  for (const p of peers) lan.announce(p);
  advance(10_000);
  const killedAt = new Map<FakePeer, number>();
  for (const p of peers) {
    p.alive = false;
    p.refuses = opts.refuses;
    killedAt.set(p, Date.now());
    advance(137);
  }
  advance(6000);
  const delays = peers.map((p) => (lan.droppedAt.get(p.instance.toLowerCase()) ?? Infinity) - killedAt.get(p)!);
  return { lan, peers, killedAt, delays };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

describe('liveness by attention (issue 9)', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout', 'setInterval', 'Date'], now: 1_000_000 }));
  afterEach(() => mock.timers.reset());

  test('nobody looking: in 80 minutes not one packet about any peer, and all 20 stay listed (port unknown once their SRV ran out)', () => {
    const lan = new FakeLan();
    lan.browser.start();
    lan.browser.setLooking(false);
    const peers = Array.from({ length: 20 }, (_, i) => lan.addPeer(i));
    advance(500);
    for (const p of peers) lan.announce(p);
    const t0 = Date.now();
    advance(5 * 60_000);
    assert.equal(lan.browser.peers().length, 20);
    assert.ok(lan.browser.peers().every((p) => p.port === null && p.addresses.length === 0 && p.name !== ''), 'listed by PTR and TXT, without port or addresses');
    advance(75 * 60_000); // past the PTR's 75 min: one question for the whole service renews them
    assert.equal(lan.browser.peers().length, 20, 'every peer still listed after 80 min');
    assert.deepEqual(lan.sent.filter((s) => s.kind === 'direct').map((s) => s.to), [], 'no direct question');
    assert.deepEqual(lan.perPeerMulticastQuestions(t0).map((s) => s.msg.questions), [], 'no question about one peer');
    const serviceQueries = lan.sent.filter((s) => s.kind === 'multicast' && !s.msg.isResponse && s.msg.questions.length > 0 && s.at >= t0);
    assert.ok(serviceQueries.length <= 20, `${serviceQueries.length} service queries in 80 min`);
    lan.browser.stop();
  });

  test('nobody looking: the table is walked when it changed or something in it falls due, not every second', () => {
    const lan = new FakeLan();
    lan.browser.start();
    lan.browser.setLooking(false);
    const cache = (lan.browser as unknown as { cache: { expire: (...args: unknown[]) => unknown } }).cache;
    let walks = 0;
    const expire = cache.expire.bind(cache);
    cache.expire = (...args: unknown[]) => {
      walks++;
      return expire(...args);
    };
    const peers = Array.from({ length: 20 }, (_, i) => lan.addPeer(i));
    advance(500);
    for (const p of peers) lan.announce(p);
    advance(5 * 60_000);
    // Once after the announcements, then when the SRV and address records run out (120 s):
    // not 300 walks, one a second.
    assert.ok(walks <= 10, `${walks} walks of the table in 5 idle minutes`);
    assert.ok(lan.browser.peers().every((p) => p.port === null && p.addresses.length === 0), 'what ran out was still taken out on time');
    lan.browser.stop();
  });

  test('looking (the default): every peer is asked directly every 2-3 s, legacy unicast without QU, under one packet per peer per second', () => {
    const lan = new FakeLan();
    lan.browser.start();
    const peers = Array.from({ length: 10 }, (_, i) => lan.addPeer(i));
    for (const p of peers) lan.announce(p);
    const t0 = Date.now();
    advance(60_000);
    for (const p of peers) {
      const asked = lan.directQuestionsTo(p, t0);
      assert.ok(asked.length >= 19 && asked.length <= 31, `${asked.length} questions in 60 s`);
      assert.ok((2 * asked.length) / 60 <= 1, 'question + answer: at most one packet per second');
      for (let i = 1; i < asked.length; i++) {
        const gap = asked[i]!.at - asked[i - 1]!.at;
        assert.ok(gap >= 1950 && gap <= 3300, `gap ${gap} ms`);
      }
      for (const s of asked) assert.deepEqual(s.msg.questions, [{ name: p.instance, type: 'SRV', unicastResponse: false }]);
      assert.ok(lan.listed(p), 'answered: still listed');
    }
    lan.browser.stop();
  });

  test('looking: a peer gone silent is dropped after two unanswered questions, the second to its other address, within 5 s', () => {
    const { lan, peers, killedAt, delays } = killOneByOne({ refuses: false });
    assert.ok(Math.max(...delays) <= 5000, `drop delays ${delays.join(', ')} ms`);
    for (const p of peers) {
      const asked = lan.directQuestionsTo(p, killedAt.get(p)! + 1);
      assert.equal(asked.length, 2, 'two questions after it went silent');
      assert.notEqual(asked[0]!.to, asked[1]!.to, 'the second to its other address');
      assert.ok(asked[1]!.at - asked[0]!.at >= 700, 'each waits for its answer');
    }
    lan.browser.stop();
  });

  test('looking: a SIGKILLed peer (its host answers "port unreachable") is dropped at its next question, median under 3 s', () => {
    const { lan, delays } = killOneByOne({ refuses: true });
    assert.ok(Math.max(...delays) <= PROBE_INTERVAL_MS * 1.2 + 500, `drop delays ${delays.join(', ')} ms`);
    assert.ok(median(delays) <= 3000, `median ${median(delays)} ms`);
    lan.browser.stop();
  });

  test('a question that cannot be sent goes to the next address at once and is no miss', () => {
    const lan = new FakeLan();
    lan.browser.start();
    const brokenV6 = lan.addPeer(1);
    brokenV6.unsendable.add(brokenV6.v6);
    const unreachable = lan.addPeer(2);
    unreachable.unsendable.add(unreachable.v4).add(unreachable.v6);
    // Last heard over IPv6: that address is asked first.
    lan.announce(brokenV6, brokenV6.v6);
    lan.announce(unreachable, unreachable.v6);
    const t0 = Date.now();
    advance(60_000);
    const first = lan.directQuestionsTo(brokenV6, t0).slice(0, 2);
    assert.deepEqual(first.map((s) => s.to), [brokenV6.v6, brokenV6.v4]);
    assert.ok(first[1]!.at - first[0]!.at < 100, `the next address ${first[1]!.at - first[0]!.at} ms later, not after a timeout`);
    assert.ok(lan.listed(brokenV6), 'reached over IPv4: listed');
    assert.ok(lan.listed(unreachable), 'nothing could be sent: nothing is known, it stays');
    assert.ok(lan.directQuestionsTo(unreachable, t0).length >= 20, 'and it is tried again each interval');
    lan.browser.stop();
  });

  test('when someone starts looking: every peer asked within about a second, spread out', () => {
    const lan = new FakeLan();
    lan.browser.start();
    lan.browser.setLooking(false);
    const peers = Array.from({ length: 20 }, (_, i) => lan.addPeer(i));
    for (const p of peers) lan.announce(p);
    advance(60_000);
    const t0 = Date.now();
    lan.browser.setLooking(true);
    advance(PROBE_SWEEP_SPREAD_MS + 250);
    const firstAsked = peers.map((p) => lan.directQuestionsTo(p, t0)[0]?.at);
    assert.ok(firstAsked.every((at) => at !== undefined), `every peer asked within about a second: ${firstAsked.map((at) => (at === undefined ? '-' : at - t0)).join(' ')}`);
    const perMoment = [...firstAsked.reduce((m, at) => m.set(at, (m.get(at) ?? 0) + 1), new Map<number | undefined, number>()).values()];
    assert.ok(perMoment.length >= 3 && Math.max(...perMoment) <= 12, `spread over ${perMoment.length} moments (${perMoment.join(', ')} questions), not one burst`);
    lan.browser.setLooking(false);
    const t1 = Date.now();
    advance(10 * 60_000);
    assert.equal(lan.sent.filter((s) => s.kind === 'direct' && s.at > t1 + 1000).length, 0, 'nobody looking again: no more questions');
    lan.browser.stop();
  });

  test('when someone starts looking after 10 min: within 5 s the dead are gone, the live have port and addresses again (batched QM questions)', () => {
    const lan = new FakeLan();
    lan.browser.start();
    lan.browser.setLooking(false);
    const peers = Array.from({ length: 20 }, (_, i) => lan.addPeer(i));
    for (const p of peers) lan.announce(p);
    advance(5 * 60_000);
    const dead = peers.slice(0, 4);
    for (const p of dead) p.alive = false;
    advance(5 * 60_000);
    assert.equal(lan.browser.peers().length, 20, 'nobody looked: the dead are still listed');
    assert.ok(lan.browser.peers().every((p) => p.port === null), 'their SRV ran out');
    const t0 = Date.now();
    lan.browser.setLooking(true);
    advance(5000);
    const completion = lan.perPeerMulticastQuestions(t0);
    assert.ok(completion.length > 0 && completion.length <= 4, `${completion.length} packets of questions for 20 peers' SRV records: batched`);
    assert.ok(completion.every((s) => s.msg.questions.every((q) => !q.unicastResponse)), 'QM questions');
    const listed = lan.browser.peers();
    assert.deepEqual(listed.map((p) => p.id).sort(), peers.slice(4).map((p) => p.instance.toLowerCase()).sort(), 'the dead are gone');
    for (const p of peers.slice(4)) {
      assert.equal(lan.listed(p)?.port, 7373);
      assert.ok(lan.listed(p)?.addresses.includes(p.v4), 'and addresses');
    }
    lan.browser.stop();
  });

  test('goodbyes are verified by a direct question whether anyone looks or not: a spoofed one removes nobody', () => {
    const lan = new FakeLan();
    lan.browser.start();
    lan.browser.setLooking(false);
    const [live, leaving] = [lan.addPeer(1), lan.addPeer(2)];
    lan.announce(live);
    lan.announce(leaving);
    advance(60_000);
    const t0 = Date.now();
    lan.goodbye(live); // spoofed: the peer still answers
    leaving.alive = false;
    lan.goodbye(leaving);
    advance(1000);
    assert.ok(lan.directQuestionsTo(live, t0).length >= 1);
    assert.ok(lan.listed(live), 'the live peer stays');
    assert.equal(lan.listed(leaving), undefined, 'the one that left is gone within a second');
    lan.browser.stop();
  });

  test('queries ask for multicast answers (QM), the first of a burst too; so do questions for a peer\'s missing records', () => {
    const lan = new FakeLan();
    lan.browser.start();
    advance(4000);
    const serviceQueries = lan.sent.filter((s) => s.kind === 'multicast' && !s.msg.isResponse);
    assert.deepEqual(serviceQueries.map((s) => s.msg.questions[0]?.unicastResponse), [false, false, false]);
    const peer = lan.addPeer(1);
    peer.alive = false; // announced its PTR alone, answers nothing more
    lan.browser.handleResponse(response([records(peer).ptr]), peer.v4, 'eth0', false);
    const asked = lan.perPeerMulticastQuestions().flatMap((s) => s.msg.questions);
    assert.deepEqual(asked.map((q) => [q.type, q.unicastResponse]), [['SRV', false], ['TXT', false]]);
    lan.browser.stop();
  });
});

/**
 * Issue 11, attack 4: where the mode forbids questions that name a peer (Contacts only), a
 * listener must not learn whom we ask about: it used to hear refresh questions for every peer no
 * link vouched for, that is, everyone but our contacts. 10 peers, 10 minutes, someone looking;
 * `linked`: the peers a link vouches for (our contacts). Random delays fixed, so that two runs
 * can be compared packet by packet.
 */
function tenMinutes(namingPeers: boolean, linked: (i: number) => boolean) {
  // Their labels are identities: in Contacts only, none may be named.
  const random = mock.method(Math, 'random', () => 0.5);
  try {
    const lan = new FakeLan();
    lan.browser.setQuestionsMayName(namingPeers ? everyonePolicy.mayNameInQuestions : contactsOnlyPolicy.mayNameInQuestions);
    lan.browser.start();
    const peers = Array.from({ length: 10 }, (_, i) => lan.addPeer(i));
    for (const p of peers) lan.announce(p);
    peers.forEach((p, i) => lan.browser.setMonitored(p.instance.toLowerCase(), linked(i)));
    const t0 = Date.now();
    advance(10 * 60_000);
    // What a listener on the LAN hears from us: our multicast questions, when, and how many known answers they list.
    const heard = lan.sent
      .filter((s) => s.kind === 'multicast' && !s.msg.isResponse && s.at >= t0)
      .map((s) => `+${s.at - t0} ${s.msg.questions.map((q) => `${q.name} ${q.type}`).join(', ')} (${s.msg.knownAnswers.length} known)`);
    return { lan, peers, heard, named: lan.perPeerMulticastQuestions(t0) };
  } finally {
    random.mock.restore();
  }
}

describe('Contacts only names no device that could be a contact in its questions (issue 11)', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout', 'setInterval', 'Date'], now: 1_000_000 }));
  afterEach(() => mock.timers.reset());

  test('Everyone: the refresh questions name exactly the peers without a link (what Contacts only must not do)', () => {
    const { named, peers } = tenMinutes(true, (i) => i < 5);
    const asked = new Set(named.flatMap((s) => s.msg.questions.map((q) => q.name.toLowerCase())));
    assert.deepEqual([...asked].sort(), peers.slice(5).map((p) => p.instance.toLowerCase()).sort(), 'the complement is the linked ones');
  });

  test('in 10 minutes no multicast question names a peer, yet every peer keeps its port and addresses', () => {
    const { lan, peers, named, heard } = tenMinutes(false, (i) => i < 5);
    assert.deepEqual(named.map((s) => s.msg.questions), []);
    assert.ok(heard.some((h) => h.includes('_sd._udp.local PTR (0 known)')), `the records are renewed by asking the whole service, which every peer answers:\n${heard.join('\n')}`);
    for (const p of peers) {
      assert.equal(lan.listed(p)?.port, 7373, 'listed with its port');
      assert.ok(lan.listed(p)?.addresses.includes(p.v4), 'and its addresses');
    }
    lan.browser.stop();
  });

  test('what a listener hears is the same packet for packet, whoever the linked peers (the contacts) are', () => {
    const contactsFirst = tenMinutes(false, (i) => i < 5);
    const contactsLast = tenMinutes(false, (i) => i >= 5);
    const noContacts = tenMinutes(false, () => false);
    assert.ok(contactsFirst.heard.length > 0);
    assert.deepEqual(contactsLast.heard, contactsFirst.heard);
    assert.deepEqual(noContacts.heard, contactsFirst.heard);
    for (const run of [contactsFirst, contactsLast, noContacts]) run.lan.browser.stop();
  });

  test('a newcomer’s missing records and an impostor’s re-query ask the whole service, at most every 5 s', () => {
    const lan = new FakeLan();
    lan.browser.setQuestionsMayName(contactsOnlyPolicy.mayNameInQuestions);
    lan.browser.start();
    advance(4000);
    const t0 = Date.now();
    const peer = lan.addPeer(1);
    lan.browser.handleResponse(response([records(peer).ptr]), peer.v4, 'eth0', false); // its PTR alone
    advance(100);
    lan.browser.askFor(peer.instance);
    advance(100);
    const questions = lan.sent.filter((s) => s.kind === 'multicast' && !s.msg.isResponse && s.at >= t0);
    assert.deepEqual(lan.perPeerMulticastQuestions(t0), []);
    assert.equal(questions.length, 1, 'the re-query right after it waits for its 5 s');
    assert.deepEqual(questions[0]!.msg.questions, [{ name: SERVICE, type: 'PTR', unicastResponse: false }]);
    assert.equal(questions[0]!.msg.knownAnswers.length, 0, 'no known answers: every peer answers');
    assert.equal(lan.listed(peer)?.port, 7373, 'the answer brought the newcomer’s SRV along');
    advance(5000);
    lan.browser.askFor(peer.instance);
    const wholeService = lan.sent.filter((s) => s.kind === 'multicast' && !s.msg.isResponse && s.at >= t0 && s.msg.knownAnswers.length === 0);
    assert.equal(wholeService.length, 2, 'one more after 5 s');
    lan.browser.stop();
  });

  test('another app’s service (it cannot be a contact) is still asked by name: a strict responder answers only what is asked', () => {
    const lan = new FakeLan();
    lan.browser.setQuestionsMayName(contactsOnlyPolicy.mayNameInQuestions);
    lan.browser.start();
    advance(4000);
    const t0 = Date.now();
    const foreign = lan.addPeer(1);
    Object.assign(foreign, { label: 'Printer', instance: 'Printer._sd._udp.local' });
    foreign.alive = false;
    lan.browser.handleResponse(response([records(foreign).ptr]), foreign.v4, 'eth0', false);
    assert.deepEqual(lan.perPeerMulticastQuestions(t0).flatMap((s) => s.msg.questions.map((q) => `${q.name} ${q.type}`)), ['Printer._sd._udp.local SRV', 'Printer._sd._udp.local TXT']);
    lan.browser.stop();
  });
});
