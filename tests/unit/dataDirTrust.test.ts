// Issue 11, attack 8: a planted data directory. Nearby believes what it reads in its data
// directory, so it refuses one that someone else can write (world- or group-writable, or another
// user's), refuses files there that are not the user's alone, and follows no symbolic link
// there (a planted identity.key link used to get its target chmod'ed). Each refusal is one line
// that ends with the fix.

import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { IDENTITY_KEY_FILE, loadOrCreateIdentity } from '../../src-main/core/storage/identityKey.js';
import { SETTINGS_FILE, SettingsStore } from '../../src-main/core/storage/settings.js';
import { ContactStore, CONTACTS_FILE } from '../../src-main/core/storage/contacts.js';
import { NearbyNode } from '../../src-main/core/node.js';

const posix = process.platform !== 'win32';
const needsPosix = posix ? false : 'needs POSIX owners and modes';
const runsAsRoot = process.getuid?.() === 0;
const needsRoot = !posix ? 'needs POSIX owners and modes' : runsAsRoot ? false : 'needs root, to give a directory to another user (chown)';
/** The user "nobody": a uid that is not ours. */
const NOBODY_UID = 65534;

let root: string;
let counter = 0;
before(async () => {
  root = await fsp.mkdtemp(path.join(os.tmpdir(), 'sd-nearby-trust-'));
});
after(async () => {
  await fsp.rm(root, { recursive: true, force: true });
});
function freshPath(): string {
  return path.join(root, `t${++counter}`);
}
async function freshDir(mode = 0o700): Promise<string> {
  const dir = freshPath();
  await fsp.mkdir(dir);
  await fsp.chmod(dir, mode);
  return dir;
}

/** One line, and it ends with the command that fixes it. */
function assertOneLineFix(err: unknown, fix: RegExp): true {
  assert.ok(err instanceof Error, `an error, got ${String(err)}`);
  assert.doesNotMatch(err.message, /\n/);
  assert.match(err.message, fix);
  return true;
}

/** Opens the node on `dir` as `serve` and the Electron app do (no network: it is not started). */
async function openNode(dir: string): Promise<void> {
  const node = await NearbyNode.open({ dataDir: dir, version: '0.0.0', deviceModel: null });
  await node.close();
}

