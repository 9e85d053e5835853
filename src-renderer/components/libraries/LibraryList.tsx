import { useState, type FormEvent } from 'react';
import type { Library } from '../../../src-shared/peer.js';
import { useField, useNearby } from '../../store/StoreContext.js';
import { ConfirmDialog } from '../common/ConfirmDialog.js';
import { FieldFeedback } from '../common/FieldFeedback.js';
import { LibraryItem } from './LibraryItem.js';

/** Our libraries: each with its members and invitations, and a form to create one. */
export function LibraryList() {
  const libraries = useNearby((s) => s.libraries);
  const createLibrary = useNearby((s) => s.createLibrary);
  const deleteLibrary = useNearby((s) => s.deleteLibrary);
  const leaveLibrary = useNearby((s) => s.leaveLibrary);
  const clearFeedback = useNearby((s) => s.clearFeedback);
  const { error, busy } = useField('newLibrary');
  const [draft, setDraft] = useState('');
  const [deleting, setDeleting] = useState<Library | null>(null);
  const shared = deleting !== null && deleting.members.length > 0;

  const onCreate = async (e: FormEvent) => {
    e.preventDefault();
    if (await createLibrary(draft)) setDraft('');
  };
  return (
    <section className="card" aria-labelledby="libraries-title">
      <h2 id="libraries-title" className="card-title">
        Libraries
      </h2>
      <p className="help">Invite your contacts to a library; the devices in it find each other and show it as a library in common. Active libraries are announced.</p>
      {libraries.length === 0 ? (
        <p className="muted">No libraries yet.</p>
      ) : (
        <ul className="library-list" aria-label="Your libraries">
          {libraries.map((l) => (
            <LibraryItem key={l.uuid} library={l} onDelete={setDeleting} />
          ))}
        </ul>
      )}
      <form className="row" onSubmit={(e) => void onCreate(e)}>
        <label htmlFor="new-library" className="visually-hidden">
          New library name
        </label>
        <input
          id="new-library"
          className="input grow"
          value={draft}
          placeholder="New library name"
          autoComplete="off"
          aria-invalid={error !== undefined}
          aria-describedby="new-library-feedback"
          onChange={(e) => {
            setDraft(e.target.value);
            clearFeedback('newLibrary');
          }}
        />
        <button type="submit" className="button" disabled={busy}>
          Create library
        </button>
      </form>
      <FieldFeedback id="new-library-feedback" error={error} />
      <ConfirmDialog
        open={deleting !== null}
        title={shared ? `Leave the library “${deleting?.name ?? ''}”?` : `Delete the library “${deleting?.name ?? ''}”?`}
        confirmLabel={shared ? 'Leave' : 'Delete'}
        onCancel={() => setDeleting(null)}
        onConfirm={() => {
          if (deleting !== null) void (shared ? leaveLibrary(deleting.uuid) : deleteLibrary(deleting.uuid));
          setDeleting(null);
        }}
      >
        {shared ? (
          <p>This device stops announcing it, and the other devices in it are told that it left. To come back, a member invites it again.</p>
        ) : (
          <p>It stops being announced, and devices stop showing it in common. This cannot be undone.</p>
        )}
      </ConfirmDialog>
    </section>
  );
}
