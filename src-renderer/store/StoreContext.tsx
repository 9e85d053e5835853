// The store reaches components through a context (tests and the app create their own), and the
// hooks here are how components read it: a selector each, so a component re-renders only when
// what it reads changes.

import { createContext, useContext, useMemo, type ReactNode } from 'react';
import { useStore } from 'zustand';
import type { Peer } from '../../src-shared/peer.js';
import { visiblePeers } from '../model/peerView.js';
import type { FieldKey, NearbyState, NearbyStore } from './nearbyStore.js';

const StoreContext = createContext<NearbyStore | null>(null);

export function StoreProvider({ store, children }: { store: NearbyStore; children: ReactNode }) {
  return <StoreContext.Provider value={store}>{children}</StoreContext.Provider>;
}

export function useNearby<T>(selector: (state: NearbyState) => T): T {
  const store = useContext(StoreContext);
  if (store === null) throw new Error('useNearby outside StoreProvider');
  return useStore(store, selector);
}

/** The peers the list shows: filtered and sorted, recomputed only when one of those changes. */
export function useVisiblePeers(): Peer[] {
  const peers = useNearby((s) => s.peers);
  const filter = useNearby((s) => s.filter);
  const sort = useNearby((s) => s.sort);
  return useMemo(() => visiblePeers(peers, filter, sort), [peers, filter, sort]);
}

/** The selected peer of the list, or null (also when it left). */
export function useSelectedPeer(): Peer | null {
  const id = useNearby((s) => s.selectedPeerId);
  return useNearby((s) => (id === null ? null : (s.peers.find((p) => p.id === id) ?? null)));
}

/** What a command of one field (a form, a list entry) left there: its error, its note, whether it runs. */
export function useField(key: FieldKey): { error: string | undefined; note: string | undefined; busy: boolean } {
  const error = useNearby((s) => s.errors[key]);
  const note = useNearby((s) => s.notes[key]);
  const busy = useNearby((s) => s.busy[key] === true);
  return { error, note, busy };
}
