// The renderer's one store (STYLE.md): the node's state as the contract shapes it (NodeState),
// plus what only the UI knows (filter, sort, selection, view, connection, form errors). Every
// command the UI sends goes through an action here; components read the store and call actions.

import { createStore, type StoreApi } from 'zustand/vanilla';
import type { ManualPeerState, NodeState, SelfInfo, TrustedIssuer, WideAreaState } from '../../src-shared/contract.js';
import type { WideAreaSettings } from '../../src-shared/wideArea.js';
import { parseManualPeer } from '../../src-shared/manualPeer.js';
import { isFinalPairingStage, type Contact, type PairingSessionState } from '../../src-shared/pairing.js';
import type { Library, LibraryInvite, Peer } from '../../src-shared/peer.js';
import type { DiscoveryMode } from '../../src-shared/discoveryModes.js';
import type { NetworkReport } from '../../src-shared/networkCheck.js';
import { reuseUnchanged, type SortKey } from '../model/peerView.js';
import { userMessage } from '../model/userMessage.js';
import type { ConnectionStatus, NodeConnection } from '../transport/connectionTypes.js';

export type View = 'devices' | 'pair' | 'libraries' | 'settings';

/** Where a form shows an error or a "saved" note: a field, or one library / manual peer. */
export type FieldKey =
  | 'mode'
  | 'name'
  | 'newLibrary'
  | 'manualPeer'
  | 'pairing'
  | 'wideArea'
  | 'networkCheck'
  | 'trustedIssuers'
  | `library:${string}`
  | `share:${string}`
  | `invite:${string}`
  | `manualPeer:${string}`
  | `pairing:${string}`
  | `contact:${string}`;

export interface NodeFields {
  /** Null until the first state arrives. */
  self: SelfInfo | null;
  mode: DiscoveryMode;
  /** While Everyone is temporary: when it returns to Contacts only (ISO time). */
  everyoneUntil: string | null;
  /** Contacts only devices nearby that this one does not recognise (a count, never who). */
  privateDevices: number;
  discoveryNote: string | null;
  libraries: Library[];
  /** Invitations to libraries from contacts, waiting for an answer (issue 13). */
  libraryInvites: readonly LibraryInvite[];
  peers: readonly Peer[];
  manualPeers: ManualPeerState[];
  /** Pairing sessions in progress and recently ended (DESIGN §5), as the node reports them. */
  pairing: readonly PairingSessionState[];
  contacts: readonly Contact[];
  warnings: string[];
  /** Wide-area discovery: its settings and how registering goes; null when off. */
  wideArea: WideAreaState | null;
  /** The account issuers this device trusts (--trust-issuer's, then the settings'). */
  trustedIssuers: readonly TrustedIssuer[];
}

export interface UiFields {
  loaded: boolean;
  connection: ConnectionStatus;
  /** Whether the page is on screen (document.visibilityState): a hidden page does not look. */
  pageVisible: boolean;
  view: View;
  filter: string;
  sort: SortKey;
  selectedPeerId: string | null;
  /** Peer chosen in the pairing device picker. */
  pairingPeerId: string | null;
  /** The session this UI started from the picker (shown beside it), until closed. */
  outgoingPairingId: string | null;
  /** The incoming request shown in the dialog, until closed (it stays to show how it ended). */
  incomingPairingId: string | null;
  /** Incoming sessions the user closed: never shown again. */
  dismissedPairingIds: readonly string[];
  errors: Partial<Record<FieldKey, string>>;
  /** Short confirmations ("Saved") by field. */
  notes: Partial<Record<FieldKey, string>>;
  busy: Partial<Record<FieldKey, boolean>>;
  /** A control that should take the focus once shown (e.g. after "Add by address"). */
  focusRequest: 'manualPeer' | 'networkCheck' | null;
  /** Ticks so that "last seen" texts stay current. */
  nowMs: number;
  /** The last network check's report (issue 15), until the next one. */
  networkReport: NetworkReport | null;
}

