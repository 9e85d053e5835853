// What the desktop app takes from its environment. Kept apart from main.ts so it can be tested
// without Electron.

import path from 'node:path';
import { DISCOVERY_MODES, type DiscoveryMode } from '../../src-shared/discoveryModes.js';
import { defaultDataDir } from '../core/storage/dataDir.js';

/** `disabled` starts the node without any discovery traffic (tests, a quiet start); the choice is saved. */
export const MODE_ENV = 'SD_NEARBY_MODE';
export const DATA_DIR_ENV = 'SD_NEARBY_DATA_DIR';

export interface LaunchOptions {
  /** The node's data (identity key, settings, libraries): the same folder `sd-nearby serve` uses. */
  dataDir: string;
  /** Where Electron keeps its own profile; null for Electron's default (per-user config folder). */
  electronProfileDir: string | null;
  /** A mode to start in (and save), or null for the saved one. */
  mode: DiscoveryMode | null;
}

export type LaunchOptionsResult = { ok: true; value: LaunchOptions } | { ok: false; reason: string };

export function launchOptionsFromEnv(env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): LaunchOptionsResult {
  const dataDir = defaultDataDir({ env, platform });
  // One variable isolates a whole run (tests, a portable copy): Electron's profile goes there too.
  const custom = env[DATA_DIR_ENV] !== undefined && env[DATA_DIR_ENV].trim() !== '';
  const electronProfileDir = custom ? (platform === 'win32' ? path.win32 : path.posix).join(dataDir, 'electron-profile') : null;
  const rawMode = env[MODE_ENV]?.trim();
  let mode: DiscoveryMode | null = null;
  if (rawMode !== undefined && rawMode !== '') {
    if (!(DISCOVERY_MODES as readonly string[]).includes(rawMode)) {
      return { ok: false, reason: `${MODE_ENV}=${JSON.stringify(rawMode).slice(0, 40)} is not a discovery mode; use one of ${DISCOVERY_MODES.join(', ')}` };
    }
    mode = rawMode as DiscoveryMode;
  }
  return { ok: true, value: { dataDir, electronProfileDir, mode } };
}
