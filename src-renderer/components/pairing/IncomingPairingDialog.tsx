// Another device asks to pair (DESIGN §5): a modal dialog, whatever view is open. It shows the
// code once both devices know it, with Confirm and Reject. Reject (or Escape) rejects and closes it
// in one step; an ending the user did not choose (paired, the other device gave up, time ran out)
// stays on screen until closed, and Escape closes it too. One request at a time: the
// dialog says how many more wait, and the next opens once this one is answered or closed.

import { useEffect, useId } from 'react';
import { isFinalPairingStage } from '../../../src-shared/pairing.js';
import { incomingWaiting } from '../../store/nearbyStore.js';
import { useNearby } from '../../store/StoreContext.js';
import { PairingPeer, PairingSteps, pairingTitle } from './PairingSteps.js';
import { useModalDialog } from '../common/useModalDialog.js';

export function IncomingPairingDialog() {
  const session = useNearby((s) => (s.incomingPairingId === null ? null : (s.pairing.find((p) => p.id === s.incomingPairingId) ?? null)));
  const closePairing = useNearby((s) => s.closePairing);
  const waiting = useNearby(incomingWaiting);
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
          <h2 id={titleId}>{pairingTitle(session)}</h2>
          <div className="dialog-body">
            <PairingPeer session={session} />
            {isFinalPairingStage(session.stage) ? null : session.contact !== undefined ? (
              <p>{session.contact.name} is your contact already: pairing again only renews it.</p>
            ) : (
              <p>Pair only if you know this device. Paired devices become contacts: they can find each other in Contacts only mode.</p>
            )}
            <PairingSteps session={session} stepId={stepId} />
            {waiting > 0 ? (
              <p className="pairing-queue muted">
                {waiting === 1 ? '1 more request is waiting' : `${waiting} more requests are waiting`}: the next one shows once you answer or close this
                one.
              </p>
            ) : null}
          </div>
        </>
      ) : null}
    </dialog>
  );
}
