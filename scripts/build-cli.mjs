#!/usr/bin/env node
// Bundles the headless CLI (dist/src-main/server/cli.js, built by tsc) with its dependencies into
// one file next to it, dist/src-main/server/cli.bundle.mjs, which bin/sd-nearby.js runs when it
// is there. Why: a node's start-up was mostly module loading (zod, the ASN.1 packages, ...: 180 ms
// of CPU for `--help`, 100 ms bundled), and 30 nodes started at once on a 2-core machine spent
// seconds on it. Next to cli.js, so that its paths relative to import.meta.url still hold.
// `node scripts/build-cli.mjs`.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const serverDir = path.join(root, 'dist', 'src-main', 'server');

await build({
  entryPoints: [path.join(serverDir, 'cli.js')],
  outfile: path.join(serverDir, 'cli.bundle.mjs'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // CommonJS dependencies require() Node's builtins; an ES module has no require of its own.
  banner: { js: "import { createRequire as __nearbyCreateRequire } from 'node:module'; const require = __nearbyCreateRequire(import.meta.url);" },
  legalComments: 'none',
  logLevel: 'warning',
  absWorkingDir: root,
});
