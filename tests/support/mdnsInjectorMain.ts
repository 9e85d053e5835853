// Runs inside a namespace host: sends hand-made mDNS packets (specs as JSON in argv[2]) to the
// IPv4 group from port 5353, then exits. Used to play a hostile or broken peer.

import { createSocket } from 'node:dgram';
import { networkInterfaces } from 'node:os';
import { randomBytes } from 'node:crypto';
import dnsPacket from 'dns-packet';
import type { InjectSpec } from './mdnsInjector.js';

const specs = JSON.parse(process.argv[2] ?? '[]') as InjectSpec[];
const local = Object.values(networkInterfaces()).flat().find((i) => i && i.family === 'IPv4' && !i.internal)?.address;
if (!local) throw new Error('no IPv4 address in this host');

function servicePacket(s: Extract<InjectSpec, { kind: 'service' }>): Buffer {
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
  }
}

const socket = createSocket({ type: 'udp4', reuseAddr: true });
socket.bind(5353, '0.0.0.0', async () => {
  socket.setMulticastInterface(local);
  for (const spec of specs) {
    for (const p of packetsFor(spec)) {
      await new Promise<void>((resolve) => socket.send(p, 5353, '224.0.0.251', () => resolve()));
    }
  }
  socket.close();
});
