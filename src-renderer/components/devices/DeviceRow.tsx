import { memo } from 'react';
import type { Library, Peer } from '../../../src-shared/peer.js';
import { displayName, fingerprintOf, formatLastSeen, librariesInCommon, quotedList } from '../../model/peerView.js';
import { ContactBadge, Fingerprint, LookalikeWarning } from '../common/ContactStanding.js';
import { DeviceAvatar, DeviceKind } from '../common/Icons.js';
import { VerifiedBadge } from '../common/VerifiedBadge.js';
import { AccountLine, MyDeviceBadge } from '../common/AccountMark.js';

/** What the row's tint and tests key on: a contact, one of My devices, a lookalike of a contact, or nothing. */
export function standingOf(peer: Peer): 'contact' | 'my-device' | 'lookalike' | undefined {
  return peer.contact ? 'contact' : peer.myDevice ? 'my-device' : peer.lookalikeOf ? 'lookalike' : undefined;
}

export function optionId(peerId: string): string {
  return `device-${encodeURIComponent(peerId)}`;
}

interface Props {
  peer: Peer;
  ownLibraries: readonly Library[];
  nowMs: number;
  selected: boolean;
  onSelect: (id: string) => void;
}

/** One device of the list (an option of the listbox); re-renders only when its inputs change. */
export const DeviceRow = memo(function DeviceRow({ peer, ownLibraries, nowMs, selected, onSelect }: Props) {
  const { shared: common, claimed } = librariesInCommon(peer, ownLibraries);
  // Where two devices could be taken for one another, each shows its fingerprint.
  const fingerprint = peer.contact !== undefined || peer.lookalikeOf !== undefined ? fingerprintOf(peer.identity) : null;
  return (
    <li
      id={optionId(peer.id)}
      role="option"
      aria-selected={selected}
      className="device-row"
      data-peer-id={peer.id}
      data-standing={standingOf(peer)}
      onClick={() => onSelect(peer.id)}
    >
      <DeviceAvatar model={peer.deviceModel} size="row" />
      <span className="device-main">
        <span className="device-title">
          <span className="device-name" title={displayName(peer)}>
            {displayName(peer)}
          </span>
          <ContactBadge standing={peer} />
          <MyDeviceBadge standing={peer} />
        </span>
        <DeviceKind os={peer.operatingSystem} model={peer.deviceModel} />
        <AccountLine standing={peer} />
        <LookalikeWarning standing={peer} />
        {fingerprint !== null || common.length > 0 ? (
          <span className="device-sub">
            {fingerprint !== null ? <Fingerprint value={fingerprint} /> : null}
            {fingerprint !== null && common.length > 0 ? ' · ' : null}
            {common.length > 0 ? <span className="device-libraries">Libraries in common: {common.map((l) => l.name).join(', ')}</span> : null}
          </span>
        ) : null}
        {claimed.length > 0 ? (
          <span className="device-claim">
            Announces {quotedList(claimed)} but is not a member you know: not trusted for {claimed.length === 1 ? 'it' : 'them'}
          </span>
        ) : null}
        {peer.warning !== undefined ? <span className="device-warning">Warning: {peer.warning}</span> : null}
      </span>
      <span className="device-meta">
        <VerifiedBadge verified={peer.verified} />
        <time className="device-seen" dateTime={peer.lastSeen}>
          {formatLastSeen(peer.lastSeen, nowMs)}
        </time>
      </span>
    </li>
  );
});
