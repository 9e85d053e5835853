// Generates hostile mDNS packets in-process (for mdnsInjectorMain's 'fuzz' kind), from a seed:
// - random: random bytes of random length (shorter than a header, up to a jumbo datagram);
// - header: a believable header (small counts, flags of a query or a response) over random bytes;
// - mutated: real packets (responses, queries with known answers, QU and legacy questions,
//   goodbyes, compressed names) damaged by 1-8 operations: bit flips, bytes set to interesting
//   values, 16-bit fields (counts, lengths, pointers) overwritten, ranges inserted, deleted,
//   duplicated, truncated, spliced with another packet;
// - labels: well-formed responses whose names hold labels dns-packet would never write (line breaks
//   next to dots, dots inside labels, NUL, invalid UTF-8): the node asks questions about them later;
// - structured: well-formed messages with random content: names of random labels (bytes, Unicode,
//   dots, over 63 bytes), records of every type with random TTLs (0, huge), SRV with random
//   ports and targets, TXT with random strings (known keys with absurd values), addresses
//   (loopback, broadcast, link-local), questions with random types and the QU bit, records
//   that claim the victim's own instance.

import dnsPacket from 'dns-packet';
import type { Rng } from './prng.js';

export type FuzzCategory = 'random' | 'header' | 'mutated' | 'structured' | 'labels';
/** How a packet is sent: IPv4 from port 5353, IPv6 from port 5353, or IPv4 from another port (legacy unicast). */
export type FuzzPath = 'v4' | 'v6' | 'legacy';

export interface FuzzPacket {
  category: FuzzCategory;
  path: FuzzPath;
  bytes: Buffer;
}

export interface FuzzTarget {
  /** The victim's instance label (its identity) and host name without `.local`, when known. */
  victimInstance?: string;
  victimHost?: string;
  /** IPv4 addresses to put in A records (the sender's own, so that liveness questions reach it). */
  localIpv4: string;
}

const SERVICE = '_sd._udp.local';
const TXT_KEYS = ['name', 'operating_system', 'os', 'device_model', 'version', 'libraries_omitted', '00000000-0000-4000-8000-000000000000', '', '=', 'NAME', 'name '];
const INTERESTING_BYTES = [0x00, 0x01, 0x3f, 0x40, 0x7f, 0x80, 0xbf, 0xc0, 0xc1, 0xfe, 0xff];
const INTERESTING_U16 = [0, 1, 2, 0x7f, 0xff, 0x100, 0x3fff, 0x7fff, 0x8000, 0x8001, 0xc00c, 0xc000, 0xffff, 12, 255, 256];
const TTLS = [0, 1, 10, 120, 4500, 0x7fffffff, 0xffffffff, 86400 * 365];
const RECORD_TYPES = ['PTR', 'SRV', 'TXT', 'A', 'AAAA', 'NSEC', 'CNAME', 'HINFO', 'NULL', 'OPT'] as const;
const QUESTION_TYPES = ['PTR', 'SRV', 'TXT', 'A', 'AAAA', 'ANY', 'NSEC', 'MX', 'CNAME'] as const;

/** A name as DNS labels, uncompressed (dns-packet's writer, which its types do not expose). */
function wireName(name: string): Buffer {
  const labels = name.replace(/^\.|\.$/g, '').split('.').filter((l) => l !== '');
  return Buffer.concat([...labels.flatMap((l) => [Buffer.from([Buffer.byteLength(l) & 0xff]), Buffer.from(l)]), Buffer.from([0])]);
}

function identityLike(rng: Rng): string {
  return rng.bytes(32).toString('base64').replace(/=+$/, '');
}

/** The longest prefix of `s` of at most `max` UTF-8 bytes, without a dot. */
function tameLabel(s: string, max = 63): string {
  let out = '';
  for (const ch of s.replace(/\./g, '')) {
    if (Buffer.byteLength(out + ch) > max) break;
    out += ch;
  }
  return out || 'x';
}

/** A label: `wild` ones break the rules (over 63 bytes, dots, empty, control bytes). */
function randomLabel(rng: Rng, wild: boolean): string {
  const unicode = () => Array.from({ length: rng.int(1, 20) }, () => rng.pick(['\u202e', '\u200b', '😀', 'é', '\u0000', '\ud800', 'a', '\u2066', '\ufeff', '.', ' (2)'])).join('');
  if (!wild) {
    switch (rng.int(0, 4)) {
      case 0:
      case 1:
        return identityLike(rng);
      case 2:
        return tameLabel(unicode());
      case 3:
        return `${identityLike(rng)} (${rng.int(0, 99999)})`;
      default:
        return rng.bytes(rng.int(1, 12)).toString('hex');
    }
  }
  switch (rng.int(0, 4)) {
    case 0: // random bytes read as latin1 (control characters, NUL, dots)
      return rng.bytes(rng.int(1, 70)).toString('latin1');
    case 1:
      return unicode();
    case 2:
      return 'x'.repeat(rng.int(60, 70)); // around the 63-byte label limit
    case 3:
      return '';
    default:
      return identityLike(rng) + identityLike(rng);
  }
}

