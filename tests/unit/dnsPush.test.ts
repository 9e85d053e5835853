// Browsing a wide-area domain through DNS Push (RFC 8765) where the zone names a push server: the
// browser subscribes instead of polling, lists what is pushed the moment it is pushed, and goes back
// to polling whenever the session ends. Loopback only: a fake DNS server (this module alone) and the
// test push server of tests/support/dnsPushServer.ts (no server that offers push can be installed
// here; the net test runs it beside a real BIND). The bytes are checked by Wireshark's dissector.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type dnsPacket from 'dns-packet';
import { encodeRemoteIdentity } from '../../src-shared/identity.js';
import { WideAreaBrowser } from '../../src-main/core/wideArea/browser.js';
import { DNS_CLASS, DNS_TYPE, framed, rdataOf, type RecordData, type WireRecord } from '../../src-main/core/wideArea/dnsWire.js';
import { decodeDso, DSO_TYPE, encodeDso, keepaliveTlv, pushTlv, readPush, readReconfirm, readSubscribe, reconfirmTlv, subscribeTlv, unsubscribeTlv, DsoFormatError } from '../../src-main/core/wideArea/dso.js';
import { DnsPushServer, makeCertificate, type TlsIdentity } from '../support/dnsPushServer.js';
import { fakeDnsServer, type FakeDnsServer } from '../support/fakeDnsServer.js';
import { sleep } from '../support/nearby.js';

const ZONE = 'sd.test';
const SERVICE = `_sd._udp.${ZONE}`;
const PUSH_HOST = `push.${ZONE}`;

type ZoneRecord = { name: string } & RecordData;

/** A zone both servers answer from: the fake DNS server (polls, and where push is) and the push server. */
class Zone {
  records: ZoneRecord[] = [];
  pushPort = 0;
  /** Whether the zone names its push server (`_dns-push-tls._tcp` SRV). */
  offersPush = true;

  answers(name: string, type: string): dnsPacket.Answer[] {
    if (type === 'SOA') return [{ name: ZONE, type: 'SOA', ttl: 60, data: { mname: `ns.${ZONE}`, rname: `admin.${ZONE}`, serial: 1, refresh: 60, retry: 60, expire: 600, minimum: 5 } } as dnsPacket.Answer];
    if (name === `_dns-push-tls._tcp.${ZONE}` && type === 'SRV') return this.offersPush ? [{ name, type: 'SRV', ttl: 60, data: { target: PUSH_HOST, port: this.pushPort, priority: 0, weight: 0 } } as dnsPacket.Answer] : [];
    if (name === PUSH_HOST && type === 'A') return [{ name, type: 'A', ttl: 60, data: '127.0.0.1' } as dnsPacket.Answer];
    return this.records.filter((r) => r.name.toLowerCase() === name.toLowerCase() && r.type === type).map((r) => ({ name: r.name, type: r.type, ttl: 60, data: r.data }) as dnsPacket.Answer);
  }

  async wire(name: string, type: number): Promise<WireRecord[]> {
    return this.records.filter((r) => r.name.toLowerCase() === name.toLowerCase() && DNS_TYPE[r.type] === type).map((r) => ({ name: r.name, type, klass: DNS_CLASS.IN, ttl: 60, rdata: rdataOf(r) }));
  }

  /** One device's PTR, SRV, TXT and A (its instance label is its identity). */
  addDevice(label: string, name: string, address: string, port = 7300): void {
    const instance = `${label}.${SERVICE}`;
    const host = hostOf(label);
    this.records.push(
      { name: SERVICE, type: 'PTR', data: instance },
      { name: instance, type: 'SRV', data: { target: host, port, priority: 0, weight: 0 } },
      { name: instance, type: 'TXT', data: [Buffer.from(`name=${name}`)] },
      { name: host, type: 'A', data: address },
    );
  }

  removeDevice(label: string): void {
    this.records = this.records.filter((r) => !r.name.startsWith(label) && !(r.type === 'PTR' && r.data.startsWith(label)));
  }
}

const identity = () => encodeRemoteIdentity(randomBytes(32));
const hostOf = (label: string) => `h${label.slice(0, 8)}.${ZONE}`;

