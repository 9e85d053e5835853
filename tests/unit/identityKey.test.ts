import assert from 'node:assert/strict';
import { generateKeyPairSync, sign, verify } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { decodeRemoteIdentity, isRemoteIdentity } from '../../src-shared/identity.js';
import { IDENTITY_KEY_FILE, identityOfKey, loadOrCreateIdentity } from '../../src-main/core/storage/identityKey.js';

const posix = process.platform !== 'win32';

let root: string;
let counter = 0;
before(async () => {
  root = await fsp.mkdtemp(path.join(os.tmpdir(), 'sd-nearby-identity-'));
});
after(async () => {
  await fsp.rm(root, { recursive: true, force: true });
});
function freshDir(): string {
  return path.join(root, `t${++counter}`); // not created: loadOrCreateIdentity must create it
}

async function corruptCopies(dir: string): Promise<string[]> {
  return (await fsp.readdir(dir)).filter((n) => n.startsWith(`${IDENTITY_KEY_FILE}.corrupt-`));
}

describe('loadOrCreateIdentity', () => {
  test('creates a key on first start: valid identity, PKCS#8 PEM file, mode 0600, dir 0700', async () => {
    const dir = freshDir();
    const first = await loadOrCreateIdentity(dir);
    assert.equal(first.created, true);
    assert.equal(first.problem, null);
    assert.ok(isRemoteIdentity(first.identity), first.identity);
    assert.equal(first.identity.length, 43);
    assert.equal(first.privateKey.type, 'private');
    assert.equal(first.privateKey.asymmetricKeyType, 'ed25519');
    assert.equal(first.publicKey.type, 'public');
    assert.equal(first.publicKey.asymmetricKeyType, 'ed25519');

    const file = path.join(dir, IDENTITY_KEY_FILE);
    const pem = await fsp.readFile(file, 'utf8');
    assert.match(pem, /^-----BEGIN PRIVATE KEY-----\n[\s\S]+\n-----END PRIVATE KEY-----\n$/);
    if (posix) {
      assert.equal((await fsp.stat(file)).mode & 0o777, 0o600);
      assert.equal((await fsp.stat(dir)).mode & 0o777, 0o700);
    }
    assert.deepEqual(await fsp.readdir(dir), [IDENTITY_KEY_FILE]);
  });

  test('the identity is the raw public key: decoding it gives the key bytes of the SPKI', async () => {
    const { identity, publicKey } = await loadOrCreateIdentity(freshDir());
    const spki = publicKey.export({ format: 'der', type: 'spki' });
    const raw = spki.subarray(spki.length - 32);
    assert.deepEqual(Buffer.from(decodeRemoteIdentity(identity)!), raw);
  });

  test('the private and public keys belong together', async () => {
    const { privateKey, publicKey } = await loadOrCreateIdentity(freshDir());
    const message = Buffer.from('hello nearby');
    const signature = sign(null, message, privateKey);
    assert.ok(verify(null, message, publicKey, signature));
  });

  test('the same identity after restart; the file is not rewritten', async () => {
    const dir = freshDir();
    const first = await loadOrCreateIdentity(dir);
    const file = path.join(dir, IDENTITY_KEY_FILE);
    const pemBefore = await fsp.readFile(file, 'utf8');
    const second = await loadOrCreateIdentity(dir);
    const third = await loadOrCreateIdentity(dir);
    assert.equal(second.created, false);
    assert.equal(second.problem, null);
    assert.equal(second.identity, first.identity);
    assert.equal(third.identity, first.identity);
    assert.ok(second.publicKey.equals(first.publicKey));
    assert.equal(await fsp.readFile(file, 'utf8'), pemBefore);
  });

  test('different data directories have different identities', async () => {
    const a = await loadOrCreateIdentity(freshDir());
    const b = await loadOrCreateIdentity(freshDir());
    assert.notEqual(a.identity, b.identity);
  });

  test('an existing key written by someone else (openssl-style PKCS#8 PEM) is used', async () => {
    const dir = freshDir();
    await fsp.mkdir(dir, { recursive: true });
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    await fsp.writeFile(path.join(dir, IDENTITY_KEY_FILE), privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
    const loaded = await loadOrCreateIdentity(dir);
    assert.equal(loaded.created, false);
    assert.equal(loaded.identity, identityOfKey(publicKey));
  });

  test('a key file readable by others is narrowed to 0600 and still used', { skip: !posix ? 'needs POSIX file modes' : false }, async () => {
    const dir = freshDir();
    const first = await loadOrCreateIdentity(dir);
    const file = path.join(dir, IDENTITY_KEY_FILE);
    await fsp.chmod(file, 0o644);
    const second = await loadOrCreateIdentity(dir);
    assert.equal(second.identity, first.identity);
    assert.equal(second.created, false);
    assert.equal((await fsp.stat(file)).mode & 0o777, 0o600);
  });

  for (const [label, content, reason] of [
    ['garbage', 'this is not a key\n', /not a PEM private key/],
    ['an empty file', '', /it is empty/],
    ['a truncated PEM', '-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2Vw\n', /not a PEM private key/],
    ['binary junk', Buffer.from([0xff, 0x00, 0x13, 0x37]), /not a PEM private key/],
    ['a key of another type', generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' }), /holds a ec key, not an ed25519 key/],
  ] as const) {
    test(`a corrupt key file (${label}) is set aside, a new identity made, and the problem says so`, async () => {
      const dir = freshDir();
      await fsp.mkdir(dir, { recursive: true });
      const file = path.join(dir, IDENTITY_KEY_FILE);
      await fsp.writeFile(file, content);
      const loaded = await loadOrCreateIdentity(dir);
      assert.equal(loaded.created, true);
      assert.ok(isRemoteIdentity(loaded.identity));
      assert.ok(loaded.problem);
      assert.match(loaded.problem, /^identity\.key could not be read \(/);
      assert.match(loaded.problem, reason);
      assert.match(loaded.problem, /a new identity was created/);
      assert.ok(loaded.problem.includes(loaded.identity), 'names the new identity');
      const kept = await corruptCopies(dir);
      assert.equal(kept.length, 1);
      assert.ok(loaded.problem.endsWith(path.join(dir, kept[0]!)), loaded.problem);
      // The old content is kept as it was.
      assert.deepEqual(await fsp.readFile(path.join(dir, kept[0]!)), Buffer.from(content));
      // The new key is on disk and stable from now on.
      const again = await loadOrCreateIdentity(dir);
      assert.equal(again.created, false);
      assert.equal(again.problem, null);
      assert.equal(again.identity, loaded.identity);
      if (posix) assert.equal((await fsp.stat(file)).mode & 0o777, 0o600);
    });
  }

  test('an oversize key file is set aside', async () => {
    const dir = freshDir();
    await fsp.mkdir(dir, { recursive: true });
    await fsp.writeFile(path.join(dir, IDENTITY_KEY_FILE), 'A'.repeat(100_000));
    const loaded = await loadOrCreateIdentity(dir);
    assert.equal(loaded.created, true);
    assert.match(loaded.problem ?? '', /too large to be a key/);
    assert.equal((await corruptCopies(dir)).length, 1);
  });

  test('a key file that is a symbolic link (a loop, here) is refused, not set aside: no new identity replaces it', { skip: !posix ? 'needs POSIX file modes' : false }, async () => {
    const dir = freshDir();
    await fsp.mkdir(dir, { recursive: true });
    await fsp.symlink(IDENTITY_KEY_FILE, path.join(dir, IDENTITY_KEY_FILE));
    await assert.rejects(loadOrCreateIdentity(dir), /identity\.key: it is a symbolic link, and Nearby follows none in its data directory/);
    assert.equal((await corruptCopies(dir)).length, 0);
    assert.ok((await fsp.lstat(path.join(dir, IDENTITY_KEY_FILE))).isSymbolicLink());
  });
});

describe('identityOfKey', () => {
  test('gives the same identity for the private and the public key', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    assert.equal(identityOfKey(privateKey), identityOfKey(publicKey));
  });

  test('refuses non-ed25519 keys', () => {
    const { publicKey } = generateKeyPairSync('x25519');
    assert.throws(() => identityOfKey(publicKey), /ed25519/);
  });
});
