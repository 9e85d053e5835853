// The device picker for pairing: choose a device, then Pair. The session this device started
// shows beside it; requests from other devices come as a dialog (IncomingPairingDialog).

import { useField, useNearby, useVisiblePeers } from '../../store/StoreContext.js';
import { displayName, fingerprintOf } from '../../model/peerView.js';
import { ContactBadge, Fingerprint, LookalikeWarning } from '../common/ContactStanding.js';
import { FieldFeedback } from '../common/FieldFeedback.js';
import { DeviceModelIcon, OsIcon } from '../common/Icons.js';
import { PairingPanel } from './PairingPanel.js';

/** Where two devices could be taken for one another (a contact, a lookalike), each shows its fingerprint. */
function PickerFingerprint({ identity }: { identity: string | null }) {
  const fingerprint = fingerprintOf(identity);
  return fingerprint === null ? null : (
    <span className="muted picker-fingerprint">
      {' '}
      <Fingerprint value={fingerprint} />
    </span>
  );
}

export function PairView() {
  const peers = useVisiblePeers();
  const chosenId = useNearby((s) => s.pairingPeerId);
  const mode = useNearby((s) => s.mode);
  const choose = useNearby((s) => s.choosePairingPeer);
  const startPairing = useNearby((s) => s.startPairing);
  const { error, busy } = useField('pairing');
  const session = useNearby((s) => (s.outgoingPairingId === null ? null : (s.pairing.find((p) => p.id === s.outgoingPairingId) ?? null)));
  const chosen = peers.find((p) => p.id === chosenId) ?? null;

  return (
    <div className="pair">
      <section className="card" aria-labelledby="pair-title">
        <h2 id="pair-title" className="card-title">
          Pair with a device
        </h2>
        <p className="help">
          Both screens show the same 6-digit code; confirm it on both, and each device adds the other to its contacts. Contacts can find
          each other in Contacts only mode.
        </p>
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
                <span className="grow picker-name">
                  {displayName(p)} <ContactBadge standing={p} />
                  {p.contact !== undefined || p.lookalikeOf !== undefined ? <PickerFingerprint identity={p.identity} /> : null}
                  <LookalikeWarning standing={p} />
                </span>
              </label>
            ))}
          </fieldset>
        )}
        <div className="row">
          <button
            type="button"
            className="button button-primary"
            disabled={chosen === null || busy}
            aria-describedby="pair-feedback"
            onClick={() => void startPairing()}
          >
            Pair
          </button>
          {chosen === null && peers.length > 0 ? <span className="muted">Choose a device first.</span> : null}
        </div>
        <FieldFeedback id="pair-feedback" error={error} />
      </section>
      {session !== null ? <PairingPanel session={session} /> : null}
    </div>
  );
}
