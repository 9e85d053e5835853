// Issue 4, points 2 and 4, and what the link adds to discovery: peers are verified only by the
// key proven over the link; an impostor that advertises a real node's identity and name (with
// its own listener, speaking the protocol with a key of its own) is never verified and is
// flagged, while the real node stays verified; the full library list comes over the link; a
// SIGKILLed linked peer leaves the list within 10 s.
//
// LAN: h1 the real node, h2 the observer, h3 the impostor (listener + mDNS announcements).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isRoot, Lan } from '../support/lan.js';
import { sleep, startNode, type NearbyProcess } from '../support/nearby.js';
import { sendMdns } from '../support/mdnsInjector.js';
import { startImpostor, type Impostor } from '../support/linkAttack.js';
import type { NodeState } from '../../src-shared/contract.js';
import type { Peer } from '../../src-shared/peer.js';

const skip = isRoot() ? false : 'needs root to create network namespaces';
const LIBRARIES = 40; // more than the TXT record's budget holds

describe('verified identities over the P2P link', { skip }, () => {
  let lan: Lan;
  let real: NearbyProcess;
  let observer: NearbyProcess;
  let realId: string;
  const impostors: Impostor[] = [];

  before(async () => {
    lan = await Lan.create({ hosts: 4, ipv6Dad: false });
    const libraries = Array.from({ length: LIBRARIES }, (_, i) => `Library ${i + 1}`);
    [real, observer] = await Promise.all([startNode(lan.hosts[0]!, { name: 'Real one', libraries }), startNode(lan.hosts[1]!, { name: 'Observer' })]);
    realId = await real.identity();
  });
  after(async () => {
    for (const i of impostors) i.stop();
    await Promise.allSettled([real?.stop('SIGKILL'), observer?.stop('SIGKILL')]);
    await lan?.destroy();
  });

  const realPeer = (s: NodeState): Peer | undefined => s.peers.find((p) => p.identity === realId && p.verified);

  test('discovered peers are verified by a handshake; opening the details of one links to it, with the full library list', async () => {
    const { state } = await observer.waitForState((s) => realPeer(s)?.source === 'mdns', 8000, 'the real node discovered and verified');
    const p = realPeer(state)!;
    assert.equal(p.name, 'Real one');
    assert.equal(p.source, 'mdns');
    assert.equal(p.warning, undefined);
    assert.ok(p.libraries.length < LIBRARIES && p.librariesOmitted === LIBRARIES - p.libraries.length, `the TXT record holds ${p.libraries.length}, and counts the ${p.librariesOmitted} left out`);
    const observerId = await observer.identity();
    await real.waitForState((s) => s.peers.some((x) => x.identity === observerId && x.verified), 5000, 'the other way round too');
    // Someone opens its details: a link to it for as long as they look, and with it the whole list.
    const session = await observer.session();
    try {
      await session.client.call('setAttention', { looking: true, openPeerId: p.id });
      const linked = await observer.waitForState((s) => realPeer(s)?.libraries.length === LIBRARIES, 5000, 'the full library list over the link');
      assert.equal(realPeer(linked.state)!.librariesOmitted, 0);
      assert.equal(realPeer(linked.state)!.id, p.id, 'the same entry, the same id');
    } finally {
      session.close();
    }
  });

  /** Announces `instance` (the real identity, as is or with a conflict suffix) from h3, pointing at an impostor. */
  async function impersonate(instance: string, hostname: string, rounds: number, check: (s: NodeState) => void): Promise<NodeState[]> {
    const impostor = await startImpostor(lan.hosts[2]!, 'Real one');
    impostors.push(impostor);
    const txt = ['name=Real one', 'operating_system=linux', 'os=Linux', 'version=0.1.0'];
    const seen: NodeState[] = [];
    for (let i = 0; i < rounds; i++) {
      await sendMdns(lan.hosts[2]!, [{ kind: 'service', instance, hostname, port: impostor.port, txt }]);
      for (let j = 0; j < 4; j++) {
        const s = await observer.state();
        check(s);
        seen.push(s);
        await sleep(250);
      }
    }
    impostor.stop();
    return seen;
  }

  /** Never verified at the impostor's address; the real node verified throughout. */
  function neverVerifiedImpostor(impostorAddress: string) {
    return (s: NodeState) => {
      for (const p of s.peers) {
        if (p.verified) assert.ok(!p.addresses.includes(impostorAddress), `verified with the impostor's address: ${JSON.stringify(p)}`);
        if (p.warning !== undefined) assert.equal(p.verified, false, `a flagged peer is never verified: ${JSON.stringify(p)}`);
      }
      assert.ok(realPeer(s), `the real node stays verified: ${JSON.stringify(s.peers)}`);
    };
  }

  test('an impostor with the same instance name is never verified, and is flagged', async () => {
    const impostorAddress = lan.hosts[2]!.ipv4!;
    const seen = await impersonate(realId, 'impostor-one', 8, neverVerifiedImpostor(impostorAddress));
    const flagged = seen.flatMap((s) => s.peers).filter((p) => p.warning !== undefined);
    assert.ok(flagged.length > 0, 'the impostor was flagged');
    for (const p of flagged) {
      assert.equal(p.identity, realId);
      assert.match(p.warning!, new RegExp(`^claims to be Real one \\(${realId.slice(0, 8).replace(/[+/]/g, '\\$&')}\\) but could not prove it$`));
    }
    assert.ok(realPeer(await observer.state()), 'the real node is still verified afterwards');
  });

  test('an impostor under a conflict-renamed instance ("<identity> (2)") is flagged beside the verified real node', async () => {
    const impostorAddress = lan.hosts[2]!.ipv4!;
    const seen = await impersonate(`${realId} (2)`, 'impostor-two', 6, neverVerifiedImpostor(impostorAddress));
    const last = seen.at(-1)!;
    const flagged = last.peers.find((p) => p.warning !== undefined);
    assert.ok(flagged, `flagged in the list: ${JSON.stringify(last.peers)}`);
    assert.equal(flagged.verified, false);
    assert.ok(flagged.addresses.includes(impostorAddress));
    assert.ok(realPeer(last), 'and the real one verified next to it');
  });

  test('SIGKILL: a linked peer leaves the list within 10 s', async () => {
    const victim = await startNode(lan.hosts[3]!, { name: 'Short lived' });
    const id = await victim.identity();
    await observer.waitForState((s) => s.peers.some((p) => p.identity === id && p.verified), 8000, 'the victim linked');
    await victim.stop('SIGKILL');
    const gone = await observer.waitForState((s) => !s.peers.some((p) => p.identity === id), 10_000, 'the killed peer gone');
    assert.ok(gone.elapsedMs <= 10_000);
    process.stdout.write(`# crash to gone: ${gone.elapsedMs} ms\n`);
    assert.ok(realPeer(gone.state), 'the others stay');
  });
});
