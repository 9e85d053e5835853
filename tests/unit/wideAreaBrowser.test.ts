// Browsing a wide-area domain against a hostile zone: a fake DNS server on loopback (this module
// alone; the real server, BIND, is in tests/net/wideArea.test.ts) answers with too much of everything.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { after, describe, test } from 'node:test';
import dnsPacket from 'dns-packet';
import { encodeRemoteIdentity } from '../../src-shared/identity.js';
import { WideAreaBrowser, type StaleRegistration } from '../../src-main/core/wideArea/browser.js';
import { WIDE_AREA_INSTANCES_MAX } from '../../src-main/core/wideArea/constants.js';
import { ADDRESSES_PER_PEER_MAX } from '../../src-main/core/discovery/constants.js';
import { fakeDnsServer } from '../support/fakeDnsServer.js';

const DOMAIN = 'sd.test';
const SERVICE = `_sd._udp.${DOMAIN}`;

/**
 * These zones answer any SRV question, so they would name a DNS Push server (`_dns-push-tls._tcp`)
 * at a documentation address no test may reach: they name none (push: tests/unit/dnsPush.test.ts).
 */
const fakeServer = (answer: Parameters<typeof fakeDnsServer>[0]) => fakeDnsServer((name, type) => (name.startsWith('_dns-push-tls.') ? [] : answer(name, type)));

const identity = () => encodeRemoteIdentity(randomBytes(32));

