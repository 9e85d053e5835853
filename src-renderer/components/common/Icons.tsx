// Icons are single-colour SVG files used as masks, so they take the text colour of either theme.

import type { OperatingSystem } from '../../../src-shared/peerMetadata.js';
import { deviceIconFor, deviceModelLabel, OS_LABELS } from '../../model/peerView.js';
import { deviceIconUrl, osIconUrl } from '../../icons/iconUrls.js';

function MaskIcon({ url, label, name, kind }: { url: string; label: string; name: string; kind: 'os' | 'device' }) {
  const mask = `url("${url}")`;
  return <span className={`icon icon-${kind}`} role="img" aria-label={label} title={label} data-icon={name} style={{ maskImage: mask, WebkitMaskImage: mask }} />;
}

export function OsIcon({ os }: { os: OperatingSystem }) {
  return <MaskIcon kind="os" url={osIconUrl(os)} label={OS_LABELS[os]} name={os} />;
}

export function DeviceModelIcon({ model }: { model: string | null }) {
  const name = deviceIconFor(model);
  return <MaskIcon kind="device" url={deviceIconUrl(name)} label={deviceModelLabel(model)} name={name} />;
}
