// From what the network check measured to findings (issue 15): one sentence per cause with its
// fix, the likeliest first. Pure: the measurements come in (mdnsProbe.ts, hostFacts.ts,
// deviceChecks.ts), the report goes out, so each rule is tested on its own.
//
// How one host tells the causes apart (mdnsProbe.ts says how each measurement is taken):
// - outbound-blocked: the system refused our sends (EPERM/EACCES: this host's firewall), certain;
//   or other hosts' responses were heard but none answered our questions, which they would have
//   had they heard them (likely: something between drops our packets).
// - inbound-blocked: our own multicast did not come back through the firewall's input, certain
//   for this host; answers to our legacy question (on another port) are told as the evidence that
//   others are there and hear us. Either blocked direction names the nftables rule behind it when
//   the rules can be read (root), and the fix removes it.
// - no-other-hosts: our packets went out and came back, nothing else was heard. Alone on the link
//   and an isolating network (Wi-Fi client isolation, a bridge's port isolation) look the same
//   from here: the finding says both.
// - container-network: the same silence, on a host whose default route leaves by one end of a
//   virtual pair (a container's veth): multicast does not cross the bridge's NAT. The marks a
//   container leaves (/.dockerenv, its own PID namespace) add to the evidence, never decide alone
//   (a CI machine can carry them while its test namespaces are real LANs).
// - no-multicast-route: no route covers the group, or the system said so when we sent.
// - p2p-port-blocked: devices heard over mDNS whose P2P port refused or ignored the handshake.

import type { DiscoveryMode } from '../../../src-shared/discoveryModes.js';
import type { DeviceReport, FamilyReport, FindingCause, InterfaceReport, NetworkFinding } from '../../../src-shared/networkCheck.js';
import type { MulticastInterface } from '../discovery/networkInterfaces.js';
import type { HostFacts } from './hostFacts.js';
import { deleteCommand } from './nftRules.js';
import { SERVICE_TYPE } from '../discovery/constants.js';
import { heardHosts, newCounters, type ProbeObservations } from './mdnsProbe.js';

/** Send errors that mean a firewall of this host refused the packet. */
const FIREWALL_SEND_ERRORS = new Set(['EPERM', 'EACCES']);
/** Send errors that mean the system found no way out for the packet. */
const ROUTE_SEND_ERRORS = new Set(['ENETUNREACH', 'EHOSTUNREACH', 'ENODEV', 'EADDRNOTAVAIL', 'EINVAL']);

export interface DiagnoseInput {
  mode: DiscoveryMode | null;
  interfaces: readonly MulticastInterface[];
  facts: HostFacts;
  probe: ProbeObservations;
  /** Listed devices that were not verified, each checked again. */
  devices: readonly DeviceReport[];
  /** Listed devices the node had verified already. */
  verifiedCount: number;
}

/** What the check saw of one family of one interface, as the report shows it. */
export function interfaceReports(input: Pick<DiagnoseInput, 'interfaces' | 'facts' | 'probe'>): InterfaceReport[] {
  return input.interfaces.map((iface) => ({
    name: iface.name,
    families: ([4, 6] as const).flatMap((family): FamilyReport[] => {
      const addresses = (family === 4 ? iface.ipv4 : iface.ipv6).map((a) => a.address);
      if (addresses.length === 0) return [];
      const { socketError, ...counts } = input.probe.counters.get(`${iface.name}/${family}`) ?? { ...newCounters(), socketError: 'not opened' };
      const routes = family === 4 ? input.facts.ipv4MulticastRouteDevices : input.facts.ipv6MulticastRouteDevices;
      const route = routes === null || routes.has(iface.name);
      return [{ family, addresses, multicastRoute: route, groupJoined: socketError === null, joinError: socketError, ...counts, sendErrors: { ...counts.sendErrors } }];
    }),
  }));
}

interface Where {
  iface: string;
  f: FamilyReport;
}

const label = (w: Where) => `${w.iface} (IPv${w.f.family})`;
/** `eth0 (IPv4, IPv6), wlan0 (IPv4)`: each interface once, with its families. */
function listOf(ws: Where[]): string {
  const families = new Map<string, string[]>();
  for (const w of ws) families.set(w.iface, [...(families.get(w.iface) ?? []), `IPv${w.f.family}`]);
  return [...families].map(([iface, list]) => `${iface} (${list.join(', ')})`).join(', ');
}
const errorCount = (f: FamilyReport, codes: Set<string>) => Object.entries(f.sendErrors).reduce((n, [code, count]) => n + (codes.has(code) ? count : 0), 0);
const sentOk = (f: FamilyReport) => f.sent - Object.values(f.sendErrors).reduce((a, b) => a + b, 0);

