import type { Library, Peer } from '../../../src-shared/peer.js';
import { displayName, fingerprintOf, formatLastSeen, librariesInCommon, quotedList, renamedFrom } from '../../model/peerView.js';
import { useNearby } from '../../store/StoreContext.js';
import { ContactBadge, Fingerprint } from '../common/ContactStanding.js';
import { BreakableText } from '../common/BreakableText.js';
import { DeviceAvatar, DeviceKind } from '../common/Icons.js';
import { VerifiedBadge } from '../common/VerifiedBadge.js';
import { AccountFact, AccountLine, MyDeviceBadge, MyDeviceNote } from '../common/AccountMark.js';
import { standingOf } from './DeviceRow.js';

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

/** Who this device is to the user: a contact (under the name stored at pairing), or a device using a contact's name. */
function StandingNote({ peer, fingerprint }: { peer: Peer; fingerprint: string | null }) {
  if (peer.contact !== undefined) {
    const renamed = renamedFrom(peer);
    return (
      <p className="contact-note">
        Your contact {peer.contact.name}, paired with this device; fingerprint <Fingerprint value={peer.contact.fingerprint} />.
        {renamed !== null ? ` It now calls itself “${renamed}”.` : ''}
      </p>
    );
  }
  if (peer.lookalikeOf === undefined) return null;
  return (
    <p className="device-warning lookalike-warning" role="note">
      Not your contact {peer.lookalikeOf.name}: a different device using the same name. Your contact’s fingerprint is{' '}
      <Fingerprint value={peer.lookalikeOf.fingerprint} />
      {fingerprint !== null ? (
        <>
          , this device’s is <Fingerprint value={fingerprint} />
        </>
      ) : null}
      . Do not pair with it unless you know whose it is.
    </p>
  );
}

/** Pair, for a device that is not a contact (nor one of My devices) yet; a contact's note (StandingNote, above) stands instead. */
function PairButton({ peer }: { peer: Peer }) {
  const pairWith = useNearby((s) => s.pairWith);
  if (peer.contact !== undefined || peer.myDevice === true) return null;
  return (
    <button type="button" className="button details-pair" onClick={() => pairWith(peer.id)}>
      Pair with this device…
    </button>
  );
}

/** What is known of the device, as a list of facts: its account (when none is shown), libraries in common, where it is, who it is. */
function DeviceFacts({ peer }: { peer: Peer }) {
  const ownLibraries = useNearby((s) => s.libraries);
  const nowMs = useNearby((s) => s.nowMs);
  const fingerprint = fingerprintOf(peer.identity);
  return (
    <dl className="facts">
      {!peer.account ? (
        <>
          <dt>Account</dt>
          <dd>
            <AccountFact standing={peer} />
          </dd>
        </>
      ) : null}
      <LibraryFacts peer={peer} ownLibraries={ownLibraries} />
      <dt>Addresses</dt>
      <dd>
        {peer.addresses.length === 0 ? (
          <span className="muted">None yet</span>
        ) : (
          <ul className="plain-list addresses">
            {peer.addresses.map((address) => (
              <li key={address}>
                <BreakableText text={address} className="mono breakable" />
              </li>
            ))}
          </ul>
        )}
      </dd>
      <dt>Port</dt>
      <dd>{peer.port ?? <span className="muted">Unknown</span>}</dd>
      <dt>Host name</dt>
      <dd>{peer.hostname !== null ? <BreakableText text={peer.hostname} /> : <span className="muted">Unknown</span>}</dd>
      <dt>Heard on</dt>
      <dd>
        <List items={peer.interfaces} empty="—" />
      </dd>
      <dt>Fingerprint</dt>
      <dd>{fingerprint !== null ? <Fingerprint value={fingerprint} /> : <span className="muted">None</span>}</dd>
      <dt>Identity</dt>
      <dd className="mono break">{peer.identity ?? <span className="muted">Not a valid identity ({peer.instance})</span>}</dd>
      <dt>Found by</dt>
      <dd>
        {peer.source === 'manual' ? 'Its address (added by hand)' : peer.source === 'link' ? 'It connected to this device' : peer.source === 'wide-area' ? 'Discovery through a DNS domain (wide area)' : 'Discovery on the local network'}
      </dd>
      <dt>Last seen</dt>
      <dd>
        <time dateTime={peer.lastSeen} title={new Date(peer.lastSeen).toLocaleString()}>
          {formatLastSeen(peer.lastSeen, nowMs)}
        </time>
      </dd>
    </dl>
  );
}

export function DeviceDetails({ peer }: { peer: Peer }) {
  const fingerprint = fingerprintOf(peer.identity);
  return (
    <section className="details" aria-labelledby="details-title" data-standing={standingOf(peer)}>
      <header className="details-header">
        <DeviceAvatar model={peer.deviceModel} size="details" />
        <div className="details-heading">
          <h2 id="details-title" className="details-title">
            {displayName(peer)}
          </h2>
          <p className="details-kind">
            <DeviceKind os={peer.operatingSystem} model={peer.deviceModel} />
            {peer.version !== null ? <span className="muted details-version">· Nearby {peer.version}</span> : null}
          </p>
          <AccountLine standing={peer} className="details-account" />
        </div>
      </header>
      <p className="badges">
        <VerifiedBadge verified={peer.verified} />
        <ContactBadge standing={peer} />
        <MyDeviceBadge standing={peer} />
      </p>
      <StandingNote peer={peer} fingerprint={fingerprint} />
      <MyDeviceNote standing={peer} />
      {peer.warning !== undefined ? (
        <p className="device-warning" role="note">
          Warning: this device {peer.warning}. Do not pair with it.
        </p>
      ) : null}
      <DeviceFacts peer={peer} />
      <PairButton peer={peer} />
    </section>
  );
}

/** The libraries it shares with us, and those it only claims (issue 13). */
function LibraryFacts({ peer, ownLibraries }: { peer: Peer; ownLibraries: readonly Library[] }) {
  const { shared: common, claimed } = librariesInCommon(peer, ownLibraries);
  return (
    <>
      {common.length > 0 || peer.librariesOmitted > 0 ? (
        <>
          <dt>Libraries in common</dt>
          <dd>
            <List items={common.map((l) => l.name)} empty="None listed" />
            {peer.librariesOmitted > 0 ? <span className="muted"> ({peer.librariesOmitted} more libraries not listed here)</span> : null}
          </dd>
        </>
      ) : null}
      {claimed.length > 0 ? (
        <>
          <dt>Claims</dt>
          <dd className="device-claim">
            {quotedList(claimed)}: it announces {claimed.length === 1 ? 'this library' : 'these libraries'} of yours, but is not a member you know. Library ids are public, so it is not trusted for {claimed.length === 1 ? 'it' : 'them'}: invite it from Libraries if it is yours.
          </dd>
        </>
      ) : null}
    </>
  );
}
