import { useEffect, useState, type FormEvent } from 'react';
import type { WideAreaState } from '../../../src-shared/contract.js';
import { useField, useNearby } from '../../store/StoreContext.js';
import { FieldFeedback } from '../common/FieldFeedback.js';

interface Draft {
  domain: string;
  dnsServer: string;
  tsigKeyFile: string;
}

function draftOf(state: WideAreaState | null): Draft {
  return { domain: state?.domain ?? '', dnsServer: state?.dnsServer ?? '', tsigKeyFile: state?.tsigKeyFile ?? '' };
}

/** How registering in the domain goes, in words. */
function registrationText(state: WideAreaState): { text: string; className: string } {
  if (state.registration === 'registered') return { text: `This device is listed in ${state.domain}.`, className: 'status status-online' };
  if (state.registration === 'failing') return { text: `Not listed in ${state.domain}: ${state.problem ?? 'the DNS server did not accept the update'}`, className: 'status status-unreachable' };
  return { text: `Not listed in ${state.domain} in this mode (only Everyone puts this device in the domain); devices there are still shown.`, className: 'status status-connecting' };
}

/** How changes in the domain reach this device, in words (null: not browsing). */
function updatesText(state: WideAreaState): string | null {
  if (state.updates === 'push') return `Changes arrive as they happen: ${state.pushServer ?? 'the DNS server'} pushes them (DNS Push).`;
  if (state.updates === 'poll') return 'Changes are asked for every 1 to 30 seconds: the DNS server offers no DNS Push.';
  return null;
}

const FIELDS: ReadonlyArray<{ key: keyof Draft; label: string; placeholder: string }> = [
  { key: 'domain', label: 'Domain', placeholder: 'sd.example.com' },
  { key: 'dnsServer', label: 'DNS server', placeholder: "192.168.1.53 or ns.example.com:53 (empty: this computer's resolver)" },
  { key: 'tsigKeyFile', label: 'Key file', placeholder: '/etc/sd-nearby/update.key (as tsig-keygen writes it)' },
];

/** Wide-area discovery (issue 16): the same records in a DNS domain, for devices on other networks. */
export function WideAreaSettings() {
  const saved = useNearby((s) => s.wideArea);
  const setWideArea = useNearby((s) => s.setWideArea);
  const clearFeedback = useNearby((s) => s.clearFeedback);
  const { error, note, busy } = useField('wideArea');
  const [draft, setDraft] = useState<Draft>(() => draftOf(saved));
  const [editing, setEditing] = useState(false);
  // Follow what the node holds until the user starts typing.
  useEffect(() => {
    if (!editing) setDraft(draftOf(saved));
  }, [saved, editing]);

  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    const ok = await setWideArea({ domain: draft.domain, dnsServer: draft.dnsServer.trim() || null, tsigKeyFile: draft.tsigKeyFile.trim() || null });
    if (ok) setEditing(false);
  };
  const unchanged = JSON.stringify(draft) === JSON.stringify(draftOf(saved));
  const status = saved ? registrationText(saved) : null;
  return (
    <form className="card wide-area" onSubmit={(e) => void onSubmit(e)} aria-labelledby="wide-area-title" noValidate>
      <h2 id="wide-area-title" className="card-title">
        Other networks
      </h2>
      <p className="help">Devices on other networks (another subnet, a VLAN, a container bridge) find this one through a DNS domain whose server takes signed updates.</p>
      {FIELDS.map((f) => (
        <div className="row" key={f.key}>
          <label htmlFor={`wide-area-${f.key}`} className="label form-label">
            {f.label}
          </label>
          <input
            id={`wide-area-${f.key}`}
            className="input grow"
            value={draft[f.key]}
            placeholder={f.placeholder}
            autoComplete="off"
            spellCheck={false}
            aria-invalid={error !== undefined}
            aria-describedby="wide-area-feedback"
            onChange={(e) => {
              setEditing(true);
              setDraft({ ...draft, [f.key]: e.target.value });
              clearFeedback('wideArea');
            }}
          />
        </div>
      ))}
      <div className="row">
        <button type="submit" className="button button-primary" disabled={busy || unchanged || draft.domain.trim() === ''}>
          Save
        </button>
        {saved ? (
          <button type="button" className="button" disabled={busy} onClick={() => void setWideArea(null).then((ok) => ok && setEditing(false))}>
            Turn off
          </button>
        ) : null}
      </div>
      <FieldFeedback id="wide-area-feedback" error={error} note={note} />
      {status ? (
        <>
          <p className={`wide-area-status ${status.className}`} role="status">
            {status.text}
          </p>
          {saved && updatesText(saved) ? <p className="help wide-area-updates">{updatesText(saved)}</p> : null}
        </>
      ) : (
        <p className="muted">Off: only the local network is searched.</p>
      )}
    </form>
  );
}
