// What one pairing session shows, wherever it is shown (the panel beside the picker, the incoming
// request dialog): the step it is at, the 6-digit code once both devices know it, and the buttons
// that step allows. The node decides everything; this only draws its state.

import type { PairingSessionState } from '../../../src-shared/pairing.js';
import { isFinalPairingStage } from '../../../src-shared/pairing.js';
import { useField, useNearby } from '../../store/StoreContext.js';
import { ActionError } from '../common/FieldFeedback.js';

function stepText(s: PairingSessionState): string {
  switch (s.stage) {
    case 'waiting-for-peer':
      return s.direction === 'outgoing' ? `Waiting for ${s.peerName} to answer…` : `Getting the code from ${s.peerName}…`;
    case 'confirm-code':
      return s.peerConfirmed ? `${s.peerName} confirmed. Confirm if both screens show this code:` : `Check that ${s.peerName} shows this code:`;
    case 'waiting-for-peer-confirmation':
      return `You confirmed. Waiting for ${s.peerName} to confirm…`;
    case 'done':
      return `Paired: ${s.peerName} is now a contact.`;
    default:
      return s.reason ?? 'The pairing ended.';
  }
}

export function PairingCode({ code }: { code: string }) {
  return (
    <p className="pairing-code" role="img" aria-label={`Code ${code.split('').join(' ')}`}>
      {code}
    </p>
  );
}

interface Props {
  session: PairingSessionState;
  /** Id of the element that describes the step (a dialog points aria-describedby at it). */
  stepId: string;
}

export function PairingSteps({ session, stepId }: Props) {
  const confirmPairing = useNearby((s) => s.confirmPairing);
  const rejectPairing = useNearby((s) => s.rejectPairing);
  const closePairing = useNearby((s) => s.closePairing);
  const key = `pairing:${session.id}` as const;
  const { error, busy } = useField(key);
  const ended = isFinalPairingStage(session.stage);
  const showCode = session.code !== null && (session.stage === 'confirm-code' || session.stage === 'waiting-for-peer-confirmation');

  return (
    <div className="pairing-steps" data-stage={session.stage}>
      <p id={stepId} role="status" className={ended && session.stage !== 'done' ? 'strong' : undefined}>
        {stepText(session)}
      </p>
      {showCode ? <PairingCode code={session.code as string} /> : null}
      <ActionError error={error} />
      <div className="row pairing-actions">
        {session.stage === 'confirm-code' ? (
          <button type="button" className="button button-primary" disabled={busy} onClick={() => void confirmPairing(session.id)}>
            Confirm: the codes match
          </button>
        ) : null}
        {!ended ? (
          <button type="button" className="button" disabled={busy} onClick={() => void rejectPairing(session.id)}>
            {session.stage === 'confirm-code' ? 'Reject' : 'Cancel'}
          </button>
        ) : (
          <button type="button" className="button" data-close onClick={() => void closePairing(session.id)}>
            Close
          </button>
        )}
      </div>
    </div>
  );
}
