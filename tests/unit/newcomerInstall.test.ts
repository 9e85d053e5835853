// What a newcomer meets before any code runs: `npm install` and the test prerequisites, checked
// against the files that decide them (the lock file, package.json, README, .ci/run, Dockerfile).
// The install itself runs for real in tests/net/install.test.ts.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { REPO_ROOT } from '../support/nearby.js';

// semver comes with npm's own dependency tree (electron-builder's); it is the matcher npm uses.
const semver = createRequire(join(REPO_ROOT, 'package.json'))('semver') as { satisfies(version: string, range: string): boolean };

interface LockedPackage {
  version?: string;
  engines?: { node?: string } | string[];
  hasInstallScript?: boolean;
  optional?: boolean;
}
interface PackageJson {
  engines: { node: string };
  optionalDependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  allowScripts?: Record<string, boolean>;
  scripts: Record<string, string>;
}

const read = (file: string) => readFileSync(join(REPO_ROOT, file), 'utf8');
const lock = JSON.parse(read('package-lock.json')) as { packages: Record<string, LockedPackage> };
const pkg = JSON.parse(read('package.json')) as PackageJson;
const readme = read('README.md');

/** The Node version the README names for `npm install` ("Node 20.19+"), as x.y.0. */
function readmeNodeVersion(): string {
  const m = /\(Node (\d+)\.(\d+)\+\)/.exec(readme);
  assert.ok(m, 'the README names the Node version it needs as "(Node X.Y+)"');
  return `${m[1]}.${m[2]}.0`;
}

/** A package's name from its lock path (node_modules/a/node_modules/@b/c -> @b/c). */
const nameOf = (lockPath: string) => lockPath.slice(lockPath.lastIndexOf('node_modules/') + 'node_modules/'.length);

describe('npm install on the Node the README names', () => {
  test('package.json engines and the Dockerfile agree with the README', () => {
    const node = readmeNodeVersion();
    assert.equal(pkg.engines.node, `>=${node.replace(/\.0$/, '')}`);
    const base = /^FROM node:(\d+)-slim/m.exec(read('Dockerfile'))?.[1];
    assert.equal(base, node.split('.')[0], 'the image runs the same major version');
  });

  test('every package in the lock file accepts it: npm says no EBADENGINE', () => {
    const node = readmeNodeVersion();
    const refusing = Object.entries(lock.packages)
      .filter(([, p]) => p.engines !== undefined && !Array.isArray(p.engines) && typeof p.engines.node === 'string')
      .filter(([, p]) => !semver.satisfies(node, (p.engines as { node: string }).node))
      .map(([path, p]) => `${nameOf(path)}@${p.version} wants node ${(p.engines as { node: string }).node}`);
    assert.deepEqual(refusing, []);
  });

  test('no dependency runs an install script: each one that has one is denied in allowScripts (npm 11 warns of none)', () => {
    const withScripts = [...new Set(Object.entries(lock.packages).filter(([path, p]) => path !== '' && p.hasInstallScript).map(([path]) => nameOf(path)))];
    assert.ok(withScripts.includes('electron'), 'electron has its download as a postinstall');
    const unreviewed = withScripts.filter((name) => pkg.allowScripts?.[name] !== false);
    assert.deepEqual(unreviewed, []);
  });

  test('Electron is optional, so npm 10 (no allowScripts) drops it when its download fails instead of failing the install', () => {
    assert.ok(pkg.optionalDependencies?.electron, 'electron in optionalDependencies');
    assert.equal(pkg.devDependencies?.electron, undefined, 'and nowhere else');
    assert.equal(lock.packages['node_modules/electron']?.optional, true);
  });

  test("the project's own postinstall gets the binary or says in one line how to get the desktop window", () => {
    assert.equal(pkg.scripts.postinstall, 'node scripts/postinstall.mjs');
  });
});

describe('the test prerequisites', () => {
  test("the README's one line installs exactly the packages .ci/run installs", () => {
    const ciList = /^PACKAGES=\(([^)]*)\)/m.exec(read('.ci/run'))?.[1]?.trim().split(/\s+/);
    assert.ok(ciList && ciList.length > 0, '.ci/run has PACKAGES=(...)');
    const testSection = readme.slice(readme.indexOf('## Test it'));
    const line = /^sudo apt-get install -y (?:--no-install-recommends )?([^\n]+)$/m.exec(testSection)?.[1];
    assert.ok(line !== undefined, 'the Test it section starts with one apt-get install line');
    assert.deepEqual(line.trim().split(/\s+/).sort(), [...ciList].sort());
    const commands = /```sh\n([\s\S]*?)```/.exec(testSection)?.[1]?.trim().split('\n') ?? [];
    assert.match(commands[0] ?? '', /^sudo apt-get install/, 'the prerequisites come first');
    assert.ok(commands.some((c) => /^npm install\b/.test(c)) && commands.some((c) => /^(sudo )?npm test\b/.test(c)), 'then npm install and npm test');
  });
});
