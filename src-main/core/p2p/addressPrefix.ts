// The network an address belongs to, for limits that one host must not multiply by taking more
// addresses: an IPv4 /24 (the usual LAN segment; a host can add addresses of its subnet at will)
// and an IPv6 /64 (the prefix a LAN hands out, RFC 4291 §2.5.1 and RFC 4862 §5.5.3: a host may
// hold any number of addresses in it). Link-local IPv6 addresses are fe80::/64 on every link, so
// all of them on one interface count as one prefix, which is what they are.

import { isIPv4, isIPv6 } from 'node:net';

export const IPV4_PREFIX_BITS = 24;
export const IPV6_PREFIX_BITS = 64;

/** The eight 16-bit groups of an IPv6 address (a dotted IPv4 tail too), or null. */
function ipv6Groups(address: string): number[] | null {
  let text = address;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted?.[1]) {
    const [a = 0, b = 0, c = 0, d = 0] = dotted[1].split('.').map(Number);
    text = `${text.slice(0, -dotted[1].length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail, extra] = text.split('::');
  if (extra !== undefined) return null;
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  const missing = 8 - left.length - right.length;
  if (tail === undefined ? missing !== 0 : missing < 0) return null;
  const groups = [...left, ...Array<number>(Math.max(0, missing)).fill(0), ...right];
  return groups.every((g) => Number.isInteger(g) && g >= 0 && g <= 0xffff) ? groups : null;
}

/**
 * The prefix `address` counts against: "10.1.2.0/24", "2001:db8:0:1::/64" (with the zone of a
 * link-local address: "fe80::/64%eth0"). IPv4-mapped IPv6 counts as IPv4. Anything else is its own
 * prefix (counted alone rather than not at all).
 */
export function addressPrefix(address: string): string {
  const [bare = '', zone] = address.toLowerCase().split('%');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(bare);
  const v4 = mapped?.[1] ?? bare;
  if (isIPv4(v4)) return `${v4.split('.').slice(0, IPV4_PREFIX_BITS / 8).join('.')}.0/${IPV4_PREFIX_BITS}`;
  const groups = isIPv6(bare) ? ipv6Groups(bare) : null;
  if (groups === null) return address;
  const kept = groups.slice(0, IPV6_PREFIX_BITS / 16).map((g) => g.toString(16));
  while (kept.length > 0 && kept[kept.length - 1] === '0') kept.pop();
  return `${kept.join(':')}::/${IPV6_PREFIX_BITS}${zone !== undefined && zone !== '' ? `%${zone}` : ''}`;
}
