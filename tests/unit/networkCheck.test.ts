// Issue 15: the network check's rules, one measurement set per cause (diagnose.ts is pure), the
// route tables as /proc shows them, and the networkCheck command's payload. The same causes on
// real namespaces: tests/net/doctor.test.ts.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { diagnose, type DiagnoseInput } from '../../src-main/core/doctor/diagnose.js';
import { parseIpv4Routes, parseIpv6MulticastRoutes, type HostFacts } from '../../src-main/core/doctor/hostFacts.js';
import { heardHosts, type HeardAddress, type ProbeCounters } from '../../src-main/core/doctor/mdnsProbe.js';
import { mdnsBlockingRules } from '../../src-main/core/doctor/nftRules.js';
import { checkDevices, type DeviceDial } from '../../src-main/core/doctor/deviceChecks.js';
import { DialError } from '../../src-main/core/p2p/linkServer.js';
import { peerFixture } from '../support/nodeStateFixture.js';
import { TOKEN_CHARS as CONTACT_TOKEN_CHARS } from '../../src-main/core/contactsOnly/broadcastTokens.js';
import { formatReport } from '../../src-main/server/doctorCli.js';
import { parsePayload } from '../../src-shared/contract.js';
import type { DeviceReport, FindingCode } from '../../src-shared/networkCheck.js';
import type { DiscoveryMode } from '../../src-shared/discoveryModes.js';

const ETH0 = { name: 'eth0', ipv4: [{ address: '192.168.1.20', netmask: '255.255.255.0' }], ipv6: [{ address: 'fe80::20', netmask: 'ffff:ffff:ffff:ffff::', scopeId: 2 }] };

/** A family that works: sent, heard back, others heard and answering. */
function healthy(overrides: Partial<ProbeCounters> = {}): ProbeCounters {
  return { socketError: null, sent: 4, sendErrors: {}, ownLoopedBack: 4, fromThisHost: 0, fromOthers: 6, responsesFromOthers: 6, answersToUs: 4, ...overrides };
}

function facts(overrides: Partial<HostFacts> = {}): HostFacts {
  return { ipv4MulticastRouteDevices: new Set(['eth0']), ipv6MulticastRouteDevices: new Set(['eth0']), defaultRoute: null, pairedInterfaces: new Set(), containerHints: [], mdnsFirewallRules: null, ...overrides };
}

function heard(...addresses: string[]): Map<string, HeardAddress> {
  return new Map(addresses.map((a) => [a, { interface: 'eth0', services: new Set(['_sd._udp.local']), sameHost: new Set<string>() }]));
}

function input(overrides: { v4?: Partial<ProbeCounters>; v6?: Partial<ProbeCounters>; hosts?: Map<string, HeardAddress>; facts?: Partial<HostFacts>; mode?: DiscoveryMode | null; devices?: DeviceReport[]; verifiedCount?: number } = {}): DiagnoseInput {
  return {
    mode: overrides.mode ?? 'everyone',
    interfaces: [ETH0],
    facts: facts(overrides.facts),
    probe: {
      counters: new Map([
        ['eth0/4', healthy(overrides.v4)],
        ['eth0/6', healthy(overrides.v6)],
      ]),
      hosts: overrides.hosts ?? heard('192.168.1.30'),
    },
    devices: overrides.devices ?? [],
    verifiedCount: overrides.verifiedCount ?? 1,
  };
}

const codesOf = (i: DiagnoseInput, severity?: string): FindingCode[] => diagnose(i).findings.filter((f) => !severity || f.severity === severity).map((f) => f.code);
const silent = { fromOthers: 0, responsesFromOthers: 0, answersToUs: 0 };

