// What the UI tells the node of its attention (src-renderer/store/attention.ts), with a fake
// connection and a fake clock: at every (re)connection, when the page hides or shows, when the
// details of a device open or close, and the rows on screen (at most every 250 ms).

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, mock, test } from 'node:test';
import type { CommandName, NodeState } from '../../src-shared/contract.js';
import type { Peer } from '../../src-shared/peer.js';
import { bindAttention, VISIBLE_ROWS_DEBOUNCE_MS } from '../../src-renderer/store/attention.js';
import { createNearbyStore } from '../../src-renderer/store/nearbyStore.js';
import type { ConnectionStatus } from '../../src-renderer/transport/connectionTypes.js';
import { emptyNodeState, peerFixture } from '../support/nodeStateFixture.js';

function peer(id: string, name: string): Peer {
  return peerFixture(id, name, { identity: null, verified: false, addresses: ['10.0.0.1'], firstSeen: '2025-01-01T00:00:00.000Z', lastSeen: '2025-01-01T00:00:00.000Z' });
}

function stateWith(peers: Peer[]): NodeState {
  return emptyNodeState({ peers });
}

class FakeConnection {
  readonly told: unknown[] = [];
  private statusListener: ((s: ConnectionStatus) => void) | null = null;
  async call(command: CommandName, payload: unknown): Promise<never> {
    if (command !== 'setAttention') throw new Error(`unexpected ${command}`);
    this.told.push(payload);
    return { looking: true } as never;
  }
  onStatus(listener: (s: ConnectionStatus) => void): () => void {
    this.statusListener = listener;
    listener({ state: 'open' });
    return () => (this.statusListener = null);
  }
  status(s: ConnectionStatus): void {
    this.statusListener?.(s);
  }
}

describe('the UI tells the node what it shows', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }));
  afterEach(() => mock.timers.reset());

  test('at once on connecting, and again on every reconnection (a new session knows nothing)', () => {
    const conn = new FakeConnection();
    const store = createNearbyStore(conn);
    store.getState().applyState(stateWith([peer('b', 'Beta'), peer('a', 'Alpha')]));
    bindAttention(store, conn);
    assert.deepEqual(conn.told, [{ looking: true, openPeerId: null, visiblePeerIds: ['a', 'b'] }], 'the rows in the order shown');
    conn.status({ state: 'closed', cause: 'lost', reason: 'lost', retryAt: 0 });
    conn.status({ state: 'open' });
    assert.equal(conn.told.length, 2);
  });

  test('a hidden page says it does not look, at once; shown again it says so with what it shows', () => {
    const conn = new FakeConnection();
    const store = createNearbyStore(conn);
    bindAttention(store, conn);
    store.getState().setPageVisible(false);
    assert.deepEqual(conn.told.at(-1), { looking: false, openPeerId: null, visiblePeerIds: [] });
    store.getState().applyState(stateWith([peer('a', 'Alpha')]));
    mock.timers.tick(VISIBLE_ROWS_DEBOUNCE_MS);
    assert.equal(conn.told.length, 2, 'rows of a hidden page are not told');
    store.getState().setPageVisible(true);
    assert.deepEqual(conn.told.at(-1), { looking: true, openPeerId: null, visiblePeerIds: ['a'] });
  });

  test('the details of a device opening or closing is told at once; on another view nothing is open or shown', () => {
    const conn = new FakeConnection();
    const store = createNearbyStore(conn);
    store.getState().applyState(stateWith([peer('a', 'Alpha')]));
    bindAttention(store, conn);
    store.getState().selectPeer('a');
    assert.deepEqual(conn.told.at(-1), { looking: true, openPeerId: 'a', visiblePeerIds: ['a'] });
    store.getState().setView('settings');
    assert.deepEqual(conn.told.at(-1), { looking: true, openPeerId: null, visiblePeerIds: [] });
    store.getState().setView('devices');
    store.getState().selectPeer(null);
    assert.deepEqual(conn.told.at(-1), { looking: true, openPeerId: null, visiblePeerIds: ['a'] });
  });

  test(`new rows are told at most every ${VISIBLE_ROWS_DEBOUNCE_MS} ms, with the newest rows; nothing when nothing changed`, () => {
    const conn = new FakeConnection();
    const store = createNearbyStore(conn);
    bindAttention(store, conn);
    assert.equal(conn.told.length, 1);
    store.getState().applyState(stateWith([peer('a', 'Alpha')]));
    store.getState().applyState(stateWith([peer('a', 'Alpha'), peer('b', 'Beta')]));
    store.getState().setFilter('bet');
    mock.timers.tick(VISIBLE_ROWS_DEBOUNCE_MS - 1);
    assert.equal(conn.told.length, 1);
    mock.timers.tick(1);
    assert.deepEqual(conn.told.at(-1), { looking: true, openPeerId: null, visiblePeerIds: ['b'] });
    store.getState().tick(Date.now());
    store.getState().applyState(stateWith([peer('a', 'Alpha'), peer('b', 'Beta')]));
    mock.timers.tick(VISIBLE_ROWS_DEBOUNCE_MS);
    assert.equal(conn.told.length, 2, 'the same rows again are not told');
  });
});
