// Issue 15: `sd-nearby doctor` names the cause, one setup per test, each on its own LAN of
// namespaces (the tests run side by side: about 15 s in all). The built CLI checks for 3 s.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { promisify } from 'node:util';
import { isRoot, Lan, type Host } from '../support/lan.js';
import { CLI, sleep, startNode, type NearbyProcess } from '../support/nearby.js';
import type { FindingCode, NetworkReport } from '../../src-shared/networkCheck.js';
import { startAvahi } from '../support/avahi.js';
import { startZeroconfPublisher } from '../support/zeroconf.js';
import { encodeRemoteIdentity } from '../../src-shared/identity.js';

const skip = isRoot() ? false : 'needs root to create network namespaces';
const WINDOW_SECONDS = 3;
/** The web UI's address, which serves the API too (with the token of the node's data folder). */
const UI_API = '127.0.0.1:7391';
const run = promisify(execFile);

async function doctor(host: Host, ...args: string[]): Promise<{ code: number | null; report: NetworkReport; stderr: string }> {
  const seconds = args.includes('--seconds') ? [] : ['--seconds', String(WINDOW_SECONDS)];
  const r = await host.run(process.execPath, [CLI, 'doctor', '--json', ...seconds, ...args], { timeoutMs: 30_000 });
  assert.ok(r.stdout.startsWith('{'), `doctor printed no report (exit ${r.code}, signal ${r.signal}${r.timedOut ? ', timed out' : ''}): ${r.stderr}`);
  return { code: r.code, report: JSON.parse(r.stdout) as NetworkReport, stderr: r.stderr };
}

function codes(report: NetworkReport, severity?: 'error' | 'warning' | 'info'): FindingCode[] {
  return report.findings.filter((f) => severity === undefined || f.severity === severity).map((f) => f.code);
}

/** Runs `body` with a LAN of `hosts` and the nodes started on it, then removes everything. */
async function withLan(hosts: number, body: (lan: Lan, nodes: NearbyProcess[]) => Promise<void>, nodesOn: Array<{ host: number; port?: number; mode?: 'disabled'; extraArgs?: string[] }> = []): Promise<void> {
  const lan = await Lan.create({ hosts, ipv6Dad: false });
  const nodes: NearbyProcess[] = [];
  try {
    for (const n of nodesOn) nodes.push(await startNode(lan.hosts[n.host]!, { name: `Node ${n.host}`, ...(n.port ? { port: n.port } : {}), ...(n.mode ? { mode: n.mode } : {}), extraArgs: n.extraArgs ?? [] }));
    await body(lan, nodes);
  } finally {
    await Promise.allSettled(nodes.map((n) => n.stop('SIGKILL')));
    await lan.destroy();
  }
}

/** How many UDP sockets each process of `host` holds. */
async function udpSocketsByPid(host: Host): Promise<Map<number, number>> {
  const out = (await host.run('ss', ['-uanpH'])).stdout;
  const counts = new Map<number, number>();
  for (const m of out.matchAll(/pid=(\d+)/g)) counts.set(Number(m[1]), (counts.get(Number(m[1])) ?? 0) + 1);
  return counts;
}

