// Runs inside a namespace host: sends hand-made mDNS packets (specs as JSON in argv[2]) to the
// IPv4 group from port 5353, then exits. Used to play a hostile or broken peer.

import { createSocket } from 'node:dgram';
import { networkInterfaces } from 'node:os';
import { randomBytes } from 'node:crypto';
import dnsPacket from 'dns-packet';
import type { InjectSpec, ServiceSpec } from './mdnsInjector.js';

const specs = JSON.parse(process.argv[2] ?? '[]') as InjectSpec[];
const local = Object.values(networkInterfaces()).flat().find((i) => i && i.family === 'IPv4' && !i.internal)?.address;
if (!local) throw new Error('no IPv4 address in this host');

function servicePacket(s: ServiceSpec): Buffer {
  // dns-packet writes a longer string's length modulo 256 without a word: refuse, it is a test bug.
  const tooLong = s.txt?.find((t) => Buffer.byteLength(t) > 255);
  if (tooLong !== undefined) throw new Error(`a TXT string cannot exceed 255 bytes on the wire (${Buffer.byteLength(tooLong)}): use kind 'raw'`);
  const instance = `${s.instance}._sd._udp.local`;
  const host = `${s.hostname}.local`;
  const answers: dnsPacket.Answer[] = [
    { name: '_sd._udp.local', type: 'PTR', ttl: s.ttl ?? 4500, data: instance },
    { name: instance, type: 'SRV', ttl: s.ttl ?? 120, flush: true, data: { target: host, port: s.port } } as dnsPacket.Answer,
    { name: host, type: 'A', ttl: s.ttl ?? 120, flush: true, data: local! } as dnsPacket.Answer,
  ];
  if (s.txt) answers.push({ name: instance, type: 'TXT', ttl: s.ttl ?? 4500, flush: true, data: s.txt.map((t) => Buffer.from(t, 'utf8')) } as dnsPacket.Answer);
  return dnsPacket.encode({ type: 'response', id: 0, flags: dnsPacket.AUTHORITATIVE_ANSWER, answers });
}

function packetsFor(spec: InjectSpec): Buffer[] {
  switch (spec.kind) {
    case 'raw':
      return [Buffer.from(spec.hex, 'hex')];
    case 'garbage':
      return Array.from({ length: spec.count }, () => randomBytes(12 + Math.floor(Math.random() * 500)));
    case 'goodbye': {
      const instance = `${spec.instance}._sd._udp.local`;
      return [dnsPacket.encode({
        type: 'response', id: 0, flags: dnsPacket.AUTHORITATIVE_ANSWER,
        answers: [
          { name: '_sd._udp.local', type: 'PTR', ttl: 0, data: instance },
          { name: instance, type: 'SRV', ttl: 0, flush: true, data: { target: spec.hostname, port: 1 } } as dnsPacket.Answer,
        ],
      })];
    }
    case 'service':
      return [servicePacket(spec)];
    case 'truncated': {
      const whole = servicePacket(spec.of);
      return Array.from({ length: Math.max(0, whole.length - 12) }, (_, i) => Buffer.from(whole.subarray(0, 12 + i)));
    }
    case 'pace':
      return [];
    case 'mutated': {
      const whole = servicePacket(spec.of);
      return Array.from({ length: spec.count }, () => {
        const p = Buffer.from(whole);
        const changes = 1 + Math.floor(Math.random() * 8);
        for (let i = 0; i < changes; i++) p[Math.floor(Math.random() * p.length)] = Math.floor(Math.random() * 256);
        return p;
      });
    }
  }
}

const socket = createSocket({ type: 'udp4', reuseAddr: true });
socket.bind(5353, '0.0.0.0', async () => {
  socket.setMulticastInterface(local);
  let pace = { every: 0, ms: 0 };
  let sent = 0;
  for (const spec of specs) {
    if (spec.kind === 'pace') pace = { every: spec.every, ms: spec.ms };
    for (const p of packetsFor(spec)) {
      await new Promise<void>((resolve) => socket.send(p, 5353, '224.0.0.251', () => resolve()));
      if (pace.every > 0 && ++sent % pace.every === 0) await new Promise((r) => setTimeout(r, pace.ms));
    }
  }
  socket.close();
});
