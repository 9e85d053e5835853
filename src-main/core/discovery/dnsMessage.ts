// Encoding and defensive decoding of mDNS messages on top of dns-packet. Everything a peer
// sends passes through `decodeMessage`, which never throws and keeps only well-formed records.

import dnsPacket from 'dns-packet';
import { KNOWN_ANSWER_PACKETS_MAX, PACKET_MAX_BYTES, PACKET_SEND_MAX_BYTES, SERVICE_TYPE } from './constants.js';

export type RecordType = 'PTR' | 'SRV' | 'TXT' | 'A' | 'AAAA';

export interface SrvData { target: string; port: number; priority: number; weight: number }

export type MdnsRecord =
  | { name: string; type: 'PTR'; ttl: number; flush: boolean; data: string }
  | { name: string; type: 'SRV'; ttl: number; flush: boolean; data: SrvData }
  | { name: string; type: 'TXT'; ttl: number; flush: boolean; data: Buffer[] }
  | { name: string; type: 'A' | 'AAAA'; ttl: number; flush: boolean; data: string };

export interface MdnsQuestion { name: string; type: RecordType | 'ANY'; unicastResponse: boolean }

export interface MdnsMessage {
  id: number;
  isResponse: boolean;
  questions: MdnsQuestion[];
  /** Answers, authorities and additionals together: mDNS treats them alike (RFC 6762 §6). */
  records: MdnsRecord[];
  /** For queries: the known answers (the answer section). */
  knownAnswers: MdnsRecord[];
  /** TC: for a query, more known answers follow in the next packets (RFC 6762 §7.2). */
  truncated: boolean;
}

const QU_BIT = 0x8000;
const TC_FLAG = 0x0200;
const QUESTION_TYPES = new Set(['PTR', 'SRV', 'TXT', 'A', 'AAAA', 'ANY']);
const TXT_STRINGS_MAX = 128;

function validName(name: unknown): name is string {
  return typeof name === 'string' && name.length > 0 && name.length <= 255;
}

function toRecord(raw: unknown): MdnsRecord | null {
  if (typeof raw !== 'object' || raw === null) return null;
  const r = raw as { name?: unknown; type?: unknown; ttl?: unknown; flush?: unknown; data?: unknown; class?: unknown };
  if (!validName(r.name) || typeof r.ttl !== 'number' || !Number.isFinite(r.ttl) || r.ttl < 0) return null;
  if (r.class !== undefined && r.class !== 'IN') return null;
  const base = { name: r.name, ttl: r.ttl, flush: r.flush === true };
  switch (r.type) {
    case 'PTR':
      return validName(r.data) ? { ...base, type: 'PTR', data: r.data } : null;
    case 'SRV': {
      const d = r.data as Partial<SrvData> | undefined;
      if (!d || !validName(d.target) || !Number.isInteger(d.port) || (d.port as number) < 0 || (d.port as number) > 65535) return null;
      return { ...base, type: 'SRV', data: { target: d.target, port: d.port as number, priority: Number(d.priority) || 0, weight: Number(d.weight) || 0 } };
    }
    case 'TXT': {
      const d = Array.isArray(r.data) ? r.data : [r.data];
      const strings = d.filter((s): s is Buffer => Buffer.isBuffer(s)).slice(0, TXT_STRINGS_MAX);
      return { ...base, type: 'TXT', data: strings };
    }
    case 'A':
    case 'AAAA':
      return typeof r.data === 'string' && r.data.length <= 45 ? { ...base, type: r.type, data: r.data } : null;
    default:
      return null;
  }
}

