// The parts of a unicast DNS message that dns-packet cannot write: DNS UPDATE (RFC 2136) needs the
// classes NONE and ANY with empty data (§2.5), and TSIG (RFC 8945) needs the exact bytes of the
// message it signs. Names are written uncompressed (RFC 2136 allows it; RFC 8945 §4.3.3 asks for
// the canonical form in the digest). Record data of the usual types comes from dns-packet.

import dnsPacket from 'dns-packet';
import { decodeMessage, type MdnsRecord, type RecordType } from '../discovery/dnsMessage.js';

/** RFC 1035 §3.2.2, RFC 2136 §1.3, RFC 8945 §4.2. */
export const DNS_TYPE = { A: 1, SOA: 6, PTR: 12, TXT: 16, AAAA: 28, SRV: 33, OPT: 41, TSIG: 250, ANY: 255 } as const;
export const DNS_CLASS = { IN: 1, NONE: 254, ANY: 255 } as const;
/** The record types the discovery code reads, by their number. */
export const RECORD_TYPE_NAMES: Readonly<Record<number, RecordType>> = { [DNS_TYPE.PTR]: 'PTR', [DNS_TYPE.SRV]: 'SRV', [DNS_TYPE.TXT]: 'TXT', [DNS_TYPE.A]: 'A', [DNS_TYPE.AAAA]: 'AAAA' };
/** RFC 2136 §2.2: the opcode of an UPDATE. */
export const OPCODE_UPDATE = 5;
export const OPCODE_QUERY = 0;
/** RFC 1035 §2.3.4: a label is at most 63 bytes, a name at most 255. */
const LABEL_MAX_BYTES = 63;
const NAME_MAX_BYTES = 255;
const HEADER_BYTES = 12;

/** The parts of dns-packet its type declarations leave out (each reads or writes one piece; `.bytes` is how many). */
interface PieceCodec {
  encode: ((data: unknown) => Buffer) & { bytes: number };
  decode: ((buf: Buffer, offset: number) => unknown) & { bytes: number };
}
const packetPieces = dnsPacket as unknown as { record(type: string): PieceCodec; question: PieceCodec; answer: PieceCodec; name: PieceCodec };

export interface WireQuestion {
  name: string;
  type: number;
  klass: number;
}

export interface WireRecord {
  name: string;
  type: number;
  klass: number;
  ttl: number;
  rdata: Buffer;
}

export interface WireMessage {
  id: number;
  opcode: number;
  /** RD: recursion desired (queries to a resolver). */
  recursionDesired?: boolean;
  /** Zone (UPDATE) or question section. */
  questions: WireQuestion[];
  /** Prerequisites (UPDATE) or answers. */
  answers?: WireRecord[];
  /** Updates (UPDATE) or authorities. */
  authorities?: WireRecord[];
  additionals?: WireRecord[];
}

/** A name without its final dot, lowercased: how names are compared (RFC 4343). */
export function canonicalName(name: string): string {
  return name.replace(/\.$/, '').toLowerCase();
}

/** `name` in wire form, uncompressed; '' or '.' is the root. Throws on a label or name too long. */
export function encodeName(name: string): Buffer {
  const trimmed = name.replace(/\.$/, '');
  const labels = trimmed === '' ? [] : trimmed.split('.');
  const parts: Buffer[] = [];
  for (const label of labels) {
    const bytes = Buffer.from(label, 'utf8');
    if (bytes.length === 0 || bytes.length > LABEL_MAX_BYTES) throw new RangeError(`the DNS name ${JSON.stringify(name)} has a label of ${bytes.length} bytes (1 to ${LABEL_MAX_BYTES} allowed)`);
    parts.push(Buffer.from([bytes.length]), bytes);
  }
  parts.push(Buffer.from([0]));
  const out = Buffer.concat(parts);
  if (out.length > NAME_MAX_BYTES) throw new RangeError(`the DNS name ${JSON.stringify(name)} is longer than ${NAME_MAX_BYTES} bytes`);
  return out;
}

export type RecordData =
  | { type: 'PTR'; data: string }
  | { type: 'SRV'; data: { target: string; port: number; priority?: number; weight?: number } }
  | { type: 'TXT'; data: Uint8Array[] }
  | { type: 'A' | 'AAAA'; data: string };

/** The data of a record of a usual type, as dns-packet writes it (without its length). */
export function rdataOf(record: RecordData): Buffer {
  const codec = packetPieces.record(record.type);
  const data = record.type === 'TXT' ? record.data.map((s) => Buffer.from(s)) : record.data;
  const withLength = codec.encode(data);
  return Buffer.from(withLength.subarray(2, codec.encode.bytes));
}

/** The name at `offset` (compression pointers followed) and the bytes it takes there. */
export function decodeName(buf: Buffer, offset: number): { name: string; bytes: number } {
  const name = packetPieces.name.decode(buf, offset) as string;
  return { name, bytes: packetPieces.name.decode.bytes };
}

export function encodeRecord(r: WireRecord): Buffer {
  const fixed = Buffer.alloc(10);
  fixed.writeUInt16BE(r.type, 0);
  fixed.writeUInt16BE(r.klass, 2);
  fixed.writeUInt32BE(r.ttl >>> 0, 4);
  fixed.writeUInt16BE(r.rdata.length, 8);
  return Buffer.concat([encodeName(r.name), fixed, r.rdata]);
}

