// The engine announces our records when they change (the libraries hook, a new name), and only
// then: the same advertisement again (a mode re-applied, a library write that changed no active
// library) sends nothing, since each announcement goes to every interface twice. Driven without
// sockets: the responder's announce is counted (a unit test of this one module).

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { DiscoveryEngine } from '../../src-main/core/discovery/engine.js';
import type { Advertisement } from '../../src-main/core/discovery/ownRecords.js';
import { encodeRemoteIdentity } from '../../src-shared/identity.js';

test('the same advertisement again announces nothing; a changed TXT or port announces once', () => {
  const engine = new DiscoveryEngine({ readInterfaces: () => [] });
  const inside = engine as unknown as { running: boolean; responder: { announce(): void; goodbye(): Promise<void> } };
  inside.running = true;
  let announced = 0;
  inside.responder.announce = () => void announced++;
  inside.responder.goodbye = async () => undefined;
  const ad: Advertisement = { instance: encodeRemoteIdentity(randomBytes(32)), hostname: 'sd-0000000000000001', port: 7000, txt: [Buffer.from('name=Desk'), Buffer.from('os=linux')] };
  engine.setAdvertisement(ad);
  assert.equal(announced, 1);
  engine.setAdvertisement({ ...ad, txt: ad.txt.map((s) => Buffer.from(s)) });
  engine.setAdvertisement({ ...ad });
  assert.equal(announced, 1, 'the same records: no announcement');
  engine.setAdvertisement({ ...ad, txt: [Buffer.from('name=Desk'), Buffer.from('os=linux'), Buffer.from('0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0=x')] });
  assert.equal(announced, 2, 'a new library in the TXT is announced');
  engine.setAdvertisement({ ...ad, port: 7001 });
  assert.equal(announced, 3, 'a new port is announced');
});
