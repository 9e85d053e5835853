// `sd-nearby account …` through the built CLI (files only, no network), for the tests that make
// issuers, accounts and device credentials as a user would.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { CLI } from './nearby.js';

/** Runs `sd-nearby account ARGS…`; fails the test on a non-zero exit; returns stdout's last line (create-issuer: the public key). */
export function accountCli(...args: string[]): string {
  const r = spawnSync(process.execPath, [CLI, 'account', ...args], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(r.status, 0, `account ${args[0]}: ${r.stderr}`);
  return r.stdout.trim().split('\n').at(-1) ?? '';
}