describe('network check: the cause named from the measurements', () => {
  test('all working: one ok finding, no error or warning', () => {
    const { findings } = diagnose(input());
    assert.deepEqual(findings.map((f) => [f.code, f.severity]), [['ok', 'info']]);
    assert.match(findings[0]!.message, /1 other host heard, 1 Nearby device verified/);
  });

  test('other mDNS hosts heard, but none of them Nearby: ok, and the next step is the missing device', () => {
    const printer = new Map([['192.168.1.40', { interface: 'eth0', services: new Set(['_ipp._tcp.local']), sameHost: new Set<string>() }]]);
    const [finding] = diagnose(input({ hosts: printer, verifiedCount: 0 })).findings;
    assert.equal(finding?.code, 'ok');
    assert.match(finding!.message, /1 other host heard, none of them a Nearby device, 0 Nearby devices verified/);
    assert.match(finding!.fix, /discovery set to Everyone/);
  });

  test('mode Disabled: discovery-off, even when the network works', () => {
    assert.deepEqual(codesOf(input({ mode: 'disabled' })), ['discovery-off']);
  });

  test('no interface with an address: no-interface, and nothing else to judge', () => {
    assert.deepEqual(codesOf({ ...input(), interfaces: [] }), ['no-interface']);
  });

  test('our own multicast not heard back: inbound-blocked (error when no family works, warning when one does)', () => {
    const both = input({ v4: { ownLoopedBack: 0, ...silent, answersToUs: 2 }, v6: { ownLoopedBack: 0, ...silent } });
    const findings = diagnose(both).findings;
    assert.deepEqual(findings.map((f) => [f.code, f.severity]), [['inbound-blocked', 'error']]);
    assert.match(findings[0]!.message, /drops incoming mDNS on eth0 \(IPv4, IPv6\).*answers to a question from another port did arrive on eth0 \(IPv4\)\./);
    assert.match(findings[0]!.fix, /nft add rule inet filter input udp dport 5353 accept, or ufw allow 5353\/udp/, 'no rule read: the general fix');
    assert.deepEqual(codesOf(input({ v4: { ownLoopedBack: 0 } }), 'warning'), ['inbound-blocked']);
  });

  test('a readable nftables rule behind the symptom is named, and the fix removes it', () => {
    const rule = { direction: 'in' as const, family: 'inet', table: 'guard', chain: 'input', handle: 3, verdict: 'drop' as const };
    const [finding] = diagnose(input({ v4: { ownLoopedBack: 0 }, v6: { ownLoopedBack: 0 }, facts: { mdnsFirewallRules: [rule] } })).findings;
    assert.equal(finding?.code, 'inbound-blocked');
    assert.match(finding!.message, /\(nftables rule: table inet guard, chain input, handle 3, drops UDP 5353\)\.$/);
    assert.equal(finding!.fix, 'Remove that rule: nft delete rule inet guard input handle 3 (or accept UDP 5353 in a rule before it).');
    const unrelated = diagnose(input({ facts: { mdnsFirewallRules: [rule] } })).findings;
    assert.deepEqual(unrelated.map((f) => f.code), ['ok'], 'a rule without the symptom (it matches nothing here) is no finding');
  });

  test('sends refused by the system (EPERM): outbound-blocked, certain; not taken for an inbound problem', () => {
    const refused = { sendErrors: { EPERM: 4 }, ownLoopedBack: 0, ...silent };
    const { findings } = diagnose(input({ v4: refused, v6: refused, hosts: new Map() }));
    assert.deepEqual(findings.map((f) => [f.code, f.severity]), [['outbound-blocked', 'error']]);
  });

  test("others' responses heard but none answers our questions: outbound-blocked is likely, with the other cause after it", () => {
    const unanswered = { answersToUs: 0 };
    const [finding] = diagnose(input({ v4: unanswered, v6: unanswered })).findings;
    assert.equal(finding?.code, 'outbound-blocked');
    assert.equal(finding?.severity, 'warning');
    assert.deepEqual(finding?.alternatives?.map((a) => a.code), ['no-other-hosts']);
  });

  test('no route for the group: a warning while sends still go out, an error when the system refuses them', () => {
    assert.deepEqual(codesOf(input({ facts: { ipv4MulticastRouteDevices: new Set() } }), 'warning'), ['no-multicast-route']);
    const unreachable = { sendErrors: { ENETUNREACH: 4 }, ownLoopedBack: 0, ...silent };
    const findings = diagnose(input({ v4: unreachable, v6: unreachable, hosts: new Map() })).findings;
    assert.deepEqual(findings.map((f) => [f.code, f.severity]), [['no-multicast-route', 'error']]);
    assert.equal(findings[0]!.fix, 'Give the interface its route for multicast (ip route add 224.0.0.0/4 dev eth0; ip -6 route add table local multicast ff00::/8 dev eth0) and check that it is up with an address.');
  });

  test("a second interface without the group's route (docker0) is normal while the LAN has it; with none anywhere, the route is suggested where the default route goes", () => {
    const DOCKER0 = { name: 'docker0', ipv4: [{ address: '172.17.0.1', netmask: '255.255.0.0' }], ipv6: [] };
    const withDocker = (f: Partial<HostFacts>): DiagnoseInput => {
      const base = input({ facts: f });
      return { ...base, interfaces: [ETH0, DOCKER0], probe: { ...base.probe, counters: new Map([...base.probe.counters, ['docker0/4', healthy()]]) } };
    };
    assert.deepEqual(codesOf(withDocker({ ipv4MulticastRouteDevices: new Set(['eth0']) })), ['ok'], 'no warning for docker0');
    const route = diagnose(withDocker({ ipv4MulticastRouteDevices: new Set(), defaultRoute: { device: 'eth0', gateway: '192.168.1.1' } })).findings.find((f) => f.code === 'no-multicast-route');
    assert.ok(route, 'no route anywhere is named');
    assert.match(route.fix, /ip route add 224\.0\.0\.0\/4 dev eth0/);
    assert.doesNotMatch(`${route.message} ${route.fix}`, /docker0/, 'never the route on docker0: it would take every program\'s multicast');
  });

  test('nothing heard but ourselves: no-other-hosts, naming isolation', () => {
    const { findings } = diagnose(input({ v4: silent, v6: silent, hosts: new Map() }));
    assert.deepEqual(findings.map((f) => [f.code, f.severity]), [['no-other-hosts', 'warning']]);
    assert.match(findings[0]!.message, /client isolation/);
  });

  test('the same silence behind a veth with a default route: container-network first, no-other-hosts after', () => {
    const behindBridge = { defaultRoute: { device: 'eth0', gateway: '172.17.0.1' }, pairedInterfaces: new Set(['eth0']), containerHints: ['/.dockerenv exists'] };
    const [finding] = diagnose(input({ v4: silent, v6: silent, hosts: new Map(), facts: behindBridge })).findings;
    assert.equal(finding?.code, 'container-network');
    assert.equal(finding?.severity, 'error');
    assert.match(finding!.message, /172\.17\.0\.1.*NAT/);
    assert.match(finding!.message, /\/\.dockerenv exists/);
    assert.deepEqual(finding?.alternatives?.map((a) => a.code), ['no-other-hosts']);
  });

  test('container marks alone (a real NIC, e.g. host networking) do not make the silence a container problem; they add it as a candidate', () => {
    const hostNetwork = { defaultRoute: { device: 'eth0', gateway: '192.168.1.1' }, containerHints: ['/.dockerenv exists'] };
    const [finding] = diagnose(input({ v4: silent, v6: silent, hosts: new Map(), facts: hostNetwork })).findings;
    assert.equal(finding?.code, 'no-other-hosts');
    assert.deepEqual(finding?.alternatives?.map((a) => a.code), ['container-network']);
  });

  test("devices whose P2P port refused or timed out: p2p-port-blocked (error when none is verified); another key: its own warning", () => {
    const device = (name: string, result: DeviceReport['result']): DeviceReport => ({ name, identity: 'x', addresses: ['192.168.1.30'], port: 7373, result, detail: `${result} at 192.168.1.30 port 7373` });
    const blocked = input({ devices: [device('NAS', 'timed-out'), device('Laptop', 'refused')], verifiedCount: 0 });
    const [finding] = diagnose(blocked).findings;
    assert.equal(finding?.code, 'p2p-port-blocked');
    assert.equal(finding?.severity, 'error');
    assert.match(finding!.message, /^2 devices .*NAS: timed-out.*Laptop: refused/);
    assert.deepEqual(codesOf(input({ devices: [device('NAS', 'timed-out')], verifiedCount: 1 }), 'warning'), ['p2p-port-blocked']);
    assert.deepEqual(codesOf(input({ devices: [device('Fake', 'another-key')] })), ['another-key']);
  });

  test('the report for people: one line per finding and one for its fix, the alternatives after', () => {
    const behindBridge = { defaultRoute: { device: 'eth0', gateway: '172.17.0.1' }, pairedInterfaces: new Set(['eth0']) };
    const i = input({ v4: silent, v6: silent, hosts: new Map(), facts: behindBridge });
    const text = formatReport({ startedAt: '', seconds: 3, mode: 'everyone', hostsHeard: [], devices: [], ...diagnose(i) });
    assert.match(text, /^Problem \[container-network\]: .+\n {2}Fix: .+--network host.+\n {2}Or \[no-other-hosts\]: .+\n {4}Fix: /m);
  });
});