function modeFindings(mode: DiscoveryMode | null): NetworkFinding[] {
  if (mode !== 'disabled') return [];
  return [
    {
      code: 'discovery-off',
      severity: 'error',
      message: 'Discovery is off (mode Disabled): this device announces nothing, lists no one and takes no links.',
      fix: 'Set discovery to Everyone (or Contacts only) in the settings, or start the node with --mode everyone.',
    },
  ];
}

/** The command that gives an interface its route to the mDNS group (Linux's ip). */
function routeCommand(w: Where): string {
  return w.f.family === 4 ? `ip route add 224.0.0.0/4 dev ${w.iface}` : `ip -6 route add table local multicast ff00::/8 dev ${w.iface}`;
}

/** Why the system would not let mDNS use one family of an interface, in its own words. */
function refusal(w: Where): string {
  if (!w.f.groupJoined) return `could not listen for the group (${w.f.joinError ?? 'unknown'})`;
  const codes = Object.keys(w.f.sendErrors).filter((c) => ROUTE_SEND_ERRORS.has(c));
  return `every question refused with ${codes.join(', ')}${w.f.multicastRoute ? '' : ', and no route covers the group'}`;
}

function routeFindings(all: Where[], facts: HostFacts): NetworkFinding[] {
  const failed = all.filter((w) => !w.f.groupJoined || errorCount(w.f, ROUTE_SEND_ERRORS) > 0);
  // A family with the group's route on one interface is fine (a docker0 or a VPN without it is
  // normal, and a route added there would take the multicast of every program that lets the
  // routing table choose): only a family with no such route anywhere is named, IPv4 at the
  // interface of the default route when there is one.
  const missing = (family: 4 | 6) => (all.some((w) => w.f.family === family && w.f.multicastRoute) ? [] : all.filter((w) => w.f.family === family && !failed.includes(w)));
  const v4 = missing(4);
  const atDefault = v4.filter((w) => w.iface === facts.defaultRoute?.device);
  const noRoute = [...(atDefault.length > 0 ? atDefault : v4), ...missing(6)];
  const findings: NetworkFinding[] = [];
  if (failed.length > 0) {
    findings.push({
      code: 'no-multicast-route',
      severity: failed.length === all.length ? 'error' : 'warning',
      message: `mDNS cannot use ${listOf(failed)}: ${failed.map((w) => (failed.length > 1 ? `${label(w)}: ${refusal(w)}` : refusal(w))).join('; ')}.`,
      fix: `Give the interface its route for multicast (${failed.map(routeCommand).join('; ')}) and check that it is up with an address.`,
    });
  }
  if (noRoute.length > 0) {
    findings.push({
      code: 'no-multicast-route',
      severity: 'warning',
      message: `No route covers the mDNS group on ${listOf(noRoute)}: Nearby still sends there (it names the interface of each packet), but mDNS programs that leave that choice to the routing table cannot.`,
      fix: `Add it: ${noRoute.map(routeCommand).join('; ')} (for IPv4, a default route through the LAN's router covers the group too).`,
    });
  }
  return findings;
}

/**
 * The nftables rules found for one direction: a clause for the message, and a fix that removes
 * them (null when none was read: the general fix stands).
 */
function ruleEvidence(facts: HostFacts, direction: 'in' | 'out'): { clause: string; fix: string | null } {
  const rules = (facts.mdnsFirewallRules ?? []).filter((r) => r.direction === direction);
  if (rules.length === 0) return { clause: '', fix: null };
  const named = rules.map((r) => `table ${r.family} ${r.table}, chain ${r.chain}, handle ${r.handle}`).join('; ');
  return {
    clause: ` (nftables ${rules.length === 1 ? 'rule' : 'rules'}: ${named}, ${rules[0]?.verdict}s UDP 5353)`,
    fix: `Remove ${rules.length === 1 ? 'that rule' : 'those rules'}: ${rules.map(deleteCommand).join('; ')} (or accept UDP 5353 in a rule before ${rules.length === 1 ? 'it' : 'them'}).`,
  };
}

