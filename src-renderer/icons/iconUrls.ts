// URLs of the SVG icons in assets/icons/ (bundled by Vite as files), by name.

import type { OperatingSystem } from '../../src-shared/peerMetadata.js';
import type { DeviceIconName } from '../model/peerView.js';

function byName(files: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(files).map(([path, url]) => [path.replace(/^.*\//u, '').replace(/\.svg$/u, ''), url]));
}

const osFiles = byName(import.meta.glob<string>('../../assets/icons/os/*.svg', { eager: true, query: '?url', import: 'default' }));
const deviceFiles = byName(import.meta.glob<string>('../../assets/icons/device/*.svg', { eager: true, query: '?url', import: 'default' }));

export function osIconUrl(os: OperatingSystem): string {
  return osFiles[os] ?? osFiles.other ?? '';
}

export function deviceIconUrl(name: DeviceIconName): string {
  return deviceFiles[name] ?? deviceFiles.generic ?? '';
}
