// Asking one DNS server (src-main/core/wideArea/dnsClient.ts): an answer truncated over UDP is asked
// again over TCP, whose answer may arrive in pieces; a TCP answer to another question is refused.
// Loopback only: a UDP and a TCP listener on the same port stand for the server.

import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { createServer, type Server } from 'node:net';
import { after, describe, test } from 'node:test';
import dnsPacket from 'dns-packet';
import { exchange } from '../../src-main/core/wideArea/dnsClient.js';
import { framed, MessageFramer } from '../../src-main/core/wideArea/dnsWire.js';

const QUESTION = { name: 'big.sd.test', type: 'TXT' as const, class: 'IN' as const };

/** A server on one port: UDP answers truncated (TC), TCP answers with `tcpAnswer(query)` sent in two pieces. */
async function truncatingServer(tcpAnswer: (query: dnsPacket.Packet) => Buffer): Promise<{ port: number; close: () => void; tcpQueries: number }> {
  const tcp: Server = createServer((socket) => {
    const framer = new MessageFramer();
    socket.on('data', (chunk: Buffer) => {
      for (const raw of framer.push(chunk)) {
        state.tcpQueries++;
        const whole = framed(tcpAnswer(dnsPacket.decode(raw)));
        socket.write(whole.subarray(0, 5));
        setTimeout(() => socket.write(whole.subarray(5)), 20);
      }
    });
    socket.on('error', () => undefined);
  });
  tcp.listen(0, '127.0.0.1');
  await once(tcp, 'listening');
  const port = (tcp.address() as { port: number }).port;
  const udp = createSocket('udp4');
  udp.on('message', (buf, from) => {
    const q = dnsPacket.decode(buf);
    udp.send(dnsPacket.encode({ type: 'response', id: q.id, flags: dnsPacket.TRUNCATED_RESPONSE, questions: [QUESTION], answers: [] }), from.port, from.address);
  });
  udp.bind(port, '127.0.0.1');
  await once(udp, 'listening');
  const state = { port, tcpQueries: 0, close: () => (tcp.close(), udp.close()) };
  return state;
}

const query = () => dnsPacket.encode({ type: 'query', id: 4242, questions: [QUESTION] });
const answerTo = (q: dnsPacket.Packet, id = q.id) =>
  dnsPacket.encode({ type: 'response', id, questions: [QUESTION], answers: [{ name: QUESTION.name, type: 'TXT', ttl: 60, data: [Buffer.alloc(200, 0x61), Buffer.alloc(200, 0x62)] }] });

describe('DNS exchange: UDP, then TCP when truncated', () => {
  const closers: Array<() => void> = [];
  after(() => closers.forEach((c) => c()));

  test('a truncated UDP answer is asked again over TCP; the answer, sent in two pieces, is read whole', async () => {
    const server = await truncatingServer((q) => answerTo(q));
    closers.push(server.close);
    const answer = dnsPacket.decode(await exchange({ host: '127.0.0.1', port: server.port }, query()));
    assert.equal(server.tcpQueries, 1);
    assert.equal(answer.id, 4242);
    const txt = answer.answers?.[0] as { data: Buffer[] } | undefined;
    assert.deepEqual(txt?.data.map((s) => s.length), [200, 200], 'both strings of the TXT');
  });

  test('a TCP answer to another question is refused with the reason', async () => {
    const server = await truncatingServer((q) => answerTo(q, (q.id ?? 0) ^ 1));
    closers.push(server.close);
    await assert.rejects(exchange({ host: '127.0.0.1', port: server.port }, query()), /\(TCP\) answered another question/);
  });
});
