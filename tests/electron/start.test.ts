// `npm start` (scripts/start.mjs) where the electron package has no binary: one line that says so
// and names the headless mode, and a non-zero exit, without building or starting anything.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function hasElectronBinary(): boolean {
  try {
    const binary = createRequire(import.meta.url)('electron') as unknown;
    return typeof binary === 'string' && existsSync(binary);
  } catch {
    return false;
  }
}

test(
  'npm start without an Electron binary says so in one line, points to the headless mode and exits non-zero',
  { skip: hasElectronBinary() ? 'this machine has an Electron binary: npm start would open the app' : false },
  () => {
    // Electron's own installer skips its download with this: nothing may leave the machine here
    // (it stands in for a machine that cannot reach GitHub, where the download fails).
    const env = { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1' };
    const result = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'start.mjs')], { cwd: ROOT, encoding: 'utf8', timeout: 20_000, env });
    assert.notEqual(result.status, 0);
    assert.equal(result.stdout, '');
    const lines = result.stderr.split('\n').filter((l) => l !== '');
    assert.equal(lines.length, 1, result.stderr);
    assert.match(lines[0]!, /^sd-nearby: no Electron binary/, 'the same prefix as the CLI');
    assert.match(lines[0]!, /npx sd-nearby serve --ui 127\.0\.0\.1:7380/);
  },
);
