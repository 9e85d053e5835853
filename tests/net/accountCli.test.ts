// `sd-nearby account …` (issue 14), the built CLI as a script runs it: files 0600, the issuer's key
// on the last line, credentials that verify for the node's identity, and one-line errors.
// Nothing here touches the network (the account commands only write files; a serve whose
// arguments are refused stops before anything starts).

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { checkSignatures, checkStanding, decodeAccountCredential, decodeDeviceCredential } from '../../src-main/core/accounts/credentials.js';
import { loadOrCreateIdentity } from '../../src-main/core/storage/identityKey.js';
import { CLI } from '../support/nearby.js';
import { useTempDirs } from '../support/tempDirs.js';

const freshDir = useTempDirs('account-cli');

function run(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 20_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function modeOf(file: string): number {
  return statSync(file).mode & 0o777;
}

/** A refusal: the exit code, and one line on stderr that contains `says`. */
function assertRefused(r: { code: number | null; stderr: string; stdout: string }, code: number, says: RegExp): void {
  assert.equal(r.code, code, `exit ${code}; stderr: ${r.stderr}`);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line: ${r.stderr}`);
  assert.match(lines[0] ?? '', says);
}

describe('sd-nearby account (the built CLI)', () => {
  test('create-issuer, issue, add-device: files 0600, and credentials that verify for the identity of the data directory', async () => {
    const dir = await freshDir();
    const issuerDir = join(dir, 'issuer');
    const created = run('account', 'create-issuer', issuerDir);
    assert.equal(created.code, 0, created.stderr);
    const issuerKey = created.stdout.trim().split('\n').at(-1) ?? '';
    assert.match(issuerKey, /^[A-Za-z0-9+/]{43}$/, 'the public key on the last line');
    assert.equal(modeOf(join(issuerDir, 'issuer.key')), 0o600);
    assert.equal(modeOf(issuerDir), 0o700);

    const accountFile = join(dir, 'oscar.account');
    const issued = run('account', 'issue', '--issuer', issuerDir, '--name', 'Oscar Beaumont', '--email', 'oscar@example.com', '--out', accountFile, '--days', '30');
    assert.equal(issued.code, 0, issued.stderr);
    assert.equal(modeOf(accountFile), 0o600);
    const held = JSON.parse(readFileSync(accountFile, 'utf8')) as { credential: string; accountKey: string };
    assert.match(held.accountKey, /BEGIN PRIVATE KEY/, 'the account key is in the file');
    const account = decodeAccountCredential(held.credential).claims;
    assert.equal(account.issuer, issuerKey);
    assert.equal(account.name, 'Oscar Beaumont');
    assert.equal(account.email, 'oscar@example.com');
    const days = (account.notAfter - Date.now() / 1000) / 86_400;
    assert.ok(days > 29.9 && days <= 30, `valid for 30 days, got ${days}`);

    const dataDir = join(dir, 'node');
    const added = run('account', 'add-device', '--account', accountFile, '--data-dir', dataDir, '--days', '7');
    assert.equal(added.code, 0, added.stderr);
    const stored = join(dataDir, 'account-credentials.json');
    assert.equal(modeOf(stored), 0o600);
    assert.equal(modeOf(join(dataDir, 'identity.key')), 0o600, 'the identity was created');
    const { identity } = await loadOrCreateIdentity(dataDir);
    const credentials = JSON.parse(readFileSync(stored, 'utf8')) as { account: string; device: string };
    assert.equal(credentials.account, held.credential);
    assert.equal(decodeDeviceCredential(credentials.device).claims.device, identity);
    assert.ok(!readFileSync(stored, 'utf8').includes('PRIVATE KEY'), "the account's key stays in the account file");
    const checked = checkSignatures(credentials.account, credentials.device);
    assert.doesNotThrow(() => checkStanding(checked, identity, new Set([issuerKey]), Date.now()));
  });

  test('mistakes: one line that says what to do, exit 2 for the command line, 1 for a file', async () => {
    const dir = await freshDir();
    const issuerDir = join(dir, 'issuer');
    assert.equal(run('account', 'create-issuer', issuerDir).code, 0);
    assertRefused(run('account', 'create-issuer', issuerDir), 1, /already exists.*use another folder/);
    assertRefused(run('account', 'issue', '--issuer', issuerDir, '--name', 'Oscar', '--out', join(dir, 'a')), 2, /needs --email, e\.g\. --email oscar@example\.com/);
    assertRefused(run('account', 'issue', '--issuer', issuerDir, '--name', 'Oscar', '--email', 'oscar', '--out', join(dir, 'a')), 2, /not an email address like oscar@example\.com/);
    assertRefused(run('account', 'issue', '--issuer', issuerDir, '--name', 'Oscar', '--email', 'o@example.com', '--out', join(dir, 'a'), '--days', '0'), 2, /--days expects a whole number of days from 1 to 3650/);
    assertRefused(run('account', 'issue', '--issuer', join(dir, 'nowhere'), '--name', 'Oscar', '--email', 'o@example.com', '--out', join(dir, 'a')), 1, /does not exist; make an issuer with sd-nearby account create-issuer/);
    assertRefused(run('account', 'issue', '--issuer', issuerDir, '--nmae', 'Oscar'), 2, /Unknown option '--nmae'.*it takes --issuer, --name, --email, --out, --days/);
    assertRefused(run('account', 'make-issuer', issuerDir), 2, /account expects create-issuer, issue or add-device, got "make-issuer"/);
    const notAnAccount = join(dir, 'not-an-account');
    writeFileSync(notAnAccount, '{"hello": 1}', { mode: 0o600 });
    assertRefused(run('account', 'add-device', '--account', notAnAccount, '--data-dir', join(dir, 'node')), 1, /is not an account file made by sd-nearby account issue/);
    assertRefused(run('serve', '--trust-issuer', 'not-a-key'), 2, /--trust-issuer expects an issuer's public key/);
  });
});
