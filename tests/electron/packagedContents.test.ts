// What the packaged desktop app holds, from electron-builder itself with electron-builder.yml:
// `electron-builder --dir --linux` on a staged copy of the project, with a stand-in for the Electron
// binary (none can be downloaded here; the stand-in carries the fuse wire, so the fuses are flipped
// for real). The app.asar must hold the built entry points, the renderer, package.json, and
// nothing else: no sources, tests, tsc output, node_modules or source maps.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);

/** Where @electron/fuses finds the fuse wire in an Electron binary: sentinel, version 1, length, one byte per fuse. */
const FUSE_SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
const FUSES = ['runAsNode', 'enableCookieEncryption', 'enableNodeOptionsEnvironmentVariable', 'enableNodeCliInspectArguments', 'enableEmbeddedAsarIntegrityValidation', 'onlyLoadAppFromAsar', 'loadBrowserProcessSpecificV8Snapshot', 'grantFileProtocolExtraPrivileges'];
/** Electron's defaults: '1' enabled, '0' disabled. */
const DEFAULT_FUSE_WIRE = '10110001';

/** The file names inside an asar archive (its header is a length-prefixed JSON tree). */
function asarFiles(archive: Buffer): string[] {
  const headerLength = archive.readUInt32LE(12);
  const header = JSON.parse(archive.subarray(16, 16 + headerLength).toString('utf8')) as AsarDir;
  const files: string[] = [];
  const walk = (dir: AsarDir, prefix: string) => {
    for (const [name, entry] of Object.entries(dir.files)) {
      if ('files' in entry) walk(entry, `${prefix}${name}/`);
      else files.push(`${prefix}${name}`);
    }
  };
  walk(header, '');
  return files.sort();
}
interface AsarDir {
  files: Record<string, AsarDir | { size: number }>;
}

function filesUnder(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir).sort()) {
    const p = path.join(dir, entry);
    if (statSync(p).isDirectory()) out.push(...filesUnder(p, `${prefix}${entry}/`));
    else out.push(`${prefix}${entry}`);
  }
  return out;
}

async function put(file: string, content = 'decoy\n'): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, content);
}

