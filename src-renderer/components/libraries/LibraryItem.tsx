import { useState, type FormEvent } from 'react';
import type { Library, Peer } from '../../../src-shared/peer.js';
import { membersNearby } from '../../model/peerView.js';
import { useField, useNearby } from '../../store/StoreContext.js';
import { FieldFeedback } from '../common/FieldFeedback.js';

/** One of our libraries: its name and switches, then who is in it and who can be invited. */
export function LibraryItem({ library, onDelete }: { library: Library; onDelete: (library: Library) => void }) {
  const key = `library:${library.uuid}` as const;
  const setLibraryActive = useNearby((s) => s.setLibraryActive);
  const { error, busy } = useField(key);
  const [renaming, setRenaming] = useState(false);
  const feedbackId = `library-feedback-${library.uuid}`;
  const shared = library.members.length > 0;

  return (
    <li className="library" data-library={library.name}>
      {renaming ? (
        <RenameForm library={library} feedbackId={feedbackId} onDone={() => setRenaming(false)} />
      ) : (
        <>
          <span className="library-name grow">{library.name}</span>
          <span className="library-actions">
            <label className="switch">
              <input
                type="checkbox"
                role="switch"
                checked={library.active}
                disabled={busy}
                onChange={(e) => void setLibraryActive(library.uuid, e.target.checked)}
                aria-describedby={feedbackId}
              />
              <span className="switch-track" aria-hidden="true" />
              <span>
                Active<span className="visually-hidden"> ({library.name})</span>
              </span>
            </label>
            <button type="button" className="button" onClick={() => setRenaming(true)}>
              Rename<span className="visually-hidden"> {library.name}</span>
            </button>
            <button type="button" className="button button-danger-quiet" onClick={() => onDelete(library)} disabled={busy}>
              {shared ? 'Leave' : 'Delete'}
              <span className="visually-hidden"> {library.name}</span>
            </button>
          </span>
        </>
      )}
      <FieldFeedback id={feedbackId} error={error} />
      <LibraryMembers library={library} />
      <InviteForm library={library} />
    </li>
  );
}

/** This device, the members with whether each is nearby now and verified, and the invitations waiting. */
function LibraryMembers({ library }: { library: Library }) {
  const peers = useNearby((s) => s.peers);
  const selfName = useNearby((s) => s.self?.name ?? 'This device');
  const members = membersNearby(library, peers);
  return (
    <ul className="library-members" aria-label={`Devices in ${library.name}`}>
      <li className="library-member" data-member="self">
        <span className="library-member-name">{selfName}</span>
        <span className="muted">This device</span>
      </li>
      {members.map((m) => (
        <li key={m.identity} className="library-member" data-member={m.identity} data-presence={m.peer === null ? 'away' : m.peer.verified ? 'verified' : 'unverified'}>
          <span className="library-member-name">{m.peer?.contact?.name ?? m.peer?.name ?? m.name}</span>
          {m.peer === null ? (
            <span className="muted">Not nearby</span>
          ) : m.peer.verified ? (
            <span className="badge badge-verified" title="Nearby now; the P2P link proved it holds its identity">
              Nearby · verified
            </span>
          ) : (
            <span className="badge badge-unverified" title="Nearby now; not yet proven to hold its identity">
              Nearby · not verified yet
            </span>
          )}
        </li>
      ))}
      {library.invited.map((i) => (
        <li key={i.identity} className="library-member" data-member={i.identity} data-presence="invited">
          <span className="library-member-name">{i.name}</span>
          <span className="muted">Invited · no answer yet</span>
        </li>
      ))}
    </ul>
  );
}

/** Invites a contact that is nearby now (an invitation travels over its verified link). */
function InviteForm({ library }: { library: Library }) {
  const key = `share:${library.uuid}` as const;
  const peers = useNearby((s) => s.peers);
  const shareLibrary = useNearby((s) => s.shareLibrary);
  const clearFeedback = useNearby((s) => s.clearFeedback);
  const { error, note, busy } = useField(key);
  const [chosen, setChosen] = useState('');
  // Members are in already; one invited without an answer may be invited again (the new invitation replaces the old).
  const taken = new Set(library.members.map((m) => m.identity));
  const invited = new Set(library.invited.map((i) => i.identity));
  // Contacts, and My devices (trusted like contacts): an invitation goes to them only; those invited already come last.
  const isInvited = (p: Peer) => p.identity !== null && invited.has(p.identity);
  const candidates = peers
    .filter((p) => (p.contact !== undefined || p.myDevice === true) && p.identity !== null && !taken.has(p.identity))
    .sort((a, b) => Number(isInvited(a)) - Number(isInvited(b)));
  const selectId = `invite-${library.uuid}`;
  const feedbackId = `invite-feedback-${library.uuid}`;
  const peerId = candidates.some((p) => p.id === chosen) ? chosen : (candidates[0]?.id ?? '');

  const onInvite = async (e: FormEvent) => {
    e.preventDefault();
    if (peerId !== '') await shareLibrary(library.uuid, peerId);
  };
  if (candidates.length === 0) {
    return (
      <div className="library-invite">
        <p className="muted library-invite-none">Contacts that are nearby can be invited; none is nearby now that is not in it already.</p>
        <FieldFeedback id={feedbackId} error={error} note={note} />
      </div>
    );
  }
  return (
    <form className="library-invite row" onSubmit={(e) => void onInvite(e)}>
      <label htmlFor={selectId} className="library-invite-label">
        Invite a contact<span className="visually-hidden"> to {library.name}</span>
      </label>
      <select
        id={selectId}
        className="input library-invite-select"
        value={peerId}
        aria-describedby={feedbackId}
        onChange={(e) => {
          setChosen(e.target.value);
          clearFeedback(key);
        }}
      >
        {candidates.map((p) => (
          <option key={p.id} value={p.id}>
            {p.contact?.name ?? p.name}
            {isInvited(p) ? ' · invited' : ''}
          </option>
        ))}
      </select>
      <button type="submit" className="button" disabled={busy || peerId === ''}>
        Invite<span className="visually-hidden"> to {library.name}</span>
      </button>
      <FieldFeedback id={feedbackId} error={error} note={note} />
    </form>
  );
}

/** The library's name as a field, saved or cancelled; `onDone` closes it. */
function RenameForm({ library, feedbackId, onDone }: { library: Library; feedbackId: string; onDone: () => void }) {
  const key = `library:${library.uuid}` as const;
  const renameLibrary = useNearby((s) => s.renameLibrary);
  const clearFeedback = useNearby((s) => s.clearFeedback);
  const { error, busy } = useField(key);
  const [draft, setDraft] = useState(library.name);
  const inputId = `library-name-${library.uuid}`;

  const onRename = async (e: FormEvent) => {
    e.preventDefault();
    if (await renameLibrary(library.uuid, draft)) onDone();
  };
  return (
    <form className="row grow" onSubmit={(e) => void onRename(e)}>
      <label htmlFor={inputId} className="visually-hidden">
        New name for {library.name}
      </label>
      <input
        id={inputId}
        className="input grow"
        value={draft}
        autoFocus
        aria-invalid={error !== undefined}
        aria-describedby={feedbackId}
        onChange={(e) => {
          setDraft(e.target.value);
          clearFeedback(key);
        }}
      />
      <button type="submit" className="button button-primary" disabled={busy}>
        Save
      </button>
      <button
        type="button"
        className="button"
        onClick={() => {
          clearFeedback(key);
          onDone();
        }}
      >
        Cancel
      </button>
    </form>
  );
}
