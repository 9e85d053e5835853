import { useEffect, useState, type FormEvent } from 'react';
import { identityFingerprint } from '../../../src-shared/identity.js';
import { useField, useNearby } from '../../store/StoreContext.js';
import { Fingerprint } from '../common/ContactStanding.js';
import { FieldFeedback } from '../common/FieldFeedback.js';
import { AccountLine } from '../common/AccountMark.js';

export function DeviceNameSettings() {
  const saved = useNearby((s) => s.self?.name ?? '');
  const fingerprint = useNearby((s) => (s.self ? identityFingerprint(s.self.identity) : null));
  const account = useNearby((s) => s.self?.account ?? null);
  const setName = useNearby((s) => s.setName);
  const clearFeedback = useNearby((s) => s.clearFeedback);
  const { error, note, busy } = useField('name');
  const [draft, setDraft] = useState(saved);
  const [editing, setEditing] = useState(false);
  // Follow the node's name until the user starts typing.
  useEffect(() => {
    if (!editing) setDraft(saved);
  }, [saved, editing]);

  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    if (await setName(draft)) setEditing(false);
  };
  return (
    <form className="card" onSubmit={(e) => void onSubmit(e)} aria-labelledby="name-title">
      <h2 id="name-title" className="card-title">
        Device name
      </h2>
      <p className="help">The name other devices show for this one.</p>
      <div className="row">
        <label htmlFor="device-name" className="visually-hidden">
          Device name
        </label>
        <input
          id="device-name"
          className="input grow"
          value={draft}
          autoComplete="off"
          aria-invalid={error !== undefined}
          aria-describedby="name-feedback"
          onChange={(e) => {
            setEditing(true);
            setDraft(e.target.value);
            clearFeedback('name');
          }}
        />
        <button type="submit" className="button button-primary" disabled={busy || draft === saved}>
          Save
        </button>
      </div>
      <FieldFeedback id="name-feedback" error={error} note={note} />
      {fingerprint !== null ? (
        <p className="help self-fingerprint">
          This device’s fingerprint is <Fingerprint value={fingerprint} />: paired devices show it beside its name, whatever name it takes.
        </p>
      ) : null}
      {account !== null ? (
        <div className="self-account">
          <p className="help">This device is signed into an account; your other devices on it show as My devices:</p>
          <AccountLine standing={{ account }} />
        </div>
      ) : null}
    </form>
  );
}
