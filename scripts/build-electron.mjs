#!/usr/bin/env node
// Builds the desktop shell (DESIGN §3) with esbuild:
// - dist/electron/main.cjs: main process with the node core, src-shared and their dependencies
//   bundled in, so the packaged app needs no node_modules; only electron and Node builtins stay require()s.
// - dist/electron/preload.cjs: one file whose only require is 'electron' (a sandboxed preload
//   cannot require anything else).
// `node scripts/build-electron.mjs [OUT_DIR]`; importable as buildElectron({ outDir }) for tests.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const DEFAULT_OUT_DIR = path.join(root, 'dist', 'electron');

export async function buildElectron({ outDir = DEFAULT_OUT_DIR } = {}) {
  const { version } = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
  const common = {
    bundle: true,
    format: 'cjs',
    external: ['electron'],
    logLevel: 'warning',
    legalComments: 'none',
    absWorkingDir: root,
  };
  await Promise.all([
    build({
      ...common,
      entryPoints: [path.join(root, 'src-main/electron/main.ts')],
      outfile: path.join(outDir, 'main.cjs'),
      platform: 'node',
      target: 'node20',
      define: { NEARBY_VERSION: JSON.stringify(version) },
    }),
    build({
      ...common,
      entryPoints: [path.join(root, 'src-main/electron/preload.ts')],
      outfile: path.join(outDir, 'preload.cjs'),
      // Sandboxed preloads run in the renderer with a small require(): no Node builtins.
      platform: 'browser',
      target: 'chrome120',
    }),
  ]);
  return { main: path.join(outDir, 'main.cjs'), preload: path.join(outDir, 'preload.cjs') };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const outDir = process.argv[2] ? path.resolve(process.argv[2]) : DEFAULT_OUT_DIR;
  const built = await buildElectron({ outDir });
  process.stdout.write(`built ${path.relative(root, built.main)} and ${path.relative(root, built.preload)}\n`);
}
