// What the device list shows (src-renderer/model/peerView.ts): filter, sort, libraries in
// common, "last seen", icons, and the reuse of unchanged rows.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Library, Peer } from '../../src-shared/peer.js';
import { breakablePieces, contactsFirst, deviceIconFor, deviceKindWords, deviceModelLabel, filterPeers, formatLastSeen, librariesInCommon, reuseUnchanged, sortPeers, visiblePeers } from '../../src-renderer/model/peerView.js';
import { userMessage } from '../../src-renderer/model/userMessage.js';
import { CommandError } from '../../src-shared/contract.js';

const LIB_A = '0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0';
const LIB_B = '1f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0';

function peer(name: string, extra: Partial<Peer> = {}): Peer {
  return {
    id: name.toLowerCase(),
    identity: null,
    instance: name,
    name,
    operatingSystem: 'linux',
    deviceModel: null,
    version: null,
    libraries: [],
    librariesOmitted: 0,
    verified: false,
    addresses: ['10.0.0.1'],
    port: 7373,
    hostname: `${name.toLowerCase()}.local`,
    interfaces: ['eth0'],
    firstSeen: '2025-01-01T00:00:00.000Z',
    lastSeen: '2025-01-01T00:00:00.000Z',
    source: 'mdns',
    ...extra,
  };
}

describe('filter and sort', () => {
  const peers = [
    peer('kitchen', { addresses: ['192.168.1.30'], lastSeen: '2025-01-01T00:00:05.000Z' }),
    peer('Attic NAS', { deviceModel: 'NAS', lastSeen: '2025-01-01T00:00:09.000Z' }),
    peer('Laptop 10', { operatingSystem: 'macos' }),
    peer('Laptop 9', { operatingSystem: 'macos' }),
  ];

  test('the filter matches name, model, system and address, every word, ignoring case', () => {
    assert.deepEqual(filterPeers(peers, 'nas').map((p) => p.name), ['Attic NAS']);
    assert.deepEqual(filterPeers(peers, 'MACOS').map((p) => p.name), ['Laptop 10', 'Laptop 9']);
    assert.deepEqual(filterPeers(peers, '192.168').map((p) => p.name), ['kitchen']);
    assert.deepEqual(filterPeers(peers, 'laptop 9').map((p) => p.name), ['Laptop 9']);
    assert.equal(filterPeers(peers, '   '), peers, 'an empty filter returns the same list');
  });

  test('by name: case-insensitive and numbers in order; by last seen: newest first', () => {
    assert.deepEqual(sortPeers(peers, 'name').map((p) => p.name), ['Attic NAS', 'kitchen', 'Laptop 9', 'Laptop 10']);
    assert.deepEqual(sortPeers(peers, 'lastSeen').map((p) => p.name), ['Attic NAS', 'kitchen', 'Laptop 9', 'Laptop 10']);
    assert.deepEqual(visiblePeers(peers, 'laptop', 'name').map((p) => p.name), ['Laptop 9', 'Laptop 10']);
  });
});

test('libraries in common: our libraries whose uuid a member announces; a device that is not a member only claims them', () => {
  const p = peer('x', { identity: 'x'.repeat(42) + 'A', libraries: [{ uuid: LIB_A.toUpperCase(), identity: 'id' }, { uuid: LIB_B, identity: 'id' }, { uuid: 'ffffffff-4b5a-4968-8776-a5b4c3d2e1f0', identity: 'id' }] });
  const member = { identity: p.identity!, name: 'x', since: '2025-01-01T00:00:00.000Z' };
  const own: Library[] = [
    { uuid: LIB_A, name: 'Photos', active: true, createdAt: '2025-01-01T00:00:00.000Z', members: [member], invited: [] },
    { uuid: LIB_B, name: 'Work', active: false, createdAt: '2025-01-01T00:00:00.000Z', members: [], invited: [] },
  ];
  const common = librariesInCommon(p, own);
  assert.deepEqual(common.shared.map((l) => l.name), ['Photos']);
  assert.deepEqual(common.claimed.map((l) => l.name), ['Work'], 'Work is ours, and x is not a member we know: a claim');
  assert.deepEqual(librariesInCommon(peer('y'), own), { shared: [], claimed: [] });
  // Another device claiming x's identity without proof is not x: an unproven row with no identity claims only.
  assert.deepEqual(librariesInCommon({ ...p, identity: null }, own).shared, []);
});