describe('the packaged desktop app (electron-builder --dir, stand-in Electron binary)', () => {
  let stage = '';
  let unpacked = '';
  let packaged: string[] = [];
  let rendererFiles: string[] = [];

  before(async () => {
    stage = await mkdtemp(path.join(tmpdir(), 'nearby-package-'));
    for (const f of ['package.json', 'package-lock.json', 'electron-builder.yml']) await cp(path.join(ROOT, f), path.join(stage, f));
    await symlink(path.join(ROOT, 'node_modules'), path.join(stage, 'node_modules'), 'dir');
    await run(process.execPath, [path.join(ROOT, 'scripts', 'build-electron.mjs'), path.join(stage, 'dist', 'electron')], { cwd: ROOT });

    // The real renderer when it has been built, else a stand-in of the same shape (vite's output).
    const realRenderer = path.join(ROOT, 'dist', 'renderer');
    if (existsSync(path.join(realRenderer, 'index.html'))) {
      await cp(realRenderer, path.join(stage, 'dist', 'renderer'), { recursive: true });
    } else {
      await put(path.join(stage, 'dist/renderer/index.html'), '<!doctype html><script type="module" src="./assets/index.js"></script>');
      await put(path.join(stage, 'dist/renderer/assets/index.js'), 'console.log(1);\n//# sourceMappingURL=index.js.map\n');
      await put(path.join(stage, 'dist/renderer/assets/index.js.map'), '{}');
      await put(path.join(stage, 'dist/renderer/assets/laptop.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    }
    rendererFiles = filesUnder(path.join(stage, 'dist', 'renderer')).map((f) => `dist/renderer/${f}`);

    // What a working tree also holds, none of which belongs in the package.
    for (const decoy of [
      'src-main/core/node.ts',
      'src-main/electron/main.ts',
      'src-shared/contract.ts',
      'src-renderer/main.tsx',
      'tests/unit/ipcBridge.test.ts',
      'scripts/start.mjs',
      'bench/run.ts',
      'bin/sd-nearby.js',
      'dist/src-main/core/node.js',
      'dist/src-main/core/node.js.map',
      'dist/src-shared/rpc.js',
      'dist/electron/main.cjs.map',
      'assets/icons/os/linux.svg',
      'README.md',
      'tsconfig.base.json',
      '.ci/run',
      '.env',
    ]) {
      await put(path.join(stage, decoy));
    }

    // A stand-in Electron distribution: a script with Electron's default fuse wire inside.
    const electronVersion = (JSON.parse(await readFile(path.join(ROOT, 'node_modules/electron/package.json'), 'utf8')) as { version: string }).version;
    const dist = path.join(stage, 'electron-dist');
    await put(path.join(dist, 'electron'), `#!/bin/sh\necho 'stand-in for the Electron binary'\nexit 1\n# ${FUSE_SENTINEL}\x01${String.fromCharCode(FUSES.length)}${DEFAULT_FUSE_WIRE}\n`);
    await put(path.join(dist, 'version'), `${electronVersion}\n`);
    await put(path.join(dist, 'LICENSE'), 'MIT\n');
    await put(path.join(dist, 'LICENSES.chromium.html'), '<html></html>\n');

    const out = path.join(stage, 'release');
    await run(
      process.execPath,
      [path.join(ROOT, 'node_modules/electron-builder/cli.js'), '--dir', '--linux', '--x64', '--publish', 'never', '--projectDir', stage, `-c.electronDist=${dist}`, `-c.directories.output=${out}`],
      { cwd: stage, env: { ...process.env, CSC_IDENTITY_AUTO_DISCOVERY: 'false', ELECTRON_BUILDER_CACHE: path.join(stage, 'cache') }, maxBuffer: 16 * 1024 * 1024 },
    );
    unpacked = path.join(out, 'linux-unpacked');
    packaged = asarFiles(await readFile(path.join(unpacked, 'resources', 'app.asar')));
  });

  after(async () => {
    if (stage) await rm(stage, { recursive: true, force: true });
  });

  test('app.asar holds exactly package.json, the two Electron bundles and the renderer without source maps', () => {
    const expected = ['package.json', 'dist/electron/main.cjs', 'dist/electron/preload.cjs', ...rendererFiles.filter((f) => !f.endsWith('.map'))].sort();
    assert.deepEqual(packaged, expected);
  });

  test('the entry points are in: main, preload, and the page main loads', () => {
    for (const f of ['dist/electron/main.cjs', 'dist/electron/preload.cjs', 'dist/renderer/index.html']) assert.ok(packaged.includes(f), f);
  });

  test('nothing else came along: no sources, tests, tsc output, node_modules, maps or dotfiles', () => {
    const stray = packaged.filter((f) => /^(src-|tests\/|scripts\/|bench\/|bin\/|assets\/|node_modules\/|dist\/src-|\.)/.test(f) || f.endsWith('.map') || f.endsWith('.ts'));
    assert.deepEqual(stray, []);
  });

  test('the packaged package.json points Electron at the main bundle', async () => {
    const archive = await readFile(path.join(unpacked, 'resources', 'app.asar'));
    const headerLength = archive.readUInt32LE(12);
    const header = JSON.parse(archive.subarray(16, 16 + headerLength).toString('utf8')) as { files: Record<string, { size: number; offset: string }> };
    const entry = header.files['package.json']!;
    // File data starts after the 8-byte size pickle and the header pickle (4-byte aligned).
    const dataStart = 8 + archive.readUInt32LE(4);
    const pkg = JSON.parse(archive.subarray(dataStart + Number(entry.offset), dataStart + Number(entry.offset) + entry.size).toString('utf8')) as { main?: string };
    assert.equal(pkg.main, 'dist/electron/main.cjs');
  });

  test('the fuses are flipped: no ELECTRON_RUN_AS_NODE, NODE_OPTIONS or --inspect; only this app.asar loads', async () => {
    const binaries = readdirSync(unpacked).filter((f) => !/\.(txt|html)$|^version$|^resources$/.test(f));
    assert.equal(binaries.length, 1, `one executable expected, found ${binaries.join(', ')}`);
    const binary = await readFile(path.join(unpacked, binaries[0]!));
    const at = binary.indexOf(FUSE_SENTINEL) + FUSE_SENTINEL.length;
    const wire = binary.subarray(at + 2, at + 2 + FUSES.length).toString('latin1');
    const state = Object.fromEntries(FUSES.map((name, i) => [name, wire[i] === '1']));
    assert.deepEqual(state, {
      runAsNode: false,
      enableCookieEncryption: true,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      loadBrowserProcessSpecificV8Snapshot: false,
      // Left on: the page is loaded from file:// and its module scripts need it.
      grantFileProtocolExtraPrivileges: true,
    });
  });
});