async function until(predicate: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

async function nft(host: Host, ruleset: string): Promise<void> {
  const r = await host.run('nft', ['-f', '-'], { input: ruleset });
  assert.equal(r.code, 0, `nft: ${r.stderr}`);
}

describe('sd-nearby doctor names the cause', { skip, concurrency: true }, () => {
  test('a healthy LAN: no error; the other nodes heard on both families and verified', () =>
    withLan(3, async (lan) => {
      const { code, report } = await doctor(lan.hosts[0]!);
      assert.deepEqual(codes(report, 'error'), [], JSON.stringify(report.findings));
      assert.deepEqual(codes(report, 'warning'), [], JSON.stringify(report.findings));
      assert.equal(code, 0);
      assert.deepEqual(codes(report), ['ok']);
      const eth0 = report.interfaces.find((i) => i.name === 'eth0');
      assert.deepEqual(eth0?.families.map((f) => [f.family, f.multicastRoute, f.groupJoined, f.ownLoopedBack > 0, f.answersToUs > 0]), [
        [4, true, true, true, true],
        [6, true, true, true, true],
      ]);
      // Each node answers from its IPv4 and its IPv6 address: one host each.
      assert.equal(report.hostsHeard.length, 2, JSON.stringify(report.hostsHeard));
      assert.ok(report.hostsHeard.every((h) => h.addresses.length === 2 && h.services.includes('_sd._udp.local')));
      assert.deepEqual(report.devices.map((d) => d.result).sort(), ['verified', 'verified']);
    }, [{ host: 1 }, { host: 2 }]));

  test('a healthy LAN of other mDNS stacks only (avahi, python-zeroconf): no error, each host heard with its services', () =>
    withLan(3, async (lan) => {
      const [avahi, zeroconf] = await Promise.all([
        startAvahi(lan.hosts[1]!),
        startZeroconfPublisher(lan.hosts[2]!, { instance: 'Office printer', type: '_ipp._tcp.local.', port: 631, txt: { ty: 'Printer' } }),
      ]);
      try {
        await avahi.publish('Media share', '_smb._tcp', 445, []);
        const { report } = await doctor(lan.hosts[0]!);
        assert.deepEqual(codes(report), ['ok'], JSON.stringify(report.findings));
        assert.match(report.findings[0]!.message, /none of them a Nearby device/);
        // A host whose answers in the window carry no address records is listed once per address family.
        const services = new Set(report.hostsHeard.map((h) => h.services.join(' ')));
        assert.deepEqual([...services].sort(), ['_ipp._tcp.local', '_smb._tcp.local'], JSON.stringify(report.hostsHeard));
        assert.ok(report.interfaces[0]!.families.every((f) => f.answersToUs > 0), 'both stacks answer our questions');
      } finally {
        await Promise.allSettled([avahi.stop(), zeroconf.stop()]);
      }
    }));

  test('an nftables rule dropping incoming UDP 5353: inbound-blocked, with the answers that came to another port as evidence', () =>
    withLan(2, async (lan) => {
      await nft(lan.hosts[0]!, 'table inet guard {\n chain input {\n type filter hook input priority 0;\n udp dport 5353 drop\n }\n}\n');
      const { code, report } = await doctor(lan.hosts[0]!);
      assert.equal(code, 1);
      assert.deepEqual(codes(report, 'error'), ['inbound-blocked'], JSON.stringify(report.findings));
      const finding = report.findings[0]!;
      assert.match(finding.message, /on eth0 \(IPv4, IPv6\)/);
      assert.match(finding.message, /answers to a question from another port did arrive/);
      assert.match(finding.message, /nftables rule: table inet guard, chain input, handle \d+, drops UDP 5353/, 'as root the check reads the rule');
      assert.match(finding.fix, /^Remove that rule: nft delete rule inet guard input handle \d+ /);
      assert.ok(!codes(report).includes('no-other-hosts'), 'the host is not taken for alone');
    }, [{ host: 1 }]));

  test('an nftables rule dropping outgoing UDP 5353: outbound-blocked, the system refused the sends', () =>
    withLan(2, async (lan) => {
      await nft(lan.hosts[0]!, 'table inet guard {\n chain output {\n type filter hook output priority 0;\n udp dport 5353 drop\n }\n}\n');
      const { report } = await doctor(lan.hosts[0]!);
      assert.deepEqual(codes(report, 'error'), ['outbound-blocked'], JSON.stringify(report.findings));
      assert.match(report.findings[0]!.message, /EPERM.*nftables rule: table inet guard, chain output/);
      assert.match(report.findings[0]!.fix, /^Remove that rule: nft delete rule inet guard output handle \d+ /);
    }, [{ host: 1 }]));

  test('no multicast route: no-multicast-route names the interface, and the fix adds the route', () =>
    withLan(2, async (lan) => {
      const h1 = lan.hosts[0]!;
      assert.equal((await h1.run('ip', ['route', 'del', '224.0.0.0/4'])).code, 0);
      const { report } = await doctor(h1);
      const finding = report.findings.find((f) => f.code === 'no-multicast-route');
      assert.ok(finding, JSON.stringify(report.findings));
      assert.match(finding.message, /eth0 \(IPv4\)/);
      assert.doesNotMatch(finding.message, /IPv6/, 'IPv6 keeps its ff00::/8 route');
      assert.match(finding.fix, /ip route add 224\.0\.0\.0\/4 dev eth0/);
      assert.equal(report.interfaces[0]?.families.find((f) => f.family === 4)?.multicastRoute, false);
    }, [{ host: 1 }]));

  test("IPv6's multicast route removed: the sends refused there are named, with the command that puts the route back", () =>
    withLan(2, async (lan) => {
      const h1 = lan.hosts[0]!;
      assert.equal((await h1.run('ip', ['-6', 'route', 'del', 'ff00::/8', 'dev', 'eth0', 'table', 'local'])).code, 0);
      const { report } = await doctor(h1);
      const finding = report.findings.find((f) => f.code === 'no-multicast-route');
      assert.equal(finding?.severity, 'warning', 'IPv4 still works: a warning');
      assert.match(finding!.message, /^mDNS cannot use eth0 \(IPv6\): every question refused with ENETUNREACH, and no route covers the group\.$/);
      assert.match(finding!.fix, /ip -6 route add table local multicast ff00::\/8 dev eth0/);
      assert.ok(!codes(report).includes('inbound-blocked'), 'nothing went out, so nothing was missing on the way back');
    }, [{ host: 1 }]));

  test('a bridge with port isolation: no-other-hosts (alone or isolated), not a firewall', () =>
    withLan(3, async (lan) => {
      for (const h of lan.hosts) await run('ip', ['netns', 'exec', lan.switchNs, 'bridge', 'link', 'set', 'dev', h.interfaces[0]!.port, 'isolated', 'on']);
      const { report } = await doctor(lan.hosts[0]!);
      assert.deepEqual(codes(report), ['no-other-hosts'], JSON.stringify(report.findings));
      assert.match(report.findings[0]!.message, /isolation/);
      assert.equal(report.hostsHeard.length, 0);
    }, [{ host: 1 }, { host: 2 }]));

  // A macvlan's (or a VLAN's) iflink is its parent's index, not its own: once taken for a veth to
  // another namespace, a lone server whose default route is on one was told it runs in a container.
  // (This kernel has no VLAN module; a macvlan stands for both.)
  test('a lone host whose default route is on a macvlan: no-other-hosts, not container-network', () =>
    withLan(1, async (lan) => {
      const host = lan.hosts[0]!;
      for (const args of [
        ['link', 'add', 'link', 'eth0', 'name', 'mv0', 'type', 'macvlan', 'mode', 'bridge'],
        ['addr', 'add', '10.77.0.2/24', 'dev', 'mv0'],
        ['link', 'set', 'mv0', 'up'],
        ['route', 'replace', 'default', 'via', '10.77.0.1', 'dev', 'mv0'],
      ]) {
        const r = await host.run('ip', args);
        assert.equal(r.code, 0, `ip ${args.join(' ')}: ${r.stderr}`);
      }
      const { report } = await doctor(host);
      assert.ok(!codes(report).includes('container-network'), JSON.stringify(report.findings));
      assert.ok(codes(report).includes('no-other-hosts'), JSON.stringify(report.findings));
    }));

  test("a NAT namespace like Docker's default bridge: container-network, with the fix (host networking or port 7373)", async () => {
    const lanA = await Lan.create({ hosts: 1, ipv6Dad: false });
    const bridge = await Lan.create({ hosts: 1, ipv6: false });
    let peer: NearbyProcess | null = null;
    try {
      const router = await Lan.router(lanA, bridge);
      const lanSide = router.host.interfaces.find((i) => i.lan === lanA)!.name;
      // The LAN knows nothing of the container's subnet: the router masquerades it, as Docker does.
      await nft(router.host, `table ip nat {\n chain post {\n type nat hook postrouting priority 100;\n ip saddr ${bridge.subnet}.0/24 oifname "${lanSide}" masquerade\n }\n}\n`);
      await lanA.hosts[0]!.run('ip', ['route', 'del', 'default']);
      peer = await startNode(lanA.hosts[0]!, { name: 'On the LAN' });
      const { report } = await doctor(bridge.hosts[0]!);
      assert.equal(report.findings[0]?.code, 'container-network', JSON.stringify(report.findings));
      assert.equal(report.findings[0]?.severity, 'error');
      assert.match(report.findings[0]!.fix, /--network host/);
      assert.match(report.findings[0]!.fix, /7373/);
      assert.deepEqual(report.findings[0]!.alternatives?.map((a) => a.code), ['no-other-hosts']);
    } finally {
      await peer?.stop('SIGKILL');
      await Promise.allSettled([bridge.destroy(), lanA.destroy()]);
    }
  });

  test("a firewall on the peers' TCP ports: p2p-port-blocked, each device timed out", () =>
    withLan(3, async (lan) => {
      for (const h of lan.hosts.slice(1)) await nft(h, 'table inet guard {\n chain input {\n type filter hook input priority 0;\n tcp dport 7373 drop\n }\n}\n');
      const { report } = await doctor(lan.hosts[0]!);
      assert.deepEqual(codes(report, 'error'), ['p2p-port-blocked'], JSON.stringify(report.findings));
      assert.deepEqual(report.devices.map((d) => d.result), ['timed-out', 'timed-out']);
      assert.match(report.findings[0]!.message, /Node 1: no answer from its P2P port at .* port 7373/);
    }, [{ host: 1, port: 7373 }, { host: 2, port: 7373 }]));

  test('a device whose advertised P2P port answers with another key: another-key, naming both keys', () =>
    withLan(3, async (lan) => {
      const claimed = encodeRemoteIdentity(generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' }).subarray(-32));
      // An announcement claiming an identity nobody holds, pointing at the real node's P2P port.
      const impostor = await startZeroconfPublisher(lan.hosts[2]!, { instance: claimed, port: 7373, txt: { name: 'Impostor' }, addresses: [lan.hosts[1]!.ipv4!], interfaces: [lan.hosts[2]!.ipv4!] });
      try {
        const { report } = await doctor(lan.hosts[0]!);
        const device = report.devices.find((d) => d.identity === claimed);
        assert.equal(device?.result, 'another-key', JSON.stringify(report.devices));
        assert.match(device!.detail, new RegExp(`another key answered .*not the ${claimed.slice(0, 12).replace(/[+/]/g, '\\$&')}`));
        assert.deepEqual(codes(report, 'warning'), ['another-key'], JSON.stringify(report.findings));
        assert.equal(report.devices.find((d) => d.name === 'Node 1')?.result, 'verified', 'the real node at that port proves its own key');
      } finally {
        await impostor.stop();
      }
    }, [{ host: 1, port: 7373 }]));

  test("beside a running node the check takes none of the node's unicast (run by the node, or alone): a question to the node's port 5353 meanwhile is answered", () =>
    withLan(2, async (lan, [node]) => {
      // Windows long enough that dig's question and its retry (at most 4 s) fall inside them.
      const check = doctor(lan.hosts[0]!, '--api', `unix:${node!.socketPath}`, '--seconds', '6');
      const alone = doctor(lan.hosts[0]!, '--seconds', '6');
      // Awaited below; until then a failure of theirs must not hide the assertion that failed first
      // (the LAN torn down after it kills both, and that rejection was reported instead).
      for (const p of [check, alone]) p.catch(() => undefined);
      // Both checks have begun: the node holds more UDP sockets than it did, the lone check its own
      // (a fixed second was not always enough for the CLI to start on a loaded machine).
      const nodePid = node!.child.pid!;
      const before = (await udpSocketsByPid(lan.hosts[0]!)).get(nodePid) ?? 0;
      await until(async () => {
        const sockets = await udpSocketsByPid(lan.hosts[0]!);
        return (sockets.get(nodePid) ?? 0) > before && [...sockets.keys()].some((pid) => pid !== nodePid);
      }, 10_000, "both checks' sockets open");
      // One check at a time: a shorter one asked meanwhile is told at once, not left waiting for this one.
      const short = await node!.command<{ error: { message: string } }>('networkCheck', { seconds: 1 });
      assert.equal(short.status, 409, JSON.stringify(short.body));
      assert.match(JSON.stringify(short.body), /another network check is running \(its report comes in about [1-6] s\)/);
      // A legacy question (RFC 6762 §6.7) to the node's own address, as peers' direct questions are.
      const dig = await lan.hosts[1]!.run('dig', ['+time=2', '+tries=2', '+norecurse', '-p', '5353', `@${lan.hosts[0]!.ipv4}`, '_sd._udp.local', 'PTR']);
      assert.match(dig.stdout, /ANSWER SECTION:\n_sd\._udp\.local\.\s+10\s+IN\s+PTR/, `the node answered while the check ran:\n${dig.stdout}`);
      assert.equal((await check).report.mode, 'everyone');
      assert.equal((await alone).report.interfaces.length, 1);
    }, [{ host: 0 }]));

  test('mode Disabled: discovery-off, beside the running node (its API, by socket or by TCP with the token of its data folder) and alone (its data folder)', () =>
    withLan(2, async (lan, [disabled]) => {
      const beside = await doctor(lan.hosts[0]!, '--api', `unix:${disabled!.socketPath}`);
      assert.equal(beside.report.mode, 'disabled');
      assert.deepEqual(codes(beside.report, 'error'), ['discovery-off'], JSON.stringify(beside.report.findings));
      assert.match(beside.report.findings[0]!.fix, /Everyone/);
      const overTcp = await doctor(lan.hosts[0]!, '--api', UI_API, '--data-dir', disabled!.dataDir);
      assert.deepEqual(codes(overTcp.report, 'error'), ['discovery-off']);
      const wrongToken = await lan.hosts[0]!.run(process.execPath, [CLI, 'doctor', '--seconds', '1', '--api', UI_API, '--api-token', 'not-the-token-at-all']);
      assert.equal(wrongToken.code, 2);
      assert.match(wrongToken.stderr, /^sd-nearby: doctor: the node refused the check \(401\): the token is wrong/);
      await disabled!.stop();
      const alone = await doctor(lan.hosts[0]!, '--data-dir', disabled!.dataDir);
      assert.equal(alone.report.mode, 'disabled');
      assert.deepEqual(codes(alone.report, 'error'), ['discovery-off']);
      assert.ok(alone.report.hostsHeard.length > 0, 'the network itself works: the other node is heard');
    }, [{ host: 0, mode: 'disabled', extraArgs: ['--ui', UI_API] }, { host: 1 }]));
});
