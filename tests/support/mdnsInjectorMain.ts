// Runs inside a namespace host: sends hand-made mDNS packets (specs as JSON in argv[2]) to the
// mDNS group from port 5353, then prints a JSON report (support/mdnsInjector.ts) and exits.
// Used to play a hostile or broken peer.

import { createSocket, type Socket } from 'node:dgram';
import { networkInterfaces } from 'node:os';
import { randomBytes } from 'node:crypto';
import dnsPacket from 'dns-packet';
import type { InjectReport, InjectSpec, ServiceSpec } from './mdnsInjector.js';
import { MdnsFuzzer, type FuzzPath } from './mdnsFuzz.js';
import { createRng } from './prng.js';

const specs = JSON.parse(process.argv[2] ?? '[]') as InjectSpec[];
const ifaces = Object.entries(networkInterfaces()).flatMap(([name, list]) => (list ?? []).map((i) => ({ ...i, name })));
const local = ifaces.find((i) => i.family === 'IPv4' && !i.internal)?.address;
if (!local) throw new Error('no IPv4 address in this host');
const v6Iface = ifaces.find((i) => i.family === 'IPv6' && !i.internal && i.address.startsWith('fe80'))?.name;

function servicePacket(s: ServiceSpec, address = local!): Buffer {
  // dns-packet writes a longer string's length modulo 256 without a word: refuse, it is a test bug.
  const tooLong = s.txt?.find((t) => Buffer.byteLength(t) > 255);
  if (tooLong !== undefined) throw new Error(`a TXT string cannot exceed 255 bytes on the wire (${Buffer.byteLength(tooLong)}): use kind 'raw'`);
  const instance = `${s.instance}._sd._udp.local`;
  const host = `${s.hostname}.local`;
  const answers: dnsPacket.Answer[] = [
    { name: '_sd._udp.local', type: 'PTR', ttl: s.ttl ?? 4500, data: instance },
    { name: instance, type: 'SRV', ttl: s.ttl ?? 120, flush: true, data: { target: host, port: s.port } } as dnsPacket.Answer,
    { name: host, type: 'A', ttl: s.ttl ?? 120, flush: true, data: address } as dnsPacket.Answer,
  ];
  if (s.txt) answers.push({ name: instance, type: 'TXT', ttl: s.ttl ?? 4500, flush: true, data: s.txt.map((t) => Buffer.from(t, 'utf8')) } as dnsPacket.Answer);
  return dnsPacket.encode({ type: 'response', id: 0, flags: dnsPacket.AUTHORITATIVE_ANSWER, answers });
}

interface Outgoing {
  bytes: Buffer;
  path?: FuzzPath;
  /** Send from this IPv4 address (a socket bound to it, port 5353). */
  from?: string;
}

const report: InjectReport = { sent: 0, sendErrors: 0, elapsedMs: 0 };

function* packetsFor(spec: InjectSpec): Generator<Outgoing> {
  switch (spec.kind) {
    case 'raw':
      yield { bytes: Buffer.from(spec.hex, 'hex') };
      return;
    case 'garbage':
      for (let i = 0; i < spec.count; i++) yield { bytes: randomBytes(12 + Math.floor(Math.random() * 500)) };
      return;
    case 'goodbye': {
      const instance = `${spec.instance}._sd._udp.local`;
      yield {
        bytes: dnsPacket.encode({
          type: 'response', id: 0, flags: dnsPacket.AUTHORITATIVE_ANSWER,
          answers: [
            { name: '_sd._udp.local', type: 'PTR', ttl: 0, data: instance },
            { name: instance, type: 'SRV', ttl: 0, flush: true, data: { target: spec.hostname, port: 1 } } as dnsPacket.Answer,
          ],
        }),
      };
      return;
    }
    case 'service':
      yield { bytes: servicePacket(spec) };
      return;
    case 'truncated': {
      const whole = servicePacket(spec.of);
      for (let i = 0; i < whole.length - 12; i++) yield { bytes: Buffer.from(whole.subarray(0, 12 + i)) };
      return;
    }
    case 'pace':
    case 'rate':
      return;
    case 'mutated': {
      const whole = servicePacket(spec.of);
      for (let n = 0; n < spec.count; n++) {
        const p = Buffer.from(whole);
        const changes = 1 + Math.floor(Math.random() * 8);
        for (let i = 0; i < changes; i++) p[Math.floor(Math.random() * p.length)] = Math.floor(Math.random() * 256);
        yield { bytes: p };
      }
      return;
    }
    case 'fuzz': {
      const fuzzer = new MdnsFuzzer(createRng(spec.seed), { victimInstance: spec.victim?.instance, victimHost: spec.victim?.hostname, localIpv4: local! }, spec.ipv6 !== false && v6Iface !== undefined);
      const byPath: Record<string, number> = {};
      for (let i = 0; i < spec.count; i++) {
        const p = fuzzer.next();
        byPath[p.path] = (byPath[p.path] ?? 0) + 1;
        yield { bytes: p.bytes, path: p.path };
      }
      report.fuzz = { byCategory: { ...fuzzer.counts }, byPath };
      return;
    }
    case 'flood': {
      const sources = spec.sources && spec.sources.length > 0 ? spec.sources : [local!];
      const tag = spec.tag ?? 'Fake';
      for (let i = 0; i < spec.count; i++) {
        const from = sources[i % sources.length]!;
        const label = randomBytes(32).toString('base64').replace(/=+$/, '');
        const bytes = servicePacket({ kind: 'service', instance: label, hostname: `fake-${randomBytes(6).toString('hex')}`, port: 7373, txt: [`name=${tag} ${i}`, 'operating_system=linux'] }, from);
        yield { bytes, from };
      }
      return;
    }
  }
}

