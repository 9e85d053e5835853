import type { LibraryInvite } from '../../../src-shared/peer.js';
import { formatLastSeen } from '../../model/peerView.js';
import { useField, useNearby } from '../../store/StoreContext.js';
import { ActionError } from '../common/FieldFeedback.js';

/** Invitations from contacts, each joined or declined in one step; nothing when none waits. */
export function InvitationList() {
  const invites = useNearby((s) => s.libraryInvites);
  if (invites.length === 0) return null;
  return (
    <section className="card invitations" aria-labelledby="invitations-title">
      <h2 id="invitations-title" className="card-title">
        {invites.length === 1 ? 'An invitation' : `${invites.length} invitations`}
      </h2>
      <ul className="invitation-list">
        {invites.map((invite) => (
          <Invitation key={invite.id} invite={invite} />
        ))}
      </ul>
    </section>
  );
}

function Invitation({ invite }: { invite: LibraryInvite }) {
  const { error, busy } = useField(`invite:${invite.id}`);
  const accept = useNearby((s) => s.acceptLibraryInvite);
  const decline = useNearby((s) => s.declineLibraryInvite);
  const nowMs = useNearby((s) => s.nowMs);
  return (
    <li className="invitation" data-invite={invite.id}>
      <p className="invitation-text">
        <span className="strong">{invite.from.name}</span> invites this device to the library <span className="strong">“{invite.name}”</span>
        <span className="muted"> · {formatLastSeen(invite.received, nowMs)}</span>
      </p>
      <span className="invitation-actions">
        <button type="button" className="button button-primary" disabled={busy} onClick={() => void accept(invite.id)}>
          Join<span className="visually-hidden"> {invite.name}</span>
        </button>
        <button type="button" className="button" disabled={busy} onClick={() => void decline(invite.id)}>
          Decline<span className="visually-hidden"> {invite.name}</span>
        </button>
      </span>
      <ActionError error={error} className="full" />
    </li>
  );
}
