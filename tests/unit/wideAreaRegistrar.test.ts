// The wide-area registrar (src-main/core/wideArea/registrar.ts) against a fake DNS server on
// loopback (this module alone; BIND is in tests/net/wideArea.test.ts): an advertisement that did
// not change sends no UPDATE (a mode re-applied, an interface change that moved no address), a
// changed one sends one, and stopping removes the registration; a server that fails on its side
// (SERVFAIL) is asked again soon, not after the 5 minutes a refusal waits.

import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { after, describe, test } from 'node:test';
import dnsPacket from 'dns-packet';
import { WideAreaRegistrar, type WideAreaAdvertisement } from '../../src-main/core/wideArea/registrar.js';
import { OPCODE_UPDATE } from '../../src-main/core/wideArea/dnsWire.js';
import { sleep } from '../support/nearby.js';

describe('wide-area registration', () => {
  const socket = createSocket('udp4');
  let updates = 0;
  /** The response code of the next UPDATEs' answers, in order (then NOERROR). */
  const rcodes: number[] = [];
  after(() => socket.close());

  test('the same advertisement again sends no UPDATE; a changed one sends one; stop removes it', async () => {
    socket.on('message', (buf, from) => {
      const opcode = (buf.readUInt16BE(2) >> 11) & 0xf;
      if (opcode === OPCODE_UPDATE) {
        updates++;
        const reply = Buffer.alloc(12);
        reply.writeUInt16BE(buf.readUInt16BE(0), 0);
        reply.writeUInt16BE(0x8000 | (OPCODE_UPDATE << 11) | (rcodes.shift() ?? 0), 2);
        return void socket.send(reply, from.port, from.address);
      }
      const q = dnsPacket.decode(buf);
      const soa = { name: 'sd.test', type: 'SOA', ttl: 60, data: { mname: 'ns.sd.test', rname: 'admin.sd.test', serial: 1, refresh: 60, retry: 60, expire: 600, minimum: 5 } } as dnsPacket.Answer;
      socket.send(dnsPacket.encode({ type: 'response', id: q.id, questions: q.questions, answers: [soa] }), from.port, from.address);
    });
    socket.bind(0, '127.0.0.1');
    await once(socket, 'listening');
    const registrar = new WideAreaRegistrar({ domain: 'sd.test', server: { host: '127.0.0.1', port: socket.address().port }, key: null, leaseS: 3600 });
    const ad: WideAreaAdvertisement = { instance: 'device', hostLabel: 'sd-0001', port: 7000, txt: [Buffer.from('name=Desk')], addresses: ['192.0.2.1'] };
    const registered = async (count: number) => {
      for (let i = 0; i < 100 && (updates < count || registrar.status.kind !== 'registered'); i++) await sleep(20);
      assert.equal(updates, count);
      assert.equal(registrar.status.kind, 'registered');
    };
    registrar.set(ad);
    await registered(1);
    registrar.set({ ...ad });
    registrar.set({ ...ad, txt: [Buffer.from('name=Desk')], addresses: ['192.0.2.1'] });
    await sleep(200); // past the 50 ms coalescing
    assert.equal(updates, 1, 'the same advertisement sends nothing');
    registrar.set({ ...ad, port: 7001 });
    await registered(2);
    await registrar.stop();
    assert.equal(updates, 3, 'stop removes the registration');
  });

  test('SERVFAIL (the server failing on its side): asked again within seconds, then registered', async () => {
    const registrar = new WideAreaRegistrar({ domain: 'sd.test', server: { host: '127.0.0.1', port: socket.address().port }, key: null, leaseS: 3600 });
    const warnings: string[] = [];
    registrar.on('warning', (w) => warnings.push(w));
    const before = updates;
    rcodes.push(2);
    registrar.set({ instance: 'other', hostLabel: 'sd-0002', port: 7002, txt: [Buffer.from('name=NAS')], addresses: ['192.0.2.2'] });
    try {
      for (let i = 0; i < 250 && registrar.status.kind !== 'registered'; i++) await sleep(20);
      assert.equal(registrar.status.kind, 'registered', `registered after the SERVFAIL (warnings: ${warnings.join(' | ')})`);
      assert.equal(updates - before, 2, 'one UPDATE answered SERVFAIL, the next one NOERROR');
      assert.match(warnings[0] ?? '', /SERVFAIL.*retried until it answers/);
    } finally {
      await registrar.stop(); // its retry timer would otherwise keep the test running
    }
  });
});
