// The renderer's one store (STYLE.md): the node's state as the contract shapes it (NodeState),
// plus what only the UI knows (filter, sort, selection, view, connection, form errors). Every
// command the UI sends goes through an action here; components read the store and call actions.

import { createStore, type StoreApi } from 'zustand/vanilla';
import type { ManualPeerState, NodeState, SelfInfo } from '../../src-shared/contract.js';
import { parseManualPeer } from '../../src-shared/manualPeer.js';
import type { DiscoveryMode, Library, Peer } from '../../src-shared/peer.js';
import { reuseUnchanged, type SortKey } from '../model/peerView.js';
import { userMessage } from '../model/userMessage.js';
import type { ConnectionStatus, NodeConnection } from '../transport/connectionTypes.js';

export type View = 'devices' | 'pair' | 'settings';

/** Where a form shows an error or a "saved" note: a field, or one library / manual peer. */
export type FieldKey = 'mode' | 'name' | 'newLibrary' | 'manualPeer' | `library:${string}` | `manualPeer:${string}`;

export const PAIRING_UNAVAILABLE_MESSAGE = 'Pairing comes with the P2P link';

/** The pairing flow of DESIGN §5; only 'unavailable' exists until the node can pair. */
export type PairingState =
  | { status: 'idle' }
  | { status: 'unavailable'; peerId: string; message: string }
  | { status: 'comparing'; peerId: string; code: string };

export interface NodeFields {
  /** Null until the first state arrives. */
  self: SelfInfo | null;
  mode: DiscoveryMode;
  discoveryNote: string | null;
  libraries: Library[];
  peers: readonly Peer[];
  manualPeers: ManualPeerState[];
  warnings: string[];
}

export interface UiFields {
  loaded: boolean;
  connection: ConnectionStatus;
  view: View;
  filter: string;
  sort: SortKey;
  selectedPeerId: string | null;
  /** Peer chosen in the pairing device picker. */
  pairingPeerId: string | null;
  pairing: PairingState;
  errors: Partial<Record<FieldKey, string>>;
  /** Short confirmations ("Saved") by field. */
  notes: Partial<Record<FieldKey, string>>;
  busy: Partial<Record<FieldKey, boolean>>;
  /** A control that should take the focus once shown (e.g. after "Add by address"). */
  focusRequest: 'manualPeer' | null;
  /** Ticks so that "last seen" texts stay current. */
  nowMs: number;
}

export interface Actions {
  applyState(state: NodeState): void;
  setConnection(status: ConnectionStatus): void;
  setView(view: View): void;
  setFilter(filter: string): void;
  setSort(sort: SortKey): void;
  selectPeer(id: string | null): void;
  choosePairingPeer(id: string | null): void;
  tick(nowMs: number): void;
  clearFocusRequest(): void;
  clearFeedback(key: FieldKey): void;
  /** Switches to Settings and puts the focus on the manual-peer address field. */
  goToAddByAddress(): void;
  /** Opens the pairing view with this device chosen. */
  pairWith(id: string): void;
  setMode(mode: DiscoveryMode): Promise<boolean>;
  setName(name: string): Promise<boolean>;
  createLibrary(name: string): Promise<boolean>;
  renameLibrary(uuid: string, name: string): Promise<boolean>;
  setLibraryActive(uuid: string, active: boolean): Promise<boolean>;
  deleteLibrary(uuid: string): Promise<boolean>;
  addManualPeer(address: string): Promise<boolean>;
  removeManualPeer(address: string): Promise<boolean>;
  startPairing(): void;
  cancelPairing(): void;
}

export type NearbyState = NodeFields & UiFields & Actions;
export type NearbyStore = StoreApi<NearbyState>;

const initialNode: NodeFields = {
  self: null,
  mode: 'everyone',
  discoveryNote: null,
  libraries: [],
  peers: [],
  manualPeers: [],
  warnings: [],
};