export interface Actions {
  applyState(state: NodeState): void;
  setConnection(status: ConnectionStatus): void;
  setPageVisible(visible: boolean): void;
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
  /** Everyone for `minutes` (default 10), then Contacts only again by itself. */
  setTemporaryEveryone(minutes?: number): Promise<boolean>;
  setName(name: string): Promise<boolean>;
  createLibrary(name: string): Promise<boolean>;
  renameLibrary(uuid: string, name: string): Promise<boolean>;
  setLibraryActive(uuid: string, active: boolean): Promise<boolean>;
  deleteLibrary(uuid: string): Promise<boolean>;
  /** Invites a contact (by its Peer.id) to one of our libraries; the outcome shows at `share:<uuid>`. */
  shareLibrary(uuid: string, peerId: string): Promise<boolean>;
  acceptLibraryInvite(inviteId: string): Promise<boolean>;
  declineLibraryInvite(inviteId: string): Promise<boolean>;
  leaveLibrary(uuid: string): Promise<boolean>;
  addManualPeer(address: string): Promise<boolean>;
  removeManualPeer(address: string): Promise<boolean>;
  /** Asks the node to pair with the chosen device; its refusal shows at 'pairing'. */
  startPairing(): Promise<boolean>;
  confirmPairing(sessionId: string): Promise<boolean>;
  rejectPairing(sessionId: string): Promise<boolean>;
  /** Closes the panel or dialog of a session: an ended one; one in progress is rejected first (and stays open if that fails). */
  closePairing(sessionId: string): Promise<void>;
  removeContact(identity: string): Promise<boolean>;
  /** Wide-area discovery on (a domain, its server and key file) or off (null). */
  setWideArea(settings: WideAreaSettings | null): Promise<boolean>;
  /** The issuers kept in the settings (those of --trust-issuer stay whatever this says). */
  setTrustedIssuers(keys: string[]): Promise<boolean>;
  /** Runs the node's network check for `seconds`; its report replaces the last one. */
  runNetworkCheck(seconds: number): Promise<boolean>;
  /** Switches to Settings, brings the network check into view and runs it (from the empty list). */
  goToNetworkCheck(seconds: number): Promise<boolean>;
}

export type NearbyState = NodeFields & UiFields & Actions;
export type NearbyStore = StoreApi<NearbyState>;

const initialNode: NodeFields = {
  self: null,
  mode: 'everyone',
  everyoneUntil: null,
  privateDevices: 0,
  discoveryNote: null,
  libraries: [],
  libraryInvites: [],
  peers: [],
  manualPeers: [],
  pairing: [],
  contacts: [],
  warnings: [],
  wideArea: null,
  trustedIssuers: [],
};

/** Incoming requests in progress that the user has not closed: the dialog shows one of them at a time. */
function openIncoming(sessions: readonly PairingSessionState[], dismissed: readonly string[]): PairingSessionState[] {
  return sessions.filter((s) => s.direction === 'incoming' && !isFinalPairingStage(s.stage) && !dismissed.includes(s.id));
}

/** The incoming request the dialog should show: the current one while it is listed, else the oldest new one in progress. */
function nextIncoming(sessions: readonly PairingSessionState[], current: string | null, dismissed: readonly string[]): string | null {
  if (current !== null && sessions.some((s) => s.id === current)) return current;
  return openIncoming(sessions, dismissed)[0]?.id ?? null;
}

/** How many more incoming requests wait behind the one the dialog shows (they open one by one). */
export function incomingWaiting(s: Pick<NearbyState, 'pairing' | 'incomingPairingId' | 'dismissedPairingIds'>): number {
  return openIncoming(s.pairing, s.dismissedPairingIds).filter((p) => p.id !== s.incomingPairingId).length;
}

type SetState = StoreApi<NearbyState>['setState'];
type GetState = StoreApi<NearbyState>['getState'];

function withoutKey<T extends object>(record: T, key: FieldKey): T {
  const copy = { ...record } as Record<string, unknown>;
  delete copy[key];
  return copy as T;
}

/** "Invitation sent to …" stays under a library while its invitations wait: one answered (joined, declined) clears it. */
function withoutAnsweredInviteNotes(notes: Partial<Record<FieldKey, string>>, before: readonly Library[], after: readonly Library[]): Partial<Record<FieldKey, string>> {
  let out = notes;
  // Only the libraries that have such a note are looked up (usually none).
  for (const key of Object.keys(notes)) {
    if (!key.startsWith('share:')) continue;
    const uuid = key.slice('share:'.length);
    const [old, now] = [before.find((l) => l.uuid === uuid), after.find((l) => l.uuid === uuid)];
    if (old !== undefined && now !== undefined && now.invited.length < old.invited.length) out = withoutKey(out, key as FieldKey);
  }
  return out;
}

