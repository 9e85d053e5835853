#!/usr/bin/env node
// `npm start`: builds the desktop app (renderer and Electron bundles) and opens it. Electron's
// binary is not downloaded at install (.npmrc: no install scripts): the first start fetches it
// (electron's own install.js). Where it cannot be had (no route to GitHub, as on the machines this
// project is built on) it says so in one line, points to the headless mode, and exits 1.
// Arguments after `npm start --` go to the app.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const HEADLESS_HINT = 'npx sd-nearby serve --ui 127.0.0.1:7380';

/** The binary the electron package points at, or null (its require throws when none was downloaded). */
function electronBinary() {
  try {
    const binary = createRequire(import.meta.url)('electron');
    return typeof binary === 'string' && existsSync(binary) ? binary : null;
  } catch {
    return null;
  }
}

/** Runs electron's own download (quietly: its failure is a stack trace); the binary, or null. */
function downloadElectron() {
  const installer = path.join(root, 'node_modules', 'electron', 'install.js');
  if (!existsSync(installer)) return null;
  if (process.stderr.isTTY) process.stderr.write('sd-nearby: downloading Electron (once)...\n');
  spawnSync(process.execPath, [installer], { cwd: path.dirname(installer), stdio: 'ignore', timeout: 10 * 60_000 });
  return electronBinary();
}

const binary = electronBinary() ?? downloadElectron();
if (binary === null) {
  process.stderr.write(`sd-nearby: no Electron binary on this machine and none could be downloaded (GitHub unreachable?); use the headless mode instead: ${HEADLESS_HINT}\n`);
  process.exit(1);
}

const npm = process.env.npm_execpath ? [process.execPath, process.env.npm_execpath] : [process.platform === 'win32' ? 'npm.cmd' : 'npm'];
const build = spawnSync(npm[0], [...npm.slice(1), 'run', '--silent', 'build:desktop'], { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' && !process.env.npm_execpath });
if (build.status !== 0) process.exit(build.status ?? 1);

const env = { ...process.env };
delete env.ELECTRON_RUN_AS_NODE; // would turn the app into a plain Node process
const app = spawn(binary, [path.join(root, 'dist', 'electron', 'main.cjs'), ...process.argv.slice(2)], { cwd: root, stdio: 'inherit', env });
// The app says goodbye on SIGINT/SIGTERM itself. Ctrl-C reaches it directly (same process group),
// and a second SIGINT would make it exit at once: only SIGTERM is passed on. Then wait for it.
process.on('SIGINT', () => {});
process.on('SIGTERM', () => app.kill('SIGTERM'));
app.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