function randomName(rng: Rng, target: FuzzTarget, wild: boolean): string {
  switch (rng.int(0, 9)) {
    case 0:
    case 1:
    case 2:
      return `${randomLabel(rng, wild)}.${SERVICE}`;
    case 3:
      return SERVICE;
    case 4:
      return target.victimInstance ? `${target.victimInstance}.${SERVICE}` : SERVICE;
    case 5:
      return target.victimHost ? `${target.victimHost}.local` : 'host.local';
    case 6:
      return Array.from({ length: wild ? rng.int(1, 8) : rng.int(1, 3) }, () => randomLabel(rng, wild)).join('.');
    case 7:
      return wild ? `${Array.from({ length: rng.int(4, 6) }, () => 'n'.repeat(60)).join('.')}.local` : `${randomLabel(rng, false)}.local`; // over 255 bytes
    case 8:
      return '_services._dns-sd._udp.local';
    default:
      return `${randomLabel(rng, wild)}.local`;
  }
}

function randomIpv4(rng: Rng, target: FuzzTarget): string {
  return rng.pick([target.localIpv4, '0.0.0.0', '255.255.255.255', '127.0.0.1', '224.0.0.251', `${rng.int(0, 255)}.${rng.int(0, 255)}.${rng.int(0, 255)}.${rng.int(0, 255)}`]);
}

function randomIpv6(rng: Rng): string {
  return rng.pick(['::', '::1', 'fe80::1', 'ff02::fb', `fe80::${rng.int(0, 0xffff).toString(16)}:${rng.int(0, 0xffff).toString(16)}`, '::ffff:127.0.0.1', `2001:db8::${rng.int(0, 0xffff).toString(16)}`]);
}

function randomTxtString(rng: Rng): Buffer {
  switch (rng.int(0, 5)) {
    case 0:
      return rng.bytes(rng.int(0, 255));
    case 1:
      return Buffer.from(`${rng.pick(TXT_KEYS)}=${randomLabel(rng, true)}`.slice(0, 255), 'utf8').subarray(0, 255);
    case 2:
      return Buffer.from(`${rng.pick(TXT_KEYS)}=${'v'.repeat(rng.int(0, 250))}`);
    case 3:
      return Buffer.from(`${rng.pick(['00000000-0000-4000-8000-000000000000', 'ffffffff-ffff-4fff-bfff-ffffffffffff'])}=${rng.chance(0.5) ? identityLike(rng) : randomLabel(rng, true)}`.slice(0, 200));
    case 4:
      return Buffer.from(`libraries_omitted=${rng.pick(['-1', '1e309', 'NaN', '99999999999999999999', '0x10', String(rng.int(0, 1e6))])}`);
    default:
      return Buffer.from(rng.pick(['', '=', 'name', 'name=', '==', 'os=macos', 'operating_system=WINDOWS', 'device_model=MacBookPro']));
  }
}

function randomRecord(rng: Rng, target: FuzzTarget, wild: boolean): dnsPacket.Answer {
  const type = rng.pick(RECORD_TYPES);
  const base = { name: randomName(rng, target, wild), ttl: rng.pick(TTLS), class: rng.chance(0.9) ? 'IN' : rng.pick(['CH', 'ANY', 'HS']), flush: rng.chance(0.5) };
  switch (type) {
    case 'PTR':
    case 'CNAME':
      return { ...base, name: rng.chance(0.7) ? SERVICE : base.name, type, data: randomName(rng, target, wild) } as dnsPacket.Answer;
    case 'SRV':
      return { ...base, type, data: { target: randomName(rng, target, wild), port: rng.pick([0, 1, 7373, 65535, rng.int(0, 65535)]), priority: rng.int(0, 65535), weight: rng.int(0, 65535) } } as dnsPacket.Answer;
    case 'TXT':
      return { ...base, type, data: Array.from({ length: rng.pick([0, 1, 2, 5, 20, 130]) }, () => randomTxtString(rng)) } as dnsPacket.Answer;
    case 'A':
      return { ...base, type, data: randomIpv4(rng, target) } as dnsPacket.Answer;
    case 'AAAA':
      return { ...base, type, data: randomIpv6(rng) } as dnsPacket.Answer;
    case 'NSEC':
      return { ...base, type, data: { nextDomain: randomName(rng, target, wild), rrtypes: ['A', 'AAAA', 'SRV', 'TXT'].filter(() => rng.chance(0.5)) } } as dnsPacket.Answer;
    case 'HINFO':
      return { ...base, type, data: { cpu: randomLabel(rng, wild), os: randomLabel(rng, wild) } } as dnsPacket.Answer;
    case 'NULL':
      return { ...base, type, data: rng.bytes(rng.int(0, 300)) } as dnsPacket.Answer;
    case 'OPT':
      return { type: 'OPT', name: '.', udpPayloadSize: rng.int(0, 65535), extendedRcode: 0, ednsVersion: 0, flags: 0, options: [] } as unknown as dnsPacket.Answer;
  }
}

