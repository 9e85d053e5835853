import type { DiscoveryMode } from '../../../src-shared/peer.js';
import { useNearby } from '../../store/StoreContext.js';
import { FieldFeedback } from '../common/FieldFeedback.js';

const MODES: Array<{ mode: DiscoveryMode; label: string; help: string }> = [
  { mode: 'everyone', label: 'Everyone', help: 'Announces this device to the network and lists every device it hears.' },
  {
    mode: 'contacts-only',
    label: 'Contacts only',
    help: 'Only your paired contacts can recognise this device; others see an anonymous token that changes over time. Needs pairing, which is not available yet.',
  },
  { mode: 'disabled', label: 'Disabled', help: 'Says goodbye and goes silent: this device is invisible and lists no one.' },
];

export function ModeSettings() {
  const current = useNearby((s) => s.mode);
  const setMode = useNearby((s) => s.setMode);
  const error = useNearby((s) => s.errors.mode);
  const busy = useNearby((s) => s.busy.mode === true);
  return (
    <fieldset className="card" aria-describedby="mode-feedback" aria-busy={busy}>
      <legend className="card-title">Who can see this device</legend>
      <div className="radio-group">
        {MODES.map(({ mode, label, help }) => (
          <label key={mode} className="radio">
            <input
              type="radio"
              name="discovery-mode"
              value={mode}
              checked={current === mode}
              onChange={() => void setMode(mode)}
              aria-describedby={`mode-help-${mode}`}
            />
            <span>
              <span className="radio-label">{label}</span>
              <span id={`mode-help-${mode}`} className="help">
                {help}
              </span>
            </span>
          </label>
        ))}
      </div>
      <FieldFeedback id="mode-feedback" error={error} />
    </fieldset>
  );
}
