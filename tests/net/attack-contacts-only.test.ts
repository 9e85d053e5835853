// Issue 11, attacks 4 and 5: what a Contacts only node gives away without saying a word about
// itself. Four hosts on a namespace LAN, epochs of 8 s: P (Contacts only, someone looking at it),
// C (its contact, Everyone), N (a Nearby device that is not a contact, Everyone) and A, the
// attacker's machine. A listens to every mDNS packet on the switch, plays a peer that announces
// its PTR alone (under an identity-like name) and an impostor of N, and scans P's ports.
//
// 4. P used to ask the LAN, by multicast, for the records of the peers it had no link to, by
//    name: everyone but its contacts, so that the names it never asked for were its contacts,
//    identities included. Now no question of P's names a device that could be a contact.
// 5. P's fixed P2P port used to stay open in every epoch and on every network: a port scan linked
//    them. Now the only port P listens on (outside loopback) is the gated one of the epoch, and a
//    new one on a new network.
// Throughout, P and C find each other and stay linked, and P keeps N listed and verified.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import dnsPacket from 'dns-packet';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { NodeState } from '../../src-shared/contract.js';
import type { PairingSessionState } from '../../src-shared/pairing.js';
import { encodeRemoteIdentity } from '../../src-shared/identity.js';
import { epochOf } from '../../src-main/core/contactsOnly/broadcastTokens.js';
import { isRoot, Lan, type CapturedPacket, type Host } from '../support/lan.js';
import { sleep, startNode, type NearbyProcess, type StateSubscription } from '../support/nearby.js';
import { sendMdns } from '../support/mdnsInjector.js';
import { startImpostor, type Impostor } from '../support/linkAttack.js';

const skip = isRoot() ? false : 'needs root to create network namespaces';
const EPOCH_MS = 8000;
const STEP_TIMEOUT_MS = 15_000;
const env = { SD_NEARBY_EPOCH_MS: String(EPOCH_MS), SD_NEARBY_PAIRING_TIMEOUT_MS: '15000' };
const RESPONDER = fileURLToPath(new URL('../support/strict_responder.py', import.meta.url));
/** A port sample this soon after an epoch began may still see the last epoch's port closing. */
const EPOCH_SETTLE_MS = 500;

const listsVerified = (st: NodeState, identity: string) => st.peers.some((p) => p.identity === identity && p.verified);

/** Pairs `a` and `b` (both in Everyone mode) through the API, as a user would. */
async function pair(a: NearbyProcess, b: NearbyProcess): Promise<void> {
  const [idA, idB] = await Promise.all([a.identity(), b.identity()]);
  const { state } = await a.waitForState((st) => listsVerified(st, idB), STEP_TIMEOUT_MS, 'a lists b, verified');
  const peerId = state.peers.find((p) => p.identity === idB && p.verified)!.id;
  assert.equal((await a.command('startPairing', { peerId })).status, 200);
  const session = async (node: NearbyProcess, other: string) =>
    (await node.waitForState((st) => st.pairing.some((p) => p.peerIdentity === other && p.code !== null), STEP_TIMEOUT_MS, 'the code')).state.pairing.find(
      (p: PairingSessionState) => p.peerIdentity === other,
    )!;
  const [atA, atB] = await Promise.all([session(a, idB), session(b, idA)]);
  assert.equal((await a.command('confirmPairing', { sessionId: atA.id })).status, 200);
  assert.equal((await b.command('confirmPairing', { sessionId: atB.id })).status, 200);
  await a.waitForState((st) => st.contacts.some((k) => k.identity === idB), STEP_TIMEOUT_MS, 'b in a’s contacts');
  await b.waitForState((st) => st.contacts.some((k) => k.identity === idA), STEP_TIMEOUT_MS, 'a in b’s contacts');
}

