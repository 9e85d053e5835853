// The network check (issue 15, `sd-nearby doctor` and the settings' "Network check"): what it
// measured on each interface in its window, why each listed device is not verified, and the
// findings, each one sentence with its fix. Shared by the node, the CLI and the UI.

import type { DiscoveryMode } from './discoveryModes.js';

/** The window the check listens for, in seconds: the default, and the bounds a caller may ask for. */
export const NETWORK_CHECK_DEFAULT_SECONDS = 10;
export const NETWORK_CHECK_MIN_SECONDS = 1;
export const NETWORK_CHECK_MAX_SECONDS = 60;

/** What a finding names. The first eight are the issue's; scripts may rely on them. */
export const FINDING_CODES = [
  'discovery-off',
  'no-interface',
  'no-multicast-route',
  'no-other-hosts',
  'inbound-blocked',
  'outbound-blocked',
  'container-network',
  'p2p-port-blocked',
  /** A listed device's endpoint answered with another key than the one it claims. */
  'another-key',
  /** Nothing wrong found: what was heard and verified. */
  'ok',
] as const;
export type FindingCode = (typeof FINDING_CODES)[number];

export type FindingSeverity = 'error' | 'warning' | 'info';

/** A cause with what to do about it. */
export interface FindingCause {
  code: FindingCode;
  /** One sentence: what is wrong, with the evidence. */
  message: string;
  /** One sentence: what to do. */
  fix: string;
}

export interface NetworkFinding extends FindingCause {
  severity: FindingSeverity;
  /**
   * When this host cannot tell this cause from others, the others, in order of likelihood (this
   * finding's own cause is the likeliest).
   */
  alternatives?: FindingCause[];
}

/** What the check counted on one family of one interface in its window. */
export interface PacketCounts {
  /** Our questions multicast, and those the system refused (by error code, e.g. EPERM: 2). */
  sent: number;
  sendErrors: Record<string, number>;
  /** Our own multicast heard back (the system loops it back through its firewall's input). */
  ownLoopedBack: number;
  /** mDNS packets from this host's other programs (a running node, avahi). */
  fromThisHost: number;
  /** mDNS packets from other hosts, and how many of those were responses. */
  fromOthers: number;
  responsesFromOthers: number;
  /** Answers other hosts sent to our questions (unicast to our question's port, or naming what we asked). */
  answersToUs: number;
}

/** One address family of an interface, as the check measured it in its window. */
export interface FamilyReport extends PacketCounts {
  family: 4 | 6;
  /** This host's address(es) of that family on the interface. */
  addresses: string[];
  /** Whether the routing table has a route for the mDNS group (224.0.0.0/4 or a default route; ff00::/8). */
  multicastRoute: boolean;
  /** Whether the check's socket joined the mDNS group there. */
  groupJoined: boolean;
  /** Why joining failed, in the system's words; null when it did not. */
  joinError: string | null;
}

export interface InterfaceReport {
  name: string;
  families: FamilyReport[];
}

/** Another mDNS host heard in the window. */
export interface HeardHost {
  /** The addresses it sent from (a dual-stack host's IPv4 and IPv6 ones together, when its address records tie them). */
  addresses: string[];
  interface: string;
  /** Service types it named (from its responses), e.g. `_sd._udp.local`. */
  services: string[];
}

/** Why a listed device is not verified (or that it now is). */
export type DeviceCheckResult = 'verified' | 'refused' | 'unreachable' | 'timed-out' | 'another-key' | 'not-nearby' | 'no-address' | 'other';

export interface DeviceReport {
  name: string;
  identity: string | null;
  addresses: string[];
  port: number | null;
  result: DeviceCheckResult;
  /** The result in words, with the address and port tried. */
  detail: string;
}

export interface NetworkReport {
  startedAt: string;
  seconds: number;
  /** The discovery mode of the node checked; null when no node's settings were found. */
  mode: DiscoveryMode | null;
  interfaces: InterfaceReport[];
  hostsHeard: HeardHost[];
  devices: DeviceReport[];
  findings: NetworkFinding[];
}