describe('network check: what it reads of the host', () => {
  test('/proc/net/route: the interfaces whose routes cover 224.0.0.251, and the default route', () => {
    const text = [
      'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT',
      'eth0\t00000000\t010011AC\t0003\t0\t0\t0\t00000000\t0\t0\t0',
      'eth0\t000011AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0',
      'wlan0\t000000E0\t00000000\t0001\t0\t0\t0\t000000F0\t0\t0\t0',
      'tun0\t0000000A\t00000000\t0001\t0\t0\t0\t000000FF\t0\t0\t0',
    ].join('\n');
    const { multicast, defaultRoute } = parseIpv4Routes(text);
    assert.deepEqual([...multicast].sort(), ['eth0', 'wlan0'], 'the default route covers it too; 10.0.0.0/8 does not');
    assert.deepEqual(defaultRoute, { device: 'eth0', gateway: '172.17.0.1' });
  });

  test('/proc/net/ipv6_route: ff00::/8 per interface (loopback left out)', () => {
    const text = [
      'fe800000000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth0',
      'ff000000000000000000000000000000 08 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000002 00000000 00000001     eth0',
      'ff000000000000000000000000000000 08 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000002 00000000 00000001       lo',
    ].join('\n');
    assert.deepEqual([...parseIpv6MulticastRoutes(text)], ['eth0']);
  });

  test('nft -j list ruleset: the rules dropping or rejecting UDP 5353 on the way in or out, by port, set or range', () => {
    const udpDport = (right: unknown) => ({ match: { op: '==', left: { payload: { protocol: 'udp', field: 'dport' } }, right } });
    const rule = (chain: string, handle: number, expr: unknown[]) => ({ rule: { family: 'inet', table: 'guard', chain, handle, expr } });
    const ruleset = {
      nftables: [
        { metainfo: { version: '1.0.6' } },
        { chain: { family: 'inet', table: 'guard', name: 'input', hook: 'input' } },
        { chain: { family: 'inet', table: 'guard', name: 'output', hook: 'output' } },
        { chain: { family: 'inet', table: 'guard', name: 'mine' } },
        rule('input', 3, [udpDport(5353), { drop: null }]),
        rule('input', 4, [udpDport({ set: [53, 5353] }), { counter: {} }, { reject: { type: 'icmpx' } }]),
        rule('input', 5, [udpDport({ range: [5000, 6000] }), { accept: null }]),
        rule('input', 6, [udpDport(53), { drop: null }]),
        rule('mine', 7, [udpDport(5353), { drop: null }]),
        rule('output', 8, [{ match: { op: '==', left: { payload: { protocol: 'th', field: 'dport' } }, right: { range: [5000, 6000] } } }, { drop: null }]),
      ],
    };
    assert.deepEqual(
      mdnsBlockingRules(ruleset).map((r) => [r.direction, r.handle, r.verdict]),
      [
        ['in', 3, 'drop'],
        ['in', 4, 'reject'],
        ['out', 8, 'drop'],
      ],
    );
    assert.deepEqual(mdnsBlockingRules({ nonsense: true }), []);
    assert.deepEqual(mdnsBlockingRules(null), []);
  });

  test('a dual-stack host is one host: its address records tie its IPv4 and IPv6 sources together', () => {
    const map = new Map<string, HeardAddress>([
      ['10.0.0.2', { interface: 'eth0', services: new Set(['_sd._udp.local']), sameHost: new Set(['10.0.0.2', 'fe80::2']) }],
      ['fe80::2', { interface: 'eth0', services: new Set(['_http._tcp.local']), sameHost: new Set() }],
      ['10.0.0.3', { interface: 'eth0', services: new Set(), sameHost: new Set() }],
    ]);
    assert.deepEqual(heardHosts(map), [
      { addresses: ['10.0.0.2', 'fe80::2'], interface: 'eth0', services: ['_http._tcp.local', '_sd._udp.local'] },
      { addresses: ['10.0.0.3'], interface: 'eth0', services: [] },
    ]);
  });
});