/** Decodes a datagram (of at most `maxBytes`: a unicast DNS answer over TCP may be larger); null for anything that is not a well-formed DNS message. */
export function decodeMessage(buffer: Buffer, maxBytes = PACKET_MAX_BYTES): MdnsMessage | null {
  if (buffer.length < 12 || buffer.length > maxBytes) return null;
  // Counts that the datagram cannot hold (a question takes at least 5 bytes, a record 11) are
  // refused before dns-packet allocates arrays of up to 65,535 entries per section for them:
  // that made random junk cost ~0.5 ms a packet, enough for a LAN host to flood us cheaply.
  const questionCount = buffer.readUInt16BE(4);
  const recordCount = buffer.readUInt16BE(6) + buffer.readUInt16BE(8) + buffer.readUInt16BE(10);
  if (12 + questionCount * 5 + recordCount * 11 > buffer.length) return null;
  let packet: dnsPacket.DecodedPacket;
  try {
    packet = dnsPacket.decode(buffer);
  } catch {
    return null;
  }
  // dns-packet reads some rdata (TXT) up to the length it claims even past the end of the
  // datagram, clipping what is there: a record that runs past the end makes the message malformed.
  if (!((dnsPacket.decode as unknown as { bytes: number }).bytes <= buffer.length)) return null;
  const isResponse = packet.type === 'response';
  // RFC 6762 §18.3: multicast DNS messages with a non-zero OPCODE are ignored.
  if (((packet.flags ?? 0) >> 11) & 0xf) return null;
  const questions: MdnsQuestion[] = [];
  for (const q of packet.questions ?? []) {
    const type = String(q.type);
    if (!validName(q.name) || !QUESTION_TYPES.has(type)) continue;
    // dns-packet reports a class with the QU bit as `UNKNOWN_32769` (RFC 6762 §5.4).
    const klass = String(q.class);
    const unicastResponse = klass === `UNKNOWN_${QU_BIT | 1}` || klass === `UNKNOWN_${QU_BIT | 255}`;
    if (!unicastResponse && klass !== 'IN' && klass !== 'ANY') continue;
    questions.push({ name: q.name, type: type as MdnsQuestion['type'], unicastResponse });
  }
  const collect = (list: unknown[] | undefined) => (list ?? []).map(toRecord).filter((r): r is MdnsRecord => r !== null);
  const answers = collect(packet.answers);
  const others = [...collect(packet.authorities), ...collect(packet.additionals)];
  return {
    id: packet.id ?? 0,
    isResponse,
    questions,
    records: isResponse ? [...answers, ...others] : [],
    knownAnswers: isResponse ? [] : answers,
    truncated: ((packet.flags ?? 0) & TC_FLAG) !== 0,
  };
}

function toPacketAnswer(r: MdnsRecord): dnsPacket.Answer {
  return { name: r.name, type: r.type, ttl: r.ttl, class: 'IN', flush: r.flush, data: r.data } as dnsPacket.Answer;
}

function toPacketQuestion(q: MdnsQuestion): dnsPacket.Question {
  return { name: q.name, type: q.type, class: 'IN' } as dnsPacket.Question;
}

export function encodeResponse(answers: MdnsRecord[], additionals: MdnsRecord[] = [], opts: { id?: number; questions?: MdnsQuestion[] } = {}): Buffer {
  return dnsPacket.encode({
    type: 'response',
    id: opts.id ?? 0,
    flags: dnsPacket.AUTHORITATIVE_ANSWER,
    questions: (opts.questions ?? []).map(toPacketQuestion),
    answers: answers.map(toPacketAnswer),
    additionals: additionals.map(toPacketAnswer),
  });
}

/**
 * Encodes a response as one packet, or as several when it would not fit in one Ethernet frame
 * (RFC 6762 §17: a packet sent as IP fragments may hold one record only). Answers come first,
 * additionals fill up; a record too large for a frame on its own is sent alone.
 */
export function encodeResponses(answers: MdnsRecord[], additionals: MdnsRecord[] = [], opts: { id?: number; questions?: MdnsQuestion[] } = {}, maxBytes = PACKET_SEND_MAX_BYTES): Buffer[] {
  const whole = encodeResponse(answers, additionals, opts);
  if (whole.length <= maxBytes) return [whole];
  const packets: Buffer[] = [];
  let current = { answers: [] as MdnsRecord[], additionals: [] as MdnsRecord[] };
  const isEmpty = () => current.answers.length + current.additionals.length === 0;
  const flush = () => {
    if (!isEmpty()) packets.push(encodeResponse(current.answers, current.additionals, opts));
    current = { answers: [], additionals: [] };
  };
  for (const [section, list] of [['answers', answers], ['additionals', additionals]] as const) {
    for (const r of list) {
      const trial = { ...current, [section]: [...current[section], r] };
      if (!isEmpty() && encodeResponse(trial.answers, trial.additionals, opts).length > maxBytes) {
        flush();
        current[section].push(r);
      } else {
        current = trial;
      }
    }
  }
  flush();
  return packets;
}

