// Another device asks to pair (DESIGN §5): a modal dialog, whatever view is open. It shows the
// code once both devices know it, with Confirm and Reject, and stays to show how it ended until
// closed. Escape rejects a request in progress, or closes an ended one.

import { useEffect, useId } from 'react';
import { isFinalPairingStage } from '../../../src-shared/pairing.js';
import { useNearby } from '../../store/StoreContext.js';
import { PairingSteps } from './PairingSteps.js';
import { useModalDialog } from '../common/useModalDialog.js';

export function IncomingPairingDialog() {
  const session = useNearby((s) => (s.incomingPairingId === null ? null : (s.pairing.find((p) => p.id === s.incomingPairingId) ?? null)));
  const closePairing = useNearby((s) => s.closePairing);
  const ref = useModalDialog(session !== null);
  const titleId = useId();
  const stepId = useId();
  const stage = session?.stage;

  // A new step replaces the buttons: the focus goes to the first one, never to the page behind.
  useEffect(() => {
    const dialog = ref.current;
    if (dialog === null || !dialog.open) return;
    if (!dialog.contains(document.activeElement) || document.activeElement === dialog) {
      dialog.querySelector<HTMLButtonElement>('.pairing-actions button:not([disabled])')?.focus();
    }
  }, [stage]);

  return (
    <dialog
      ref={ref}
      className="dialog pairing-dialog"
      aria-labelledby={titleId}
      aria-describedby={session ? stepId : undefined}
      data-session={session?.id}
      onCancel={(e) => {
        e.preventDefault();
        if (session) void closePairing(session.id);
      }}
    >
      {session ? (
        <>
          <h2 id={titleId}>{isFinalPairingStage(session.stage) ? `Pairing with ${session.peerName}` : `${session.peerName} wants to pair`}</h2>
          <div className="dialog-body">
            {!isFinalPairingStage(session.stage) ? (
              <p>Pair only if you know this device. Paired devices become contacts: they can find each other in Contacts only mode.</p>
            ) : null}
            <PairingSteps session={session} stepId={stepId} />
          </div>
        </>
      ) : null}
    </dialog>
  );
}