function randomStructured(rng: Rng, target: FuzzTarget): Buffer {
  // Mostly names that follow the rules, so that the packet decodes and its content goes deep.
  const wild = rng.chance(0.2);
  const isResponse = rng.chance(0.6);
  const questions = Array.from({ length: rng.pick([0, 0, 1, 1, 2, 5]) }, () => ({
    name: rng.chance(0.5) ? SERVICE : randomName(rng, target, wild),
    type: rng.pick(QUESTION_TYPES),
    class: rng.chance(0.9) ? 'IN' : 'ANY',
  })) as dnsPacket.Question[];
  const records = () => Array.from({ length: rng.pick([0, 1, 2, 4, 8, 20]) }, () => randomRecord(rng, target, wild));
  const packet = dnsPacket.encode({
    type: isResponse ? 'response' : 'query',
    id: rng.chance(0.8) ? 0 : rng.int(0, 0xffff),
    flags: rng.chance(0.8) ? (isResponse ? dnsPacket.AUTHORITATIVE_ANSWER : 0) : rng.int(0, 0xffff),
    questions,
    answers: records(),
    authorities: rng.chance(0.2) ? records() : [],
    additionals: rng.chance(0.5) ? records() : [],
  });
  // The QU bit on some questions (dns-packet cannot set it): flip the top bit of a class field.
  if (questions.length > 0 && rng.chance(0.3)) {
    let offset = 12;
    for (const q of questions) {
      offset += wireName(q.name).length + 2;
      if (offset + 2 <= packet.length && rng.chance(0.7)) packet.writeUInt16BE(packet.readUInt16BE(offset) | 0x8000, offset);
      offset += 2;
    }
  }
  return packet;
}