/** True when the session `id` has just reached 'done' (it had not in `before`). */
function justPaired(before: readonly PairingSessionState[], after: readonly PairingSessionState[], id: string | null): boolean {
  if (id === null) return false;
  return after.find((p) => p.id === id)?.stage === 'done' && before.find((p) => p.id === id)?.stage !== 'done';
}

/**
 * The node's list of sessions, and which of them the panel and the dialog show. Once the pairing
 * the picker started is done, the picker lets go of its device: it is a contact now, and Pair is
 * not offered again for it by a selection left behind.
 */
function pairingFields(s: NearbyState, pairing: readonly PairingSessionState[]): Pick<NearbyState, 'pairing' | 'outgoingPairingId' | 'incomingPairingId' | 'pairingPeerId'> {
  const list = reuseUnchanged(s.pairing, pairing, (p) => p.id);
  const outgoingPairingId = s.outgoingPairingId !== null && list.some((p) => p.id === s.outgoingPairingId) ? s.outgoingPairingId : null;
  return {
    pairing: list,
    outgoingPairingId,
    incomingPairingId: nextIncoming(list, s.incomingPairingId, s.dismissedPairingIds),
    pairingPeerId: justPaired(s.pairing, list, outgoingPairingId) ? null : s.pairingPeerId,
  };
}

function initialUi(nowMs: number): UiFields {
  return {
    loaded: false,
    connection: { state: 'connecting' },
    pageVisible: true,
    view: 'devices',
    filter: '',
    sort: 'name',
    selectedPeerId: null,
    pairingPeerId: null,
    outgoingPairingId: null,
    incomingPairingId: null,
    dismissedPairingIds: [],
    errors: {},
    notes: {},
    busy: {},
    focusRequest: null,
    nowMs,
    networkReport: null,
  };
}

/** What only the UI knows: views, filter, selection, feedback; and the state as it arrives. */
function uiActions(set: SetState): Omit<Actions, CommandActionName> {
  return {
    applyState: (state) =>
      set((s) => ({
        loaded: true,
        self: state.self,
        mode: state.mode,
        everyoneUntil: state.everyoneUntil ?? null,
        privateDevices: state.privateDevices ?? 0,
        discoveryNote: state.discoveryNote,
        libraries: reuseUnchanged(s.libraries, state.libraries, (l) => l.uuid) as Library[],
        notes: withoutAnsweredInviteNotes(s.notes, s.libraries, state.libraries),
        libraryInvites: reuseUnchanged(s.libraryInvites, state.libraryInvites ?? [], (i) => i.id),
        peers: reuseUnchanged(s.peers, state.peers, (p) => p.id),
        manualPeers: reuseUnchanged(s.manualPeers, state.manualPeers, (m) => m.address) as ManualPeerState[],
        ...pairingFields(s, state.pairing),
        contacts: reuseUnchanged(s.contacts, state.contacts, (c) => c.identity),
        warnings: state.warnings,
        wideArea: state.wideArea ?? null,
        trustedIssuers: reuseUnchanged(s.trustedIssuers, state.trustedIssuers ?? [], (i) => i.key),
      })),
    setConnection: (connection) => set({ connection }),
    setPageVisible: (pageVisible) => set({ pageVisible }),
    setView: (view) => set({ view }),
    setFilter: (filter) => set({ filter }),
    setSort: (sort) => set({ sort }),
    selectPeer: (selectedPeerId) => set({ selectedPeerId }),
    choosePairingPeer: (pairingPeerId) => set((s) => ({ pairingPeerId, errors: withoutKey(s.errors, 'pairing') })),
    tick: (nowMs) => set({ nowMs }),
    clearFocusRequest: () => set({ focusRequest: null }),
    clearFeedback: (key) => set((s) => ({ errors: withoutKey(s.errors, key), notes: withoutKey(s.notes, key) })),
    goToAddByAddress: () => set({ view: 'settings', focusRequest: 'manualPeer' }),
    pairWith: (id) => set((s) => ({ view: 'pair', pairingPeerId: id, errors: withoutKey(s.errors, 'pairing') })),
  };
}

