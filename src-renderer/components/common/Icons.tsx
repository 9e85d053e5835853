// Icons are single-colour SVG files used as masks, so they take the text colour of either theme.
// A device is drawn the same wherever it is shown: its model's icon on a tile (DeviceAvatar), and
// its system and model in words beside the system's icon (DeviceKind), never an icon alone.

import type { OperatingSystem } from '../../../src-shared/peerMetadata.js';
import { deviceIconFor, deviceKindWords, deviceModelLabel } from '../../model/peerView.js';
import { deviceIconUrl, osIconUrl } from '../../icons/iconUrls.js';

function MaskIcon({ url, label, name, kind }: { url: string; label: string | null; name: string; kind: 'os' | 'device' }) {
  const mask = `url("${url}")`;
  const style = { maskImage: mask, WebkitMaskImage: mask };
  // Beside its words an icon is decoration (the words say it); alone it carries a label.
  if (label === null) return <span className={`icon icon-${kind}`} aria-hidden="true" data-icon={name} style={style} />;
  return <span className={`icon icon-${kind}`} role="img" aria-label={label} title={label} data-icon={name} style={style} />;
}

/** The system's icon beside its name in words (DeviceKind): decoration, the words say it. */
function OsIcon({ os }: { os: OperatingSystem }) {
  return <MaskIcon kind="os" url={osIconUrl(os)} label={null} name={os} />;
}

function DeviceModelIcon({ model }: { model: string | null }) {
  const name = deviceIconFor(model);
  return <MaskIcon kind="device" url={deviceIconUrl(name)} label={deviceModelLabel(model)} name={name} />;
}

/** The model's icon on a tile: `size` sets how large (the list's rows, the details, the picker's tiles). */
export function DeviceAvatar({ model, size }: { model: string | null; size: 'row' | 'details' | 'tile' }) {
  return (
    <span className={`device-avatar device-avatar-${size}`}>
      <DeviceModelIcon model={model} />
    </span>
  );
}

/** The system's icon and the device's kind in words: "macOS · MacBook Pro", or "Linux" when the model is not known. */
export function DeviceKind({ os, model, className = '' }: { os: OperatingSystem; model: string | null; className?: string }) {
  const words = deviceKindWords(os, model);
  return (
    <span className={`device-kind ${className}`.trim()} title={words}>
      <OsIcon os={os} />
      <span className="device-kind-words">{words}</span>
    </span>
  );
}