function bindSocket(type: 'udp4' | 'udp6', port: number, address: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = createSocket({ type, reuseAddr: true, ...(type === 'udp6' ? { ipv6Only: true } : {}) });
    s.once('error', reject);
    s.bind(port, address, () => {
      s.off('error', reject);
      s.on('error', () => report.sendErrors++);
      resolve(s);
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const main4 = await bindSocket('udp4', 5353, '0.0.0.0');
  main4.setMulticastInterface(local!);
  const sockets: Socket[] = [main4];
  let legacy: Socket | null = null;
  let v6: Socket | null = null;
  const bySource = new Map<string, Socket>();
  const needs = (kind: InjectSpec['kind']) => specs.some((s) => s.kind === kind);
  if (needs('fuzz')) {
    legacy = await bindSocket('udp4', 0, '0.0.0.0');
    legacy.setMulticastInterface(local!);
    sockets.push(legacy);
    if (v6Iface) {
      v6 = await bindSocket('udp6', 5353, '::').catch(() => null);
      if (v6) {
        v6.setMulticastInterface(`::%${v6Iface}`);
        sockets.push(v6);
      }
    }
  }
  for (const spec of specs) {
    if (spec.kind !== 'flood') continue;
    for (const from of spec.sources ?? []) {
      if (bySource.has(from) || from === local) continue;
      const s = await bindSocket('udp4', 5353, from);
      s.setMulticastInterface(local!);
      bySource.set(from, s);
      sockets.push(s);
    }
  }
  const send = (out: Outgoing) =>
    new Promise<void>((resolve) => {
      const done = (err: Error | null) => {
        if (err) report.sendErrors++;
        else report.sent++;
        resolve();
      };
      if (out.path === 'v6' && v6) v6.send(out.bytes, 5353, `ff02::fb%${v6Iface}`, done);
      else if (out.path === 'legacy' && legacy) legacy.send(out.bytes, 5353, '224.0.0.251', done);
      else (out.from ? bySource.get(out.from) ?? main4 : main4).send(out.bytes, 5353, '224.0.0.251', done);
    });

  const start = Date.now();
  let pace = { every: 0, ms: 0 };
  let rate = 0;
  let rateStart = Date.now();
  let rateSent = 0;
  let sent = 0;
  for (const spec of specs) {
    if (spec.kind === 'pace') {
      pace = { every: spec.every, ms: spec.ms };
      rate = 0;
    }
    if (spec.kind === 'rate') {
      rate = spec.perSecond;
      rateStart = Date.now();
      rateSent = 0;
    }
    const specRate = spec.kind === 'flood' ? spec.count / (spec.durationMs / 1000) : rate;
    const specStart = Date.now();
    let specSent = 0;
    for (const p of packetsFor(spec)) {
      await send(p);
      sent++;
      specSent++;
      if (spec.kind === 'flood') {
        // Evenly over the duration: wait until this packet's slot.
        const due = specStart + (specSent / specRate) * 1000;
        if (due - Date.now() >= 1) await sleep(due - Date.now());
      } else if (rate > 0) {
        rateSent++;
        const due = rateStart + (rateSent / rate) * 1000;
        if (due - Date.now() >= 2) await sleep(due - Date.now());
      } else if (pace.every > 0 && sent % pace.every === 0) {
        await sleep(pace.ms);
      }
    }
    if (spec.kind === 'flood') report.flood = { sent: specSent, elapsedMs: Date.now() - specStart, sources: Math.max(1, spec.sources?.length ?? 1) };
  }
  report.elapsedMs = Date.now() - start;
  for (const s of sockets) s.close();
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