/** The TCP ports `host` listens on beyond loopback (what a scan from the LAN finds), from its /proc/net/tcp and tcp6. */
async function listeningPorts(host: Host): Promise<Set<number>> {
  const r = await host.run('cat', ['/proc/net/tcp', '/proc/net/tcp6']);
  const ports = new Set<number>();
  for (const line of r.stdout.split('\n')) {
    const [, local, , state] = line.trim().split(/\s+/);
    if (state !== '0A' || !local) continue; // 0A: LISTEN
    const [address, port] = local.split(':');
    if (address === '0100007F' || address === '00000000000000000000000001000000') continue; // 127.0.0.1, ::1
    ports.add(parseInt(port!, 16));
  }
  return ports;
}

/** Whether `host` has an established TCP connection from its `localIp` to `remoteIp` (IPv4): a link on that network. */
async function connectedOver(host: Host, localIp: string, remoteIp: string): Promise<boolean> {
  const hex = (ip: string) => ip.split('.').reverse().map((n) => Number(n).toString(16).padStart(2, '0')).join('').toUpperCase();
  const r = await host.run('cat', ['/proc/net/tcp']);
  return r.stdout.split('\n').some((line) => {
    const [, local, remote, state] = line.trim().split(/\s+/);
    return state === '01' && local?.startsWith(`${hex(localIp)}:`) && remote?.startsWith(`${hex(remoteIp)}:`);
  });
}

/**
 * The questions in mDNS queries sent from `addresses` to the mDNS group (what any host on the LAN
 * hears P ask), or (`direct`) to one host (the liveness questions: only that host and the path see them).
 */
function questionsFrom(packets: CapturedPacket[], addresses: string[], direct = false): Array<{ time: number; name: string; type: string; known: number }> {
  const out: Array<{ time: number; name: string; type: string; known: number }> = [];
  for (const p of packets) {
    if (p.protocol !== 'udp' || p.dstPort !== 5353 || !addresses.includes(p.src)) continue;
    if (['224.0.0.251', 'ff02::fb'].includes(p.dst) === direct) continue;
    try {
      const msg = dnsPacket.decode(p.payload);
      if (msg.type !== 'query') continue;
      for (const q of msg.questions ?? []) out.push({ time: p.time, name: q.name, type: q.type, known: msg.answers?.length ?? 0 });
    } catch {
      // not a DNS message
    }
  }
  return out;
}

/** A TCP connection to `address:port` from `host`: whether anything accepts it. */
async function accepts(host: Host, address: string, port: number): Promise<boolean> {
  const r = await host.run('bash', ['-c', `exec 3<>/dev/tcp/${address}/${port}`], { timeoutMs: 5000 });
  return r.code === 0;
}

