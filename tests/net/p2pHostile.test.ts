// Issue 4, point 5: hostile input on the P2P port (garbage, oversize frames, invalid messages,
// a message flood, slowloris before and after TLS, 500 connections at once). Each offending
// connection is cut within its deadline; the node stays up and keeps serving its real peers: its
// linked peer stays listed and verified throughout, and a newcomer still links during the flood.
//
// LAN: h1 the node under attack, h2 its real peer, h3 the attacker, h4 a newcomer.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isRoot, Lan } from '../support/lan.js';
import { startNode, type NearbyProcess } from '../support/nearby.js';
import { runLinkAttack, type Attack } from '../support/linkAttack.js';
import type { NodeState } from '../../src-shared/contract.js';

const skip = isRoot() ? false : 'needs root to create network namespaces';

type AttackSpec = Omit<Attack, 'host' | 'port'> & Record<string, unknown>;

describe('hostile input on the P2P link', { skip }, () => {
  let lan: Lan;
  let node: NearbyProcess;
  let peer: NearbyProcess;
  let port: number;
  let peerId: string;
  let nodeId: string;
  const nodes: NearbyProcess[] = [];

  before(async () => {
    lan = await Lan.create({ hosts: 4, ipv6Dad: false });
    [node, peer] = await Promise.all([startNode(lan.hosts[0]!, { name: 'Under attack' }), startNode(lan.hosts[1]!, { name: 'Real peer' })]);
    nodes.push(node, peer);
    const s = await node.state();
    port = s.self.port;
    nodeId = s.self.identity;
    peerId = await peer.identity();
    await node.waitForState((x) => x.peers.some((p) => p.identity === peerId && p.verified), 8000, 'the real peer linked');
  });
  after(async () => {
    await Promise.allSettled(nodes.map((n) => n.stop('SIGKILL')));
    await lan?.destroy();
  });

  const peerVerified = (s: NodeState) => s.peers.some((p) => p.identity === peerId && p.verified);

  /** Runs an attack from h3 while checking, every 200 ms, that the real peer stays verified. */
  async function underAttack(spec: AttackSpec): Promise<Array<number | null>> {
    let watching = true;
    const lapses: string[] = [];
    const watcher = (async () => {
      while (watching) {
        const s = await node.state();
        if (!peerVerified(s)) lapses.push(JSON.stringify(s.peers.map((p) => [p.name, p.verified])));
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    try {
      const result = await runLinkAttack(lan.hosts[2]!, { ...spec, host: lan.hosts[0]!.ipv4!, port } as Attack);
      return result.closedAfterMs;
    } finally {
      watching = false;
      await watcher;
      assert.deepEqual(lapses, [], `the real peer stayed verified during ${spec.kind}`);
      assert.equal(node.child.exitCode, null, 'the node is still running');
    }
  }

  for (const kind of ['garbage', 'garbage-after-tls', 'oversize', 'not-json', 'invalid-message', 'message-flood'] as const) {
    test(`${kind}: the connection is dropped at once`, async () => {
      const [closed] = await underAttack({ kind, limitMs: 10_000 });
      assert.ok(closed !== null && closed !== undefined && closed < 2000, `closed after ${closed} ms`);
    });
  }

  test('slowloris before TLS (silent, and a byte a second): cut at the 5 s handshake deadline', async () => {
    const silent = await underAttack({ kind: 'silent-tcp', count: 6, limitMs: 15_000 });
    const trickling = await underAttack({ kind: 'silent-tcp', count: 6, trickle: true, limitMs: 15_000 });
    for (const ms of [...silent, ...trickling]) assert.ok(ms !== null && ms <= 7000, `closed after ${ms} ms`);
  });

  test('slowloris after TLS (no hello; a frame a byte a second): cut at the hello deadline or for silence', async () => {
    const [noHello] = await underAttack({ kind: 'silent-tls', limitMs: 15_000 });
    assert.ok(noHello !== null && noHello !== undefined && noHello >= 4000 && noHello <= 7000, `no hello: closed after ${noHello} ms`);
    const [trickle] = await underAttack({ kind: 'silent-tls', trickle: true, limitMs: 15_000 });
    assert.ok(trickle !== null && trickle !== undefined && trickle <= 8000, `trickle: closed after ${trickle} ms`);
  });

  test('500 connections at once: all cut, the real peer stays, a newcomer still links', async () => {
    const flood = underAttack({ kind: 'connection-flood', count: 500, limitMs: 20_000 });
    const newcomer = await startNode(lan.hosts[3]!, { name: 'Newcomer' });
    nodes.push(newcomer);
    const newId = await newcomer.identity();
    await node.waitForState((s) => s.peers.some((p) => p.identity === newId && p.verified), 10_000, 'the newcomer linked during the flood');
    const closed = await flood;
    assert.equal(closed.length, 500);
    const open = closed.filter((ms) => ms === null).length;
    assert.equal(open, 0, 'every flood connection was closed by the node');
    const slowest = Math.max(...closed.map((ms) => ms ?? Infinity));
    assert.ok(slowest <= 8000, `the last flood connection closed after ${slowest} ms`);
  });

  test('afterwards: the node answers, lists its peers verified, and they list it', async () => {
    const s = await node.state();
    assert.ok(peerVerified(s));
    await peer.waitForState((x) => x.peers.some((p) => p.identity === nodeId && p.verified), 3000, 'the peer still lists the node');
  });
});
