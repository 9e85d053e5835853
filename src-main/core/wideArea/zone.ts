// Questions to the wide-area DNS server: records of one name and type (for browsing), and the zone
// a domain belongs to (an UPDATE names its zone, RFC 2136 §2.3; the domain may be a zone's
// subdomain). Answers pass the same checks as mDNS answers (discovery/dnsMessage.ts).

import dnsPacket from 'dns-packet';
import { decodeMessage, type MdnsRecord, type RecordType } from '../discovery/dnsMessage.js';
import { describeServer, DnsUnreachableError, exchange, newMessageId, type DnsServer } from './dnsClient.js';
import { EDNS_UDP_PAYLOAD_BYTES } from './dnsUpdate.js';
import { canonicalName, rcodeText } from './dnsWire.js';

const NXDOMAIN = 3;
/** RFC 1035 §4.2.2: a message over TCP is at most this long. */
const DNS_MESSAGE_MAX_BYTES = 65535;

export interface QueryAnswer {
  rcode: number;
  /** Every well-formed record of the answer, additional ones too. */
  records: MdnsRecord[];
  /** The owner of the SOA record in the answer or authority section (the zone), if any. */
  soaOwner: string | null;
}

/** Asks `server` for `name`/`type` (recursion desired: the server may be a resolver). */
export async function query(server: DnsServer, name: string, type: RecordType | 'SOA'): Promise<QueryAnswer> {
  const message = dnsPacket.encode({
    type: 'query',
    id: newMessageId(),
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ name, type, class: 'IN' }],
    additionals: [{ name: '.', type: 'OPT', udpPayloadSize: EDNS_UDP_PAYLOAD_BYTES } as dnsPacket.Answer],
  });
  const answer = await exchange(server, message);
  const decoded = decodeMessage(answer, DNS_MESSAGE_MAX_BYTES);
  if (!decoded) throw new DnsUnreachableError(`the DNS server ${describeServer(server)} sent an answer that cannot be read`);
  let soaOwner: string | null = null;
  try {
    const packet = dnsPacket.decode(answer);
    soaOwner = [...(packet.answers ?? []), ...(packet.authorities ?? [])].find((r) => r.type === 'SOA')?.name ?? null;
  } catch {
    soaOwner = null; // decodeMessage read it: only the SOA part is missing
  }
  return { rcode: answer.readUInt16BE(2) & 0xf, records: decoded.records, soaOwner };
}

/** The zone `domain` is in: the SOA's owner in the answer (the domain is a zone) or the authority section (a parent is). */
export async function findZone(server: DnsServer, domain: string): Promise<string> {
  const answer = await query(server, domain, 'SOA');
  if (answer.rcode !== 0 && answer.rcode !== NXDOMAIN) throw new DnsUnreachableError(`the DNS server ${describeServer(server)} cannot say which zone ${domain} is in: ${rcodeText(answer.rcode)}`);
  const owner = answer.soaOwner === null ? null : canonicalName(answer.soaOwner);
  // A zone above the domain, or the domain itself; anything else is not the server we want.
  if (owner !== null && (owner === canonicalName(domain) || canonicalName(domain).endsWith(`.${owner}`) || owner === '')) return owner === '' ? canonicalName(domain) : owner;
  return canonicalName(domain);
}