type CommandActionName =
  | 'setMode'
  | 'setTemporaryEveryone'
  | 'setName'
  | 'createLibrary'
  | 'renameLibrary'
  | 'setLibraryActive'
  | 'deleteLibrary'
  | LibraryActionName
  | 'addManualPeer'
  | 'removeManualPeer'
  | 'startPairing'
  | 'confirmPairing'
  | 'rejectPairing'
  | 'closePairing'
  | 'removeContact'
  | 'setWideArea'
  | 'setTrustedIssuers'
  | 'runNetworkCheck'
  | 'goToNetworkCheck';

/** Runs a command for `key`: busy while it runs, its error shown at `key`, `note` on success. */
function runner(set: SetState) {
  return async <T>(key: FieldKey, task: () => Promise<T>, onDone: (result: T) => void, note?: string): Promise<boolean> => {
    set((s) => ({ busy: { ...s.busy, [key]: true }, errors: withoutKey(s.errors, key), notes: withoutKey(s.notes, key) }));
    try {
      const result = await task();
      onDone(result);
      set((s) => ({ busy: withoutKey(s.busy, key), ...(note ? { notes: { ...s.notes, [key]: note } } : {}) }));
      return true;
    } catch (err) {
      set((s) => ({ busy: withoutKey(s.busy, key), errors: { ...s.errors, [key]: userMessage(err) } }));
      return false;
    }
  };
}

/** Settings: mode, name, libraries, devices by address, contacts, the network check. */
function settingsActions(connection: Pick<NodeConnection, 'call'>, set: SetState, get: GetState): Pick<Actions, Exclude<CommandActionName, 'startPairing' | 'confirmPairing' | 'rejectPairing' | 'closePairing' | LibraryActionName>> {
  const run = runner(set);
  const applyState = (state: NodeState) => get().applyState(state);
  const upsertLibrary = (library: Library) =>
    set((s) => {
      const i = s.libraries.findIndex((l) => l.uuid === library.uuid);
      return { libraries: i < 0 ? [...s.libraries, library] : s.libraries.map((l) => (l.uuid === library.uuid ? library : l)) };
    });
  return {
    setMode: (mode) => run('mode', () => connection.call('setMode', { mode }), applyState),
    setTemporaryEveryone: (minutes) => run('mode', () => connection.call('setTemporaryEveryone', minutes === undefined ? {} : { minutes }), applyState),
    setName: (name) => run('name', () => connection.call('setName', { name }), applyState, 'Saved'),
    createLibrary: (name) => run('newLibrary', () => connection.call('createLibrary', { name }), upsertLibrary),
    renameLibrary: (uuid, name) => run(`library:${uuid}`, () => connection.call('renameLibrary', { uuid, name }), upsertLibrary),
    setLibraryActive: (uuid, active) => run(`library:${uuid}`, () => connection.call(active ? 'activateLibrary' : 'deactivateLibrary', { uuid }), upsertLibrary),
    deleteLibrary: (uuid) => run(`library:${uuid}`, () => connection.call('deleteLibrary', { uuid }), () => set((s) => ({ libraries: s.libraries.filter((l) => l.uuid !== uuid) }))),
    addManualPeer: async (address) => {
      // The node applies the same rules; checking here shows the reason at once and sends nothing invalid.
      const parsed = parseManualPeer(address);
      if (!parsed.ok) {
        set((s) => ({ errors: { ...s.errors, manualPeer: userMessage(parsed.reason) }, notes: withoutKey(s.notes, 'manualPeer') }));
        return false;
      }
      return run('manualPeer', () => connection.call('addManualPeer', { address: parsed.value.text }), applyState, `Added ${parsed.value.text}`);
    },
    removeManualPeer: (address) => run(`manualPeer:${address}`, () => connection.call('removeManualPeer', { address }), applyState),
    removeContact: (identity) => run(`contact:${identity}`, () => connection.call('removeContact', { identity }), applyState),
    setWideArea: (wideArea) => run('wideArea', () => connection.call('setWideArea', { wideArea }), applyState, wideArea === null ? 'Turned off' : 'Saved'),
    setTrustedIssuers: (issuers) => run('trustedIssuers', () => connection.call('setTrustedIssuers', { issuers }), applyState),
    runNetworkCheck: (seconds) => run('networkCheck', () => connection.call('networkCheck', { seconds }), (networkReport) => set({ networkReport })),
    goToNetworkCheck: (seconds) => {
      set({ view: 'settings', focusRequest: 'networkCheck' });
      return get().runNetworkCheck(seconds);
    },
  };
}

type LibraryActionName = 'shareLibrary' | 'acceptLibraryInvite' | 'declineLibraryInvite' | 'leaveLibrary';