export function createNearbyStore(connection: Pick<NodeConnection, 'call'>, nowMs = Date.now()): NearbyStore {
  return createStore<NearbyState>()((set, get) => {
    const without = <T extends object>(record: T, key: FieldKey): T => {
      const copy = { ...record } as Record<string, unknown>;
      delete copy[key];
      return copy as T;
    };
    /** Runs a command for `key`: busy while it runs, its error shown at `key`, `note` on success. */
    const run = async <T>(key: FieldKey, task: () => Promise<T>, onDone: (result: T) => void, note?: string): Promise<boolean> => {
      set((s) => ({ busy: { ...s.busy, [key]: true }, errors: without(s.errors, key), notes: without(s.notes, key) }));
      try {
        const result = await task();
        onDone(result);
        set((s) => ({ busy: without(s.busy, key), ...(note ? { notes: { ...s.notes, [key]: note } } : {}) }));
        return true;
      } catch (err) {
        set((s) => ({ busy: without(s.busy, key), errors: { ...s.errors, [key]: userMessage(err) } }));
        return false;
      }
    };
    const applyState = (state: NodeState) => get().applyState(state);
    const upsertLibrary = (library: Library) =>
      set((s) => {
        const i = s.libraries.findIndex((l) => l.uuid === library.uuid);
        return { libraries: i < 0 ? [...s.libraries, library] : s.libraries.map((l) => (l.uuid === library.uuid ? library : l)) };
      });

    return {
      ...initialNode,
      loaded: false,
      connection: { state: 'connecting' },
      view: 'devices',
      filter: '',
      sort: 'name',
      selectedPeerId: null,
      pairingPeerId: null,
      pairing: { status: 'idle' },
      errors: {},
      notes: {},
      busy: {},
      focusRequest: null,
      nowMs,

      applyState: (state) =>
        set((s) => ({
          loaded: true,
          self: state.self,
          mode: state.mode,
          discoveryNote: state.discoveryNote,
          libraries: reuseUnchanged(s.libraries, state.libraries, (l) => l.uuid) as Library[],
          peers: reuseUnchanged(s.peers, state.peers, (p) => p.id),
          manualPeers: reuseUnchanged(s.manualPeers, state.manualPeers, (m) => m.address) as ManualPeerState[],
          warnings: state.warnings,
        })),
      setConnection: (connection) => set({ connection }),
      setView: (view) => set({ view }),
      setFilter: (filter) => set({ filter }),
      setSort: (sort) => set({ sort }),
      selectPeer: (selectedPeerId) => set({ selectedPeerId }),
      choosePairingPeer: (pairingPeerId) => set((s) => ({ pairingPeerId, pairing: s.pairing.status !== 'idle' && s.pairing.peerId !== pairingPeerId ? { status: 'idle' } : s.pairing })),
      tick: (nowMs) => set({ nowMs }),
      clearFocusRequest: () => set({ focusRequest: null }),
      clearFeedback: (key) => set((s) => ({ errors: without(s.errors, key), notes: without(s.notes, key) })),
      goToAddByAddress: () => set({ view: 'settings', focusRequest: 'manualPeer' }),
      pairWith: (id) => set({ view: 'pair', pairingPeerId: id, pairing: { status: 'idle' } }),

      setMode: (mode) => run('mode', () => connection.call('setMode', { mode }), applyState),
      setName: (name) => run('name', () => connection.call('setName', { name }), applyState, 'Saved'),
      createLibrary: (name) => run('newLibrary', () => connection.call('createLibrary', { name }), upsertLibrary),
      renameLibrary: (uuid, name) => run(`library:${uuid}`, () => connection.call('renameLibrary', { uuid, name }), upsertLibrary),
      setLibraryActive: (uuid, active) =>
        run(`library:${uuid}`, () => connection.call(active ? 'activateLibrary' : 'deactivateLibrary', { uuid }), upsertLibrary),
      deleteLibrary: (uuid) =>
        run(`library:${uuid}`, () => connection.call('deleteLibrary', { uuid }), () => set((s) => ({ libraries: s.libraries.filter((l) => l.uuid !== uuid) }))),
      addManualPeer: async (address) => {
        // The node applies the same rules; checking here shows the reason at once and sends nothing invalid.
        const parsed = parseManualPeer(address);
        if (!parsed.ok) {
          set((s) => ({ errors: { ...s.errors, manualPeer: userMessage(parsed.reason) }, notes: without(s.notes, 'manualPeer') }));
          return false;
        }
        return run('manualPeer', () => connection.call('addManualPeer', { address: parsed.value.text }), applyState, `Added ${parsed.value.text}`);
      },
      removeManualPeer: (address) => run(`manualPeer:${address}`, () => connection.call('removeManualPeer', { address }), applyState),
      startPairing: () => {
        const id = get().pairingPeerId;
        if (id === null) return;
        set({ pairing: { status: 'unavailable', peerId: id, message: PAIRING_UNAVAILABLE_MESSAGE } });
      },
      cancelPairing: () => set({ pairing: { status: 'idle' } }),
    };
  });
}

/** Feeds the store from the connection: states as they come, a fresh state at every (re)connect. */
export function bindStoreToConnection(store: NearbyStore, connection: NodeConnection): () => void {
  const offState = connection.onState((state) => store.getState().applyState(state));
  const offStatus = connection.onStatus((status) => {
    store.getState().setConnection(status);
    if (status.state === 'open') {
      connection.call('getState', {}).then(
        (state) => store.getState().applyState(state),
        () => {
          // The connection dropped again; the next 'open' fetches the state.
        },
      );
    }
  });
  return () => {
    offState();
    offStatus();
  };
}