/** The real packets mutations start from. */
function seedPackets(rng: Rng, target: FuzzTarget): Buffer[] {
  const id = identityLike(rng);
  const instance = `${id}.${SERVICE}`;
  const host = `sd-${rng.bytes(8).toString('hex')}.local`;
  const victim = target.victimInstance ? `${target.victimInstance}.${SERVICE}` : instance;
  const txt = [`name=Seed ${id.slice(0, 6)}`, 'operating_system=linux', 'os=Linux', 'device_model=MacBook Pro', 'version=0.1.0', `00000000-0000-4000-8000-000000000000=${id}`].map((s) => Buffer.from(s));
  const full = dnsPacket.encode({
    type: 'response', id: 0, flags: dnsPacket.AUTHORITATIVE_ANSWER,
    answers: [
      { name: SERVICE, type: 'PTR', ttl: 4500, data: instance },
      { name: instance, type: 'SRV', ttl: 120, flush: true, data: { target: host, port: 7373, priority: 0, weight: 0 } },
      { name: instance, type: 'TXT', ttl: 4500, flush: true, data: txt },
      { name: host, type: 'A', ttl: 120, flush: true, data: target.localIpv4 },
      { name: host, type: 'AAAA', ttl: 120, flush: true, data: 'fe80::1234:5678' },
    ] as dnsPacket.Answer[],
  });
  const ptrQueryWithKnown = dnsPacket.encode({
    type: 'query', id: 0, flags: 0,
    questions: [{ name: SERVICE, type: 'PTR', class: 'IN' }],
    answers: [{ name: SERVICE, type: 'PTR', ttl: 4000, data: instance }, { name: SERVICE, type: 'PTR', ttl: 4000, data: victim }] as dnsPacket.Answer[],
  });
  const directQuestion = dnsPacket.encode({ type: 'query', id: 0x1234, flags: 0, questions: [{ name: victim, type: 'SRV', class: 'IN' }, { name: victim, type: 'TXT', class: 'IN' }] });
  directQuestion.writeUInt16BE(0x8001, directQuestion.length - 2); // QU on the last question
  const goodbye = dnsPacket.encode({
    type: 'response', id: 0, flags: dnsPacket.AUTHORITATIVE_ANSWER,
    answers: [{ name: SERVICE, type: 'PTR', ttl: 0, data: victim }, { name: victim, type: 'SRV', ttl: 0, flush: true, data: { target: host, port: 1 } }] as dnsPacket.Answer[],
  });
  // Compressed names, as avahi writes them: the instance points at the PTR's name.
  const compressed = Buffer.concat([
    Buffer.from([0, 0, 0x84, 0, 0, 0, 0, 2, 0, 0, 0, 0]),
    wireName(SERVICE), Buffer.from([0, 12, 0, 1, 0, 0, 0x11, 0x94]),
    Buffer.from([0, 7, 4]), Buffer.from('abcd'), Buffer.from([0xc0, 12]),
    Buffer.from([0xc0, 12 + wireName(SERVICE).length + 10]), Buffer.from([0, 16, 0x80, 1, 0, 0, 0x11, 0x94, 0, 7, 6]), Buffer.from('name=x'),
  ]);
  const enumeration = dnsPacket.encode({ type: 'query', id: 0, flags: 0, questions: [{ name: '_services._dns-sd._udp.local', type: 'PTR', class: 'IN' }] });
  const manyTxt = dnsPacket.encode({
    type: 'response', id: 0, flags: dnsPacket.AUTHORITATIVE_ANSWER,
    answers: [{ name: instance, type: 'TXT', ttl: 4500, flush: true, data: Array.from({ length: 40 }, (_, i) => Buffer.from(`k${i}=${'v'.repeat(20)}`)) }] as dnsPacket.Answer[],
  });
  return [full, ptrQueryWithKnown, directQuestion, goodbye, compressed, enumeration, manyTxt];
}

/** A label of raw bytes: line breaks, dots, NUL, invalid UTF-8, spaces; 1 to 63 bytes. */
function rawLabel(rng: Rng): Buffer {
  const pieces = [Buffer.from('\n'), Buffer.from('.'), Buffer.from('\r\n'), Buffer.from([0]), Buffer.from([0xff, 0xfe]), Buffer.from([0xc3]), Buffer.from(' '), Buffer.from('a'), Buffer.from('\u202e'), Buffer.from('.\n'), Buffer.from('\n.')];
  const out = Buffer.concat(Array.from({ length: rng.int(1, 10) }, () => rng.pick(pieces)));
  return out.subarray(0, 63);
}

/**
 * A well-formed response whose names have labels dns-packet would never write (it normalises
 * what it writes): line breaks next to dots, dots inside labels, NUL, invalid UTF-8. The node
 * builds questions from such names later (direct questions, questions for missing records).
 */
function oddLabels(rng: Rng, target: FuzzTarget): Buffer {
  const label = (b: Buffer) => Buffer.concat([Buffer.from([b.length]), b]);
  const service = Buffer.concat([label(Buffer.from('_sd')), label(Buffer.from('_udp')), label(Buffer.from('local')), Buffer.from([0])]);
  const instance = Buffer.concat([...Array.from({ length: rng.int(1, 3) }, () => label(rawLabel(rng))), service]);
  const host = Buffer.concat([...Array.from({ length: rng.int(1, 3) }, () => label(rawLabel(rng))), label(Buffer.from('local')), Buffer.from([0])]);
  const u16 = (n: number) => Buffer.from([(n >> 8) & 0xff, n & 0xff]);
  const rr = (owner: Buffer, type: number, rdata: Buffer, ttl = 120) => Buffer.concat([owner, u16(type), u16(0x8001), Buffer.from([0, 0, (ttl >> 8) & 0xff, ttl & 0xff]), u16(rdata.length), rdata]);
  const records = [rr(service, 12, instance, 4500)];
  if (rng.chance(0.6)) records.push(rr(instance, 33, Buffer.concat([u16(0), u16(0), u16(7373), host])));
  if (rng.chance(0.5)) records.push(rr(instance, 16, Buffer.concat([label(Buffer.from(`name=${rawLabel(rng).toString('latin1')}`).subarray(0, 255))])));
  if (rng.chance(0.5)) records.push(rr(host, 1, Buffer.from(target.localIpv4.split('.').map(Number))));
  return Buffer.concat([Buffer.from([0, 0, 0x84, 0, 0, 0, 0, records.length, 0, 0, 0, 0]), ...records]);
}

