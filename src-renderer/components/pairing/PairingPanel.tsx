// The pairing exchange with one device (DESIGN §5). Until the node has the P2P link it can only
// say so; the 'comparing' step (both screens show the same 6-digit code) is drawn already.

import type { Peer } from '../../../src-shared/peer.js';
import type { PairingState } from '../../store/nearbyStore.js';

interface Props {
  peer: Peer;
  pairing: Exclude<PairingState, { status: 'idle' }>;
  onCancel: () => void;
}

export function PairingPanel({ peer, pairing, onCancel }: Props) {
  return (
    <section className="card pairing-panel" aria-labelledby="pairing-title">
      <h2 id="pairing-title" className="card-title">
        Pairing with {peer.name}
      </h2>
      {pairing.status === 'unavailable' ? (
        <div role="status" className="notice">
          <p className="strong">{pairing.message}.</p>
          <p>
            Once this device and {peer.name} can connect to each other, both screens will show the same 6-digit code; you confirm it
            on both, and each device adds the other to its contacts.
          </p>
        </div>
      ) : (
        <div role="status">
          <p>Check that {peer.name} shows this code:</p>
          <p className="pairing-code" aria-label={`Code ${pairing.code.split('').join(' ')}`}>
            {pairing.code}
          </p>
        </div>
      )}
      <div className="row">
        <button type="button" className="button" onClick={onCancel}>
          Close
        </button>
      </div>
    </section>
  );
}
