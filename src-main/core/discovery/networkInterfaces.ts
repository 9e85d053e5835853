// The interfaces discovery runs on: every non-loopback interface with an address (DESIGN §4),
// read again periodically so that links and addresses that change are followed.

import { networkInterfaces } from 'node:os';
import { isIPv4 } from 'node:net';

export interface InterfaceAddress {
  address: string;
  netmask: string;
  /** IPv6 scope id; link-local addresses need it. */
  scopeId?: number;
}

export interface MulticastInterface {
  /** OS name, e.g. `eth0` (in a container the kernel says `eth0@if3`; Node reports `eth0`). */
  name: string;
  ipv4: InterfaceAddress[];
  ipv6: InterfaceAddress[];
}

export function listMulticastInterfaces(read = networkInterfaces): MulticastInterface[] {
  const result: MulticastInterface[] = [];
  for (const [rawName, entries] of Object.entries(read())) {
    if (!entries) continue;
    const name = rawName.replace(/@.*$/, '');
    const ipv4: InterfaceAddress[] = [];
    const ipv6: InterfaceAddress[] = [];
    for (const e of entries) {
      if (e.internal) continue;
      if (e.family === 'IPv4') ipv4.push({ address: e.address, netmask: e.netmask });
      else if (e.family === 'IPv6') ipv6.push({ address: e.address, netmask: e.netmask, scopeId: e.scopeid });
    }
    if (ipv4.length > 0 || ipv6.length > 0) result.push({ name, ipv4, ipv6 });
  }
  return result.sort((a, b) => a.name.localeCompare(b.name));
}

/** A string that changes whenever an interface or one of its addresses does. */
export function interfacesSignature(list: MulticastInterface[]): string {
  return list
    .map((i) => `${i.name}:${i.ipv4.map((a) => a.address).join(',')}/${i.ipv6.map((a) => a.address).join(',')}`)
    .join(';');
}

function ipv4ToNumber(ip: string): number {
  return ip.split('.').reduce((n, part) => (n << 8) + Number(part), 0) >>> 0;
}

function ipv6ToBigInt(ip: string): bigint {
  const bare = ip.replace(/%.*$/, '');
  const [head = '', tail = ''] = bare.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const missing = 8 - h.length - t.length;
  const groups = bare.includes('::') ? [...h, ...Array<string>(missing).fill('0'), ...t] : h;
  return groups.reduce((n, g) => (n << 16n) + BigInt(parseInt(g || '0', 16)), 0n);
}

export function isIpv6LinkLocal(ip: string): boolean {
  return /^fe[89ab][0-9a-f]:/i.test(ip);
}

/** True when `ip` lies in the subnet of `addr` (same family). */
export function inSubnet(ip: string, addr: InterfaceAddress): boolean {
  if (isIPv4(ip)) {
    if (!isIPv4(addr.address)) return false;
    const mask = ipv4ToNumber(addr.netmask);
    return (ipv4ToNumber(ip) & mask) === (ipv4ToNumber(addr.address) & mask);
  }
  if (isIPv4(addr.address)) return false;
  const mask = ipv6ToBigInt(addr.netmask);
  return (ipv6ToBigInt(ip) & mask) === (ipv6ToBigInt(addr.address) & mask);
}

/**
 * The local interface a packet from `source` arrived on: link-local IPv6 by its scope
 * (`fe80::1%eth0`), anything else by subnet. Null for off-link sources, which mDNS ignores
 * (RFC 6762 §11).
 */
export function interfaceForSource(source: string, list: MulticastInterface[]): MulticastInterface | null {
  const scope = /%(.+)$/.exec(source)?.[1];
  if (scope !== undefined && isIpv6LinkLocal(source)) {
    return list.find((i) => i.name === scope || String(i.ipv6[0]?.scopeId) === scope) ?? null;
  }
  const ipv4Mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(source)?.[1];
  const ip = ipv4Mapped ?? source;
  return list.find((i) => (isIPv4(ip) ? i.ipv4 : i.ipv6).some((a) => inSubnet(ip, a))) ?? null;
}
