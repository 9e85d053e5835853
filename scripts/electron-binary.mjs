// Electron's binary, shared by `npm install` (scripts/postinstall.mjs) and `npm start`
// (scripts/start.mjs). Electron's own postinstall is not run (package.json `allowScripts` denies
// it): where GitHub cannot be reached it would fail the whole install. We run the same installer
// ourselves, quietly, and say in one line what to do when it fails.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const HEADLESS_HINT = 'npx sd-nearby serve --ui 127.0.0.1:7380';
/** Electron's binary is about 100 MB: a slow line gets that long, a dead one fails at once. */
const ELECTRON_DOWNLOAD_TIMEOUT_MS = 10 * 60_000;

/** The binary the electron package points at, or null (its require throws when none was downloaded). */
export function electronBinary() {
  try {
    const binary = createRequire(path.join(ROOT, 'package.json'))('electron');
    return typeof binary === 'string' && existsSync(binary) ? binary : null;
  } catch {
    return null;
  }
}

/** Whether the electron package itself is installed (npm drops it when its own postinstall failed). */
export function electronPackageInstalled() {
  return existsSync(path.join(ROOT, 'node_modules', 'electron', 'install.js'));
}

/** Runs electron's own installer (quietly: its failure is a stack trace); the binary, or null. */
export function downloadElectron() {
  if (!electronPackageInstalled()) return null;
  const installer = path.join(ROOT, 'node_modules', 'electron', 'install.js');
  spawnSync(process.execPath, [installer], { cwd: path.dirname(installer), stdio: 'ignore', timeout: ELECTRON_DOWNLOAD_TIMEOUT_MS });
  return electronBinary();
}

/** The one line said when there is no binary: how to get the desktop window, and what works now. */
export function noElectronLine() {
  const retry = electronPackageInstalled() ? '`npm start` tries again' : 'run `npm install` again';
  return `sd-nearby: no Electron binary (it could not be downloaded: GitHub unreachable?), so no desktop window yet: ${retry} where GitHub can be reached; the headless mode works now: ${HEADLESS_HINT}`;
}