describe('network check: why a listed device is not verified', () => {
  test('each dial outcome in words, with the address and port tried; verified devices, contacts behind a token and wide-area devices are not dialled', async () => {
    const id = (c: string) => `${c.repeat(42)}A`;
    const outcomes: Record<string, () => Promise<{ identity: string; address: string }>> = {
      [id('B')]: async () => ({ identity: id('B'), address: '10.0.0.2' }),
      [id('C')]: async () => ({ identity: id('Z'), address: '10.0.0.3' }),
      [id('D')]: async () => Promise.reject(new DialError('refused', 'connect ECONNREFUSED 10.0.0.4:7373')),
      [id('E')]: async () => Promise.reject(new DialError('timed-out', 'no answer within 2.5 s')),
      [id('F')]: async () => Promise.reject(new DialError('unreachable', 'connect EHOSTUNREACH 10.0.0.6:7373')),
      [id('G')]: async () => Promise.reject(new DialError('other', 'connect EPERM 10.0.0.7:7373')),
      [id('H')]: async () => Promise.reject(new DialError('not-nearby', 'it answered without a Nearby identity')),
    };
    const dialled: string[] = [];
    const dial: DeviceDial = (addresses) => {
      dialled.push(addresses[0]!);
      const identity = Object.keys(outcomes)[Number(addresses[0]!.split('.')[3]) - 2]!;
      return outcomes[identity]!();
    };
    const peers = Object.keys(outcomes).map((identity, i) => peerFixture(identity, `Device ${i}`, { addresses: [`10.0.0.${i + 2}`], port: 7373, verified: false }));
    peers.push(peerFixture(id('V'), 'Verified', { addresses: ['10.0.0.20'], port: 7373, verified: true }));
    peers.push(peerFixture(id('N'), 'No address', { addresses: [], port: null, verified: false }));
    peers.push(peerFixture(id('T'), 'A contact', { instance: 'a'.repeat(CONTACT_TOKEN_CHARS), addresses: ['10.0.0.30'], port: 40000, verified: false }));
    peers.push(peerFixture(id('W'), 'On another network', { addresses: ['10.0.0.40'], port: 7373, verified: false, source: 'wide-area' }));
    const reports = await checkDevices(peers, dial);
    assert.deepEqual(
      reports.map((r) => r.result),
      ['verified', 'another-key', 'refused', 'timed-out', 'unreachable', 'other', 'not-nearby', 'no-address', 'other'],
    );
    assert.ok(!dialled.includes('10.0.0.20'), 'a verified device is not dialled again');
    assert.ok(!dialled.includes('10.0.0.30'), 'a contact behind a Contacts only token is not dialled');
    assert.ok(!dialled.includes('10.0.0.40'), 'a device of a wide-area domain is not taken for a LAN device whose port is blocked');
    assert.match(reports[8]!.detail, /Contacts only/);
    assert.match(reports[2]!.detail, /refused the connection at 10\.0\.0\.4 port 7373/);
    assert.match(reports[3]!.detail, /no answer from its P2P port at 10\.0\.0\.5 port 7373 within 2\.5 s/);
    assert.match(reports[5]!.detail, /^this device's firewall refused the outgoing connection to 10\.0\.0\.7 port 7373/);
    assert.match(reports[1]!.detail, /another key answered \(ZZZZZZZZZZZZ…, not the CCCCCCCCCCCC… it claims\)/);
  });
});

describe('the networkCheck command', () => {
  test('takes seconds from 1 to 60, or none (10 by default), and nothing else', () => {
    assert.deepEqual(parsePayload('networkCheck', {}), {});
    assert.deepEqual(parsePayload('networkCheck', { seconds: 3 }), { seconds: 3 });
    assert.throws(() => parsePayload('networkCheck', { seconds: 0 }), /at least 1 second/);
    assert.throws(() => parsePayload('networkCheck', { seconds: 600 }), /at most 60 seconds/);
    assert.throws(() => parsePayload('networkCheck', { seconds: '5' }), /invalid networkCheck request/);
    assert.throws(() => parsePayload('networkCheck', { seconds: 5, interface: 'eth0' }), /invalid networkCheck request/);
  });
});
