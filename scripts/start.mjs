#!/usr/bin/env node
// `npm start`: builds the desktop app (renderer and Electron bundles) and opens it. `npm install`
// downloads Electron's binary where it can (scripts/postinstall.mjs); where it could not, the
// first start tries again. Where it cannot be had (no route to GitHub, as on the machines this
// project is built on) it says so in one line, points to the headless mode, and exits 1.
// Arguments after `npm start --` go to the app.
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { ROOT as root, downloadElectron, electronBinary, noElectronLine } from './electron-binary.mjs';

function downloadOnce() {
  if (process.stderr.isTTY) process.stderr.write('sd-nearby: downloading Electron (once)...\n');
  return downloadElectron();
}

const binary = electronBinary() ?? downloadOnce();
if (binary === null) {
  process.stderr.write(`${noElectronLine()}\n`);
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
