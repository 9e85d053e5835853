import { useField, useNearby } from '../../store/StoreContext.js';
import { ActionError } from '../common/FieldFeedback.js';
import { UI_NETWORK_CHECK_SECONDS } from '../settings/NetworkCheckSettings.js';

export function DiscoveryOff() {
  const setMode = useNearby((s) => s.setMode);
  const { error, busy } = useField('mode');
  return (
    <section className="empty" aria-labelledby="empty-title">
      <h2 id="empty-title">Discovery is off</h2>
      <p>This device is invisible to others and does not look for them. Turn discovery on to see the devices nearby; they will see this device too.</p>
      <button type="button" className="button button-primary" onClick={() => void setMode('everyone')} disabled={busy}>
        Turn on for Everyone
      </button>
      <ActionError error={error} />
    </section>
  );
}

export function NoDevicesYet() {
  const goToAddByAddress = useNearby((s) => s.goToAddByAddress);
  const goToNetworkCheck = useNearby((s) => s.goToNetworkCheck);
  return (
    <section className="empty" aria-labelledby="empty-title">
      <h2 id="empty-title">No devices yet</h2>
      <p>Still looking. If a device should be here, check that:</p>
      <ul className="checklist">
        <li>it is on the same network (the same Wi-Fi or wired network) as this one;</li>
        <li>its discovery is set to Everyone;</li>
        <li>a firewall allows UDP port 5353 (multicast DNS) on both devices.</li>
      </ul>
      <p>The network check says which of these stands in the way. Networks that block multicast can still reach a device by its address.</p>
      <div className="row">
        <button type="button" className="button" onClick={() => void goToNetworkCheck(UI_NETWORK_CHECK_SECONDS)}>
          Check the network
        </button>
        <button type="button" className="button" onClick={goToAddByAddress}>
          Add a device by address
        </button>
      </div>
    </section>
  );
}

export function NoMatch({ filter }: { filter: string }) {
  const setFilter = useNearby((s) => s.setFilter);
  return (
    <section className="empty" aria-labelledby="empty-title">
      <h2 id="empty-title">No device matches “{filter}”</h2>
      <button type="button" className="button" onClick={() => setFilter('')}>
        Clear the filter
      </button>
    </section>
  );
}