function mutate(rng: Rng, input: Buffer, seeds: Buffer[]): Buffer {
  let p = Buffer.from(input);
  const ops = rng.int(1, 8);
  for (let i = 0; i < ops; i++) {
    if (p.length === 0) p = Buffer.from(rng.pick(seeds));
    const at = rng.int(0, p.length - 1);
    switch (rng.int(0, 9)) {
      case 0:
        p[at] = p[at]! ^ (1 << rng.int(0, 7));
        break;
      case 1:
        p[at] = rng.int(0, 255);
        break;
      case 2:
        p[at] = rng.pick(INTERESTING_BYTES);
        break;
      case 3: // a 16-bit field: counts (offsets 4-11), rdlengths, pointers, ports
        if (p.length >= 2) {
          const off = rng.chance(0.4) ? rng.pick([4, 6, 8, 10]) : rng.int(0, p.length - 2);
          if (off + 2 <= p.length) p.writeUInt16BE(rng.pick(INTERESTING_U16), off);
        }
        break;
      case 4:
        p = Buffer.concat([p.subarray(0, at), rng.bytes(rng.int(1, 16)), p.subarray(at)]);
        break;
      case 5:
        p = Buffer.concat([p.subarray(0, at), p.subarray(Math.min(p.length, at + rng.int(1, 16)))]);
        break;
      case 6:
        p = p.subarray(0, rng.int(0, p.length));
        break;
      case 7: {
        const len = rng.int(1, Math.min(64, p.length - at));
        p = Buffer.concat([p.subarray(0, at), p.subarray(at, at + len), p.subarray(at)]);
        break;
      }
      case 8: {
        const other = rng.pick(seeds);
        p = Buffer.concat([p.subarray(0, at), other.subarray(rng.int(0, other.length - 1))]);
        break;
      }
      default: // a pointer somewhere (loops, forward references, past the end)
        if (p.length >= 2) p.writeUInt16BE(0xc000 | rng.int(0, Math.min(0x3fff, p.length + 20)), Math.min(at, p.length - 2));
    }
  }
  return p.length > 9000 ? p.subarray(0, 9000) : p;
}

export class MdnsFuzzer {
  private readonly seeds: Buffer[];
  readonly counts: Record<FuzzCategory, number> = { random: 0, header: 0, mutated: 0, structured: 0, labels: 0 };

  constructor(private readonly rng: Rng, private readonly target: FuzzTarget, private readonly ipv6: boolean) {
    this.seeds = seedPackets(rng, target);
  }

  next(): FuzzPacket {
    const rng = this.rng;
    const roll = rng();
    let category: FuzzCategory;
    let bytes: Buffer;
    if (roll < 0.12) {
      category = 'random';
      bytes = rng.bytes(rng.chance(0.1) ? rng.int(0, 11) : rng.int(12, rng.chance(0.05) ? 9100 : 1500));
    } else if (roll < 0.22) {
      category = 'header';
      const header = Buffer.alloc(12);
      header.writeUInt16BE(rng.chance(0.7) ? 0 : rng.int(0, 0xffff), 0);
      header.writeUInt16BE(rng.pick([0, 0x8400, 0x8000, rng.int(0, 0xffff)]), 2);
      for (const off of [4, 6, 8, 10]) header.writeUInt16BE(rng.pick([0, 0, 1, 1, 2, 3, 8, rng.int(0, 40)]), off);
      bytes = Buffer.concat([header, rng.bytes(rng.int(0, 600))]);
    } else if (roll < 0.3) {
      category = 'labels';
      bytes = oddLabels(rng, this.target);
    } else if (roll < 0.62) {
      category = 'mutated';
      bytes = mutate(rng, rng.pick(this.seeds), this.seeds);
    } else {
      category = 'structured';
      try {
        bytes = randomStructured(rng, this.target);
      } catch {
        bytes = mutate(rng, rng.pick(this.seeds), this.seeds); // dns-packet refused the random content
      }
      if (bytes.length > 9000) bytes = bytes.subarray(0, 9000);
    }
    this.counts[category]++;
    const isQuery = bytes.length >= 3 && (bytes[2]! & 0x80) === 0;
    const path: FuzzPath = this.ipv6 && rng.chance(0.1) ? 'v6' : isQuery && rng.chance(0.1) ? 'legacy' : 'v4';
    return { category, path, bytes };
  }
}
