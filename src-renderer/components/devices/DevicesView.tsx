import { useNearby, useSelectedPeer, useVisiblePeers } from '../../store/StoreContext.js';
import { DeviceDetails } from './DeviceDetails.js';
import { DeviceList } from './DeviceList.js';
import { DeviceToolbar } from './DeviceToolbar.js';
import { DiscoveryOff, NoDevicesYet, NoMatch } from './EmptyStates.js';

export function DevicesView() {
  const mode = useNearby((s) => s.mode);
  const loaded = useNearby((s) => s.loaded);
  const total = useNearby((s) => s.peers.length);
  const filter = useNearby((s) => s.filter);
  const note = useNearby((s) => s.discoveryNote);
  const privateDevices = useNearby((s) => s.privateDevices);
  const peers = useVisiblePeers();
  const selected = useSelectedPeer();
  // A page without the node's token waits for the token, not for the node (the banner says how).
  const needsToken = useNearby((s) => s.connection.state === 'closed' && (s.connection.cause === 'token-missing' || s.connection.cause === 'token-refused'));

  if (!loaded) return <p className="muted waiting">{needsToken ? 'The devices nearby show here once this page has the node’s token.' : 'Waiting for the node…'}</p>;
  if (mode === 'disabled') return <DiscoveryOff />;
  return (
    <div className="devices">
      {note !== null ? (
        <p className="notice" role="status">
          {note}
        </p>
      ) : null}
      {privateDevices > 0 ? (
        <p className="muted private-devices" role="status">
          {privateDevices === 1 ? '1 private device nearby' : `${privateDevices} private devices nearby`}: in Contacts only mode, visible
          only to their contacts.
        </p>
      ) : null}
      {total === 0 ? (
        <NoDevicesYet />
      ) : (
        <div className="devices-split">
          <div className="devices-list-pane">
            <DeviceToolbar />
            {peers.length === 0 ? <NoMatch filter={filter} /> : <DeviceList peers={peers} />}
          </div>
          <div className="devices-details-pane">
            {selected !== null ? <DeviceDetails peer={selected} /> : <p className="muted details-hint">Select a device to see its details.</p>}
          </div>
        </div>
      )}
    </div>
  );
}