/** `r` as the discovery code reads records (through the same checks as an mDNS answer); null for a type or data it does not take. */
export function readableRecord(r: WireRecord): MdnsRecord | null {
  const message = encodeMessage({ id: 0, opcode: OPCODE_QUERY, questions: [], answers: [r] });
  message.writeUInt16BE(0x8000, 2); // a response
  return decodeMessage(message, 65535)?.records[0] ?? null;
}

export function encodeMessage(m: WireMessage): Buffer {
  const answers = m.answers ?? [];
  const authorities = m.authorities ?? [];
  const additionals = m.additionals ?? [];
  const header = Buffer.alloc(HEADER_BYTES);
  header.writeUInt16BE(m.id & 0xffff, 0);
  header.writeUInt16BE(((m.opcode & 0xf) << 11) | (m.recursionDesired ? 0x0100 : 0), 2);
  header.writeUInt16BE(m.questions.length, 4);
  header.writeUInt16BE(answers.length, 6);
  header.writeUInt16BE(authorities.length, 8);
  header.writeUInt16BE(additionals.length, 10);
  const questions = m.questions.map((q) => {
    const fixed = Buffer.alloc(4);
    fixed.writeUInt16BE(q.type, 0);
    fixed.writeUInt16BE(q.klass, 2);
    return Buffer.concat([encodeName(q.name), fixed]);
  });
  return Buffer.concat([header, ...questions, ...[...answers, ...authorities, ...additionals].map(encodeRecord)]);
}

/** RFC 6891 §6.1.2: an OPT pseudo-record (EDNS0) offering `udpPayloadBytes`, with its options. */
export function optRecord(udpPayloadBytes: number, options: Array<{ code: number; data: Buffer }>): WireRecord {
  const rdata = Buffer.concat(
    options.map((o) => {
      const head = Buffer.alloc(4);
      head.writeUInt16BE(o.code, 0);
      head.writeUInt16BE(o.data.length, 2);
      return Buffer.concat([head, o.data]);
    }),
  );
  return { name: '', type: DNS_TYPE.OPT, klass: udpPayloadBytes, ttl: 0, rdata };
}

/** RFC 1035 §4.1.1 and RFC 2136 §2.2: the response codes a user may meet, in words. */
const RCODE_TEXT: Record<number, string> = {
  1: 'FORMERR: it could not read the message',
  2: 'SERVFAIL: it failed on its side',
  3: 'NXDOMAIN: the name does not exist',
  4: 'NOTIMP: it does not do this',
  5: 'REFUSED: it refuses updates from us (its update policy)',
  6: 'YXDOMAIN: a name that should not exist does',
  7: 'YXRRSET: a record set that should not exist does',
  8: 'NXRRSET: a record set that should exist does not',
  9: 'NOTAUTH: it is not authoritative for the zone, or did not accept our key',
  10: 'NOTZONE: a name is outside the zone',
};

export function rcodeText(rcode: number): string {
  return RCODE_TEXT[rcode] ?? `response code ${rcode}`;
}

/** Where each record of a message starts and ends (for TSIG: the bytes before the last record). */
export interface MessageLayout {
  id: number;
  rcode: number;
  isResponse: boolean;
  counts: [number, number, number, number];
  /** Start offset of each record of the answer, authority and additional sections, in order. */
  recordOffsets: number[];
  end: number;
}

/** Walks a message's sections (dns-packet reads each part); throws on a malformed one. */
export function layoutOf(buf: Buffer): MessageLayout {
  if (buf.length < HEADER_BYTES) throw new Error('a DNS message shorter than its header');
  const flags = buf.readUInt16BE(2);
  const counts: [number, number, number, number] = [buf.readUInt16BE(4), buf.readUInt16BE(6), buf.readUInt16BE(8), buf.readUInt16BE(10)];
  let offset = HEADER_BYTES;
  for (let i = 0; i < counts[0]; i++) {
    packetPieces.question.decode(buf, offset);
    offset += packetPieces.question.decode.bytes;
  }
  const recordOffsets: number[] = [];
  for (let i = 0; i < counts[1] + counts[2] + counts[3]; i++) {
    recordOffsets.push(offset);
    packetPieces.answer.decode(buf, offset);
    offset += packetPieces.answer.decode.bytes;
    if (offset > buf.length) throw new Error('a DNS record runs past the end of its message');
  }
  return { id: buf.readUInt16BE(0), rcode: flags & 0xf, isResponse: (flags & 0x8000) !== 0, counts, recordOffsets, end: offset };
}

// ---- DNS over TCP and TLS (RFC 1035 §4.2.2): each message after a 2-byte length.

/** `message` with the 2-byte length that precedes it over TCP and TLS. */
export function framed(message: Buffer): Buffer {
  const length = Buffer.alloc(2);
  length.writeUInt16BE(message.length);
  return Buffer.concat([length, message]);
}

/** Splits a TCP or TLS byte stream into DNS messages (each after its 2-byte length). */
export class MessageFramer {
  private pending: Buffer = Buffer.alloc(0);

  /** The whole messages `chunk` completes (the rest is kept for the next chunk). */
  push(chunk: Buffer): Buffer[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const out: Buffer[] = [];
    while (this.pending.length >= 2) {
      const length = this.pending.readUInt16BE(0);
      if (this.pending.length < 2 + length) break;
      out.push(Buffer.from(this.pending.subarray(2, 2 + length)));
      this.pending = this.pending.subarray(2 + length);
    }
    return out;
  }
}
