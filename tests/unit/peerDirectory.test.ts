// The peer directory (issue 10): one row per device, one stable id (its identity) from first
// sight whatever told us of it first; verified only by a link from its host or a verification of
// its endpoint; impostors listed apart and flagged while the real device stays verified.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PeerDirectory, type DirectorySources, type LinkedPeer } from '../../src-main/core/peers/peerDirectory.js';
import type { Verdict, VerifyTarget } from '../../src-main/core/peers/verifier.js';
import type { Peer } from '../../src-shared/peer.js';
import { PEER_LIBRARIES_LISTED_MAX } from '../../src-shared/peerMetadata.js';

const X = 'X'.repeat(42) + 'A';
const Y = 'Y'.repeat(42) + 'A';

function entry(over: Partial<Peer> & { id: string }): Peer {
  const t = new Date(1_000_000).toISOString();
  return {
    identity: X, instance: X, verified: false, name: 'Real one', operatingSystem: 'linux', deviceModel: null, version: '0.1.0', libraries: [], librariesOmitted: 0,
    addresses: ['10.0.0.1'], port: 4000, hostname: 'sd-real.local', interfaces: ['eth0'], firstSeen: t, lastSeen: t, source: 'mdns', ...over,
  };
}

function link(over: Partial<LinkedPeer> = {}): LinkedPeer {
  return { identity: X, address: '10.0.0.1', listenPort: 4000, metadata: { name: 'Real one', operatingSystem: 'linux', deviceModel: null, version: '0.1.0', libraries: [], librariesOmitted: 0 }, origin: 'incoming', establishedAt: 2_000_000, lastReceivedAt: 2_000_000, ...over };
}

/** Sources whose parts the test sets; verdicts by `${identity}|${address}|${port}`. */
function sources() {
  const s = {
    links: [] as LinkedPeer[],
    lost: new Map<string, number>(),
    verdicts: new Map<string, Verdict>(),
    resolved: new Set<string>(),
  };
  const api: DirectorySources = {
    split: (discovered) => ({ open: discovered.filter((p) => !s.resolved.has(p.id)), resolved: discovered.filter((p) => s.resolved.has(p.id)), unresolved: [] }),
    links: () => s.links,
    lostAt: (id) => s.lost.get(id) ?? null,
    verdict: (t: VerifyTarget) => {
      for (const a of t.addresses) {
        const v = s.verdicts.get(`${t.identity}|${a}|${t.port}`);
        if (v) return v;
      }
      return null;
    },
    manual: () => new Map(),
  };
  return { s, api };
}

/** Rows by id, the device (its identity) first. */
const byId = (peers: Peer[]) => [...peers].sort((a, b) => Number(a.id.startsWith('claim:')) - Number(b.id.startsWith('claim:')));
const verified = (address: string): Verdict => ({ kind: 'verified', address, at: 1 });
const impostor = (address: string): Verdict => ({ kind: 'impostor', address, proven: Y, at: 1 });

