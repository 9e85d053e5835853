// Presence (issue 9): links for relationships, verification and liveness only while someone looks,
// what is on screen first, and the mode deciding with whom a link may exist at all.

import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { Attention } from '../../src-main/core/peers/attention.js';
import { PeerDirectory, type LinkedPeer } from '../../src-main/core/peers/peerDirectory.js';
import { Presence, type DiscoveryControl } from '../../src-main/core/peers/presence.js';
import type { Verifier, VerifyTarget } from '../../src-main/core/peers/verifier.js';
import type { LinkManager, LinkWant } from '../../src-main/core/p2p/linkManager.js';
import type { ModeContext } from '../../src-main/core/modes/modePolicy.js';
import { policyFor } from '../../src-main/core/modes/policies.js';
import type { DiscoveryMode } from '../../src-shared/discoveryModes.js';
import { emptyDeviceMetadata } from '../../src-shared/peerMetadata.js';
import type { Peer } from '../../src-shared/peer.js';

const id = (c: string) => c.repeat(42) + 'A';
const LIBRARY = '11111111-2222-4333-8444-555555555555';

function peer(c: string, over: Partial<Peer> = {}): Peer {
  const t = new Date(1_000_000).toISOString();
  return { ...emptyDeviceMetadata(), id: `${c}.key`, identity: id(c), instance: id(c), verified: false, name: `Device ${c}`, addresses: [`10.0.0.${c.charCodeAt(0) % 200}`], port: 4000, hostname: `${c}.local`, interfaces: ['eth0'], firstSeen: t, lastSeen: t, source: 'mdns', ...over };
}

/** Everything presence talks to, as fakes that record what they were told. */
function world(mode: DiscoveryMode = 'everyone') {
  const looking: boolean[] = [];
  const discovery: DiscoveryControl = { peers: () => [], heardCount: 0, setLooking: (l) => looking.push(l), setMonitored: () => {}, askFor: () => {} };
  const requests: VerifyTarget[][] = [];
  let active = false;
  const verifier = Object.assign(new EventEmitter(), { setActive: (a: boolean) => (active = a), request: (t: readonly VerifyTarget[]) => requests.push([...t]), verdictFor: () => null });
  const wanted: Array<Map<string, LinkWant>> = [];
  const closed: string[] = [];
  const ready: Array<{ remoteIdentity: string; close: () => void }> = [];
  const links = Object.assign(new EventEmitter(), {
    setWanted: (w: ReadonlyMap<string, LinkWant>) => wanted.push(new Map(w)),
    readyLinks: () => ready,
    setAttentive: () => {},
    dialNow: () => true,
  });
  const linked: LinkedPeer[] = [];
  const directory = new PeerDirectory({ split: (d) => ({ open: [...d], resolved: [], unresolved: [] }), links: () => linked, lostAt: () => null, verdict: () => null, manual: () => new Map() });
  const attention = new Attention();
  const contacts = new Set<string>();
  const ctx: ModeContext = {
    openAdvertisement: () => { throw new Error('not used'); },
    privateAdvertisement: () => { throw new Error('not used'); },
    fullMetadata: emptyDeviceMetadata,
    isContact: (i) => contacts.has(i),
    isPinned: () => false,
  };
  const presence = new Presence({
    discovery, directory, verifier: verifier as unknown as Verifier, links: links as unknown as LinkManager, attention,
    policy: () => policyFor(mode), modeContext: ctx, libraryMembers: () => new Map([[LIBRARY, new Set([id('L')])]]), pairingWith: () => new Set(), serverNameFor: () => null,
  });
  const cleanup = () => {
    presence.close();
    attention.stop();
  };
  cleanups.push(cleanup);
  return { presence, attention, looking, requests, wanted, closed, ready, contacts, isActive: () => active, lastWanted: () => [...(wanted.at(-1)?.keys() ?? [])].sort() };
}

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

describe('Presence', () => {
  test('nobody looking: discovery told so, no verification, links only for contacts and members of a shared library', () => {
    const w = world();
    w.contacts.add(id('C'));
    // L is a member of LIBRARY; X announces the same library id without being one (issue 13: a claim).
    w.presence.discovered([peer('A'), peer('C'), peer('L', { libraries: [{ uuid: LIBRARY, identity: id('L') }] }), peer('X', { libraries: [{ uuid: LIBRARY, identity: id('X') }] })]);
    w.presence.refresh();
    assert.deepEqual(w.looking, [false]);
    assert.equal(w.isActive(), false);
    assert.deepEqual(w.requests, [], 'no handshake while nobody looks');
    assert.deepEqual(w.lastWanted(), [id('C'), id('L')].sort(), 'a stranger gets no link, nor does one that only claims our library');
    assert.equal(w.presence.standingOf(id('X')), 'announced', 'a claim of a library makes no relationship');
    assert.equal(w.wanted.at(-1)!.get(id('C'))!.mutual, true);
  });

  test('someone looks: verification in screen order, and a link to the device whose details are open', () => {
    const w = world();
    w.presence.discovered([peer('A'), peer('B'), peer('D'), peer('E')]);
    const session = {};
    w.attention.subscribe(session);
    w.attention.update(session, { looking: true, openPeerId: id('E'), visiblePeerIds: [id('D'), id('B')] });
    w.presence.refresh();
    assert.deepEqual(w.looking.at(-1), true);
    assert.equal(w.isActive(), true);
    assert.deepEqual(w.requests.at(-1)!.map((t) => t.identity), [id('E'), id('D'), id('B'), id('A')], 'open details, then the visible rows, then the rest');
    assert.deepEqual(w.lastWanted(), [id('E')]);
    assert.equal(w.wanted.at(-1)!.get(id('E'))!.mutual, false, 'only this side wants it: it dials at once');
    w.attention.close(session);
    w.presence.refresh();
    assert.deepEqual([w.looking.at(-1), w.isActive(), w.lastWanted()], [false, false, []], 'gone with the look');
  });

  test('a link that connected to us stands as a relationship, an announced stranger or an unannounced one (issue 11: the link caps)', () => {
    const w = world();
    w.contacts.add(id('C'));
    // L advertises one of our libraries (we want its link); A advertises nothing of ours.
    w.presence.discovered([peer('A'), peer('C'), peer('L', { libraries: [{ uuid: LIBRARY, identity: id('L') }] })]);
    w.presence.refresh();
    assert.equal(w.presence.standingOf(id('C')), 'relationship', 'a contact');
    assert.equal(w.presence.standingOf(id('L')), 'relationship', 'a device sharing a library, which we want linked');
    assert.equal(w.presence.standingOf(id('A')), 'announced', 'listed by mDNS, nothing more');
    assert.equal(w.presence.standingOf(id('Z')), 'unannounced', 'nothing told us of it');
  });

  test('Contacts only: a link with a stranger is closed, whoever opened it', () => {
    const w = world('contacts-only');
    w.contacts.add(id('C'));
    let strangerClosed = false;
    let contactClosed = false;
    w.ready.push({ remoteIdentity: id('S'), close: () => (strangerClosed = true) }, { remoteIdentity: id('C'), close: () => (contactClosed = true) });
    w.presence.refresh();
    assert.deepEqual([strangerClosed, contactClosed], [true, false]);
  });
});