function outboundFindings(all: Where[], facts: HostFacts): NetworkFinding[] {
  const refused = all.filter((w) => errorCount(w.f, FIREWALL_SEND_ERRORS) > 0);
  if (refused.length > 0) {
    const rules = ruleEvidence(facts, 'out');
    return [
      {
        code: 'outbound-blocked',
        severity: refused.length === all.length ? 'error' : 'warning',
        message: `A firewall on this device refuses outgoing mDNS on ${listOf(refused)}: the system refused every question (${[...new Set(refused.flatMap((w) => Object.keys(w.f.sendErrors)))].join(', ')})${rules.clause}.`,
        fix: rules.fix ?? "Allow outgoing UDP to port 5353 (224.0.0.251 and ff02::fb) in this device's firewall, e.g. nft add rule inet filter output udp dport 5353 accept.",
      },
    ];
  }
  const unanswered = all.filter((w) => w.f.ownLoopedBack > 0 && w.f.responsesFromOthers > 0 && w.f.answersToUs === 0);
  if (unanswered.length === 0 || all.some((w) => w.f.answersToUs > 0)) return [];
  return [
    {
      code: 'outbound-blocked',
      severity: 'warning',
      message: `Other hosts' responses arrive on ${listOf(unanswered)}, but none answered our questions: our mDNS packets most likely do not reach them.`,
      fix: 'Look for a firewall or a network filter between this device and the others that drops multicast from it (a VPN, a guest network, a managed switch).',
      alternatives: [
        {
          code: 'no-other-hosts',
          message: 'Or the hosts heard only announce and answer no questions for service types (some printers and TVs).',
          fix: 'Start Nearby on another device of this network and run the check again.',
        },
      ],
    },
  ];
}

function inboundFindings(all: Where[], facts: HostFacts): NetworkFinding[] {
  const blocked = all.filter((w) => sentOk(w.f) > 0 && w.f.ownLoopedBack === 0);
  if (blocked.length === 0) return [];
  const answered = blocked.filter((w) => w.f.answersToUs > 0);
  const evidence = answered.length > 0 ? `, while other hosts' answers to a question from another port did arrive on ${listOf(answered)}` : '';
  const working = all.filter((w) => w.f.ownLoopedBack > 0);
  const rules = ruleEvidence(facts, 'in');
  return [
    {
      code: 'inbound-blocked',
      severity: working.length === 0 ? 'error' : 'warning',
      message: `A firewall on this device drops incoming mDNS on ${listOf(blocked)}: even this device's own multicast did not come back to it${evidence}${rules.clause}.`,
      fix: rules.fix ?? "Allow incoming UDP to port 5353 in this device's firewall (e.g. nft add rule inet filter input udp dport 5353 accept, or ufw allow 5353/udp).",
    },
  ];
}

const isolationCause = (all: Where[]): FindingCause => ({
  code: 'no-other-hosts',
  message: `Nothing but this device was heard on ${listOf(all)}: it is alone on the link, or the network keeps its devices apart (Wi-Fi client isolation, a switch's or bridge's port isolation), or no other device here runs mDNS.`,
  fix: 'Check that the other device is on the same network with discovery on; on Wi-Fi, turn off client (AP) isolation or use a network without it; else add the device by address (port 7373 when it runs with a fixed port).',
});

function containerCause(facts: HostFacts): FindingCause {
  const route = facts.defaultRoute;
  const hints = facts.containerHints.length > 0 ? ` (${facts.containerHints.join(', ')})` : '';
  return {
    code: 'container-network',
    message: `This device runs in a container on a bridge network${hints}: its route out goes through ${route?.gateway ?? 'a gateway'} on ${route?.device ?? 'a virtual interface'}, whose other end is in another namespace, and mDNS does not cross that NAT.`,
    fix: 'Run the container with host networking (docker run --network host), or add peers by address on port 7373 (SD_DOCKER=true fixes that port; publish it with -p 7373:7373).',
  };
}