test('last seen reads like a person would say it', () => {
  const now = Date.parse('2025-01-02T12:00:00.000Z');
  const ago = (ms: number) => formatLastSeen(new Date(now - ms).toISOString(), now);
  assert.equal(ago(2_000), 'just now');
  assert.equal(ago(-60_000), 'just now', 'a clock ahead of ours is not "in the future"');
  assert.equal(ago(42_000), '42 s ago');
  assert.equal(ago(5 * 60_000), '5 min ago');
  assert.equal(ago(3 * 3_600_000), '3 h ago');
  assert.equal(ago(26 * 3_600_000), '1 day ago');
  assert.equal(ago(80 * 3_600_000), '3 days ago');
  assert.equal(formatLastSeen('not a date', now), 'unknown');
});

test('device icons: known models by family ignoring case and spaces, anything else generic', () => {
  assert.equal(deviceIconFor('MacBook Pro'), 'laptop');
  assert.equal(deviceIconFor('macbookpro'), 'laptop');
  assert.equal(deviceIconFor('NAS'), 'nas');
  assert.equal(deviceIconFor('Android Tablet'), 'tablet');
  assert.equal(deviceIconFor('Toaster 3000'), 'generic');
  assert.equal(deviceIconFor(null), 'generic');
  assert.equal(deviceModelLabel(null), 'Other device');
  assert.equal(deviceModelLabel('Other'), 'Other device');
  assert.equal(deviceModelLabel('Toaster 3000'), 'Toaster 3000');
});

test('a device’s kind in words: its system, and its model when one is known', () => {
  assert.equal(deviceKindWords('macos', 'MacBook Pro'), 'macOS · MacBook Pro');
  assert.equal(deviceKindWords('linux', null), 'Linux', 'no model: the system alone, not “Unknown model”');
  assert.equal(deviceKindWords('linux', 'Other'), 'Linux', '`Other` (what the original announces when it does not know) is no model either');
  assert.equal(deviceKindWords('other', 'Toaster 3000'), 'Other system · Toaster 3000');
});

test('the picker’s order: contacts first, each group in the order it was given', () => {
  const mark = { name: 'x', fingerprint: 'AAAAA-AAAAA' };
  const order = contactsFirst([peer('a'), peer('b', { contact: mark }), peer('c'), peer('d', { contact: mark })]).map((p) => p.name);
  assert.deepEqual(order, ['b', 'd', 'a', 'c']);
});

test('addresses and host names break only between their parts', () => {
  assert.deepEqual(breakablePieces('fe80::1c2b:8a3c%enp0s31f6'), ['fe80:', ':', '1c2b:', '8a3c', '%enp0s31f6']);
  assert.deepEqual(breakablePieces('oscars-macbook-pro.local'), ['oscars-', 'macbook-', 'pro.', 'local']);
  assert.deepEqual(breakablePieces('192.168.1.20'), ['192.', '168.', '1.', '20']);
  assert.deepEqual(breakablePieces('plain'), ['plain']);
  assert.equal(breakablePieces('[fe80::1%eth0]:7373').join(''), '[fe80::1%eth0]:7373', 'nothing lost');
});

test('reuseUnchanged keeps the objects (and the array) that did not change', () => {
  const prev = [peer('a'), peer('b')];
  const sameCopy = JSON.parse(JSON.stringify(prev)) as Peer[];
  assert.equal(reuseUnchanged(prev, sameCopy, (p) => p.id), prev, 'nothing changed: the very same array');
  const changed = JSON.parse(JSON.stringify(prev)) as Peer[];
  changed[1]!.lastSeen = '2025-02-01T00:00:00.000Z';
  const merged = reuseUnchanged(prev, changed, (p) => p.id);
  assert.notEqual(merged, prev);
  assert.equal(merged[0], prev[0], 'the unchanged peer is the old object');
  assert.equal(merged[1], changed[1]);
  const reordered = reuseUnchanged(prev, [sameCopy[1]!, sameCopy[0]!], (p) => p.id);
  assert.deepEqual(reordered, [prev[1], prev[0]]);
  assert.notEqual(reordered, prev);
});

test('errors from the node read as sentences beside their field', () => {
  assert.equal(userMessage(new CommandError('invalid-payload', 'invalid setName request: name: a device name cannot be empty')), 'A device name cannot be empty');
  assert.equal(userMessage(new CommandError('refused', '10.0.0.1:7373 is already in the list')), '10.0.0.1:7373 is already in the list');
  assert.equal(userMessage('a port is missing after ":"'), 'A port is missing after ":"');
});
