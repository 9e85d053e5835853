import type { Peer } from '../../../src-shared/peer.js';
import { deviceModelLabel, formatLastSeen, librariesInCommon, OS_LABELS } from '../../model/peerView.js';
import { useNearby } from '../../store/StoreContext.js';
import { DeviceModelIcon, OsIcon } from '../common/Icons.js';
import { VerifiedBadge } from '../common/VerifiedBadge.js';

function List({ items, empty }: { items: string[]; empty: string }) {
  if (items.length === 0) return <span className="muted">{empty}</span>;
  return (
    <ul className="plain-list">
      {items.map((item) => (
        <li key={item}>{item}</li>
      ))}
    </ul>
  );
}

export function DeviceDetails({ peer }: { peer: Peer }) {
  const ownLibraries = useNearby((s) => s.libraries);
  const nowMs = useNearby((s) => s.nowMs);
  const pairWith = useNearby((s) => s.pairWith);
  const common = librariesInCommon(peer, ownLibraries);
  return (
    <section className="details" aria-labelledby="details-title">
      <header className="details-header">
        <span className="details-icons">
          <DeviceModelIcon model={peer.deviceModel} />
          <OsIcon os={peer.operatingSystem} />
        </span>
        <div>
          <h2 id="details-title" className="details-title">
            {peer.name}
          </h2>
          <p className="muted">
            {deviceModelLabel(peer.deviceModel)} · {OS_LABELS[peer.operatingSystem]}
            {peer.version !== null ? ` · Nearby ${peer.version}` : ''}
          </p>
        </div>
      </header>
      <p>
        <VerifiedBadge verified={peer.verified} />
      </p>
      {peer.warning !== undefined ? (
        <p className="device-warning" role="note">
          Warning: this device {peer.warning}. Do not pair with it.
        </p>
      ) : null}
      <dl className="facts">
        <dt>Libraries in common</dt>
        <dd>
          <List items={common.map((l) => l.name)} empty="None" />
          {peer.librariesOmitted > 0 ? <span className="muted"> ({peer.librariesOmitted} more libraries not listed here)</span> : null}
        </dd>
        <dt>Addresses</dt>
        <dd>
          <List items={peer.addresses} empty="None yet" />
        </dd>
        <dt>Port</dt>
        <dd>{peer.port ?? <span className="muted">Unknown</span>}</dd>
        <dt>Host name</dt>
        <dd>{peer.hostname ?? <span className="muted">Unknown</span>}</dd>
        <dt>Heard on</dt>
        <dd>
          <List items={peer.interfaces} empty="—" />
        </dd>
        <dt>Identity</dt>
        <dd className="mono break">{peer.identity ?? <span className="muted">Not a valid identity ({peer.instance})</span>}</dd>
        <dt>Found by</dt>
        <dd>
          {peer.source === 'manual' ? 'Its address (added by hand)' : peer.source === 'link' ? 'It connected to this device' : 'Discovery on the local network'}
        </dd>
        <dt>Last seen</dt>
        <dd>
          <time dateTime={peer.lastSeen} title={new Date(peer.lastSeen).toLocaleString()}>
            {formatLastSeen(peer.lastSeen, nowMs)}
          </time>
        </dd>
      </dl>
      <button type="button" className="button" onClick={() => pairWith(peer.id)}>
        Pair with this device…
      </button>
    </section>
  );
}
