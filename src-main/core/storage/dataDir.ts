// Where the node keeps its state (identity key, settings, libraries).

import os from 'node:os';
import path from 'node:path';

export const APP_DIR_NAME = 'sd-nearby';

export interface DataDirContext {
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  homedir?: string;
}

/**
 * `$SD_NEARBY_DATA_DIR` when set; otherwise the platform's per-user data directory:
 * Linux and others `$XDG_DATA_HOME/sd-nearby` (when absolute) or `~/.local/share/sd-nearby`,
 * macOS `~/Library/Application Support/sd-nearby`, Windows `%APPDATA%\sd-nearby`
 * (or `~\AppData\Roaming\sd-nearby`).
 */
export function defaultDataDir(context: DataDirContext = {}): string {
  const env = context.env ?? process.env;
  const platform = context.platform ?? process.platform;
  const paths = platform === 'win32' ? path.win32 : path.posix;
  const home = context.homedir ?? os.homedir();

  const override = env.SD_NEARBY_DATA_DIR;
  if (override !== undefined && override.trim() !== '') return paths.resolve(override);

  if (platform === 'win32') {
    const appData = env.APPDATA;
    const base = appData !== undefined && appData !== '' && paths.isAbsolute(appData) ? appData : paths.join(home, 'AppData', 'Roaming');
    return paths.join(base, APP_DIR_NAME);
  }
  if (platform === 'darwin') {
    return paths.join(home, 'Library', 'Application Support', APP_DIR_NAME);
  }
  // XDG Base Directory: a relative XDG_DATA_HOME is invalid and ignored.
  const xdg = env.XDG_DATA_HOME;
  const base = xdg !== undefined && xdg !== '' && paths.isAbsolute(xdg) ? xdg : paths.join(home, '.local', 'share');
  return paths.join(base, APP_DIR_NAME);
}