/** A TCP port on 127.0.0.1 where nothing listens (a device that stopped answering). */
async function closedPort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Waits for a state, not a speed (the times are diagnostics): generous, as CI runs this beside the namespace tests. */
async function until(what: string, predicate: () => boolean, timeoutMs = 10_000): Promise<number> {
  const start = Date.now();
  while (!predicate()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
  return Date.now() - start;
}

describe('wide-area browsing by DNS Push (RFC 8765)', () => {
  let dir: string;
  let tls: TlsIdentity;
  const cleanups: Array<() => unknown> = [];

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'nearby-push-'));
    tls = makeCertificate(dir, PUSH_HOST);
  });
  after(async () => {
    for (const c of cleanups.reverse()) await c();
    rmSync(dir, { recursive: true, force: true });
  });

  async function setUp(opts: { offersPush?: boolean; ca?: Buffer; pollDelayMs?: number } = {}): Promise<{ zone: Zone; dns: FakeDnsServer; push: DnsPushServer; browser: WideAreaBrowser; warnings: string[]; ptrPolls: () => number }> {
    const zone = new Zone();
    zone.offersPush = opts.offersPush ?? true;
    const push = new DnsPushServer({ tls, source: (name, type) => zone.wire(name, type) });
    zone.pushPort = await push.listen();
    const dns = await fakeDnsServer((name, type) => zone.answers(name, type), (name, type) => (name === SERVICE && type === 'PTR' ? opts.pollDelayMs ?? 0 : 0));
    const browser = new WideAreaBrowser({ domain: ZONE, server: { host: '127.0.0.1', port: dns.port }, ownInstance: identity(), pushCa: opts.ca ?? tls.cert });
    const warnings: string[] = [];
    browser.on('warning', (w) => warnings.push(w));
    cleanups.push(() => browser.stop(), () => push.close(), () => dns.socket.close());
    return { zone, dns, push, browser, warnings, ptrPolls: () => dns.questions.filter((q) => q === `${SERVICE} PTR`).length };
  }

  test('the zone names a push server: what is pushed is listed at once, with no polls while the session lasts; a device that leaves is unsubscribed', async (t) => {
    const { zone, push, browser, ptrPolls } = await setUp();
    const [first, second] = [identity(), identity()];
    zone.addDevice(first, 'Desk', '192.0.2.10');
    browser.start();
    await until('updates by push', () => browser.updates === 'push');
    await until('the first device listed', () => browser.peers().some((p) => p.identity === first && p.addresses[0] === '192.0.2.10' && p.name === 'Desk'));
    const polls = ptrPolls();

    zone.addDevice(second, 'Laptop', '192.0.2.11');
    const pushedAt = Date.now();
    const listed = once(browser, 'peers');
    await push.refresh();
    await listed;
    await until('the second device listed with its address', () => browser.peers().some((p) => p.identity === second && p.addresses[0] === '192.0.2.11'));
    t.diagnostic(`a new device listed ${Date.now() - pushedAt} ms after the server pushed it`);

    zone.removeDevice(first);
    await push.refresh();
    await until('the first device gone', () => !browser.peers().some((p) => p.identity === first));
    await until('its SRV and TXT unsubscribed', () => !push.subscriptions().some((s) => s.name.startsWith(first)));
    assert.ok(push.subscriptions().some((s) => s.name.startsWith(second) && s.type === DNS_TYPE.SRV), 'the other device stays subscribed');
    assert.ok(push.received.some((m) => m.id === 0 && m.tlvs[0]?.type === DSO_TYPE.unsubscribe), 'an UNSUBSCRIBE was sent');

    await sleep(2300); // polls would have come at 1 s and 2 s
    assert.equal(ptrPolls(), polls, 'no poll of the domain while the push session lasts');
    assert.equal(push.sessionsOpened, 1, 'one session');
  });

  test('a poll still out when push began does not undo what was pushed since', async () => {
    // The first poll's answer is made when asked (the first device alone) and comes 1 s later,
    // after the session began and pushed a second device.
    const { zone, push, browser } = await setUp({ pollDelayMs: 1000 });
    const [first, second] = [identity(), identity()];
    zone.addDevice(first, 'Desk', '192.0.2.10');
    browser.start();
    await until('updates by push', () => browser.updates === 'push' && browser.peers().length === 1);
    zone.addDevice(second, 'Laptop', '192.0.2.11');
    await push.refresh();
    await until('the second device listed', () => browser.peers().some((p) => p.identity === second));
    const sizes: number[] = [];
    browser.on('peers', () => sizes.push(browser.peers().length));
    await sleep(1500); // the late poll's answer arrives meanwhile
    assert.ok(browser.peers().some((p) => p.identity === second), 'the pushed device is still listed');
    assert.ok(!sizes.includes(1), `the pushed device never left the list (list sizes: ${sizes.join(',')})`);
  });

  test('a pushed device that stops answering is hidden, and the server is told once that its SRV and address seem stale (RECONFIRM)', async () => {
    const { zone, push, browser } = await setUp();
    const device = identity();
    const port = await closedPort();
    zone.addDevice(device, 'Unplugged', '127.0.0.1', port);
    // Eleven more addresses (a hostile zone may hold 512): at most 8 of them are echoed back.
    for (let i = 2; i <= 12; i++) zone.records.push({ name: hostOf(device), type: 'A', data: `127.0.0.${i}` });
    browser.start();
    browser.setLooking(true); // liveness runs while someone looks
    await until('the device listed by push', () => browser.updates === 'push' && browser.peers().some((p) => p.identity === device));
    await until('the silent device hidden', () => !browser.peers().some((p) => p.identity === device));
    await until('its SRV and A reconfirmed', () => push.reconfirmed.length >= 9);
    assert.equal(push.reconfirmed.filter((r) => r.type === DNS_TYPE.SRV).length, 1);
    assert.equal(push.reconfirmed.filter((r) => r.type === DNS_TYPE.A).length, 8, 'eight addresses at most');
    const srv = push.reconfirmed.find((r) => r.type === DNS_TYPE.SRV);
    assert.equal(srv?.name.toLowerCase(), `${device}.${SERVICE}`.toLowerCase());
    assert.deepEqual(srv?.rdata, rdataOf({ type: 'SRV', data: { target: hostOf(device), port, priority: 0, weight: 0 } }), 'the SRV exactly as pushed');
    const a = push.reconfirmed.find((r) => r.type === DNS_TYPE.A);
    assert.equal(a?.name, hostOf(device));
    assert.deepEqual(a?.rdata, Buffer.from([127, 0, 0, 1]));
    assert.ok(push.reconfirmed.every((r) => r.klass === DNS_CLASS.IN));
    const told = push.reconfirmed.length;
    await sleep(2700); // the next look finds it silent again
    assert.equal(push.reconfirmed.length, told, 'said once per hiding, not at every look');
  });

  test('the session ends (the server asks us to come back later, or sends garbage): polling takes over at once, and push comes back', async () => {
    const { zone, push, browser, warnings, ptrPolls } = await setUp();
    const device = identity();
    zone.addDevice(device, 'NAS', '192.0.2.20');
    browser.start();
    await until('updates by push', () => browser.updates === 'push' && browser.peers().length === 1);
    const counts: number[] = [];
    browser.on('peers', () => counts.push(browser.peers().length));

    const before = ptrPolls();
    push.retryDelay(100);
    await until('polling again', () => browser.updates === 'poll');
    assert.ok(warnings.some((w) => /come back later/.test(w) && /polling instead/.test(w)), `one warning says why: ${warnings.join(' | ')}`);
    await until('a poll at once (without it, none would come: polls stopped when push began)', () => ptrPolls() > before, 3000);
    assert.equal(browser.peers().length, 1, 'what was listed stays listed');
    // Push again after the retry backoff (5 s at first).
    await until('push again', () => browser.updates === 'push', 15_000);
    assert.equal(push.sessionsOpened, 2);
    await sleep(200); // the new session's first pushes
    assert.ok(!counts.includes(0), `the device stayed listed while push went and came back (list sizes: ${counts.join(',')})`);

    push.sendRaw(Buffer.from('not a DSO message'));
    await until('polling after garbage', () => browser.updates === 'poll');
    assert.ok(warnings.some((w) => /malformed/.test(w)), `garbage is named: ${warnings.at(-1)}`);
    assert.equal(browser.peers().length, 1);
  });

  test('a push server whose certificate does not prove its name is not used (polling instead, one warning); a zone that names none is polled', async () => {
    const other = makeCertificate(mkdtempSync(join(dir, 'other-')), 'elsewhere.test');
    const untrusted = await setUp({ ca: other.cert });
    untrusted.zone.addDevice(identity(), 'Desk', '192.0.2.30');
    untrusted.browser.start();
    await until('listed by polls', () => untrusted.browser.peers().length === 1);
    await until('a warning about the push server', () => untrusted.warnings.some((w) => /DNS Push from push\.sd\.test .* cannot be used/.test(w)));
    assert.equal(untrusted.browser.updates, 'poll');
    assert.equal(untrusted.push.sessionsOpened, 0, 'no session with a server that did not prove its name');

    const none = await setUp({ offersPush: false });
    none.zone.addDevice(identity(), 'Desk', '192.0.2.31');
    none.browser.start();
    await until('listed by polls', () => none.browser.peers().length === 1);
    assert.equal(none.browser.updates, 'poll');
    assert.equal(none.push.received.length, 0, 'nothing sent to a push server the zone does not name');
    assert.deepEqual(none.warnings, [], 'no warning: polling is the ordinary way');
  });

  test('hostile pushes: too many records are capped, records nobody subscribed to are ignored, a compressed name ends the session', async () => {
    const { zone, push, browser, warnings } = await setUp();
    zone.addDevice(identity(), 'Desk', '192.0.2.40');
    browser.start();
    await until('updates by push', () => browser.updates === 'push' && browser.peers().length === 1);
    // 600 PTRs at once (more than the 256 instances a domain may list); and records of a name never subscribed to.
    const flood: WireRecord[] = Array.from({ length: 600 }, () => ({ name: SERVICE, type: DNS_TYPE.PTR, klass: DNS_CLASS.IN, ttl: 60, rdata: rdataOf({ type: 'PTR', data: `${identity()}.${SERVICE}` }) }));
    const stray: WireRecord = { name: `stray.${ZONE}`, type: DNS_TYPE.A, klass: DNS_CLASS.IN, ttl: 60, rdata: rdataOf({ type: 'A', data: '192.0.2.99' }) };
    push.sendRaw(encodeDso({ id: 0, response: false, rcode: 0, tlvs: [pushTlv([...flood.slice(0, 300), stray].map((record) => ({ kind: 'add' as const, record })))] }));
    push.sendRaw(encodeDso({ id: 0, response: false, rcode: 0, tlvs: [pushTlv(flood.slice(300).map((record) => ({ kind: 'add' as const, record })))] }));
    await until('the flood followed', () => push.subscriptions().length > 100);
    await sleep(300);
    const srvSubscriptions = push.subscriptions().filter((s) => s.type === DNS_TYPE.SRV).length;
    assert.ok(srvSubscriptions <= 256, `at most 256 instances followed (${srvSubscriptions})`);
    assert.ok(!push.subscriptions().some((s) => s.name.startsWith('stray')), 'a record nobody asked for is not followed');
    assert.equal(browser.updates, 'push');

    // A PUSH whose record name is a compression pointer: names in DSO TLVs stand uncompressed.
    const compressed = Buffer.concat([pushTlv([]).data, Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 1])]);
    push.sendRaw(encodeDso({ id: 0, response: false, rcode: 0, tlvs: [{ type: DSO_TYPE.push, data: compressed }] }));
    await until('polling after a malformed PUSH', () => browser.updates === 'poll');
    assert.ok(warnings.some((w) => /compressed or malformed name/.test(w)), warnings.at(-1));
  });

  test('the codec: every message reads back as written; a TLV cut short, another opcode or records in a section are format errors', () => {
    const subscribe = encodeDso({ id: 7, response: false, rcode: 0, tlvs: [subscribeTlv({ name: SERVICE, type: DNS_TYPE.PTR, klass: DNS_CLASS.IN })] });
    const decoded = decodeDso(subscribe);
    assert.deepEqual({ id: decoded.id, response: decoded.response }, { id: 7, response: false });
    assert.deepEqual(readSubscribe(decoded.tlvs[0]!.data), { name: SERVICE, type: DNS_TYPE.PTR, klass: DNS_CLASS.IN });
    const record: WireRecord = { name: `x.${SERVICE}`, type: DNS_TYPE.TXT, klass: DNS_CLASS.IN, ttl: 60, rdata: rdataOf({ type: 'TXT', data: [Buffer.from('a=b')] }) };
    const changes = readPush(pushTlv([{ kind: 'add', record }, { kind: 'remove', record }, { kind: 'remove-all', name: SERVICE, type: DNS_TYPE.ANY, klass: DNS_CLASS.IN }]).data);
    assert.deepEqual(changes.map((c) => c.kind), ['add', 'remove', 'remove-all']);
    const stale = { name: record.name, type: record.type, klass: record.klass, rdata: record.rdata };
    assert.deepEqual(readReconfirm(reconfirmTlv(stale).data), stale);
    assert.throws(() => readReconfirm(reconfirmTlv(stale).data.subarray(0, record.name.length + 3)), /RECONFIRM TLV cut short/);
    assert.throws(() => decodeDso(subscribe.subarray(0, subscribe.length - 3)), DsoFormatError);
    const query = Buffer.from(subscribe);
    query.writeUInt16BE(0, 2);
    assert.throws(() => decodeDso(query), /OPCODE 0/);
    const withRecords = Buffer.from(subscribe);
    withRecords.writeUInt16BE(1, 6);
    assert.throws(() => decodeDso(withRecords), /records in a DNS section/);
    assert.throws(() => readPush(Buffer.from([0, 0, 1, 0, 1, 0x80, 0, 0, 0, 0, 0])), /TTL/, 'a TTL with the top bit set that means neither removal');
  });

  test("Wireshark's DNS dissector reads our DSO messages as RFC 8490 and RFC 8765 define them", { skip: hasTshark() ? false : 'needs tshark (Debian package tshark)' }, () => {
    const srvRdata = rdataOf({ type: 'SRV', data: { target: PUSH_HOST, port: 7300, priority: 0, weight: 0 } });
    const messages = [
      encodeDso({ id: 1, response: false, rcode: 0, tlvs: [keepaliveTlv({ inactivityMs: 0xffffffff, intervalMs: 60_000 })] }),
      encodeDso({ id: 2, response: false, rcode: 0, tlvs: [subscribeTlv({ name: SERVICE, type: DNS_TYPE.PTR, klass: DNS_CLASS.IN })] }),
      encodeDso({ id: 0, response: false, rcode: 0, tlvs: [unsubscribeTlv(2)] }),
      encodeDso({ id: 0, response: false, rcode: 0, tlvs: [pushTlv([{ kind: 'add', record: { name: SERVICE, type: DNS_TYPE.PTR, klass: DNS_CLASS.IN, ttl: 60, rdata: rdataOf({ type: 'PTR', data: `a.${SERVICE}` }) } }])] }),
      encodeDso({ id: 0, response: false, rcode: 0, tlvs: [reconfirmTlv({ name: `a.${SERVICE}`, type: DNS_TYPE.SRV, klass: DNS_CLASS.IN, rdata: srvRdata })] }),
    ];
    // Each message as one TCP segment to port 53 (text2pcap adds the headers), framed as DNS over TCP.
    const hex = messages.map((m) => `0000 ${[...framed(m)].map((b) => b.toString(16).padStart(2, '0')).join(' ')}\n`).join('');
    const input = join(dir, 'dso.txt');
    const pcap = join(dir, 'dso.pcap');
    writeFileSync(input, hex);
    execFileSync('text2pcap', ['-q', '-T', '40000,53', input, pcap], { stdio: 'ignore' });
    const out = execFileSync('tshark', ['-r', pcap, '-o', 'tcp.analyze_sequence_numbers:FALSE', '-T', 'fields', '-E', 'separator=|', '-e', 'dns.id', '-e', 'dns.flags.opcode', '-e', 'dns.dso.tlv.type', '-e', 'dns.dso.tlv.length', '-e', 'dns.dso.tlv.keepalive.inactivity', '-e', 'dns.dso.tlv.keepalive.interval'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const rows = out.trim().split('\n').map((l) => l.split('|'));
    assert.equal(rows.length, 5, out);
    assert.ok(rows.every((r) => r[1] === '6'), `OPCODE 6 (DSO) in every message: ${out}`);
    assert.deepEqual(rows.map((r) => Number(r[2])), [DSO_TYPE.keepalive, DSO_TYPE.subscribe, DSO_TYPE.unsubscribe, DSO_TYPE.push, DSO_TYPE.reconfirm], out);
    assert.deepEqual([rows[0]![4], rows[0]![5]], ['4294967295', '60000'], 'KEEPALIVE timers where RFC 8490 §7.1 puts them');
    assert.equal(Number(rows[1]![3]), SERVICE.length + 2 + 4, 'SUBSCRIBE: an uncompressed name, a type and a class');
    assert.equal(Number(rows[2]![3]), 2, 'UNSUBSCRIBE: the 16-bit ID of its SUBSCRIBE');
    assert.equal(Number(rows[4]![3]), `a.${SERVICE}`.length + 2 + 4 + srvRdata.length, 'RECONFIRM: an uncompressed name, a type, a class and the RDATA, no TTL nor length');
  });
});

function hasTshark(): boolean {
  try {
    execFileSync('tshark', ['-v'], { stdio: 'ignore' });
    execFileSync('text2pcap', ['-v'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