describe('PeerDirectory', () => {
  test('a device heard on the LAN and in a wide-area domain is one row, its LAN entry standing for it, before and after proof', () => {
    const { s, api } = sources();
    const d = new PeerDirectory(api);
    const lan = entry({ id: `${X.toLowerCase()}._sd._udp.local` });
    const later = new Date(3_000_000).toISOString();
    const wide = entry({ id: `${X.toLowerCase()}._sd._udp.sd.test`, hostname: 'sd-real.sd.test', addresses: ['192.0.2.1'], interfaces: [], source: 'wide-area', firstSeen: new Date(500_000).toISOString(), lastSeen: later });
    d.setDiscovered([wide, lan]);
    let view = d.rebuild();
    assert.deepEqual(view.peers.map((p) => [p.id, p.source, p.verified]), [[X, 'mdns', false]], 'one row while both wait for proof, though the wide-area entry came first');
    s.verdicts.set(`${X}|10.0.0.1|4000`, verified('10.0.0.1'));
    s.verdicts.set(`${X}|192.0.2.1|4000`, verified('192.0.2.1'));
    view = d.rebuild();
    assert.deepEqual(view.peers.map((p) => [p.id, p.source, p.verified, p.addresses[0]]), [[X, 'mdns', true, '10.0.0.1']], 'one verified row, the LAN one, though the wide-area one was heard from last');
  });

  test('a wide-area entry alone is listed and verified like an mDNS one; one whose endpoint proves another key is an impostor', () => {
    const { s, api } = sources();
    const d = new PeerDirectory(api);
    const wide = entry({ id: `${X.toLowerCase()}._sd._udp.sd.test`, addresses: ['192.0.2.1'], source: 'wide-area' });
    d.setDiscovered([wide]);
    assert.deepEqual(d.rebuild().peers.map((p) => [p.id, p.source, p.verified]), [[X, 'wide-area', false]]);
    s.verdicts.set(`${X}|192.0.2.1|4000`, impostor('192.0.2.1'));
    const [row] = d.rebuild().peers;
    assert.equal(row?.verified, false);
    assert.match(row?.warning ?? '', /claims to be Real one .* but could not prove it/);
  });

  test('a discovered device is listed under its identity, unverified until its endpoint is verified', () => {
    const { s, api } = sources();
    const d = new PeerDirectory(api);
    d.setDiscovered([entry({ id: `${X.toLowerCase()}._sd._udp.local` })]);
    let view = d.rebuild();
    assert.equal(view.peers.length, 1);
    assert.equal(view.peers[0]!.id, X);
    assert.equal(view.peers[0]!.verified, false);
    assert.deepEqual(view.unverified.get(X)?.addresses, ['10.0.0.1'], 'asked to be verified');
    s.verdicts.set(`${X}|10.0.0.1|4000`, verified('10.0.0.1'));
    view = d.rebuild();
    assert.equal(view.peers[0]!.id, X);
    assert.equal(view.peers[0]!.verified, true);
    assert.equal(view.unverified.size, 0);
  });

  test('a device\'s libraries in the list are capped (issue 11): the rest counted as omitted, so the state stays small', () => {
    const { s, api } = sources();
    const d = new PeerDirectory(api);
    const libraries = Array.from({ length: 1000 }, (_, i) => ({ uuid: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, identity: X }));
    s.links = [link({ metadata: { ...link().metadata, libraries } })];
    const [row] = d.rebuild().peers;
    assert.equal(row!.libraries.length, PEER_LIBRARIES_LISTED_MAX);
    assert.deepEqual(row!.libraries, libraries.slice(0, PEER_LIBRARIES_LISTED_MAX));
    assert.equal(row!.librariesOmitted, 1000 - PEER_LIBRARIES_LISTED_MAX);
    assert.ok(Buffer.byteLength(JSON.stringify(row)) < 8192, `a row is ${Buffer.byteLength(JSON.stringify(row))} bytes`);
  });

  test('a device that linked before mDNS heard it keeps its id when its announcement arrives', () => {
    const { s, api } = sources();
    const d = new PeerDirectory(api);
    s.links = [link()];
    const first = d.rebuild().peers;
    assert.deepEqual(first.map((p) => [p.id, p.source, p.verified]), [[X, 'link', true]]);
    d.setDiscovered([entry({ id: 'instance-key', firstSeen: new Date(3_000_000).toISOString() })]);
    const second = d.rebuild().peers;
    assert.deepEqual(second.map((p) => [p.id, p.source, p.verified]), [[X, 'mdns', true]], 'one row, same id, vouched by the link from its host');
    assert.equal(second[0]!.firstSeen, first[0]!.firstSeen, 'first seen when first linked');
  });

  test('an impostor that takes over the records: the real device stays verified, the claim is listed apart and flagged', () => {
    const { s, api } = sources();
    const d = new PeerDirectory(api);
    s.verdicts.set(`${X}|10.0.0.1|4000`, verified('10.0.0.1'));
    d.setDiscovered([entry({ id: 'x' })]);
    assert.equal(d.rebuild().peers[0]!.verified, true);
    // Its records now point elsewhere (cache-flush from another host), not verified yet.
    d.setDiscovered([entry({ id: 'x', addresses: ['10.0.0.9'], port: 5000, hostname: 'impostor.local' })]);
    let view = d.rebuild();
    assert.deepEqual(byId(view.peers).map((p) => [p.id, p.verified, p.warning ?? null]), [[X, true, null], ['claim:x', false, null]]);
    assert.deepEqual(view.reachable.get(X)?.addresses, ['10.0.0.1'], 'links would go to the proven endpoint');
    s.verdicts.set(`${X}|10.0.0.9|5000`, impostor('10.0.0.9'));
    view = d.rebuild();
    assert.equal(view.peers.length, 2);
    assert.equal(view.peers.find((p) => p.id === X)?.verified, true);
    assert.match(view.peers.find((p) => p.id === 'claim:x')?.warning ?? '', /^claims to be Real one \(XXXXXXXX\) but could not prove it$/);
    assert.deepEqual(view.hijacked, [X], 'the real device is asked to answer again');
  });

  test('a linked device is not merged with an unproven entry at another address: that one is listed apart until verified', () => {
    const { s, api } = sources();
    const d = new PeerDirectory(api);
    s.links = [link()];
    d.setDiscovered([entry({ id: 'x', addresses: ['10.0.0.9'], port: 5000, hostname: 'elsewhere.local' })]);
    const view = d.rebuild();
    assert.deepEqual(byId(view.peers).map((p) => [p.id, p.verified, p.addresses]), [[X, true, ['10.0.0.1']], ['claim:x', false, ['10.0.0.9']]]);
    assert.ok(view.unverified.has('claim:x'));
    s.verdicts.set(`${X}|10.0.0.9|5000`, verified('10.0.0.9'));
    assert.deepEqual(d.rebuild().peers.map((p) => [p.id, p.verified]), [[X, true]], 'proven the same device: one row');
  });

  test('a second instance claiming the identity ("X (2)") is flagged beside the verified device', () => {
    const { s, api } = sources();
    const d = new PeerDirectory(api);
    s.verdicts.set(`${X}|10.0.0.1|4000`, verified('10.0.0.1'));
    s.verdicts.set(`${X}|10.0.0.9|5000`, impostor('10.0.0.9'));
    d.setDiscovered([entry({ id: 'x' }), entry({ id: 'x (2)', instance: `${X} (2)`, addresses: ['10.0.0.9'], port: 5000 })]);
    const view = d.rebuild();
    assert.deepEqual(byId(view.peers).map((p) => [p.id, p.verified, p.warning !== undefined]), [[X, true, false], ['claim:x (2)', false, true]]);
    assert.deepEqual(view.hijacked, [], 'its own records are intact');
  });

  test('a device that left is forgotten: its next endpoint is simply unverified, not measured against the old one', () => {
    const { s, api } = sources();
    const d = new PeerDirectory(api);
    s.verdicts.set(`${X}|10.0.0.1|4000`, verified('10.0.0.1'));
    d.setDiscovered([entry({ id: 'x' })]);
    d.rebuild();
    d.setDiscovered([]);
    assert.equal(d.rebuild().peers.length, 0);
    d.setDiscovered([entry({ id: 'x', port: 4100 })]);
    assert.deepEqual(d.rebuild().peers.map((p) => [p.id, p.verified]), [[X, false]]);
  });

  test('a linked device whose link was lost for good leaves the list until mDNS hears from it again', () => {
    const { s, api } = sources();
    const d = new PeerDirectory(api);
    d.setDiscovered([entry({ id: 'x', lastSeen: new Date(1000).toISOString() })]);
    s.lost.set(X, 2000);
    assert.equal(d.rebuild().peers.length, 0);
    d.setDiscovered([entry({ id: 'x', lastSeen: new Date(3000).toISOString() })]);
    assert.equal(d.rebuild().peers.length, 1);
  });

  test('a contact behind a Contacts only token is listed once a link proved it, and counted until then', () => {
    const { s, api } = sources();
    const d = new PeerDirectory(api);
    s.resolved.add('token');
    d.setDiscovered([entry({ id: 'token', instance: 'abcdefghijklmnopqrstuvwxyz' })]);
    let view = d.rebuild();
    assert.equal(view.peers.length, 0);
    assert.equal(view.privateDevices, 1);
    assert.ok(view.reachable.has(X), 'but reachable: the link to it can be dialled');
    assert.equal(view.unverified.size, 0, 'never verified by a handshake: its port shows a decoy to anyone without the secret');
    s.links = [link()];
    view = d.rebuild();
    assert.deepEqual(view.peers.map((p) => [p.id, p.verified]), [[X, true]]);
    assert.equal(view.privateDevices, 0);
  });

  test('an instance name that is no identity is listed as heard, never verified', () => {
    const { api } = sources();
    const d = new PeerDirectory(api);
    d.setDiscovered([entry({ id: 'printer._sd._udp.local', identity: null, instance: 'printer', name: 'printer' })]);
    assert.deepEqual(d.rebuild().peers.map((p) => [p.id, p.verified]), [['printer._sd._udp.local', false]]);
  });
});

