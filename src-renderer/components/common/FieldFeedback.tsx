// The error or confirmation under a form field. The id lets the field point at it
// (aria-describedby); errors are announced at once (role="alert"), notes politely.

export function FieldFeedback({ id, error, note }: { id: string; error?: string | undefined; note?: string | undefined }) {
  if (error !== undefined) {
    return (
      <p id={id} className="field-error" role="alert">
        {error}
      </p>
    );
  }
  return (
    <p id={id} className="field-note" role="status">
      {note ?? ''}
    </p>
  );
}

/** An error of an action with no field of its own (a button), announced at once; nothing when there is none. */
export function ActionError({ error, className = '' }: { error: string | undefined; className?: string }) {
  if (error === undefined) return null;
  return (
    <p className={`field-error ${className}`.trim()} role="alert">
      {error}
    </p>
  );
}
