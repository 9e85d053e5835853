// What one pairing session shows, wherever it is shown (the panel beside the picker, the incoming
// request dialog): the step it is at, the 6-digit code once both devices know it, and the buttons
// that step allows. The node decides everything; this only draws its state.

import { identityFingerprint } from '../../../src-shared/identity.js';
import type { PairingSessionState } from '../../../src-shared/pairing.js';
import { contactStandingText, isFinalPairingStage } from '../../../src-shared/pairing.js';
import { useField, useNearby } from '../../store/StoreContext.js';
import { ContactBadge, Fingerprint } from '../common/ContactStanding.js';
import { ActionError } from '../common/FieldFeedback.js';
import { AccountLine, MyDeviceBadge } from '../common/AccountMark.js';

/** The name the other device goes by here: a contact's stored name, else the name it gives (quoted when it copies a contact's). */
export function pairingPeerName(s: PairingSessionState): string {
  if (s.contact !== undefined) return s.contact.name;
  return s.lookalikeOf !== undefined ? `“${s.peerName}”` : s.peerName;
}

/** A dialog's or panel's title: who asks, or with whom this device pairs. */
export function pairingTitle(s: PairingSessionState): string {
  if (s.direction === 'outgoing' || isFinalPairingStage(s.stage)) return `Pairing with ${pairingPeerName(s)}`;
  if (s.lookalikeOf !== undefined) return `A device calling itself ${pairingPeerName(s)} wants to pair`;
  return `${pairingPeerName(s)} wants to pair`;
}

/**
 * Who the other device is: a contact (badge, fingerprint), a device using a contact's name (a
 * warning with both fingerprints), or any other device (its fingerprint, which its own Settings show).
 */
export function PairingPeer({ session }: { session: PairingSessionState }) {
  // The account its link proved (issue 14), above who it is to the contacts.
  if (!session.account) return <PairingPeerStanding session={session} />;
  return (
    <>
      <p className="pairing-account">
        <AccountLine standing={session} /> <MyDeviceBadge standing={session} />
      </p>
      <PairingPeerStanding session={session} />
    </>
  );
}

function PairingPeerStanding({ session }: { session: PairingSessionState }) {
  const own = identityFingerprint(session.peerIdentity);
  if (session.lookalikeOf !== undefined) {
    return (
      <p className="device-warning lookalike-warning pairing-peer" role="note">
        {contactStandingText(session)}. Your contact’s fingerprint is <Fingerprint value={session.lookalikeOf.fingerprint} />
        {own !== null ? (
          <>
            , this device’s is <Fingerprint value={own} />
          </>
        ) : null}
        .
      </p>
    );
  }
  if (session.contact !== undefined) {
    return (
      <p className="pairing-peer">
        <ContactBadge standing={session} /> Fingerprint <Fingerprint value={session.contact.fingerprint} />
      </p>
    );
  }
  return own !== null ? (
    <p className="pairing-peer muted">
      Its fingerprint: <Fingerprint value={own} />
    </p>
  ) : null;
}

function stepText(s: PairingSessionState): string {
  switch (s.stage) {
    case 'waiting-for-peer':
      return s.direction === 'outgoing' ? `Waiting for ${pairingPeerName(s)} to answer…` : `Getting the code from ${pairingPeerName(s)}…`;
    case 'confirm-code':
      return s.peerConfirmed ? `${pairingPeerName(s)} confirmed. Confirm if both screens show this code:` : `Check that ${pairingPeerName(s)} shows this code:`;
    case 'waiting-for-peer-confirmation':
      return `You confirmed. Waiting for ${pairingPeerName(s)} to confirm…`;
    case 'done':
      return `Paired: ${pairingPeerName(s)} is now a contact.`;
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
  const closePairing = useNearby((s) => s.closePairing);
  const key = `pairing:${session.id}` as const;
  const { error, busy } = useField(key);
  const ended = isFinalPairingStage(session.stage);
  const showCode = session.code !== null && (session.stage === 'confirm-code' || session.stage === 'waiting-for-peer-confirmation');
  const lookalike = session.lookalikeOf !== undefined;
  const reject = (
    // Rejecting (or cancelling) closes the panel or dialog too: the user chose the ending, so there is nothing left to read.
    <button type="button" className={lookalike ? 'button button-primary' : 'button'} disabled={busy} onClick={() => void closePairing(session.id)}>
      {session.stage === 'confirm-code' ? 'Reject' : 'Cancel'}
    </button>
  );

  return (
    <div className="pairing-steps" data-stage={session.stage}>
      <p id={stepId} role="status" className={ended && session.stage !== 'done' ? 'strong' : undefined}>
        {stepText(session)}
      </p>
      {showCode ? <PairingCode code={session.code as string} /> : null}
      <ActionError error={error} />
      <div className="row pairing-actions">
        {/* A device using a contact's name: Reject comes first and takes the focus; pairing is the deliberate choice. */}
        {lookalike && !ended ? reject : null}
        {session.stage === 'confirm-code' ? (
          <button type="button" className={lookalike ? 'button' : 'button button-primary'} disabled={busy} onClick={() => void confirmPairing(session.id)}>
            {lookalike ? 'Pair anyway: the codes match' : 'Confirm: the codes match'}
          </button>
        ) : null}
        {!lookalike && !ended ? reject : null}
        {ended ? (
          <button type="button" className="button" data-close onClick={() => void closePairing(session.id)}>
            Close
          </button>
        ) : null}
      </div>
    </div>
  );
}