/** Shared libraries (issue 13): inviting a contact, answering an invitation, leaving. */
function libraryActions(connection: Pick<NodeConnection, 'call'>, set: SetState, get: GetState): Pick<Actions, LibraryActionName> {
  const run = runner(set);
  const withoutLibrary = (uuid: string) => set((s) => ({ libraries: s.libraries.filter((l) => l.uuid !== uuid) }));
  const withoutInvite = (inviteId: string) => set((s) => ({ libraryInvites: s.libraryInvites.filter((i) => i.id !== inviteId) }));
  return {
    shareLibrary: async (uuid, peerId) => {
      const peer = get().peers.find((p) => p.id === peerId);
      const name = peer?.contact?.name ?? peer?.name ?? 'the contact';
      return run(`share:${uuid}`, () => connection.call('shareLibrary', { uuid, peerId }), ({ library }) => set((s) => ({ libraries: s.libraries.map((l) => (l.uuid === uuid ? library : l)) })), `Invitation sent to ${name}`);
    },
    acceptLibraryInvite: (inviteId) =>
      run(`invite:${inviteId}`, () => connection.call('acceptLibraryInvite', { inviteId }), (library) => {
        withoutInvite(inviteId);
        set((s) => ({ libraries: s.libraries.some((l) => l.uuid === library.uuid) ? s.libraries : [...s.libraries, library] }));
      }),
    declineLibraryInvite: (inviteId) => run(`invite:${inviteId}`, () => connection.call('declineLibraryInvite', { inviteId }), (state) => get().applyState(state)),
    leaveLibrary: (uuid) => run(`library:${uuid}`, () => connection.call('leaveLibrary', { uuid }), () => withoutLibrary(uuid)),
  };
}

/** Pairing (DESIGN §5): the picker's request, confirming or rejecting a code, closing a session. */
function pairingActions(connection: Pick<NodeConnection, 'call'>, set: SetState, get: GetState): Pick<Actions, 'startPairing' | 'confirmPairing' | 'rejectPairing' | 'closePairing'> {
  const run = runner(set);
  /** A session as a command returned it, before the next state says the same. */
  const upsertSession = (session: PairingSessionState) =>
    set((s) => {
      const i = s.pairing.findIndex((p) => p.id === session.id);
      return pairingFields(s, i < 0 ? [...s.pairing, session] : s.pairing.map((p) => (p.id === session.id ? session : p)));
    });
  return {
    startPairing: async () => {
      const peerId = get().pairingPeerId;
      if (peerId === null) return false;
      return run('pairing', () => connection.call('startPairing', { peerId }), (session) => {
        upsertSession(session);
        set({ outgoingPairingId: session.id });
      });
    },
    confirmPairing: (sessionId) => run(`pairing:${sessionId}`, () => connection.call('confirmPairing', { sessionId }), upsertSession),
    rejectPairing: (sessionId) => run(`pairing:${sessionId}`, () => connection.call('rejectPairing', { sessionId }), upsertSession),
    closePairing: async (sessionId) => {
      const session = get().pairing.find((p) => p.id === sessionId);
      // The user's own Reject or Cancel closes at once: there is nothing more to read. Should the
      // node not take it, the session stays open with the error beside its buttons.
      if (session !== undefined && !isFinalPairingStage(session.stage) && !(await get().rejectPairing(sessionId))) return;
      set((s) => {
        const dismissedPairingIds = [...s.dismissedPairingIds.filter((id) => s.pairing.some((p) => p.id === id)), sessionId];
        return {
          dismissedPairingIds,
          outgoingPairingId: s.outgoingPairingId === sessionId ? null : s.outgoingPairingId,
          incomingPairingId: nextIncoming(s.pairing, s.incomingPairingId === sessionId ? null : s.incomingPairingId, dismissedPairingIds),
          errors: withoutKey(s.errors, `pairing:${sessionId}`),
        };
      });
    },
  };
}

export function createNearbyStore(connection: Pick<NodeConnection, 'call'>, nowMs = Date.now()): NearbyStore {
  return createStore<NearbyState>()((set, get) => ({
    ...initialNode,
    ...initialUi(nowMs),
    ...uiActions(set),
    ...settingsActions(connection, set, get),
    ...libraryActions(connection, set, get),
    ...pairingActions(connection, set, get),
  }));
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
