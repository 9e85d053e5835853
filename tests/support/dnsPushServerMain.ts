// Runs inside a namespace host beside a real BIND (tests/support/bind.ts): the test push server of
// dnsPushServer.ts on a TLS port, answering each subscription from what BIND answers over DNS,
// and pushing the changes whenever BIND sends a NOTIFY (BIND tells of every change to its zone to
// the also-notify address; RFC 1996). argv: TLS port, NOTIFY port, DNS server (host:port), the
// key file, the certificate file. Prints "listening" when ready.

import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { query } from '../../src-main/core/wideArea/zone.js';
import { rdataOf, RECORD_TYPE_NAMES, type WireRecord } from '../../src-main/core/wideArea/dnsWire.js';
import { DnsPushServer } from './dnsPushServer.js';

const [tlsPort, notifyPort, dns, keyFile, certFile] = process.argv.slice(2) as [string, string, string, string, string];
const [dnsHost, dnsPort] = dns.split(':') as [string, string];

async function fromBind(name: string, type: number): Promise<WireRecord[]> {
  const typeName = RECORD_TYPE_NAMES[type];
  if (!typeName) return [];
  const answer = await query({ host: dnsHost, port: Number(dnsPort) }, name, typeName);
  return answer.records.filter((r) => r.type === typeName && r.name.toLowerCase() === name.replace(/\.$/, '').toLowerCase()).map((r) => ({ name, type, klass: 1, ttl: r.ttl, rdata: rdataOf(r) }));
}

const server = new DnsPushServer({ tls: { key: readFileSync(keyFile), cert: readFileSync(certFile) }, source: fromBind });
const notify = createSocket('udp4');
notify.on('message', (message, from) => {
  if (message.length < 12 || ((message.readUInt16BE(2) >> 11) & 0xf) !== 4) return; // OPCODE 4: NOTIFY
  const reply = Buffer.from(message);
  reply.writeUInt16BE(message.readUInt16BE(2) | 0x8000, 2); // the same message as its response (RFC 1996 §4.7)
  notify.send(reply, from.port, from.address);
  void server.refresh();
});
notify.bind(Number(notifyPort), '127.0.0.1', () => {
  void server.listen(Number(tlsPort), '0.0.0.0').then(() => console.log('listening'));
});
process.on('SIGTERM', () => process.exit(0));
