// The Remove button of one entry of a list, and the error its removal met (announced at once).

import { ActionError } from './FieldFeedback.js';

export function RemoveButton({ what, busy, error, onRemove }: { what: string; busy: boolean; error: string | undefined; onRemove: () => void }) {
  return (
    <>
      <button type="button" className="button button-danger-quiet" disabled={busy} onClick={onRemove}>
        Remove<span className="visually-hidden"> {what}</span>
      </button>
      <ActionError error={error} className="full" />
    </>
  );
}
