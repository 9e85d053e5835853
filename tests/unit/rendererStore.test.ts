// The renderer's store (src-renderer/store/nearbyStore.ts) with a fake connection: the node's
// state lands in it as the contract shapes it, commands go out through actions, and form errors
// land at their field. Invalid manual addresses never reach the node.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CommandError, type CommandName, type NodeState } from '../../src-shared/contract.js';
import { createNearbyStore, PAIRING_UNAVAILABLE_MESSAGE } from '../../src-renderer/store/nearbyStore.js';

function state(extra: Partial<NodeState> = {}): NodeState {
  return {
    self: { identity: 'me', name: 'Desk', hostname: 'sd-me.local', port: 7373, operatingSystem: 'linux', deviceModel: null, version: '0.1.0' },
    mode: 'everyone',
    discoveryNote: null,
    libraries: [],
    peers: [],
    manualPeers: [],
    warnings: [],
    ...extra,
  };
}

class FakeConnection {
  calls: Array<{ command: CommandName; payload: unknown }> = [];
  answers = new Map<CommandName, (payload: unknown) => unknown>();
  async call(command: CommandName, payload: unknown): Promise<never> {
    this.calls.push({ command, payload });
    const answer = this.answers.get(command);
    if (answer === undefined) throw new Error(`unexpected ${command}`);
    return answer(payload) as never;
  }
}

describe('renderer store', () => {
  test('a state from the node fills the NodeState fields', () => {
    const store = createNearbyStore(new FakeConnection());
    assert.equal(store.getState().loaded, false);
    store.getState().applyState(state({ mode: 'disabled', discoveryNote: 'Discovery is off' }));
    const s = store.getState();
    assert.equal(s.loaded, true);
    assert.equal(s.mode, 'disabled');
    assert.equal(s.self?.name, 'Desk');
    assert.equal(s.discoveryNote, 'Discovery is off');
  });

  test('setMode: the node’s refusal is shown at the mode field and the mode stays', async () => {
    const conn = new FakeConnection();
    conn.answers.set('setMode', () => {
      throw new CommandError('refused', 'Contacts only mode is not available yet (it comes with pairing); choose Everyone or Disabled');
    });
    const store = createNearbyStore(conn);
    store.getState().applyState(state());
    assert.equal(await store.getState().setMode('contacts-only'), false);
    assert.match(store.getState().errors.mode ?? '', /^Contacts only mode is not available yet/);
    assert.equal(store.getState().mode, 'everyone');
    assert.equal(store.getState().busy.mode, undefined);
    conn.answers.set('setMode', (p) => state({ mode: (p as { mode: NodeState['mode'] }).mode }));
    assert.equal(await store.getState().setMode('disabled'), true);
    assert.equal(store.getState().mode, 'disabled');
    assert.equal(store.getState().errors.mode, undefined, 'a success clears the error');
  });

  test('invalid manual addresses give the parser’s reason and send nothing', async () => {
    const conn = new FakeConnection();
    const store = createNearbyStore(conn);
    for (const [input, reason] of [
      ['999.1.1.1:99999', /not an IPv4 address/],
      ['host:', /port is missing/],
      ['', /Enter an address/],
      ['a:b:c', /not an address/i],
    ] as const) {
      assert.equal(await store.getState().addManualPeer(input), false);
      assert.match(store.getState().errors.manualPeer ?? '', reason, input);
    }
    assert.deepEqual(conn.calls, []);
  });

  test('a valid manual address is sent in its canonical form', async () => {
    const conn = new FakeConnection();
    conn.answers.set('addManualPeer', () => state({ manualPeers: [{ address: 'nas.local:7373', status: 'connecting', reason: null, lastAttempt: null }] }));
    const store = createNearbyStore(conn);
    assert.equal(await store.getState().addManualPeer('  NAS.local '), true);
    assert.deepEqual(conn.calls, [{ command: 'addManualPeer', payload: { address: 'nas.local:7373' } }]);
    assert.equal(store.getState().manualPeers[0]?.status, 'connecting');
    assert.equal(store.getState().errors.manualPeer, undefined);
  });

  test('library actions update the list from the node’s answer', async () => {
    const uuid = '0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0';
    const conn = new FakeConnection();
    conn.answers.set('createLibrary', (p) => ({ uuid, name: (p as { name: string }).name, active: true, createdAt: '2025-01-01T00:00:00.000Z' }));
    conn.answers.set('deactivateLibrary', () => ({ uuid, name: 'Photos', active: false, createdAt: '2025-01-01T00:00:00.000Z' }));
    conn.answers.set('deleteLibrary', () => ({ deleted: uuid }));
    conn.answers.set('renameLibrary', () => {
      throw new CommandError('invalid-payload', 'invalid renameLibrary request: name: a library name cannot be empty');
    });
    const store = createNearbyStore(conn);
    assert.equal(await store.getState().createLibrary('Photos'), true);
    assert.deepEqual(store.getState().libraries.map((l) => [l.name, l.active]), [['Photos', true]]);
    assert.equal(await store.getState().setLibraryActive(uuid, false), true);
    assert.equal(store.getState().libraries[0]?.active, false);
    assert.equal(await store.getState().renameLibrary(uuid, ' '), false);
    assert.equal(store.getState().errors[`library:${uuid}`], 'A library name cannot be empty');
    assert.equal(await store.getState().deleteLibrary(uuid), true);
    assert.deepEqual(store.getState().libraries, []);
  });

  test('Pair explains that pairing comes with the P2P link', () => {
    const store = createNearbyStore(new FakeConnection());
    store.getState().startPairing();
    assert.equal(store.getState().pairing.status, 'idle', 'nothing happens without a chosen device');
    store.getState().pairWith('peer-1');
    assert.equal(store.getState().view, 'pair');
    store.getState().startPairing();
    assert.deepEqual(store.getState().pairing, { status: 'unavailable', peerId: 'peer-1', message: PAIRING_UNAVAILABLE_MESSAGE });
    store.getState().choosePairingPeer('peer-2');
    assert.equal(store.getState().pairing.status, 'idle', 'another device starts over');
  });
});
