// The pairing this device asked for, beside the picker (DESIGN §5): both screens show the same
// 6-digit code; each user confirms or rejects.

import { useId } from 'react';
import type { PairingSessionState } from '../../../src-shared/pairing.js';
import { PairingPeer, PairingSteps, pairingTitle } from './PairingSteps.js';

export function PairingPanel({ session }: { session: PairingSessionState }) {
  const titleId = useId();
  const stepId = useId();
  return (
    <section className="card pairing-panel" aria-labelledby={titleId} data-session={session.id}>
      <h2 id={titleId} className="card-title">
        {pairingTitle(session)}
      </h2>
      <PairingPeer session={session} />
      <PairingSteps session={session} stepId={stepId} />
    </section>
  );
}
