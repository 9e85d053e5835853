import { useEffect, useRef, useState, type FormEvent } from 'react';
import type { ManualPeerState } from '../../../src-shared/contract.js';
import { useField, useNearby } from '../../store/StoreContext.js';
import { FieldFeedback } from '../common/FieldFeedback.js';
import { BreakableText } from '../common/BreakableText.js';
import { RemoveButton } from '../common/RemoveButton.js';

const STATUS_LABELS: Record<ManualPeerState['status'], string> = {
  connecting: 'Connecting…',
  online: 'Online',
  unreachable: 'Unreachable',
};

function ManualPeerItem({ entry }: { entry: ManualPeerState }) {
  const removeManualPeer = useNearby((s) => s.removeManualPeer);
  const { error, busy } = useField(`manualPeer:${entry.address}`);
  return (
    <li className="manual-peer" data-address={entry.address} data-status={entry.status}>
      <BreakableText text={entry.address} className="mono breakable manual-address" />
      <span className={`status status-${entry.status}`}>
        {STATUS_LABELS[entry.status]}
        {entry.status === 'online' && entry.name !== null ? `: ${entry.name}` : ''}
        {entry.status === 'unreachable' && entry.reason !== null ? `: ${entry.reason}` : ''}
      </span>
      <RemoveButton what={entry.address} busy={busy} error={error} onRemove={() => void removeManualPeer(entry.address)} />
    </li>
  );
}

export function ManualPeerSettings() {
  const entries = useNearby((s) => s.manualPeers);
  const addManualPeer = useNearby((s) => s.addManualPeer);
  const clearFeedback = useNearby((s) => s.clearFeedback);
  const clearFocusRequest = useNearby((s) => s.clearFocusRequest);
  const focusRequest = useNearby((s) => s.focusRequest);
  const { error, note, busy } = useField('manualPeer');
  const [draft, setDraft] = useState('');
  const inputRef = useRef<HTMLInputElement>(null);

  useEffect(() => {
    if (focusRequest !== 'manualPeer') return;
    inputRef.current?.focus();
    inputRef.current?.scrollIntoView({ block: 'center' });
    clearFocusRequest();
  }, [focusRequest, clearFocusRequest]);

  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    if (await addManualPeer(draft)) setDraft('');
  };
  return (
    <section className="card" aria-labelledby="manual-title">
      <h2 id="manual-title" className="card-title">
        Devices by address
      </h2>
      <p className="help">For devices that discovery cannot reach (another subnet, a network that blocks multicast).</p>
      <form className="row" onSubmit={(e) => void onSubmit(e)} noValidate>
        <label htmlFor="manual-address" className="label form-label">
          Address
        </label>
        <input
          id="manual-address"
          ref={inputRef}
          className="input grow"
          value={draft}
          placeholder="192.168.1.20:7373, [fe80::1]:7373 or nas.local"
          autoComplete="off"
          spellCheck={false}
          aria-invalid={error !== undefined}
          aria-describedby="manual-feedback"
          onChange={(e) => {
            setDraft(e.target.value);
            clearFeedback('manualPeer');
          }}
        />
        <button type="submit" className="button" disabled={busy}>
          Add
        </button>
      </form>
      <FieldFeedback id="manual-feedback" error={error} note={note} />
      {entries.length === 0 ? (
        <p className="muted">No devices added by address.</p>
      ) : (
        <ul className="manual-list" aria-label="Devices added by address">
          {entries.map((entry) => (
            <ManualPeerItem key={entry.address} entry={entry} />
          ))}
        </ul>
      )}
    </section>
  );
}
