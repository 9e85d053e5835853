import { useState, type FormEvent } from 'react';
import type { Library } from '../../../src-shared/peer.js';
import { useField, useNearby } from '../../store/StoreContext.js';
import { ConfirmDialog } from '../common/ConfirmDialog.js';
import { FieldFeedback } from '../common/FieldFeedback.js';
import { LibraryItem } from './LibraryItem.js';

export function LibrarySettings() {
  const libraries = useNearby((s) => s.libraries);
  const createLibrary = useNearby((s) => s.createLibrary);
  const deleteLibrary = useNearby((s) => s.deleteLibrary);
  const clearFeedback = useNearby((s) => s.clearFeedback);
  const { error, busy } = useField('newLibrary');
  const [draft, setDraft] = useState('');
  const [deleting, setDeleting] = useState<Library | null>(null);

  const onCreate = async (e: FormEvent) => {
    e.preventDefault();
    if (await createLibrary(draft)) setDraft('');
  };
  return (
    <section className="card" aria-labelledby="libraries-title">
      <h2 id="libraries-title" className="card-title">
        Libraries
      </h2>
      <p className="help">Active libraries are announced, so devices that share one show it as a library in common.</p>
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
        title={`Delete the library “${deleting?.name ?? ''}”?`}
        confirmLabel="Delete"
        onCancel={() => setDeleting(null)}
        onConfirm={() => {
          if (deleting !== null) void deleteLibrary(deleting.uuid);
          setDeleting(null);
        }}
      >
        <p>It stops being announced, and devices stop showing it in common. This cannot be undone.</p>
      </ConfirmDialog>
    </section>
  );
}
