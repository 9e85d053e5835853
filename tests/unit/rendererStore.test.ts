// The renderer's store (src-renderer/store/nearbyStore.ts) with a fake connection: the node's
// state lands in it as the contract shapes it, commands go out through actions, and form errors
// land at their field. Invalid manual addresses never reach the node.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CommandError, type CommandName, type NodeState } from '../../src-shared/contract.js';
import type { PairingSessionState } from '../../src-shared/pairing.js';
import type { Library } from '../../src-shared/peer.js';
import { createNearbyStore } from '../../src-renderer/store/nearbyStore.js';
import { emptyNodeState } from '../support/nodeStateFixture.js';

function state(extra: Partial<NodeState> = {}): NodeState {
  return emptyNodeState({ self: { identity: 'me', name: 'Desk', hostname: 'sd-me.local' }, ...extra });
}

function session(extra: Partial<PairingSessionState> & Pick<PairingSessionState, 'id' | 'direction'>): PairingSessionState {
  return {
    peerIdentity: 'kitchen-identity',
    peerName: 'Kitchen',
    stage: 'waiting-for-peer',
    code: null,
    peerConfirmed: false,
    reason: null,
    startedAt: '2025-01-01T00:00:00.000Z',
    expiresAt: '2025-01-01T00:01:00.000Z',
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
    conn.answers.set('addManualPeer', () => state({ manualPeers: [{ address: 'nas.local:7373', status: 'connecting', reason: null, lastAttempt: null, name: null, identity: null }] }));
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

  test('"Invitation sent to …" goes once the invitation is answered (the contact joined), not before', async () => {
    const uuid = '0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0';
    const library: Library = { uuid, name: 'Photos', active: true, createdAt: '2025-01-01T00:00:00.000Z', members: [], invited: [] };
    const invited: Library = { ...library, invited: [{ identity: 'desk-identity', name: 'Desktop', at: '2025-01-01T00:01:00.000Z' }] };
    const joined: Library = { ...library, members: [{ identity: 'desk-identity', name: 'Desktop', since: '2025-01-01T00:02:00.000Z' }] };
    const conn = new FakeConnection();
    conn.answers.set('shareLibrary', () => ({ inviteId: 'i1', library: invited }));
    const store = createNearbyStore(conn);
    store.getState().applyState(state({ libraries: [library] }));
    assert.equal(await store.getState().shareLibrary(uuid, 'peer-1'), true);
    assert.match(store.getState().notes[`share:${uuid}`] ?? '', /^Invitation sent to /);
    store.getState().applyState(state({ libraries: [invited] }));
    assert.match(store.getState().notes[`share:${uuid}`] ?? '', /^Invitation sent to /, 'kept while the invitation waits');
    store.getState().applyState(state({ libraries: [joined] }));
    assert.equal(store.getState().notes[`share:${uuid}`], undefined, 'gone once the contact joined');
  });

  test('Pair asks the node; its refusal (no verified link) shows at the picker', async () => {
    const conn = new FakeConnection();
    conn.answers.set('startPairing', () => {
      throw new CommandError('refused', 'Kitchen is not connected: a verified link is needed to pair');
    });
    const store = createNearbyStore(conn);
    assert.equal(await store.getState().startPairing(), false, 'nothing happens without a chosen device');
    assert.deepEqual(conn.calls, []);
    store.getState().pairWith('peer-1');
    assert.equal(store.getState().view, 'pair');
    assert.equal(await store.getState().startPairing(), false);
    assert.deepEqual(conn.calls, [{ command: 'startPairing', payload: { peerId: 'peer-1' } }]);
    assert.equal(store.getState().errors.pairing, 'Kitchen is not connected: a verified link is needed to pair');
    store.getState().choosePairingPeer('peer-2');
    assert.equal(store.getState().errors.pairing, undefined, 'another device starts over');
  });

  test('an outgoing pairing: the panel follows the node’s session to the code, confirm, done; Close hides it', async () => {
    const conn = new FakeConnection();
    const waiting = session({ id: 'out-1', direction: 'outgoing' });
    conn.answers.set('startPairing', () => waiting);
    conn.answers.set('confirmPairing', () => ({ ...waiting, stage: 'waiting-for-peer-confirmation', code: '042917' }));
    const store = createNearbyStore(conn);
    store.getState().applyState(state());
    store.getState().pairWith('peer-1');
    assert.equal(await store.getState().startPairing(), true);
    assert.equal(store.getState().outgoingPairingId, 'out-1');
    assert.deepEqual(store.getState().pairing, [waiting], 'shown at once, before the next state');
    store.getState().applyState(state({ pairing: [{ ...waiting, stage: 'confirm-code', code: '042917' }] }));
    assert.equal(store.getState().pairing[0]?.code, '042917');
    assert.equal(await store.getState().confirmPairing('out-1'), true);
    assert.equal(store.getState().pairing[0]?.stage, 'waiting-for-peer-confirmation');
    assert.equal(store.getState().pairingPeerId, 'peer-1', 'the picker keeps its device while the pairing runs');
    const contact = { identity: 'kitchen-identity', name: 'Kitchen', addedAt: '2025-01-01T00:00:00.000Z' };
    store.getState().applyState(state({ pairing: [{ ...waiting, stage: 'done', code: '042917' }], contacts: [contact] }));
    assert.deepEqual(store.getState().contacts, [contact]);
    assert.equal(store.getState().pairingPeerId, null, 'paired: the picker lets go of the device, so Pair is off');
    store.getState().choosePairingPeer('peer-2');
    store.getState().applyState(state({ pairing: [{ ...waiting, stage: 'done', code: '042917' }], contacts: [contact] }));
    assert.equal(store.getState().pairingPeerId, 'peer-2', 'a device chosen afterwards stays chosen');
    assert.equal(store.getState().incomingPairingId, null, 'an outgoing session never opens the incoming dialog');
    await store.getState().closePairing('out-1');
    assert.equal(store.getState().outgoingPairingId, null);
    assert.deepEqual(conn.calls.map((c) => c.command), ['startPairing', 'confirmPairing'], 'closing an ended session sends nothing');
  });

  test('an incoming request opens the dialog, which stays to show the outcome until closed; a closed one never comes back', async () => {
    const conn = new FakeConnection();
    conn.answers.set('rejectPairing', () => ({ ...incoming, stage: 'rejected', reason: 'You rejected the pairing.' }));
    const incoming = session({ id: 'in-1', direction: 'incoming' });
    const store = createNearbyStore(conn);
    store.getState().applyState(state({ pairing: [session({ id: 'old', direction: 'incoming', stage: 'timed-out' })] }));
    assert.equal(store.getState().incomingPairingId, null, 'an ended request from before does not pop up');
    store.getState().applyState(state({ pairing: [incoming] }));
    assert.equal(store.getState().incomingPairingId, 'in-1');
    store.getState().applyState(state({ pairing: [{ ...incoming, stage: 'timed-out', reason: 'The pairing was not confirmed on both devices within 60 s.' }] }));
    assert.equal(store.getState().incomingPairingId, 'in-1', 'the outcome stays on screen');
    await store.getState().closePairing('in-1');
    assert.equal(store.getState().incomingPairingId, null);
    assert.deepEqual(conn.calls, []);
    // Closing a request in progress rejects it first.
    const second = session({ id: 'in-2', direction: 'incoming', stage: 'confirm-code', code: '123456' });
    store.getState().applyState(state({ pairing: [second] }));
    assert.equal(store.getState().incomingPairingId, 'in-2');
    await store.getState().closePairing('in-2');
    assert.deepEqual(conn.calls, [{ command: 'rejectPairing', payload: { sessionId: 'in-2' } }]);
    store.getState().applyState(state({ pairing: [{ ...second, stage: 'rejected' }] }));
    assert.equal(store.getState().incomingPairingId, null, 'closed for good');
  });

  test('Reject closes the request in one step; a reject the node refuses keeps it open with the reason', async () => {
    const conn = new FakeConnection();
    const request = session({ id: 'in-1', direction: 'incoming', stage: 'confirm-code', code: '123456' });
    conn.answers.set('rejectPairing', () => {
      throw new CommandError('internal', 'The node could not save the answer.');
    });
    const store = createNearbyStore(conn);
    store.getState().applyState(state({ pairing: [request] }));
    await store.getState().closePairing('in-1');
    assert.equal(store.getState().incomingPairingId, 'in-1', 'not rejected: still open');
    assert.equal(store.getState().errors['pairing:in-1'], 'The node could not save the answer.');
    conn.answers.set('rejectPairing', () => ({ ...request, stage: 'rejected', reason: 'You rejected the pairing.' }));
    await store.getState().closePairing('in-1');
    assert.equal(store.getState().incomingPairingId, null, 'rejected and closed: no Close to press after it');
    assert.deepEqual(store.getState().dismissedPairingIds, ['in-1']);
  });

  test('removing a contact updates the list from the node’s answer; a failure shows at that contact', async () => {
    const conn = new FakeConnection();
    const contact = { identity: 'kitchen-identity', name: 'Kitchen', addedAt: '2025-01-01T00:00:00.000Z' };
    conn.answers.set('removeContact', () => state({ contacts: [] }));
    const store = createNearbyStore(conn);
    store.getState().applyState(state({ contacts: [contact] }));
    assert.equal(await store.getState().removeContact(contact.identity), true);
    assert.deepEqual(store.getState().contacts, []);
    conn.answers.set('removeContact', () => {
      throw new CommandError('not-found', 'no contact with identity x');
    });
    assert.equal(await store.getState().removeContact('x'), false);
    assert.equal(store.getState().errors['contact:x'], 'No contact with identity x');
  });
});
