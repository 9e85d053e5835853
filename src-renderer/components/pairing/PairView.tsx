// The device picker for pairing: choose a device, then Pair.

import { useNearby } from '../../store/StoreContext.js';
import { useVisiblePeers } from '../../store/StoreContext.js';
import { DeviceModelIcon, OsIcon } from '../common/Icons.js';
import { PairingPanel } from './PairingPanel.js';

export function PairView() {
  const peers = useVisiblePeers();
  const chosenId = useNearby((s) => s.pairingPeerId);
  const pairing = useNearby((s) => s.pairing);
  const mode = useNearby((s) => s.mode);
  const choose = useNearby((s) => s.choosePairingPeer);
  const startPairing = useNearby((s) => s.startPairing);
  const cancelPairing = useNearby((s) => s.cancelPairing);
  const chosen = peers.find((p) => p.id === chosenId) ?? null;

  return (
    <div className="pair">
      <section className="card" aria-labelledby="pair-title">
        <h2 id="pair-title" className="card-title">
          Pair with a device
        </h2>
        <p className="help">Paired devices become contacts: they can find each other in Contacts only mode.</p>
        {peers.length === 0 ? (
          <p className="muted">{mode === 'disabled' ? 'Discovery is off, so there are no devices to choose from.' : 'No devices nearby yet.'}</p>
        ) : (
          <fieldset className="picker">
            <legend className="label">Device</legend>
            {peers.map((p) => (
              <label key={p.id} className="picker-option">
                <input type="radio" name="pair-device" value={p.id} checked={p.id === chosenId} onChange={() => choose(p.id)} />
                <DeviceModelIcon model={p.deviceModel} />
                <OsIcon os={p.operatingSystem} />
                <span className="grow">{p.name}</span>
              </label>
            ))}
          </fieldset>
        )}
        <div className="row">
          <button type="button" className="button button-primary" disabled={chosen === null} onClick={startPairing}>
            Pair
          </button>
          {chosen === null && peers.length > 0 ? <span className="muted">Choose a device first.</span> : null}
        </div>
      </section>
      {chosen !== null && pairing.status !== 'idle' && pairing.peerId === chosen.id ? <PairingPanel peer={chosen} pairing={pairing} onCancel={cancelPairing} /> : null}
    </div>
  );
}
