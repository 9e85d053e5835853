// Issue 11, points 1 and 2 (the link half): a hostile host on the LAN against the P2P link layer,
// with the built CLI node and a real second node present.
//
// 1. Link table exhaustion: one host with 8 addresses keeps 128 TLS links open, each with a fresh
//    key, a hello and a ping a second (a link the node closes is opened again). Before issue 11 the
//    128 links filled the table: a newcomer could not be linked, pairing was refused (409) and 128
//    "Verified" strangers filled the list.
// 2. Metadata flood: 16 links from one address each send a ~52 KB `metadata` message 19 times a
//    second, inside the message-rate and frame caps. Before: up to 65 % of a core, /api/state
//    848 KB, rebuilt and pushed to the subscribed client at each change.
//
// Throughout each attack the real peer stays listed, verified and pairable (startPairing reaches
// the code stage), the list does not fill with the attacker's devices, the node's CPU stays modest
// (from /proc/<pid>/stat) and /api/state stays small. The numbers are printed as diagnostics.
//
// LAN: h1 the node under attack, h2 its real peer, h3 the attacker, h4 a newcomer.

import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { isRoot, Lan, type Host } from '../support/lan.js';
import { sleep, startNode, type NearbyProcess } from '../support/nearby.js';
import { runLinkAttack, type Attack, type AttackResult } from '../support/linkAttack.js';
import { assertNodeHealthy, exclusively } from '../support/hardening.js';
import type { NodeState } from '../../src-shared/contract.js';
import type { PairingSessionState } from '../../src-shared/pairing.js';

const skip = isRoot() ? false : 'needs root to create network namespaces';

/** An attack without its target (the node under attack's address and port), kind by kind. */
type WithoutTarget<T> = T extends unknown ? Omit<T, 'host' | 'port'> : never;
type AttackSpec = WithoutTarget<Attack>;

/**
 * The node's CPU over an attack, in % of one core: about three times what it takes with the caps
 * (measured 4-6 %: see the diagnostics); the metadata flood took 26 % here without them (65 % in
 * the run), with one client subscribed to the state.
 */
const CPU_MAX_PERCENT = 15;
/** /api/state during an attack: a few devices with their libraries; before issue 11 it grew to 848 KB. */
const STATE_MAX_BYTES = 64 * 1024;
/** Rows the attacker's links may add to the list (issue 11: the unannounced links of one network, 4). */
const ATTACKER_ROWS_MAX = 4;
const ATTACK_MS = 24_000;
const CLOCK_TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** CPU time (user + system) of a process so far, in seconds (/proc/<pid>/stat fields 14 and 15). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}

/** Gives `host` `count` more IPv4 addresses on eth0, in its LAN's /24 (.200 up); returns them. */
async function addAddresses(host: Host, lan: Lan, count: number): Promise<string[]> {
  const addresses = Array.from({ length: count }, (_, i) => `${lan.subnet}.${200 + i}`);
  for (const a of addresses) {
    const r = await host.run('ip', ['addr', 'add', `${a}/24`, 'dev', 'eth0']);
    assert.equal(r.code, 0, `ip addr add ${a}: ${r.stderr}`);
  }
  return addresses;
}

interface Watch {
  /** States in which the real peer was not listed verified (its rows then). */
  lapses: string[];
  maxAttackerRows: number;
  maxStateBytes: number;
  polls: number;
  /** States pushed to the subscribed client. */
  pushed: number;
  stop(): Promise<void>;
}

/**
 * Polls the node's state every 250 ms (the real peer verified, the attacker's rows, the state's
 * size) while a client is subscribed to it, as the UI is: each change is built and pushed.
 */
function watch(node: NearbyProcess, peerId: string): Watch {
  let watching = true;
  const subscription = node.subscribe();
  const w: Watch = {
    lapses: [],
    maxAttackerRows: 0,
    maxStateBytes: 0,
    polls: 0,
    pushed: 0,
    stop: async () => {
      watching = false;
      await loop;
      w.pushed = subscription.states.length;
      subscription.close();
    },
  };
  const loop = (async () => {
    while (watching) {
      const r = await node.api<NodeState>('GET', '/api/state');
      const s = r.body;
      w.polls++;
      w.maxStateBytes = Math.max(w.maxStateBytes, Buffer.byteLength(JSON.stringify(s)));
      w.maxAttackerRows = Math.max(w.maxAttackerRows, s.peers.filter((p) => p.name.startsWith('Attacker')).length);
      if (!s.peers.some((p) => p.identity === peerId && p.verified)) w.lapses.push(JSON.stringify(s.peers.filter((p) => !p.name.startsWith('Attacker')).map((p) => [p.name, p.verified])));
      await sleep(250);
    }
  })();
  return w;
}

