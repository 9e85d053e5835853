// The node's sessions and its attention registry (issue 9), on a real NearbyNode that is opened
// but never started (no socket, no packet): a subscribed session is someone looking, setAttention
// is per session, getState is a short look, and a plain listener of the node's events (what
// `serve` prints its + and - lines from) is nobody.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { NearbyNode } from '../../src-main/core/node.js';
import { useTempDirs } from '../support/tempDirs.js';

const freshDir = useTempDirs('sessions');

describe('node sessions and attention', () => {
  let node: NearbyNode;
  before(async () => {
    node = await NearbyNode.open({ dataDir: await freshDir(), version: '0.1.0', deviceModel: null });
  });
  after(async () => {
    await node.close();
  });

  test('a listener of the node’s own events does not count as looking', () => {
    const listener = () => {};
    node.on('state', listener);
    assert.equal(node.attention.isLooking, false);
    node.off('state', listener);
  });

  test('a subscribed session gets the current state at once and looks until it closes', () => {
    const session = node.openSession();
    const names: string[] = [];
    session.subscribe((s) => names.push(s.self.name));
    assert.equal(names.length, 1, 'the current state, before subscribe returned');
    assert.equal(node.attention.isLooking, true);
    session.close();
    assert.equal(node.attention.isLooking, false);
  });

  test('setAttention counts per session: a hidden window stops counting, another keeps looking, with its focus', async () => {
    const hidden = node.openSession();
    const shown = node.openSession();
    hidden.subscribe(() => {});
    shown.subscribe(() => {});
    assert.deepEqual(await hidden.invoke('setAttention', { looking: false, openPeerId: 'h' }), { looking: false });
    assert.deepEqual(await shown.invoke('setAttention', { looking: true, openPeerId: 'p', visiblePeerIds: ['p', 'q'] }), { looking: true });
    assert.equal(node.attention.isLooking, true);
    assert.deepEqual(node.attention.openPeerIds(), ['p']);
    assert.deepEqual(node.attention.visiblePeerIds(), ['p', 'q']);
    shown.close();
    assert.equal(node.attention.isLooking, false, 'the hidden one does not count');
    hidden.close();
  });

  test('setAttention is validated by the node: at most 500 visible devices', async () => {
    const session = node.openSession();
    await assert.rejects(session.invoke('setAttention', { looking: true, visiblePeerIds: Array.from({ length: 501 }, (_, i) => `p${i}`) }), /at most 500 visible devices/);
    session.close();
  });

  test('getState is a short look (a lease), also on a session that ends at once', async () => {
    assert.equal(node.attention.isLooking, false);
    const state = await node.invoke('getState', {});
    assert.equal(state.self.version, '0.1.0');
    assert.equal(node.attention.isLooking, true, 'the lease runs after the request ended');
  });

  test('a closed session refuses commands', async () => {
    const session = node.openSession();
    session.close();
    await assert.rejects(session.invoke('getState', {}), /session with the node has ended/);
  });
});
