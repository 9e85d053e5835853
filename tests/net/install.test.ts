// `npm install` as a newcomer meets it on a machine that cannot download Electron's binary: the
// project's own package.json and lock file, `npm ci` run for real inside a namespace host that
// reaches nothing (npm takes the packages from its cache, `--offline`; Electron's download finds no
// route). It must succeed with no environment variable set, print no engine warning and no npm
// warning, and say in one line how to get the desktop window.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isRoot, Lan, type Host, type RunResult } from '../support/lan.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const skip = isRoot() ? false : 'needs root to create a network namespace with no route out';
/** What `npm ci` reads and runs: the manifest, the lock, and the postinstall with its module. */
const PROJECT_FILES = ['package.json', 'package-lock.json', 'scripts/postinstall.mjs', 'scripts/electron-binary.mjs'];
const NPM_CI_TIMEOUT_MS = 240_000;

/** The environment of a newcomer: none of ours that would change how the install behaves. */
function newcomerEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !/^(ELECTRON_|npm_)/i.test(k)) env[k] = v;
  }
  return env;
}

describe('npm install where Electron cannot be downloaded (real npm ci, namespace with no route out)', { skip }, () => {
  let lan: Lan;
  let host: Host;
  let project = '';
  let result: RunResult;

  before(async () => {
    lan = await Lan.create({ hosts: 1, ipv6: false });
    host = lan.hosts[0]!;
    project = mkdtempSync(path.join(tmpdir(), 'nearby-install-'));
    for (const f of PROJECT_FILES) cpSync(path.join(ROOT, f), path.join(project, f));
    // `env -i` + an explicit environment: process.env of the test runner holds npm_* variables
    // when it runs under `npm test`, and those would steer the inner npm.
    const env = newcomerEnv();
    result = await host.run('env', ['-i', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), 'npm', 'ci', '--offline', '--no-audit', '--no-fund'], {
      cwd: project,
      timeoutMs: NPM_CI_TIMEOUT_MS,
    });
  });
  after(async () => {
    if (project) rmSync(project, { recursive: true, force: true });
    await lan?.destroy();
  });

  test('exits 0, with the electron package in place (its types build the desktop shell) and no binary', () => {
    assert.equal(result.timedOut, false, 'npm ci did not finish');
    assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
    assert.ok(existsSync(path.join(project, 'node_modules', 'electron', 'electron.d.ts')));
    assert.ok(!existsSync(path.join(project, 'node_modules', 'electron', 'path.txt')), 'no binary came from anywhere');
  });

  test('says in one line how to get the desktop window, and what works meanwhile', () => {
    const ours = `${result.stdout}\n${result.stderr}`.split('\n').filter((l) => l.startsWith('sd-nearby:'));
    console.log(`  ${ours.join('\n  ')}`);
    assert.equal(ours.length, 1, `${result.stdout}\n${result.stderr}`);
    assert.match(ours[0]!, /no Electron binary .*desktop window/);
    assert.match(ours[0]!, /`npm start` tries again/);
    assert.match(ours[0]!, /npx sd-nearby serve --ui 127\.0\.0\.1:7380/);
  });

  test('prints no warning: no EBADENGINE, no install script left unreviewed, no stack trace', () => {
    const output = `${result.stdout}\n${result.stderr}`;
    assert.doesNotMatch(output, /EBADENGINE|Unsupported engine/);
    assert.doesNotMatch(output, /npm warn/i);
    assert.doesNotMatch(output, /\n\s+at /, 'no stack trace');
  });
});