/** A regular expression that matches `text` literally. */
function literal(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe('the data directory (NearbyNode.open: serve and the Electron app)', { skip: needsPosix }, () => {
  test('is created 0700 when missing; the user’s own 0700 or 0755 directory is used', async () => {
    const created = path.join(freshPath(), 'a', 'b');
    await openNode(created);
    assert.equal((await fsp.stat(created)).mode & 0o777, 0o700);
    await openNode(await freshDir(0o755));
  });

  test('world-writable: refused before anything in it is read or written, with `chmod 700 <dir>`', async () => {
    const dir = await freshDir(0o777);
    await fsp.writeFile(path.join(dir, SETTINGS_FILE), JSON.stringify({ version: 1, name: 'Planted', discovery: 'everyone', port: null, manualPeers: [] }));
    await assert.rejects(openNode(dir), (err) => assertOneLineFix(err, new RegExp(`other users can write to it \\(mode 777\\).*: chmod 700 ${literal(dir)}$`)));
    assert.deepEqual(await fsp.readdir(dir), [SETTINGS_FILE], 'nothing was written there');
  });

  test('group-writable: refused too', async () => {
    const dir = await freshDir(0o770);
    await assert.rejects(openNode(dir), (err) => assertOneLineFix(err, new RegExp(`\\(mode 770\\).*: chmod 700 ${literal(dir)}$`)));
  });

  test('owned by another user: refused, with the chown that makes it ours', { skip: needsRoot }, async () => {
    const dir = await freshDir(0o700);
    await fsp.chown(dir, NOBODY_UID, NOBODY_UID);
    const fix = `sudo chown -R ${process.getuid?.()} ${dir} && chmod 700 ${dir}`;
    await assert.rejects(openNode(dir), (err) => assertOneLineFix(err, new RegExp(`belongs to another user \\(uid ${NOBODY_UID}\\).*: ${literal(fix)}$`)));
  });

  test('a path with spaces or quotes is quoted for the shell in the fix', async () => {
    const dir = path.join(await freshDir(), "my 'data'");
    await fsp.mkdir(dir, { mode: 0o700 });
    await fsp.chmod(dir, 0o777);
    const quoted = `'${dir.replace(/'/g, `'\\''`)}'`;
    await assert.rejects(openNode(dir), (err) => assertOneLineFix(err, new RegExp(`: chmod 700 ${literal(quoted)}$`)));
  });

  test('a file in place of the directory: refused', async () => {
    const file = path.join(await freshDir(), 'data');
    await fsp.writeFile(file, 'x');
    await assert.rejects(openNode(file), (err) => assertOneLineFix(err, /it is not a directory; move it away or choose another data directory$/));
  });
});

describe('files in the data directory', { skip: needsPosix }, () => {
  test('an identity.key symbolic link is not followed: its target keeps its mode and content, and the error says so', async () => {
    const dir = await freshDir();
    const target = path.join(await freshDir(), 'precious.conf');
    await fsp.writeFile(target, 'not a key, and not Nearby’s\n');
    await fsp.chmod(target, 0o644);
    await fsp.symlink(target, path.join(dir, IDENTITY_KEY_FILE));
    await assert.rejects(loadOrCreateIdentity(dir), (err) =>
      assertOneLineFix(err, new RegExp(`identity\\.key: it is a symbolic link, and Nearby follows none in its data directory.*remove it: rm ${literal(dir)}/identity\\.key$`)),
    );
    assert.equal((await fsp.stat(target)).mode & 0o777, 0o644, 'the target was not chmod’ed');
    assert.equal(await fsp.readFile(target, 'utf8'), 'not a key, and not Nearby’s\n');
    assert.ok((await fsp.lstat(path.join(dir, IDENTITY_KEY_FILE))).isSymbolicLink(), 'the link is left where it is, no new key replaced it');
  });

  test('a settings.json symbolic link is refused, not read (nor set aside)', async () => {
    const dir = await freshDir();
    const target = path.join(await freshDir(), 'settings.json');
    await fsp.writeFile(target, JSON.stringify({ version: 1, name: 'Planted', discovery: 'everyone', port: null, manualPeers: [] }));
    await fsp.symlink(target, path.join(dir, SETTINGS_FILE));
    await assert.rejects(SettingsStore.load(dir), (err) => assertOneLineFix(err, /settings\.json: it is a symbolic link/));
    assert.deepEqual(await fsp.readdir(dir), [SETTINGS_FILE]);
  });

  test('a contacts.json others can write is refused, with `chmod 600 <file>`', async () => {
    const dir = await freshDir();
    const file = path.join(dir, CONTACTS_FILE);
    await fsp.writeFile(file, JSON.stringify({ version: 1, contacts: [] }));
    await fsp.chmod(file, 0o666);
    await assert.rejects(ContactStore.load(dir), (err) => assertOneLineFix(err, new RegExp(`contacts\\.json: other users can write to it \\(mode 666\\).*: chmod 600 ${literal(file)}$`)));
  });

  test('a contacts.json planted by another user is refused, not believed', { skip: needsRoot }, async () => {
    const dir = await freshDir();
    const file = path.join(dir, CONTACTS_FILE);
    await fsp.writeFile(file, JSON.stringify({ version: 1, contacts: [] }), { mode: 0o600 });
    await fsp.chown(file, NOBODY_UID, NOBODY_UID);
    await assert.rejects(ContactStore.load(dir), (err) => assertOneLineFix(err, new RegExp(`contacts\\.json: it belongs to another user \\(uid ${NOBODY_UID}\\)`)));
  });

  test('a key file readable by others is narrowed to 0600 through its open handle, as before', async () => {
    const dir = await freshDir();
    const first = await loadOrCreateIdentity(dir);
    await fsp.chmod(path.join(dir, IDENTITY_KEY_FILE), 0o640);
    assert.equal((await loadOrCreateIdentity(dir)).identity, first.identity);
    assert.equal((await fsp.stat(path.join(dir, IDENTITY_KEY_FILE))).mode & 0o777, 0o600);
  });
});