/** Nothing from anyone else: alone, isolated, or in a container; the likeliest first. */
function silenceFindings(all: Where[], facts: HostFacts, hostsHeard: number): NetworkFinding[] {
  const sentAndBack = all.filter((w) => w.f.ownLoopedBack > 0);
  if (hostsHeard > 0 || sentAndBack.length === 0) return [];
  const behindBridge = facts.defaultRoute !== null && facts.pairedInterfaces.has(facts.defaultRoute.device);
  const container = containerCause(facts);
  const isolation = isolationCause(sentAndBack);
  if (behindBridge) return [{ ...container, severity: 'error', alternatives: [isolation] }];
  const alternatives = facts.containerHints.length > 0 && facts.defaultRoute !== null ? [container] : undefined;
  return [{ ...isolation, severity: 'warning', ...(alternatives ? { alternatives } : {}) }];
}

const DEVICE_FAILURES = new Set(['refused', 'unreachable', 'timed-out']);

function deviceFindings(devices: readonly DeviceReport[], verifiedCount: number): NetworkFinding[] {
  const findings: NetworkFinding[] = [];
  const blocked = devices.filter((d) => DEVICE_FAILURES.has(d.result));
  if (blocked.length > 0) {
    const verified = verifiedCount + devices.filter((d) => d.result === 'verified').length;
    findings.push({
      code: 'p2p-port-blocked',
      severity: verified === 0 ? 'error' : 'warning',
      message: `${blocked.length === 1 ? 'A device' : `${blocked.length} devices`} heard over mDNS did not take a connection on ${blocked.length === 1 ? 'its' : 'their'} P2P port: ${blocked.map((d) => `${d.name}: ${d.detail}`).join('; ')}.`,
      fix: 'On those devices, allow incoming TCP on the P2P port Nearby uses (start it with --port 7373 to fix the port, then allow 7373/tcp in their firewall).',
    });
  }
  for (const d of devices.filter((x) => x.result === 'another-key')) {
    findings.push({
      code: 'another-key',
      severity: 'warning',
      message: `${d.name}: ${d.detail}.`,
      fix: 'Another device answers at the address this one announces (an impostor, or a reused address): pair only after comparing the code on both screens.',
    });
  }
  return findings;
}

/**
 * Nothing wrong. When the hosts heard announce no Nearby service and none is listed, the network
 * carries mDNS and the missing device is what to look at: the next step says so.
 */
function okFinding(all: Where[], input: DiagnoseInput): NetworkFinding {
  const hosts = heardHosts(input.probe.hosts);
  const verified = input.verifiedCount + input.devices.filter((d) => d.result === 'verified').length;
  const working = all.filter((w) => w.f.ownLoopedBack > 0);
  const noNearby = verified === 0 && input.devices.length === 0 && !hosts.some((h) => h.services.includes(SERVICE_TYPE));
  const none = noNearby && hosts.length > 0 ? `, none of them a Nearby device` : '';
  return {
    code: 'ok',
    severity: 'info',
    message: `mDNS works on ${listOf(working) || 'no interface'}: ${hosts.length} other ${hosts.length === 1 ? 'host' : 'hosts'} heard${none}, ${verified} Nearby ${verified === 1 ? 'device' : 'devices'} verified.`,
    fix: none
      ? 'On the device that is missing, check that Nearby runs with discovery set to Everyone, on this same network; then run the check there too.'
      : 'If a device is still missing, run the check on that device too.',
  };
}

/** The findings, errors first, each cause once; an `ok` finding when nothing is wrong. */
export function diagnose(input: DiagnoseInput): { interfaces: InterfaceReport[]; findings: NetworkFinding[] } {
  const interfaces = interfaceReports(input);
  const findings = modeFindings(input.mode);
  if (input.interfaces.length === 0) {
    findings.push({
      code: 'no-interface',
      severity: 'error',
      message: 'No network interface has an address: this device is on no network that discovery could use.',
      fix: 'Connect to the network (Wi-Fi or cable) the other devices are on; discovery starts by itself once an interface has an address.',
    });
    return { interfaces, findings };
  }
  const all: Where[] = interfaces.flatMap((i) => i.families.map((f) => ({ iface: i.name, f })));
  findings.push(...routeFindings(all, input.facts), ...outboundFindings(all, input.facts), ...inboundFindings(all, input.facts));
  findings.push(...silenceFindings(all, input.facts, input.probe.hosts.size), ...deviceFindings(input.devices, input.verifiedCount));
  if (!findings.some((f) => f.severity !== 'info')) findings.push(okFinding(all, input));
  const rank = { error: 0, warning: 1, info: 2 } as const;
  return { interfaces, findings: findings.sort((a, b) => rank[a.severity] - rank[b.severity]) };
}
