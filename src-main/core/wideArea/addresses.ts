// The addresses of this host that other networks may reach (the A/AAAA of a wide-area
// registration): every IPv4 address but loopback, and IPv6 addresses but loopback and link-local
// (fe80::/10 means nothing off its own link).

import { networkInterfaces } from 'node:os';

/** Addresses registered at most (a host with dozens of container bridges keeps the UPDATE small). */
export const REGISTERED_ADDRESSES_MAX = 8;

export function reachableAddresses(): string[] {
  const v4: string[] = [];
  const v6: string[] = [];
  for (const list of Object.values(networkInterfaces())) {
    for (const i of list ?? []) {
      if (i.internal) continue;
      if (i.family === 'IPv4') v4.push(i.address);
      else if (!/^fe[89ab]/i.test(i.address)) v6.push(i.address.replace(/%.*$/, ''));
    }
  }
  return [...new Set([...v4, ...v6])].slice(0, REGISTERED_ADDRESSES_MAX);
}
