// What the network check reads of this host besides the packets: the routes toward the mDNS
// groups, the default route, whether an interface is one end of a virtual pair, and the marks a
// container leaves. Linux keeps all of it under /proc and /sys (read-only, no root needed);
// elsewhere these read as unknown, and the check judges by the packets alone.

import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import type { MdnsFirewallRule } from './nftRules.js';

/** The routes and interfaces of one host, as far as they can be read. */
export interface HostFacts {
  /** Interfaces with a route that covers 224.0.0.251 (224.0.0.0/4, or a default route); null: unknown. */
  ipv4MulticastRouteDevices: Set<string> | null;
  /** Interfaces with a route that covers ff02::fb (the kernel adds ff00::/8 for each link that is up); null: unknown. */
  ipv6MulticastRouteDevices: Set<string> | null;
  /** The IPv4 default route: its interface and gateway; null when there is none (or unknown). */
  defaultRoute: { device: string; gateway: string } | null;
  /** Interfaces that are one end of a virtual pair whose other end lives in another namespace (a container's veth). */
  pairedInterfaces: Set<string>;
  /** Why this process looks like it runs in a container (a marker file, the environment, its own PID namespace); empty when nothing says so. */
  containerHints: string[];
  /** The nftables rules that drop or reject UDP 5353 (nftRules.ts); null when they cannot be read. */
  mdnsFirewallRules: MdnsFirewallRule[] | null;
}

/** The PID namespace of the host itself has this inode on every Linux (PROC_PID_INIT_INO). */
const INITIAL_PID_NAMESPACE = 'pid:[4026531836]';
/** Files container runtimes create at the container's root. */
const CONTAINER_MARKER_FILES = ['/.dockerenv', '/run/.containerenv'];

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/** /proc/net/route holds addresses as little-endian hex: 0100A8C0 is 192.168.0.1. */
function ipv4FromProcHex(hex: string): string {
  const n = Number.parseInt(hex, 16);
  return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff].join('.');
}

/** The IPv4 routes covering 224.0.0.251, and the default route, from /proc/net/route's text. */
export function parseIpv4Routes(text: string): { multicast: Set<string>; defaultRoute: HostFacts['defaultRoute'] } {
  const multicast = new Set<string>();
  let defaultRoute: HostFacts['defaultRoute'] = null;
  const group = 0xe00000fb; // 224.0.0.251
  for (const line of text.split('\n').slice(1)) {
    const [device, destination, gateway, , , , , mask] = line.trim().split(/\s+/);
    if (!device || !destination || !gateway || !mask) continue;
    const toNumber = (hex: string) => Number.parseInt(hex.match(/../g)?.reverse().join('') ?? '0', 16) >>> 0;
    const dest = toNumber(destination);
    const bits = toNumber(mask);
    if (((group & bits) >>> 0) === ((dest & bits) >>> 0)) multicast.add(device);
    if (bits === 0 && defaultRoute === null) defaultRoute = { device, gateway: ipv4FromProcHex(gateway) };
  }
  return { multicast, defaultRoute };
}

/** The interfaces with an IPv6 route covering ff02::fb (ff00::/8, or ::/0), from /proc/net/ipv6_route's text. */
export function parseIpv6MulticastRoutes(text: string): Set<string> {
  const devices = new Set<string>();
  for (const line of text.split('\n')) {
    const fields = line.trim().split(/\s+/);
    const [destination, prefixHex] = fields;
    const device = fields.at(-1);
    if (!destination || !prefixHex || !device || device === 'lo') continue;
    const prefix = Number.parseInt(prefixHex, 16);
    if ((prefix === 8 && destination.startsWith('ff')) || prefix === 0) devices.add(device);
  }
  return devices;
}

/**
 * The interfaces whose other end lives in another namespace: a veth's iflink is its peer's index,
 * and a peer that is no interface of this namespace is elsewhere (a VLAN's or macvlan's iflink is
 * its parent's, and a veth pair's both ends may be here: neither is counted).
 */
function pairedInterfaces(names: readonly string[]): Set<string> {
  const indexOf = (name: string) => readText(`/sys/class/net/${name}/ifindex`)?.trim();
  let all: string[];
  try {
    all = readdirSync('/sys/class/net');
  } catch {
    all = [...names];
  }
  const here = new Set(all.map(indexOf).filter((i): i is string => i !== undefined));
  const paired = new Set<string>();
  for (const name of names) {
    const iflink = readText(`/sys/class/net/${name}/iflink`)?.trim();
    if (iflink && iflink !== '0' && iflink !== indexOf(name) && !here.has(iflink)) paired.add(name);
  }
  return paired;
}

function containerHints(env: NodeJS.ProcessEnv): string[] {
  const hints = CONTAINER_MARKER_FILES.filter((f) => existsSync(f)).map((f) => `${f} exists`);
  if (env.container) hints.push(`the environment says container=${env.container}`);
  const pidNamespace = readLink('/proc/self/ns/pid');
  if (pidNamespace !== null && pidNamespace !== INITIAL_PID_NAMESPACE) hints.push('it runs in a PID namespace of its own');
  return hints;
}

function readLink(path: string): string | null {
  try {
    return readlinkSync(path);
  } catch {
    return null;
  }
}

/** Reads the facts of this host; `interfaceNames` are those the check looks at; the firewall's rules come from nftRules.ts. */
export function readHostFacts(interfaceNames: readonly string[], mdnsFirewallRules: MdnsFirewallRule[] | null, env: NodeJS.ProcessEnv = process.env): HostFacts {
  const ipv4 = readText('/proc/net/route');
  const ipv6 = readText('/proc/net/ipv6_route');
  const parsed = ipv4 === null ? null : parseIpv4Routes(ipv4);
  return {
    ipv4MulticastRouteDevices: parsed?.multicast ?? null,
    ipv6MulticastRouteDevices: ipv6 === null ? null : parseIpv6MulticastRoutes(ipv6),
    defaultRoute: parsed?.defaultRoute ?? null,
    pairedInterfaces: pairedInterfaces(interfaceNames),
    containerHints: containerHints(env),
    mdnsFirewallRules,
  };
}
