// The device picker for pairing, laid out like AirDrop's or LocalSend's: a tile per device (its
// model's icon, name, system and model in words, its marks), the user's contacts first; choose
// one, then Pair. The session this device started shows beside it; requests from other devices
// come as a dialog (IncomingPairingDialog).

import type { Peer } from '../../../src-shared/peer.js';
import { useField, useNearby, useVisiblePeers } from '../../store/StoreContext.js';
import { contactsFirst, displayName, fingerprintOf } from '../../model/peerView.js';
import { ContactBadge, Fingerprint, LookalikeWarning } from '../common/ContactStanding.js';
import { FieldFeedback } from '../common/FieldFeedback.js';
import { DeviceAvatar, DeviceKind } from '../common/Icons.js';
import { VerifiedBadge } from '../common/VerifiedBadge.js';
import { AccountLine, MyDeviceBadge } from '../common/AccountMark.js';
import { standingOf } from '../devices/DeviceRow.js';
import { PairingPanel } from './PairingPanel.js';

/** One device of the picker: a radio button the size of a tile. */
function PickerTile({ peer, chosen, onChoose }: { peer: Peer; chosen: boolean; onChoose: (id: string) => void }) {
  // Where two devices could be taken for one another (a contact, a lookalike), each shows its fingerprint.
  const fingerprint = peer.contact !== undefined || peer.lookalikeOf !== undefined ? fingerprintOf(peer.identity) : null;
  const name = displayName(peer);
  return (
    <label className="picker-option" data-peer-id={peer.id} data-standing={standingOf(peer)}>
      <input type="radio" className="picker-radio" name="pair-device" value={peer.id} checked={chosen} onChange={() => onChoose(peer.id)} />
      <DeviceAvatar model={peer.deviceModel} size="tile" />
      <span className="picker-name" title={name}>
        {name}
      </span>
      <DeviceKind os={peer.operatingSystem} model={peer.deviceModel} className="picker-kind" />
      <AccountLine standing={peer} className="picker-account" />
      {/* The marks: verified, contact, one of My devices. */}
      <span className="picker-marks">
        <VerifiedBadge verified={peer.verified} />
        <ContactBadge standing={peer} />
        <MyDeviceBadge standing={peer} />
      </span>
      {fingerprint !== null ? <Fingerprint value={fingerprint} /> : null}
      <LookalikeWarning standing={peer} />
    </label>
  );
}

function PickerGroup({ title, peers, chosenId, onChoose }: { title: string | null; peers: Peer[]; chosenId: string | null; onChoose: (id: string) => void }) {
  if (peers.length === 0) return null;
  return (
    <>
      {title !== null ? <p className="picker-group-title">{title}</p> : null}
      <div className="picker-grid">
        {peers.map((p) => (
          <PickerTile key={p.id} peer={p} chosen={p.id === chosenId} onChoose={onChoose} />
        ))}
      </div>
    </>
  );
}

/** Under the Pair button: what to do first, or what pairing a contact again does. */
function PairHint({ chosen, any }: { chosen: Peer | null; any: boolean }) {
  if (chosen === null) return any ? <span className="muted">Choose a device first.</span> : null;
  if (chosen.contact !== undefined) return <span className="muted">{chosen.contact.name} is your contact already: pairing again only renews it.</span>;
  return null;
}

export function PairView() {
  const peers = contactsFirst(useVisiblePeers());
  const chosenId = useNearby((s) => s.pairingPeerId);
  const mode = useNearby((s) => s.mode);
  const choose = useNearby((s) => s.choosePairingPeer);
  const startPairing = useNearby((s) => s.startPairing);
  const { error, busy } = useField('pairing');
  const session = useNearby((s) => (s.outgoingPairingId === null ? null : (s.pairing.find((p) => p.id === s.outgoingPairingId) ?? null)));
  const chosen = peers.find((p) => p.id === chosenId) ?? null;
  // My devices first (the user's own account), then contacts, then everyone else.
  const mine = peers.filter((p) => p.myDevice === true && p.contact === undefined);
  const contacts = peers.filter((p) => p.contact !== undefined);
  const others = peers.filter((p) => p.contact === undefined && p.myDevice !== true);
  const grouped = [mine, contacts, others].filter((g) => g.length > 0).length > 1;

  return (
    <div className={session !== null ? 'pair pair-with-session' : 'pair'}>
      <section className="card pair-picker" aria-labelledby="pair-title">
        <h2 id="pair-title" className="card-title">
          Pair with a device
        </h2>
        <p className="help">
          Both screens show the same 6-digit code; confirm it on both, and each device adds the other to its contacts. Contacts can find
          each other in Contacts only mode.
        </p>
        {peers.length === 0 ? (
          <p className="muted">{mode === 'disabled' ? 'Discovery is off, so there are no devices to choose from.' : 'No devices nearby yet.'}</p>
        ) : (
          <fieldset className="picker">
            <legend className="label">Device</legend>
            <PickerGroup title={grouped ? 'My devices' : null} peers={mine} chosenId={chosenId} onChoose={choose} />
            <PickerGroup title={grouped ? 'Your contacts' : null} peers={contacts} chosenId={chosenId} onChoose={choose} />
            <PickerGroup title={grouped ? 'Other devices' : null} peers={others} chosenId={chosenId} onChoose={choose} />
          </fieldset>
        )}
        <div className="row">
          <button
            type="button"
            className="button button-primary"
            disabled={chosen === null || busy}
            aria-describedby="pair-feedback"
            onClick={() => void startPairing()}
          >
            {chosen?.contact !== undefined ? 'Pair again' : 'Pair'}
          </button>
          <PairHint chosen={chosen} any={peers.length > 0} />
        </div>
        <FieldFeedback id="pair-feedback" error={error} />
      </section>
      {session !== null ? <PairingPanel session={session} /> : null}
    </div>
  );
}
