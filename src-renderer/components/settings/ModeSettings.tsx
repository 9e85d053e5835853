import { useEffect, useState } from 'react';
import { TEMPORARY_EVERYONE_DEFAULT_MINUTES } from '../../../src-shared/contract.js';
import { DISCOVERY_MODE_LABELS, DISCOVERY_MODES, type DiscoveryMode } from '../../../src-shared/discoveryModes.js';
import { useField, useNearby } from '../../store/StoreContext.js';
import { FieldFeedback } from '../common/FieldFeedback.js';

type ModeChoice = DiscoveryMode | 'everyone-temporarily';

/** The modes as the node offers them, with "Everyone for a while" before the last (Disabled). */
const MODES: Array<{ mode: ModeChoice; label: string; help: string }> = [
  ...DISCOVERY_MODES.filter((m) => m !== 'disabled').map((mode) => ({ mode, label: DISCOVERY_MODE_LABELS[mode].label, help: DISCOVERY_MODE_LABELS[mode].help })),
  {
    mode: 'everyone-temporarily',
    label: `Everyone for ${TEMPORARY_EVERYONE_DEFAULT_MINUTES} minutes`,
    help: 'Visible to everyone for a while (for example to pair with a new device), then back to Contacts only by itself.',
  },
  { mode: 'disabled', label: DISCOVERY_MODE_LABELS.disabled.label, help: DISCOVERY_MODE_LABELS.disabled.help },
];

/** "9:05" for a number of seconds left. */
export function formatTimeLeft(seconds: number): string {
  const s = Math.max(0, Math.ceil(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

export function ModeSettings() {
  const mode = useNearby((s) => s.mode);
  const everyoneUntil = useNearby((s) => s.everyoneUntil);
  const setMode = useNearby((s) => s.setMode);
  const setTemporaryEveryone = useNearby((s) => s.setTemporaryEveryone);
  const { error, busy } = useField('mode');
  const current: ModeChoice = mode === 'everyone' && everyoneUntil !== null ? 'everyone-temporarily' : mode;
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (everyoneUntil === null) return;
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [everyoneUntil]);
  const secondsLeft = everyoneUntil === null ? null : (Date.parse(everyoneUntil) - now) / 1000;
  const choose = (choice: ModeChoice) => void (choice === 'everyone-temporarily' ? setTemporaryEveryone() : setMode(choice));
  return (
    <fieldset className="card" aria-describedby="mode-feedback" aria-busy={busy}>
      <legend className="card-title">Who can see this device</legend>
      <div className="radio-group">
        {MODES.map(({ mode: choice, label, help }) => (
          <label key={choice} className="radio">
            <input
              type="radio"
              name="discovery-mode"
              value={choice}
              checked={current === choice}
              onChange={() => choose(choice)}
              aria-describedby={`mode-help-${choice}`}
            />
            <span>
              <span className="radio-label">{label}</span>
              <span id={`mode-help-${choice}`} className="help">
                {help}
              </span>
              {choice === 'everyone-temporarily' && secondsLeft !== null ? (
                <span className="help countdown" role="timer" aria-live="off" id="everyone-time-left">
                  {formatTimeLeft(secondsLeft)} left, then Contacts only.
                </span>
              ) : null}
            </span>
          </label>
        ))}
      </div>
      <FieldFeedback id="mode-feedback" error={error} />
    </fieldset>
  );
}
