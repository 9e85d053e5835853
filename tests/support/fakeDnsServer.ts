// A DNS server on 127.0.0.1 for unit tests of one module (the real one, BIND, is in the net
// tests): it answers each question from `answer(name, type)` and keeps the questions it was asked.

import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import dnsPacket from 'dns-packet';

export interface FakeDnsServer {
  port: number;
  socket: Socket;
  /** "name TYPE" of every question, in order. */
  questions: string[];
}

/** `delayMs` holds back the answer to some questions (it is made when asked, sent later: a slow server). */
export async function fakeDnsServer(answer: (name: string, type: string) => dnsPacket.Answer[], delayMs: (name: string, type: string) => number = () => 0): Promise<FakeDnsServer> {
  const socket = createSocket('udp4');
  const questions: string[] = [];
  socket.on('message', (buf, from) => {
    const q = dnsPacket.decode(buf);
    const question = q.questions?.[0];
    if (!question) return;
    questions.push(`${question.name} ${question.type}`);
    const reply = dnsPacket.encode({ type: 'response', id: q.id, flags: dnsPacket.AUTHORITATIVE_ANSWER, questions: [question], answers: answer(question.name, question.type) });
    const delay = delayMs(question.name, question.type);
    const send = () => {
      try {
        socket.send(reply, from.port, from.address);
      } catch {
        // closed meanwhile (the test ended)
      }
    };
    if (delay > 0) setTimeout(send, delay);
    else send();
  });
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  return { port: socket.address().port, socket, questions };
}
