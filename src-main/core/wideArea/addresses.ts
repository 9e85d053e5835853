// The addresses of this host that other networks may reach (the A/AAAA of a wide-area
// registration): every IPv4 address but loopback, and IPv6 addresses but loopback and link-local
// (fe80::/10 means nothing off its own link). The interfaces as discovery reads them.

import { isIpv6LinkLocal, listMulticastInterfaces } from '../discovery/networkInterfaces.js';

/** Addresses registered at most (a host with dozens of container bridges keeps the UPDATE small). */
export const REGISTERED_ADDRESSES_MAX = 8;

export function reachableAddresses(): string[] {
  const interfaces = listMulticastInterfaces();
  const v4 = interfaces.flatMap((i) => i.ipv4.map((a) => a.address));
  const v6 = interfaces.flatMap((i) => i.ipv6.map((a) => a.address.replace(/%.*$/, ''))).filter((a) => !isIpv6LinkLocal(a));
  return [...new Set([...v4, ...v6])].slice(0, REGISTERED_ADDRESSES_MAX);
}