describe('the P2P link layer under attack', { skip }, () => {
  let lan: Lan;
  let node: NearbyProcess;
  let peer: NearbyProcess;
  let port: number;
  let peerId: string;
  const nodes: NearbyProcess[] = [];

  before(async () => {
    lan = await Lan.create({ hosts: 4, ipv6Dad: false });
    [node, peer] = await Promise.all([startNode(lan.hosts[0]!, { name: 'Under attack' }), startNode(lan.hosts[1]!, { name: 'Real peer' })]);
    nodes.push(node, peer);
    port = (await node.state()).self.port;
    peerId = await peer.identity();
    await node.waitForState((s) => s.peers.some((p) => p.identity === peerId && p.verified), 10_000, 'the real peer listed, verified');
  });
  after(async () => {
    await Promise.allSettled(nodes.map((n) => n.stop('SIGKILL')));
    await lan?.destroy();
  });

  /** startPairing with `identity` reaches the code stage on the node; the session is then rejected. */
  async function pairsWith(identity: string, what: string): Promise<void> {
    const r = await node.command<PairingSessionState>('startPairing', { peerId: identity });
    assert.equal(r.status, 200, `startPairing with ${what}: ${JSON.stringify(r.body)}`);
    const { state } = await node.waitForState((s) => s.pairing.some((p) => p.id === r.body.id && p.stage === 'confirm-code'), 10_000, `the code with ${what}`);
    const session = state.pairing.find((p) => p.id === r.body.id)!;
    assert.match(session.code ?? '', /^\d{6}$/);
    await node.command('rejectPairing', { sessionId: session.id });
  }

  /**
   * Runs `attack` from h3 while `during` runs, to its end even when `during` fails (the next test
   * must not meet it); returns what the attacker managed, the watch and the node's CPU over it.
   */
  async function underAttack(t: TestContext, attack: AttackSpec, during: () => Promise<void>): Promise<{ result: AttackResult; w: Watch; cpuPercent: number }> {
    return exclusively('cpu', async () => {
      const pid = node.child.pid!;
      const cpu0 = cpuSeconds(pid);
      const t0 = Date.now();
      const w = watch(node, peerId);
      const running = runLinkAttack(lan.hosts[2]!, { ...attack, host: lan.hosts[0]!.ipv4!, port } as Attack).then((r) => ({ r }), (e: unknown) => ({ e }));
      const failed = await during().then(() => null, (e: unknown) => ({ e }));
      const attacked = await running;
      await w.stop();
      const cpuPercent = Math.round(((cpuSeconds(pid) - cpu0) / ((Date.now() - t0) / 1000)) * 1000) / 10;
      const sustained = 'r' in attacked ? JSON.stringify(attacked.r.sustained) : 'failed';
      t.diagnostic(`${attack.kind}: node CPU ${cpuPercent}% of a core over ${Math.round((Date.now() - t0) / 1000)} s; /api/state at most ${w.maxStateBytes} bytes; attacker rows at most ${w.maxAttackerRows}; real peer not verified in ${w.lapses.length} of ${w.polls} states; ${w.pushed} states pushed to a subscriber; attacker: ${sustained}`);
      if (failed) throw failed.e;
      if ('e' in attacked) throw attacked.e;
      return { result: attacked.r, w, cpuPercent };
    });
  }

  test('8 addresses, 128 links with fresh keys, hellos and pings: the real peer stays verified and pairable, a newcomer is verified and pairable, the list does not fill', async (t) => {
    const addresses = await addAddresses(lan.hosts[2]!, lan, 8);
    const { result, w, cpuPercent } = await underAttack(t, { kind: 'link-table-flood', addresses, count: 128, reopenAfterMs: 1000, limitMs: ATTACK_MS }, async () => {
      await sleep(6000); // the attacker's links are up
      await pairsWith(peerId, 'the real peer');
      const newcomer = await startNode(lan.hosts[3]!, { name: 'Newcomer' });
      nodes.push(newcomer);
      const newId = await newcomer.identity();
      await node.waitForState((s) => s.peers.some((p) => p.identity === newId && p.verified), 10_000, 'the newcomer listed, verified, during the attack');
      await pairsWith(newId, 'the newcomer');
      // The newcomer verifies the node too: its short handshakes reach the node's port during the attack.
      await newcomer.waitForState((s) => s.peers.some((p) => p.name === 'Under attack' && p.verified), 10_000, 'the newcomer lists the node under attack, verified');
    });
    assert.ok(result.sustained!.linksOpened >= 128, `the attacker opened its links (${result.sustained!.linksOpened})`);
    assert.deepEqual(w.lapses, [], 'the real peer stayed listed and verified');
    assert.ok(w.maxAttackerRows <= ATTACKER_ROWS_MAX, `the attacker's links made ${w.maxAttackerRows} rows`);
    assert.ok(cpuPercent < CPU_MAX_PERCENT, `the node used ${cpuPercent}% of a core`);
    assert.ok(w.maxStateBytes < STATE_MAX_BYTES, `/api/state reached ${w.maxStateBytes} bytes`);
    await assertNodeHealthy(node);
  });

  test('16 links from one address, each sending 52 KB of metadata 19 times a second: CPU modest, /api/state small, the real peer stays verified and pairable', async (t) => {
    const { result, w, cpuPercent } = await underAttack(t, { kind: 'metadata-flood', count: 16, perSecond: 19, messageBytes: 52_000, reopenAfterMs: 1000, limitMs: ATTACK_MS }, async () => {
      await sleep(8000);
      await pairsWith(peerId, 'the real peer');
    });
    assert.ok(result.sustained!.messagesSent > 300, `the attacker sent its metadata (${result.sustained!.messagesSent} messages)`);
    assert.deepEqual(w.lapses, [], 'the real peer stayed listed and verified');
    assert.ok(w.maxAttackerRows <= ATTACKER_ROWS_MAX, `the attacker's links made ${w.maxAttackerRows} rows`);
    assert.ok(cpuPercent < CPU_MAX_PERCENT, `the node used ${cpuPercent}% of a core`);
    assert.ok(w.maxStateBytes < STATE_MAX_BYTES, `/api/state reached ${w.maxStateBytes} bytes`);
    await assertNodeHealthy(node);
  });
});
