// The API token file (src-main/server/apiToken.ts): made once, 0600, kept across restarts; one
// that someone else could have read or planted is replaced, a symlink's target never touched.

import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { API_TOKEN_FILE, loadOrCreateApiToken } from '../../src-main/server/apiToken.js';

const posix = process.platform !== 'win32';
const NOBODY_UID = 65534;

let root: string;
let counter = 0;
before(async () => {
  root = await fsp.mkdtemp(path.join(os.tmpdir(), 'sd-nearby-token-'));
});
after(async () => {
  await fsp.rm(root, { recursive: true, force: true });
});
async function freshDir(): Promise<string> {
  const dir = path.join(root, `t${++counter}`);
  await fsp.mkdir(dir);
  return dir;
}

describe('loadOrCreateApiToken', () => {
  test('makes a token of 256 bits on first start, in a file only the owner can read, and keeps it', { skip: posix ? false : 'POSIX file modes' }, async () => {
    const dir = await freshDir();
    const token = loadOrCreateApiToken(dir);
    assert.match(token, /^[\w-]{43}$/);
    const st = await fsp.stat(path.join(dir, API_TOKEN_FILE));
    assert.equal(st.mode & 0o777, 0o600);
    assert.equal(loadOrCreateApiToken(dir), token, 'the same token after a restart');
    assert.deepEqual(await fsp.readdir(dir), [API_TOKEN_FILE], 'no temporary file left');
  });

  test('a token file others could read is no secret: replaced by a new one, 0600', { skip: posix ? false : 'POSIX file modes' }, async () => {
    const dir = await freshDir();
    const file = path.join(dir, API_TOKEN_FILE);
    const old = 'a'.repeat(43);
    await fsp.writeFile(file, `${old}\n`, { mode: 0o644 });
    await fsp.chmod(file, 0o644);
    const token = loadOrCreateApiToken(dir);
    assert.notEqual(token, old);
    assert.equal((await fsp.stat(file)).mode & 0o777, 0o600);
  });

  test('a symlink planted as the token file is replaced; its target is neither read nor changed', { skip: posix ? false : 'symlinks' }, async () => {
    const dir = await freshDir();
    const target = path.join(root, `target-${counter}`);
    const known = 'b'.repeat(43);
    await fsp.writeFile(target, known, { mode: 0o600 });
    await fsp.symlink(target, path.join(dir, API_TOKEN_FILE));
    const token = loadOrCreateApiToken(dir);
    assert.notEqual(token, known, 'the planted token is not believed');
    assert.equal(await fsp.readFile(target, 'utf8'), known);
    assert.equal((await fsp.stat(target)).mode & 0o777, 0o600);
    assert.ok(!(await fsp.lstat(path.join(dir, API_TOKEN_FILE))).isSymbolicLink());
  });

  test('a token file that belongs to another user is replaced', { skip: process.getuid?.() === 0 ? false : 'needs root to give a file to another user' }, async () => {
    const dir = await freshDir();
    const file = path.join(dir, API_TOKEN_FILE);
    const planted = 'c'.repeat(43);
    await fsp.writeFile(file, planted, { mode: 0o600 });
    await fsp.chown(file, NOBODY_UID, NOBODY_UID);
    assert.notEqual(loadOrCreateApiToken(dir), planted);
    assert.equal((await fsp.stat(file)).uid, 0);
  });

  test('a file that holds no token is replaced', async () => {
    const dir = await freshDir();
    await fsp.writeFile(path.join(dir, API_TOKEN_FILE), 'short\n', { mode: 0o600 });
    assert.match(loadOrCreateApiToken(dir), /^[\w-]{43}$/);
  });

  test('a data directory it cannot write to: a sentence that says what to check', { skip: process.getuid?.() === 0 ? 'root writes anywhere' : false }, async () => {
    const dir = await freshDir();
    await fsp.chmod(dir, 0o500);
    assert.throws(() => loadOrCreateApiToken(dir), /cannot write the API token to .*check that the data directory belongs to you and is writable/);
  });
});
