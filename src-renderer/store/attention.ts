// What this screen tells the node of its attention (issue 9, liveness by attention): whether the
// page is on screen, the device whose details are open, and the devices whose rows are shown.
// While someone looks, the node keeps its list exact (and what is on screen goes first); a
// hidden window or a background tab says so, and the node goes quiet.

import { ATTENTION_VISIBLE_PEERS_MAX, type CommandPayloads } from '../../src-shared/contract.js';
import type { Peer } from '../../src-shared/peer.js';
import { visiblePeers } from '../model/peerView.js';
import type { NodeConnection } from '../transport/connectionTypes.js';
import type { NearbyState, NearbyStore } from './nearbyStore.js';

/** Rows come and go as the list updates and filters: a change of rows alone is told at most this often. */
export const VISIBLE_ROWS_DEBOUNCE_MS = 250;

export type ScreenAttention = Required<CommandPayloads['setAttention']> & { visiblePeerIds: string[] };

function sameAttention(a: ScreenAttention, b: ScreenAttention): boolean {
  return a.looking === b.looking && a.openPeerId === b.openPeerId && a.visiblePeerIds.length === b.visiblePeerIds.length && a.visiblePeerIds.every((id, i) => id === b.visiblePeerIds[i]);
}

/** The ids of the rows the device list renders (the same filter and order), remembered while its inputs stay. */
function rowIdsOf(): (s: NearbyState) => string[] {
  let inputs: [readonly Peer[], string, string] | null = null;
  let ids: string[] = [];
  return (s) => {
    if (inputs === null || inputs[0] !== s.peers || inputs[1] !== s.filter || inputs[2] !== s.sort) {
      inputs = [s.peers, s.filter, s.sort];
      ids = visiblePeers(s.peers, s.filter, s.sort)
        .slice(0, ATTENTION_VISIBLE_PEERS_MAX)
        .map((p) => p.id);
    }
    return ids;
  };
}

/** Sends setAttention whenever what this screen shows changes, and again on every (re)connection. */
export function bindAttention(store: NearbyStore, connection: Pick<NodeConnection, 'call' | 'onStatus'>): () => void {
  const rowIds = rowIdsOf();
  /** What the node last heard on this connection; null: nothing yet. */
  let told: ScreenAttention | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  const current = (): ScreenAttention => {
    const s = store.getState();
    const onDevices = s.view === 'devices';
    return { looking: s.pageVisible, openPeerId: onDevices ? s.selectedPeerId : null, visiblePeerIds: onDevices ? rowIds(s) : [] };
  };
  const tell = () => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
    told = current();
    // A node that does not know the command (or a dropped connection) costs nothing but this call.
    connection.call('setAttention', told).catch(() => {});
  };
  const update = () => {
    const next = current();
    if (told !== null && sameAttention(told, next)) return;
    // A hidden page's rows do not matter until it shows again (then it tells them at once).
    if (told !== null && !told.looking && !next.looking) return;
    const urgent = told === null || told.looking !== next.looking || told.openPeerId !== next.openPeerId;
    if (urgent) tell();
    else timer ??= setTimeout(tell, VISIBLE_ROWS_DEBOUNCE_MS);
  };
  const offStore = store.subscribe(update);
  const offStatus = connection.onStatus((status) => {
    // A new connection is a new session on the node: it has heard nothing yet.
    told = null;
    if (status.state === 'open') update();
  });
  return () => {
    offStore();
    offStatus();
    if (timer !== null) clearTimeout(timer);
  };
}