/**
 * The first of `knownAnswers` that fit in one packet with `questions` (PACKET_SEND_MAX_BYTES).
 * Known answers only spare answers (RFC 6762 §7.1): leaving some out costs a few answers, while a
 * query over one frame goes out as IP fragments, and one over 9000 bytes is dropped by every
 * receiver (ours too): with ~100 peers, nobody would answer our queries any more.
 */
export function knownAnswersThatFit(questions: MdnsQuestion[], knownAnswers: MdnsRecord[], maxBytes = PACKET_SEND_MAX_BYTES): MdnsRecord[] {
  let size = dnsPacket.encodingLength({ type: 'query', questions: questions.map(toPacketQuestion) });
  const out: MdnsRecord[] = [];
  for (const r of knownAnswers) {
    size += dnsPacket.encodingLength({ type: 'query', answers: [toPacketAnswer(r)] }) - 12; // less the header
    if (size > maxBytes) break;
    out.push(r);
  }
  return out;
}

/**
 * A query with more known answers than one packet holds (RFC 6762 §7.2): the question and the
 * first known answers, then packets of known answers alone, each but the last with TC set, so
 * that responders wait for the rest before they answer. At most `maxPackets` (a flood-filled
 * table would otherwise make every query dozens of packets): known answers past those only cost
 * a few answers.
 */
export function encodeQueryPackets(questions: MdnsQuestion[], knownAnswers: MdnsRecord[], maxPackets = KNOWN_ANSWER_PACKETS_MAX): Buffer[] {
  const groups: MdnsRecord[][] = [];
  let rest = knownAnswers;
  for (let i = 0; i < maxPackets; i++) {
    const fit = knownAnswersThatFit(i === 0 ? questions : [], rest);
    if (fit.length === 0 && i > 0) break;
    groups.push(fit);
    rest = rest.slice(fit.length);
    if (rest.length === 0 || fit.length === 0) break;
  }
  return groups.map((group, i) => encodeQuery(i === 0 ? questions : [], group, i < groups.length - 1));
}

/** Encodes a query; questions with `unicastResponse` get the QU bit (dns-packet cannot set it). */
export function encodeQuery(questions: MdnsQuestion[], knownAnswers: MdnsRecord[] = [], truncated = false): Buffer {
  const buffer = dnsPacket.encode({
    type: 'query',
    id: 0,
    flags: truncated ? TC_FLAG : 0,
    questions: questions.map(toPacketQuestion),
    answers: knownAnswers.map(toPacketAnswer),
  });
  // dns-packet writes names uncompressed: each question's class field follows its name (labels up
  // to a zero byte) and type. Walked in the bytes written rather than computed from the string:
  // dns-packet strips a dot next to a line break in a name a peer sent ("a\n.b"), and a length
  // computed from the string then pointed past the end of the packet (a RangeError per packet).
  let offset = 12;
  for (const q of questions) {
    while (offset < buffer.length && buffer[offset] !== 0) offset += (buffer[offset] as number) + 1;
    offset += 1 + 2; // the zero byte, the type
    if (offset + 2 > buffer.length) break;
    if (q.unicastResponse) buffer.writeUInt16BE(buffer.readUInt16BE(offset) | QU_BIT, offset);
    offset += 2;
  }
  return buffer;
}

export function sameName(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

const SERVICE_SUFFIX = `.${SERVICE_TYPE}`;

/** `X._sd._udp.local` -> `X` (the instance label), or null for names of other services. */
export function instanceLabelOf(fullName: string): string | null {
  if (fullName.length <= SERVICE_SUFFIX.length || !fullName.toLowerCase().endsWith(SERVICE_SUFFIX)) return null;
  const label = fullName.slice(0, -SERVICE_SUFFIX.length);
  return label.length > 0 && Buffer.byteLength(label) <= 63 ? label : null;
}

export function instanceFullName(label: string): string {
  return `${label}${SERVICE_SUFFIX}`;
}
