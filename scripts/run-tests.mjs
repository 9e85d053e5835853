#!/usr/bin/env node
// Runs the test files with Node's test runner (through tsx for TypeScript).
// `node scripts/run-tests.mjs [unit|net|e2e|electron ...]` picks folders under tests/; default: all.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const groups = process.argv.slice(2);
const folders = groups.length > 0 ? groups : ['unit', 'net', 'e2e', 'electron'];
const files = [];
function walk(dir) {
  for (const entry of readdirSync(dir).sort()) {
    const p = join(dir, entry);
    if (statSync(p).isDirectory()) walk(p);
    else if (entry.endsWith('.test.ts')) files.push(p);
  }
}
for (const f of folders) walk(join('tests', f));
if (files.length === 0) {
  console.error(`no test files under ${folders.map((f) => 'tests/' + f).join(', ')}`);
  process.exit(1);
}
const concurrency = process.env.TEST_CONCURRENCY ?? '2';
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...files], { stdio: 'inherit' });
process.exit(result.status ?? 1);
