import { useState, type FormEvent } from 'react';
import type { Library } from '../../../src-shared/peer.js';
import { useField, useNearby } from '../../store/StoreContext.js';
import { FieldFeedback } from '../common/FieldFeedback.js';

export function LibraryItem({ library, onDelete }: { library: Library; onDelete: (library: Library) => void }) {
  const key = `library:${library.uuid}` as const;
  const setLibraryActive = useNearby((s) => s.setLibraryActive);
  const { error, busy } = useField(key);
  const [renaming, setRenaming] = useState(false);
  const feedbackId = `library-feedback-${library.uuid}`;

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
              Delete<span className="visually-hidden"> {library.name}</span>
            </button>
          </span>
        </>
      )}
      <FieldFeedback id={feedbackId} error={error} />
    </li>
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
