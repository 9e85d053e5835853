// The records of our own service instance (DESIGN §1, RFC 6763 §4-§6), per interface: each
// interface answers with its own addresses so that a peer gets an address it can reach.

import { isIpv6LinkLocal, type MulticastInterface } from './networkInterfaces.js';
import { ADDRESSES_PER_INTERFACE_ADVERTISED_MAX, HOST_RECORD_TTL_S, OTHER_RECORD_TTL_S, SERVICE_ENUMERATION_NAME, SERVICE_TYPE } from './constants.js';
import { instanceFullName, type MdnsRecord } from './dnsMessage.js';

export interface Advertisement {
  /** The instance label: our remote identity. */
  instance: string;
  /** Our host name without `.local`, DNS-safe and unique (derived from the identity). */
  hostname: string;
  port: number;
  txt: Uint8Array[];
}

export interface OwnRecords {
  ptr: MdnsRecord;
  serviceEnumeration: MdnsRecord;
  srv: MdnsRecord;
  txt: MdnsRecord;
  addresses: MdnsRecord[];
}

export function hostFullName(ad: Advertisement): string {
  return `${ad.hostname}.local`;
}

export function buildOwnRecords(ad: Advertisement, iface: MulticastInterface, ttlScale: 0 | 1 = 1): OwnRecords {
  const instance = instanceFullName(ad.instance);
  const host = hostFullName(ad);
  const hostTtl = HOST_RECORD_TTL_S * ttlScale;
  const otherTtl = OTHER_RECORD_TTL_S * ttlScale;
  // Link-local IPv6 first: they always exist and are what an IPv6-only LAN can use.
  const ipv6 = [...iface.ipv6].sort((a, b) => Number(isIpv6LinkLocal(b.address)) - Number(isIpv6LinkLocal(a.address)));
  return {
    ptr: { name: SERVICE_TYPE, type: 'PTR', ttl: otherTtl, flush: false, data: instance },
    serviceEnumeration: { name: SERVICE_ENUMERATION_NAME, type: 'PTR', ttl: otherTtl, flush: false, data: SERVICE_TYPE },
    srv: { name: instance, type: 'SRV', ttl: hostTtl, flush: true, data: { target: host, port: ad.port, priority: 0, weight: 0 } },
    txt: { name: instance, type: 'TXT', ttl: otherTtl, flush: true, data: ad.txt.map((s) => Buffer.from(s)) },
    addresses: [
      ...iface.ipv4.slice(0, ADDRESSES_PER_INTERFACE_ADVERTISED_MAX).map((a): MdnsRecord => ({ name: host, type: 'A', ttl: hostTtl, flush: true, data: a.address })),
      ...ipv6.slice(0, ADDRESSES_PER_INTERFACE_ADVERTISED_MAX).map((a): MdnsRecord => ({ name: host, type: 'AAAA', ttl: hostTtl, flush: true, data: a.address.replace(/%.*$/, '') })),
    ],
  };
}

/** A key equal for equal records (name case-insensitive, rdata compared exactly). */
export function recordKey(r: MdnsRecord): string {
  let data: string;
  switch (r.type) {
    case 'SRV':
      data = `${r.data.port} ${r.data.target.toLowerCase()}`;
      break;
    case 'TXT':
      data = r.data.map((b) => b.toString('hex')).join('.');
      break;
    case 'PTR':
      data = r.data.toLowerCase();
      break;
    default:
      data = r.data;
  }
  return `${r.name.toLowerCase()}|${r.type}|${data}`;
}