describe('wide-area browsing of a hostile zone', () => {
  const sockets: Socket[] = [];
  after(() => sockets.forEach((s) => s.close()));

  test('instances, addresses and TXT are capped as on mDNS; our own instance, foreign names and link-local addresses are left out', async () => {
    const own = identity();
    const labels = [own, ...Array.from({ length: WIDE_AREA_INSTANCES_MAX + 44 }, identity)];
    const first = labels[1]!;
    const server = await fakeServer((name, type) => {
      if (type === 'PTR' && name === SERVICE) {
        return [
          ...labels.map((l) => ({ name: SERVICE, type: 'PTR', ttl: 60, data: `${l}.${SERVICE}` }) as dnsPacket.Answer),
          { name: '_other._udp.sd.test', type: 'PTR', ttl: 60, data: `elsewhere._other._udp.${DOMAIN}` } as dnsPacket.Answer,
          { name: SERVICE, type: 'PTR', ttl: 60, data: `deeper.label.${SERVICE}` } as dnsPacket.Answer,
        ];
      }
      const label = name.slice(0, -(SERVICE.length + 1));
      if (type === 'SRV') return [{ name, type: 'SRV', ttl: 60, data: { target: `h-${label.length}.${DOMAIN}`, port: 7000, priority: 0, weight: 0 } } as dnsPacket.Answer];
      if (type === 'TXT') return [{ name, type: 'TXT', ttl: 60, data: [Buffer.from(`name=${'x'.repeat(250)}`), Buffer.from([0xff, 0xfe]), Buffer.from('os=Linux')] } as dnsPacket.Answer];
      if (type === 'A') return Array.from({ length: 20 }, (_, i) => ({ name, type: 'A', ttl: 60, data: `192.0.2.${i + 1}` }) as dnsPacket.Answer);
      if (type === 'AAAA') return [{ name, type: 'AAAA', ttl: 60, data: 'fe80::1' } as dnsPacket.Answer];
      return [];
    });
    sockets.push(server.socket);
    const browser = new WideAreaBrowser({ domain: DOMAIN, server: { host: '127.0.0.1', port: server.port }, ownInstance: own });
    const listed = once(browser, 'peers');
    browser.start();
    await listed;
    const peers = browser.peers();
    browser.stop();
    assert.equal(peers.length, WIDE_AREA_INSTANCES_MAX, 'at most WIDE_AREA_INSTANCES_MAX instances from one domain');
    assert.ok(!peers.some((p) => p.identity === own), 'our own instance is not listed');
    assert.ok(!peers.some((p) => /elsewhere|deeper/.test(p.instance)), 'names of other services or deeper names are not instances');
    const peer = peers.find((p) => p.identity === first);
    assert.ok(peer, 'the first instance is listed');
    assert.equal(peer.source, 'wide-area');
    assert.equal(peer.port, 7000);
    assert.equal(peer.addresses.length, ADDRESSES_PER_PEER_MAX, 'addresses capped');
    assert.ok(peer.addresses.every((a) => a.startsWith('192.0.2.')), `no link-local address: ${peer.addresses.join(' ')}`);
    assert.equal(peer.operatingSystem, 'linux', 'TXT read by the same codec as mDNS');
    assert.ok(peer.name.length <= 250 && peer.name.startsWith('xxx'), 'the name cleaned and kept');
    assert.ok(!server.questions.some((q) => q.startsWith(own)), 'our own instance is not even asked about');
  });

  test('a server that fails (SERVFAIL, REFUSED) keeps what was listed; a name that is gone (NXDOMAIN) clears it', async () => {
    const label = identity();
    let rcode: 'NOERROR' | 'SERVFAIL' | 'NXDOMAIN' = 'NOERROR';
    const socket = createSocket('udp4');
    sockets.push(socket);
    socket.on('message', (buf, from) => {
      const q = dnsPacket.decode(buf);
      const question = q.questions![0]!;
      const answers = rcode !== 'NOERROR' ? [] : question.type === 'PTR' ? [{ name: question.name, type: 'PTR', ttl: 60, data: `${label}.${SERVICE}` }] : question.type === 'SRV' && !question.name.startsWith('_dns-push-tls.') ? [{ name: question.name, type: 'SRV', ttl: 60, data: { target: `h.${DOMAIN}`, port: 7002 } }] : question.type === 'A' ? [{ name: question.name, type: 'A', ttl: 60, data: '192.0.2.10' }] : [];
      const flags = dnsPacket.AUTHORITATIVE_ANSWER | (rcode === 'SERVFAIL' ? 2 : rcode === 'NXDOMAIN' ? 3 : 0);
      socket.send(dnsPacket.encode({ type: 'response', id: q.id, flags, questions: [question], answers: answers as dnsPacket.Answer[] }), from.port, from.address);
    });
    socket.bind(0, '127.0.0.1');
    await once(socket, 'listening');
    const browser = new WideAreaBrowser({ domain: DOMAIN, server: { host: '127.0.0.1', port: socket.address().port }, ownInstance: identity(), random: () => 0 });
    const listed = once(browser, 'peers');
    browser.start();
    await listed;
    rcode = 'SERVFAIL';
    const [warning] = (await once(browser, 'warning')) as [string];
    assert.match(warning, /answered SERVFAIL: it failed on its side; asked again with backoff/);
    assert.equal(browser.peers().length, 1, 'still listed while the server fails');
    rcode = 'NXDOMAIN';
    await once(browser, 'peers');
    assert.equal(browser.peers().length, 0, 'gone once the server says the name does not exist');
    browser.stop();
  });

  test('a server that stops answering keeps what was listed (the devices are not the server)', async () => {
    const label = identity();
    const server = await fakeServer((name, type) => {
      if (type === 'PTR') return [{ name, type: 'PTR', ttl: 60, data: `${label}.${SERVICE}` } as dnsPacket.Answer];
      if (type === 'SRV') return [{ name, type: 'SRV', ttl: 60, data: { target: `h.${DOMAIN}`, port: 7001 } } as dnsPacket.Answer];
      if (type === 'A') return [{ name, type: 'A', ttl: 60, data: '192.0.2.9' } as dnsPacket.Answer];
      return [];
    });
    sockets.push(server.socket);
    const browser = new WideAreaBrowser({ domain: DOMAIN, server: { host: '127.0.0.1', port: server.port }, ownInstance: identity() });
    const warnings: string[] = [];
    browser.on('warning', (w) => warnings.push(w));
    const listed = once(browser, 'peers');
    browser.start();
    await listed;
    server.socket.removeAllListeners('message'); // silent from now on
    const warned = once(browser, 'warning');
    await warned;
    assert.equal(browser.peers().length, 1, 'still listed while the server is silent');
    assert.match(warnings[0] ?? '', /browsing sd\.test: the DNS server 127\.0\.0\.1:\d+ does not answer; asked again with backoff/);
    browser.stop();
  });

  test('a registration nobody renews is removed after 1.5 of its leases, with its exact TXT as the guard; one that renews never is', async () => {
    const [renewing, stale] = [identity(), identity()];
    const staleTxt = [Buffer.from('name=Crashed'), Buffer.from('lease=1'), Buffer.from('renewed=1000')];
    const expired: StaleRegistration[] = [];
    const server = await fakeServer((name, type) => {
      if (type === 'PTR' && name === SERVICE) return [renewing, ...(expired.length > 0 ? [] : [stale])].map((l) => ({ name: SERVICE, type: 'PTR', ttl: 60, data: `${l}.${SERVICE}` }) as dnsPacket.Answer);
      const label = name.slice(0, -(SERVICE.length + 1));
      if (type === 'SRV') return [{ name, type: 'SRV', ttl: 60, data: { target: `h-${label.slice(0, 4).toLowerCase()}.${DOMAIN}`, port: 7000, priority: 0, weight: 0 } } as dnsPacket.Answer];
      // The renewing one's TXT changes at each renewal (here: at each question), the crashed one's never.
      if (type === 'TXT') return [{ name, type: 'TXT', ttl: 60, data: label === stale ? staleTxt : [Buffer.from('name=Alive'), Buffer.from('lease=1'), Buffer.from(`renewed=${Date.now()}`)] } as dnsPacket.Answer];
      if (type === 'A') return [{ name, type: 'A', ttl: 60, data: '192.0.2.7' } as dnsPacket.Answer];
      return [];
    });
    sockets.push(server.socket);
    // What expire is asked to remove; the fake zone drops it then, as the server would.
    const browser = new WideAreaBrowser({ domain: DOMAIN, server: { host: '127.0.0.1', port: server.port }, ownInstance: identity(), expire: async (s) => (expired.push(s), true) });
    browser.start();
    const deadline = Date.now() + 6000;
    while ((browser.peers().some((p) => p.identity === stale) || browser.peers().length === 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    if (Date.now() >= deadline) browser.stop();
    assert.ok(Date.now() < deadline, 'the registration nobody renewed is removed within 6 s (lease 1 s)');
    await new Promise((r) => setTimeout(r, 2000)); // the renewing one outlives several of its leases
    const listed = browser.peers().map((p) => p.identity);
    browser.stop();
    assert.deepEqual(listed, [renewing], 'the one that renews stays listed');
    assert.deepEqual(expired.map((e) => e.instanceName), [`${stale}.${SERVICE}`], 'only the one nobody renewed');
    assert.deepEqual(expired[0]!.txt.map((t) => Buffer.from(t).toString()), staleTxt.map((t) => t.toString()), 'guarded by the TXT as the server holds it');
    assert.equal(expired[0]!.hostName, `h-${stale.slice(0, 4).toLowerCase()}.${DOMAIN}`);
  });
});
