// The device a command names by its list id, when that id changed a moment before: a verified
// device listed first through the link it opened to us (`link:<identity>`) is listed under its
// instance name once its mDNS answer arrives (found by tests/net/pairing.test.ts: "Pair" pressed
// in between got "that device is not in the list any more").

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { findPeer } from '../../src-main/core/node.js';
import { encodeRemoteIdentity } from '../../src-shared/identity.js';
import type { Peer } from '../../src-shared/peer.js';

function peer(extra: Partial<Peer>): Peer {
  return {
    id: 'x', identity: null, instance: 'x', name: 'Study laptop', operatingSystem: 'linux', deviceModel: null, version: null, libraries: [], librariesOmitted: 0,
    verified: false, addresses: ['10.0.0.2'], port: 7373, hostname: null, interfaces: ['eth0'], firstSeen: '2026-01-01T00:00:00.000Z', lastSeen: '2026-01-01T00:00:00.000Z', source: 'mdns',
    ...extra,
  };
}

test('an id of either form finds the verified device with that identity; an unverified claim does not', () => {
  const identity = encodeRemoteIdentity(randomBytes(32));
  const mdnsId = `${identity}._sd._udp.local`.toLowerCase();
  const linked = peer({ id: `link:${identity}`, identity, instance: identity, verified: true, source: 'link' });
  const discovered = peer({ id: mdnsId, identity, instance: identity, verified: true });

  assert.equal(findPeer([linked], `link:${identity}`), linked, 'the exact id');
  assert.equal(findPeer([discovered], `link:${identity}`), discovered, 'link: id, now listed by its instance name');
  assert.equal(findPeer([linked], mdnsId), linked, 'instance id, now listed through its link only');
  assert.equal(findPeer([{ ...discovered, verified: false }], `link:${identity}`), undefined, 'an unverified entry claiming the identity is not it');
  assert.equal(findPeer([discovered], `link:${encodeRemoteIdentity(randomBytes(32))}`), undefined, 'another identity');
  assert.equal(findPeer([discovered], 'nothing'), undefined);
});
