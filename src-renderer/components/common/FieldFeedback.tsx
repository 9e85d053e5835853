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
