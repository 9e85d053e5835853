// The devices as a listbox: one tab stop; arrows, Home and End move the selection, which the
// details pane shows. The options are not focused themselves (aria-activedescendant).

import { useCallback, useEffect, type KeyboardEvent } from 'react';
import type { Peer } from '../../../src-shared/peer.js';
import { useNearby } from '../../store/StoreContext.js';
import { DeviceRow, optionId } from './DeviceRow.js';

/** The width below which styles.css puts the details under the list (.devices-split). */
const ONE_COLUMN_QUERY = '(max-width: 820px)';

export function DeviceList({ peers }: { peers: Peer[] }) {
  const selectedId = useNearby((s) => s.selectedPeerId);
  const ownLibraries = useNearby((s) => s.libraries);
  const nowMs = useNearby((s) => s.nowMs);
  const selectPeer = useNearby((s) => s.selectPeer);
  const onSelect = useCallback(
    (id: string) => {
      selectPeer(id);
      // In one column the details stand below the list: a click shows them (arrow keys stay in the list).
      if (window.matchMedia(ONE_COLUMN_QUERY).matches) requestAnimationFrame(() => document.querySelector('.details')?.scrollIntoView({ block: 'nearest' }));
    },
    [selectPeer],
  );
  const selectedVisible = selectedId !== null && peers.some((p) => p.id === selectedId);

  useEffect(() => {
    if (!selectedVisible || selectedId === null) return;
    document.getElementById(optionId(selectedId))?.scrollIntoView({ block: 'nearest' });
  }, [selectedId, selectedVisible]);

  const onKeyDown = (e: KeyboardEvent<HTMLUListElement>) => {
    if (peers.length === 0) return;
    const index = selectedVisible ? peers.findIndex((p) => p.id === selectedId) : -1;
    let next: number | null = null;
    if (e.key === 'ArrowDown') next = Math.min(peers.length - 1, index + 1);
    else if (e.key === 'ArrowUp') next = index < 0 ? 0 : Math.max(0, index - 1);
    else if (e.key === 'Home') next = 0;
    else if (e.key === 'End') next = peers.length - 1;
    else if (e.key === 'Escape') {
      selectPeer(null);
      e.preventDefault();
      return;
    }
    if (next === null) return;
    e.preventDefault();
    const peer = peers[next];
    if (peer !== undefined) selectPeer(peer.id);
  };

  return (
    <ul
      id="device-list"
      className="device-list"
      role="listbox"
      aria-label={`Nearby devices (${peers.length})`}
      tabIndex={0}
      aria-activedescendant={selectedVisible && selectedId !== null ? optionId(selectedId) : undefined}
      onKeyDown={onKeyDown}
    >
      {peers.map((peer) => (
        <DeviceRow key={peer.id} peer={peer} ownLibraries={ownLibraries} nowMs={nowMs} selected={peer.id === selectedId} onSelect={onSelect} />
      ))}
    </ul>
  );
}
