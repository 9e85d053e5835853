// The account issuers this device trusts (issue 14): devices whose accounts one of them signed show
// the account's name and email, checked, and the devices of the user's own account are trusted like
// contacts. Those given with --trust-issuer and the issuer of this device's own account are shown
// but kept; the settings' own can be added (the key `sd-nearby account create-issuer` printed) and removed.

import { useState, type FormEvent } from 'react';
import type { TrustedIssuer } from '../../../src-shared/contract.js';
import { useField, useNearby } from '../../store/StoreContext.js';
import { BreakableText } from '../common/BreakableText.js';
import { FieldFeedback } from '../common/FieldFeedback.js';
import { RemoveButton } from '../common/RemoveButton.js';

const SOURCE_LABELS: Record<Exclude<TrustedIssuer['source'], 'settings'>, string> = {
  'command-line': 'Given with --trust-issuer',
  'own-account': "Signed this device's own account",
};

function IssuerItem({ issuer, onRemove, busy }: { issuer: TrustedIssuer; onRemove: () => void; busy: boolean }) {
  return (
    <li className="trusted-issuer" data-key={issuer.key}>
      <BreakableText text={issuer.key} className="mono breakable issuer-key" />
      {issuer.source === 'settings' ? (
        <RemoveButton what={`the issuer ${issuer.key.slice(0, 8)}…`} busy={busy} error={undefined} onRemove={onRemove} />
      ) : (
        <span className="muted issuer-source">{SOURCE_LABELS[issuer.source]}</span>
      )}
    </li>
  );
}

export function TrustedIssuerSettings() {
  const issuers = useNearby((s) => s.trustedIssuers);
  const setTrustedIssuers = useNearby((s) => s.setTrustedIssuers);
  const clearFeedback = useNearby((s) => s.clearFeedback);
  const { error, busy } = useField('trustedIssuers');
  const [draft, setDraft] = useState('');
  const saved = issuers.filter((i) => i.source === 'settings').map((i) => i.key);

  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    if (draft.trim() === '') return;
    if (await setTrustedIssuers([...saved, draft.trim()])) setDraft('');
  };
  return (
    <section className="card" aria-labelledby="issuers-title">
      <h2 id="issuers-title" className="card-title">
        Account issuers
      </h2>
      <p className="help">Devices whose accounts one of these issuers signed show the account's name and email, checked; the other devices of your own account are trusted like contacts.</p>
      <form className="row" onSubmit={(e) => void onSubmit(e)} noValidate>
        <label htmlFor="issuer-key" className="label form-label">
          Issuer key
        </label>
        <input
          id="issuer-key"
          className="input grow mono"
          value={draft}
          placeholder="the key sd-nearby account create-issuer printed"
          autoComplete="off"
          spellCheck={false}
          aria-invalid={error !== undefined}
          aria-describedby="issuer-feedback"
          onChange={(e) => {
            setDraft(e.target.value);
            clearFeedback('trustedIssuers');
          }}
        />
        <button type="submit" className="button" disabled={busy || draft.trim() === ''}>
          Trust
        </button>
      </form>
      <FieldFeedback id="issuer-feedback" error={error} note={undefined} />
      {issuers.length === 0 ? (
        <p className="muted">No issuer is trusted: no device shows an account.</p>
      ) : (
        <ul className="issuer-list" aria-label="Trusted account issuers">
          {issuers.map((issuer) => (
            <IssuerItem key={issuer.key} issuer={issuer} busy={busy} onRemove={() => void setTrustedIssuers(saved.filter((k) => k !== issuer.key))} />
          ))}
        </ul>
      )}
    </section>
  );
}