describe('attacks 4 and 5: a Contacts only node seen from the LAN', { skip }, () => {
  let lan: Lan;
  let p: NearbyProcess;
  let c: NearbyProcess;
  let n: NearbyProcess;
  let attacker: Host;
  let idP: string;
  let idC: string;
  let idN: string;
  const watching: StateSubscription[] = [];
  const impostors: Impostor[] = [];
  let responder: ChildProcess | null = null;
  /** P's fixed port, in Everyone mode before it turned to Contacts only. */
  let usualPort = 0;
  /** Listening ports of P, sampled while test 4 ran (for test 5). */
  const samples: Array<{ at: number; ports: Set<number> }> = [];

  before(async () => {
    lan = await Lan.create({ hosts: 4, ipv6Dad: false });
    attacker = lan.hosts[3]!;
    [p, c, n] = await Promise.all([
      startNode(lan.hosts[0]!, { name: 'Private laptop', env }),
      startNode(lan.hosts[1]!, { name: 'Contact desktop', env }),
      startNode(lan.hosts[2]!, { name: 'Neighbour', env }),
    ]);
    [idP, idC, idN] = await Promise.all([p.identity(), c.identity(), n.identity()]);
    await pair(p, c);
    usualPort = (await p.state()).self.port;
    assert.ok((await listeningPorts(p.host)).has(usualPort), 'in Everyone mode P listens on its fixed port');
    assert.equal((await p.command('setMode', { mode: 'contacts-only' })).status, 200);
    // Someone looks at P and at C: discovery keeps their lists exact, links keep an attentive pace.
    watching.push(p.subscribe(), c.subscribe());
    await p.waitForState((st) => listsVerified(st, idC) && listsVerified(st, idN), STEP_TIMEOUT_MS, 'P lists C (its contact) and N, verified');
    await c.waitForState((st) => listsVerified(st, idP), STEP_TIMEOUT_MS, 'C finds P behind its token');
  });
  after(async () => {
    for (const w of watching) w.close();
    for (const i of impostors) i.stop();
    responder?.kill('SIGKILL');
    await Promise.allSettled([p?.stop('SIGKILL'), c?.stop('SIGKILL'), n?.stop('SIGKILL')]);
    await lan?.destroy();
  });

  test('4. over two epochs no question of P names a device that could be a contact; P and C still find each other', async () => {
    const mdns = await lan.capture('udp port 5353');
    const startedAt = Date.now();
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const before = Date.now();
        const ports = await listeningPorts(p.host);
        // A sample whose `ss` ran across an epoch's start (slow on a loaded machine) belongs to neither epoch.
        if (epochOf(before, EPOCH_MS) === epochOf(Date.now(), EPOCH_MS)) samples.push({ at: before, ports });
        await sleep(300);
      }
    })();
    // A peer that announces its PTR alone (it answers exactly what it is asked, nothing more),
    // under a name shaped like an identity: P must learn the rest without naming it.
    const strict = { instance: encodeRemoteIdentity(randomBytes(32)), hostname: 'strict-peer', port: 9123, txt: ['name=Strict'], address: attacker.ipv4 };
    responder = attacker.spawn('/usr/bin/python3', ['-u', RESPONDER, JSON.stringify(strict)]);
    // An impostor of N: N's instance name, pointing at a listener with a key of its own. P
    // verifies it, finds it false, and must get N's own records again without naming N.
    const impostor = await startImpostor(attacker, 'Neighbour');
    impostors.push(impostor);
    const txt = ['name=Neighbour', 'operating_system=linux', 'version=0.1.0'];
    while (Date.now() - startedAt < 2 * EPOCH_MS + 2000) {
      await sendMdns(attacker, [{ kind: 'service', instance: idN, hostname: 'neighbour-impostor', port: impostor.port, txt }]);
      assert.ok(listsVerified(await p.state(), idN), 'N stays listed and verified at P throughout');
      await sleep(2000);
    }
    sampling = false;
    await sampler;
    const heard = await mdns.stop();

    const addressesOfP = [p.host.ipv4!, ...(await p.host.ipv6LinkLocals()).map((a) => a.address)];
    const asked = questionsFrom(heard, addressesOfP);
    const naming = asked.filter((q) => q.name.toLowerCase() !== '_sd._udp.local');
    console.log(`P asked the LAN ${asked.length} questions in ${((Date.now() - startedAt) / 1000).toFixed(0)} s: ${[...new Set(asked.map((q) => `${q.name} ${q.type} (${q.known} known)`))].join('; ')}`);
    // Direct questions name one peer each and go to its host alone (kept: see discovery/liveness.ts).
    const direct = questionsFrom(heard, addressesOfP, true);
    console.log(`and ${direct.length} direct questions, to ${new Set(direct.map((q) => q.name)).size} peers without a link (N, the strict peer)`);
    assert.ok(asked.length > 0, 'P asked the LAN something meanwhile');
    assert.deepEqual(naming.map((q) => `${q.name} ${q.type}`), [], 'no question names an instance or a host');
    assert.ok(asked.some((q) => q.known === 0), 'it asked the whole service, with no known answers, to get what it missed');
    assert.ok(listsVerified(await p.state(), idC) && listsVerified(await c.state(), idP), 'P and C still list each other, verified');
    assert.ok(listsVerified(await p.state(), idN), 'and N is still listed, verified, at P');
  });

  test('5. no port P listens on outlives an epoch, nor an address change; C still links to it', async () => {
    const ipP = p.host.ipv4!;
    const byEpoch = new Map<number, Set<number>>();
    for (const s of samples) {
      if (s.at - epochOf(s.at, EPOCH_MS) * EPOCH_MS < EPOCH_SETTLE_MS) continue;
      const ports = byEpoch.get(epochOf(s.at, EPOCH_MS)) ?? new Set<number>();
      for (const port of s.ports) ports.add(port);
      byEpoch.set(epochOf(s.at, EPOCH_MS), ports);
    }
    const epochs = [...byEpoch.entries()].sort((x, y) => x[0] - y[0]);
    console.log(`ports P listened on, by epoch: ${epochs.map(([e, ports]) => `${e}: ${[...ports].join(',')}`).join('; ')}`);
    assert.ok(epochs.length >= 2, `samples over ${epochs.length} epochs`);
    for (let i = 0; i < epochs.length; i++) {
      for (let j = i + 1; j < epochs.length; j++) {
        const common = [...epochs[i]![1]].filter((port) => epochs[j]![1].has(port));
        assert.deepEqual(common, [], `a port open in epochs ${epochs[i]![0]} and ${epochs[j]![0]}`);
      }
    }
    const previousEpochPorts = epochs.at(-2)![1];
    for (const port of previousEpochPorts) assert.equal(await accepts(attacker, ipP, port), false, `port ${port} of an epoch that ended refuses connections`);

    // Another network: P's address changes a moment into an epoch (so that the epoch does not turn meanwhile).
    const msIntoEpoch = Date.now() % EPOCH_MS;
    if (msIntoEpoch > 1500) await sleep(EPOCH_MS - msIntoEpoch + 500);
    const before = await listeningPorts(p.host);
    const epochBefore = epochOf(Date.now(), EPOCH_MS);
    const newIp = ipP.replace(/\.\d+$/, '.200');
    await p.host.setAddress('eth0', `${newIp}/24`);
    const deadline = Date.now() + 4000;
    let after = before;
    while (Date.now() < deadline && [...after].some((port) => before.has(port))) {
      await sleep(100);
      after = await listeningPorts(p.host);
    }
    assert.equal(epochOf(Date.now(), EPOCH_MS), epochBefore, 'still the same epoch');
    console.log(`ports before the address change: ${[...before].join(',')}; after: ${[...after].join(',')}`);
    assert.ok(after.size > 0, 'P listens on the new network');
    assert.deepEqual([...after].filter((port) => before.has(port)), [], 'no port open on both networks');
    for (const port of before) assert.equal(await accepts(attacker, newIp, port), false, `port ${port} of the last network refuses connections`);

    await c.waitForState((st) => st.peers.some((x) => x.identity === idP && x.verified && x.addresses.includes(newIp)), STEP_TIMEOUT_MS, 'C finds P at its new address');
    // The link of the last network dies (its address is gone); a new one comes up on this one.
    const linkDeadline = Date.now() + 20_000;
    while (!(await connectedOver(p.host, newIp, c.host.ipv4!))) {
      assert.ok(Date.now() < linkDeadline, 'P and C linked again over P’s new address within 20 s');
      await sleep(250);
    }
    assert.ok(listsVerified(await p.state(), idC) && listsVerified(await c.state(), idP), 'P and C list each other, verified');

    // Back in Everyone, the usual port is open again.
    assert.equal((await p.command('setMode', { mode: 'everyone' })).status, 200);
    assert.equal((await p.state()).self.port, usualPort);
    assert.ok(await accepts(attacker, newIp, usualPort), `back in Everyone, P listens on its usual port ${usualPort} again`);
  });
});
