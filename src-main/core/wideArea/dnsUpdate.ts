// The DNS UPDATEs (RFC 2136) of a wide-area registration (RFC 6763 over unicast DNS): one message
// that replaces everything we own in the zone (the instance's SRV and TXT, our host's addresses,
// the PTR that lists the instance), one that takes it all away. Each carries the lease it asks
// for (RFC 9664) when it adds records.

import { isIPv4, isIPv6 } from 'node:net';
import { DNS_CLASS, DNS_TYPE, encodeMessage, OPCODE_UPDATE, optRecord, rdataOf, type WireRecord } from './dnsWire.js';

/** RFC 9664 §4: the EDNS(0) option code of the Update Lease. */
export const UPDATE_LEASE_OPTION_CODE = 2;
/** What we tell servers we can take in an answer (RFC 6891 §6.2.5). */
export const EDNS_UDP_PAYLOAD_BYTES = 1232;

/** What one node registers in a wide-area domain. */
export interface Registration {
  /** The zone the UPDATE is for (the SOA's owner: the domain or one of its parents). */
  zone: string;
  /** `_sd._udp.<domain>`. */
  serviceName: string;
  /** `<instance>._sd._udp.<domain>`. */
  instanceName: string;
  /** `<host>.<domain>`: the SRV target, with our addresses. */
  hostName: string;
  port: number;
  txt: Uint8Array[];
  addresses: string[];
  /** TTL of the records, s. */
  ttlS: number;
  /** The lease asked for, s (RFC 9664). */
  leaseS: number;
}

/** §2.5.3: delete every record set of a name (class ANY, type ANY, no data). */
function deleteName(name: string): WireRecord {
  return { name, type: DNS_TYPE.ANY, klass: DNS_CLASS.ANY, ttl: 0, rdata: Buffer.alloc(0) };
}

function leaseOption(leaseS: number): WireRecord {
  const data = Buffer.alloc(4);
  data.writeUInt32BE(leaseS, 0);
  return optRecord(EDNS_UDP_PAYLOAD_BYTES, [{ code: UPDATE_LEASE_OPTION_CODE, data }]);
}

function addressRecords(r: Registration): WireRecord[] {
  return r.addresses.flatMap((address): WireRecord[] => {
    if (isIPv4(address)) return [{ name: r.hostName, type: DNS_TYPE.A, klass: DNS_CLASS.IN, ttl: r.ttlS, rdata: rdataOf({ type: 'A', data: address }) }];
    if (isIPv6(address)) return [{ name: r.hostName, type: DNS_TYPE.AAAA, klass: DNS_CLASS.IN, ttl: r.ttlS, rdata: rdataOf({ type: 'AAAA', data: address }) }];
    return [];
  });
}

/**
 * One UPDATE that sets the whole registration (§3.4.2: updates apply in order, so the deletions
 * first clear what an earlier run of this node left, then the records are added; the server
 * applies all of it or nothing, §3.7).
 */
export function registrationUpdate(id: number, r: Registration): Buffer {
  const updates: WireRecord[] = [
    deleteName(r.instanceName),
    deleteName(r.hostName),
    { name: r.serviceName, type: DNS_TYPE.PTR, klass: DNS_CLASS.IN, ttl: r.ttlS, rdata: rdataOf({ type: 'PTR', data: r.instanceName }) },
    { name: r.instanceName, type: DNS_TYPE.SRV, klass: DNS_CLASS.IN, ttl: r.ttlS, rdata: rdataOf({ type: 'SRV', data: { target: r.hostName, port: r.port } }) },
    { name: r.instanceName, type: DNS_TYPE.TXT, klass: DNS_CLASS.IN, ttl: r.ttlS, rdata: rdataOf({ type: 'TXT', data: r.txt.length > 0 ? r.txt : [new Uint8Array(0)] }) },
    ...addressRecords(r),
  ];
  return encodeMessage({ id, opcode: OPCODE_UPDATE, questions: [{ name: r.zone, type: DNS_TYPE.SOA, klass: DNS_CLASS.IN }], authorities: updates, additionals: [leaseOption(r.leaseS)] });
}

/** What a keyed peer removes of a registration whose lease ended (constants.ts LEASE_EXPIRY_FACTOR). */
export interface ExpiredRegistration {
  zone: string;
  serviceName: string;
  instanceName: string;
  /** The SRV target, when it is in the domain (another name is not the registration's to remove). */
  hostName: string | null;
  /** The TXT strings as the server holds them: the prerequisite that nothing was refreshed since. */
  txt: Uint8Array[];
}

/**
 * One UPDATE that removes another node's registration whose lease ended, only if its TXT is still
 * the one seen (RFC 2136 §2.4.2, "RRset exists (value dependent)": class IN, TTL 0, the exact
 * data): a node that refreshed has another TXT, the server answers NXRRSET and removes nothing.
 */
export function expiryUpdate(id: number, r: ExpiredRegistration): Buffer {
  const prerequisite: WireRecord = { name: r.instanceName, type: DNS_TYPE.TXT, klass: DNS_CLASS.IN, ttl: 0, rdata: rdataOf({ type: 'TXT', data: r.txt.length > 0 ? r.txt : [new Uint8Array(0)] }) };
  const updates: WireRecord[] = [
    { name: r.serviceName, type: DNS_TYPE.PTR, klass: DNS_CLASS.NONE, ttl: 0, rdata: rdataOf({ type: 'PTR', data: r.instanceName }) },
    deleteName(r.instanceName),
    ...(r.hostName === null ? [] : [deleteName(r.hostName)]),
  ];
  return encodeMessage({ id, opcode: OPCODE_UPDATE, questions: [{ name: r.zone, type: DNS_TYPE.SOA, klass: DNS_CLASS.IN }], answers: [prerequisite], authorities: updates });
}

/** One UPDATE that removes the registration: our PTR (§2.5.4: that one record, class NONE), the instance's and the host's records. */
export function removalUpdate(id: number, r: Pick<Registration, 'zone' | 'serviceName' | 'instanceName' | 'hostName'>): Buffer {
  const updates: WireRecord[] = [
    { name: r.serviceName, type: DNS_TYPE.PTR, klass: DNS_CLASS.NONE, ttl: 0, rdata: rdataOf({ type: 'PTR', data: r.instanceName }) },
    deleteName(r.instanceName),
    deleteName(r.hostName),
  ];
  return encodeMessage({ id, opcode: OPCODE_UPDATE, questions: [{ name: r.zone, type: DNS_TYPE.SOA, klass: DNS_CLASS.IN }], authorities: updates });
}
