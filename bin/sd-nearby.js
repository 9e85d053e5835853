#!/usr/bin/env node
// Entry point of `npx sd-nearby`: runs the compiled CLI (built by `npm run build`),
// bundled into one file when scripts/build-cli.mjs made it (it starts in about half the time).
import { existsSync } from 'node:fs';

const bundle = new URL('../dist/src-main/server/cli.bundle.mjs', import.meta.url);
const compiled = new URL('../dist/src-main/server/cli.js', import.meta.url);
const cli = existsSync(bundle) ? bundle : compiled;
if (!existsSync(cli)) {
  process.stderr.write('sd-nearby: not built yet; run `npm run build` in the project folder first\n');
  process.exit(2);
}
const { main } = await import(cli.href);
await main(process.argv.slice(2));
