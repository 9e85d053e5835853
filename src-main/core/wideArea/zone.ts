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
  /** The owner of the SOA record in the answer or authority section (the zone), if any; asked for SOA only (null otherwise). */
  soaOwner: string | null;
  /** That SOA's MNAME: the zone's primary server (RFC 1035 §3.3.13). */
  soaPrimary: string | null;
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
  // The SOA (the zone, for findZone) is read only where it is asked for: browsing asks the other types on every poll.
  let soa: { name: string; data: { mname?: unknown } } | undefined;
  if (type === 'SOA') {
    try {
      const packet = dnsPacket.decode(answer);
      soa = [...(packet.answers ?? []), ...(packet.authorities ?? [])].find((r) => r.type === 'SOA') as typeof soa;
    } catch {
      soa = undefined; // decodeMessage read it: only the SOA part is missing
    }
  }
  const primary = typeof soa?.data?.mname === 'string' && soa.data.mname.length <= 255 ? soa.data.mname : null;
  return { rcode: answer.readUInt16BE(2) & 0xf, records: decoded.records, soaOwner: soa?.name ?? null, soaPrimary: primary };
}

export interface ZoneOfDomain {
  zone: string;
  /** The zone's primary server (the SOA's MNAME), where updates go (RFC 2136 §4); null when the answer did not say. */
  primary: string | null;
}

/** The zone `domain` is in: the SOA's owner in the answer (the domain is a zone) or the authority section (a parent is), and its primary. */
export async function findZone(server: DnsServer, domain: string): Promise<ZoneOfDomain> {
  const answer = await query(server, domain, 'SOA');
  if (answer.rcode !== 0 && answer.rcode !== NXDOMAIN) throw new DnsUnreachableError(`the DNS server ${describeServer(server)} cannot say which zone ${domain} is in: ${rcodeText(answer.rcode)}`);
  const owner = answer.soaOwner === null ? null : canonicalName(answer.soaOwner);
  // A zone above the domain, or the domain itself; anything else is not the server we want.
  if (owner !== null && owner !== '' && (owner === canonicalName(domain) || canonicalName(domain).endsWith(`.${owner}`))) return { zone: owner, primary: answer.soaPrimary };
  return { zone: canonicalName(domain), primary: null };
}
