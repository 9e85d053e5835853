// The settings' "Network check" (issue 15): the node listens for a few seconds, tries the devices
// listed, and each finding is shown as one sentence with its fix; what was measured is folded
// away below, for whoever wants to see the counts.

import { useEffect, useRef } from 'react';
import type { FamilyReport, NetworkFinding, NetworkReport } from '../../../src-shared/networkCheck.js';
import { useField, useNearby } from '../../store/StoreContext.js';
import { ActionError } from '../common/FieldFeedback.js';
import { BreakableText } from '../common/BreakableText.js';

/** How long the check listens from here: a person waits for it (the answers to its questions come within a second or two). */
export const UI_NETWORK_CHECK_SECONDS = 5;

const SEVERITY_LABELS: Record<NetworkFinding['severity'], string> = { error: 'Problem', warning: 'Warning', info: 'OK' };

function FindingItem({ finding }: { finding: NetworkFinding }) {
  return (
    <li className={`finding finding-${finding.severity}`} data-code={finding.code}>
      <span className={`badge badge-${finding.severity}`}>{SEVERITY_LABELS[finding.severity]}</span>
      <div className="finding-text">
        <p className="finding-message">{finding.message}</p>
        <p className="finding-fix">
          <span className="strong">{finding.severity === 'info' ? 'Next: ' : 'Fix: '}</span>
          {finding.fix}
        </p>
        {(finding.alternatives ?? []).map((alt) => (
          <p key={alt.code} className="finding-alternative" data-code={alt.code}>
            <span className="strong">Or: </span>
            {alt.message} <span className="strong">Fix: </span>
            {alt.fix}
          </p>
        ))}
      </div>
    </li>
  );
}

function familyLine(f: FamilyReport): string {
  const refused = Object.entries(f.sendErrors).map(([code, n]) => `${n} refused (${code})`);
  const parts = [
    f.multicastRoute ? 'route to the group' : 'no route to the group',
    f.groupJoined ? 'group joined' : `group not joined (${f.joinError ?? 'unknown'})`,
    `${f.sent} questions sent${refused.length > 0 ? `, ${refused.join(', ')}` : ''}`,
    `${f.ownLoopedBack} heard back`,
    `${f.fromThisHost} from this device`,
    `${f.fromOthers} from others (${f.answersToUs} answers to us)`,
  ];
  return parts.join(' · ');
}

function Measurements({ report }: { report: NetworkReport }) {
  return (
    <details className="network-measurements">
      <summary>What was measured in {report.seconds} s</summary>
      <ul className="plain-list measurement-list">
        {report.interfaces.flatMap((iface) =>
          iface.families.map((f) => (
            <li key={`${iface.name}/${f.family}`}>
              <span className="strong">
                {iface.name} IPv{f.family}
              </span>{' '}
              <BreakableText text={f.addresses.join(', ')} className="mono breakable" />
              <span className="help">{familyLine(f)}</span>
            </li>
          )),
        )}
        {report.hostsHeard.map((h) => (
          <li key={h.addresses.join(',')}>
            <span className="strong">Heard</span> <BreakableText text={h.addresses.join(', ')} className="mono breakable" />
            <span className="help">
              on {h.interface}
              {h.services.length > 0 ? `: ${h.services.join(', ')}` : ''}
            </span>
          </li>
        ))}
        {report.devices.map((d) => (
          <li key={`${d.identity ?? d.name}`}>
            <span className="strong">{d.name}</span>
            <span className="help">{d.detail}</span>
          </li>
        ))}
      </ul>
    </details>
  );
}

export function NetworkCheckSettings() {
  const report = useNearby((s) => s.networkReport);
  const runNetworkCheck = useNearby((s) => s.runNetworkCheck);
  const { error, busy } = useField('networkCheck');
  const focusRequest = useNearby((s) => s.focusRequest);
  const clearFocusRequest = useNearby((s) => s.clearFocusRequest);
  const cardRef = useRef<HTMLElement>(null);
  // Opened from the empty list: the card comes into view and takes the focus while its check runs.
  useEffect(() => {
    if (focusRequest !== 'networkCheck') return;
    cardRef.current?.scrollIntoView({ block: 'start' });
    cardRef.current?.focus();
    clearFocusRequest();
  }, [focusRequest, clearFocusRequest]);
  return (
    <section ref={cardRef} tabIndex={-1} className="card network-check" aria-labelledby="network-check-title" aria-busy={busy}>
      <h2 id="network-check-title" className="card-title">
        Network check
      </h2>
      <p className="help">
        When a device does not show up: listens for {UI_NETWORK_CHECK_SECONDS} seconds on each network, tries the devices listed, and says what stands in the way, with the fix.
      </p>
      <div className="row">
        <button type="button" className="button" disabled={busy} onClick={() => void runNetworkCheck(UI_NETWORK_CHECK_SECONDS)}>
          {busy ? 'Checking…' : report === null ? 'Check the network' : 'Check again'}
        </button>
        {busy ? (
          <span className="help" role="status">
            Listening for {UI_NETWORK_CHECK_SECONDS} seconds…
          </span>
        ) : null}
      </div>
      <ActionError error={error} />
      {report !== null ? (
        <>
          <ul className="finding-list" aria-label="Findings of the network check">
            {report.findings.map((f, i) => (
              <FindingItem key={`${f.code}-${i}`} finding={f} />
            ))}
          </ul>
          <Measurements report={report} />
        </>
      ) : null}
    </section>
  );
}