describe('PeerDirectory: standing to the contacts (issue 11)', () => {
  /** X is the contact "Real one"; any other device named alike is its lookalike. */
  const mark = { name: 'Real one', fingerprint: 'XXXXX-XXXXX' };
  const withContacts = () => {
    const { s, api } = sources();
    const contacts = { has: true };
    api.standing = (identity, name, proven) => (!contacts.has ? {} : identity === X ? (proven ? { contact: mark } : {}) : name === 'Real one' ? { lookalikeOf: mark } : {});
    return { s, contacts, d: new PeerDirectory(api) };
  };

  test('the contact is marked once proven; another key using its name is flagged; an unproven claim of its key is neither', () => {
    const { s, d } = withContacts();
    d.setDiscovered([entry({ id: 'x-entry' }), entry({ id: 'y-entry', identity: Y, instance: Y, addresses: ['10.0.0.9'] })]);
    let rows = d.rebuild().peers;
    assert.deepEqual(rows.map((p) => [p.identity, p.contact, p.lookalikeOf]), [[X, undefined, undefined], [Y, undefined, mark]], 'X not proven yet: not marked');
    s.links = [link()];
    rows = d.rebuild().peers;
    assert.deepEqual(rows.map((p) => [p.identity, p.verified, p.contact, p.lookalikeOf]), [[X, true, mark, undefined], [Y, false, undefined, mark]]);
  });

  test('a mark follows the contacts as they are now: a removed contact loses it', () => {
    const { s, contacts, d } = withContacts();
    s.links = [link()];
    assert.deepEqual(d.rebuild().peers[0]?.contact, mark);
    contacts.has = false;
    assert.equal(d.rebuild().peers[0]?.contact, undefined);
  });
});
