// The contact store (src-main/core/contacts.ts): what pairing produces, kept in contacts.json like
// the other stores: atomic writes, schema-checked reads, a bad file set aside with a warning.

import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { CommandError } from '../../src-shared/contract.js';
import { CONTACTS_FILE, CONTACTS_MAX, ContactStore } from '../../src-main/core/storage/contacts.js';
import { identityFingerprint } from '../../src-shared/identity.js';
import { identityFromSeed } from '../support/memoryChannel.js';
import { useTempDirs } from '../support/tempDirs.js';

/** A fresh directory per test. */
const freshDir = useTempDirs('contacts');

const alice = identityFromSeed('alice');
const bob = identityFromSeed('bob');

describe('ContactStore', () => {
  test('no file: no contacts, no problem, nothing written', async () => {
    const dir = await freshDir();
    const store = await ContactStore.load(dir);
    assert.deepEqual(store.list(), []);
    assert.equal(store.problem, null);
    assert.deepEqual(await fsp.readdir(dir), []);
  });

  test('add, list and remove; each change is on disk (0600) before it is announced, and survives a reload', async () => {
    const dir = await freshDir();
    const store = await ContactStore.load(dir);
    const changes: number[] = [];
    store.on('change', (list) => changes.push(list.length));
    const at = new Date('2025-03-01T10:00:00.000Z');
    const added = await store.add(alice, '  Alice\u202e laptop ', at);
    assert.deepEqual(added, { identity: alice, name: 'Alice laptop', addedAt: at.toISOString() });
    await store.add(bob, 'Bob');
    assert.deepEqual(store.list().map((c) => c.name), ['Alice laptop', 'Bob']);
    assert.ok(store.has(bob));
    if (process.platform !== 'win32') assert.equal((await fsp.stat(path.join(dir, CONTACTS_FILE))).mode & 0o777, 0o600);
    const reloaded = await ContactStore.load(dir);
    assert.deepEqual(reloaded.list(), store.list());
    await store.remove(alice);
    assert.deepEqual((await ContactStore.load(dir)).list().map((c) => c.identity), [bob]);
    assert.deepEqual(changes, [1, 2, 1]);
  });

  test('pairing again with a contact updates its name and time, without a duplicate', async () => {
    const store = await ContactStore.load(await freshDir());
    await store.add(alice, 'Old name', new Date('2024-01-01T00:00:00Z'));
    await store.add(alice, 'New name', new Date('2025-01-01T00:00:00Z'));
    assert.deepEqual(store.list(), [{ identity: alice, name: 'New name', addedAt: '2025-01-01T00:00:00.000Z' }]);
  });

  test('an empty name falls back to a short form of the identity', async () => {
    const store = await ContactStore.load(await freshDir());
    assert.equal((await store.add(alice, ' \u200b ')).name, alice.slice(0, 8));
  });

  test('refusals: a malformed identity, an unknown contact to remove, a full list', async () => {
    const dir = await freshDir();
    const store = await ContactStore.load(dir);
    await assert.rejects(store.add('not-an-identity', 'X'), (e) => e instanceof CommandError && e.code === 'invalid-payload');
    await assert.rejects(store.remove(alice), (e) => e instanceof CommandError && e.code === 'not-found' && /no contact/.test(e.message));
    const contacts = Array.from({ length: CONTACTS_MAX }, (_, i) => ({ identity: identityFromSeed(`c${i}`), name: `Device ${i}`, addedAt: new Date().toISOString() }));
    await fsp.writeFile(path.join(dir, CONTACTS_FILE), JSON.stringify({ version: 1, contacts }));
    const full = await ContactStore.load(dir);
    assert.equal(full.list().length, CONTACTS_MAX);
    await assert.rejects(full.add(alice, 'Alice'), (e) => e instanceof CommandError && e.code === 'refused' && /1000 contacts/.test(e.message));
    assert.equal((await ContactStore.load(dir)).list().length, CONTACTS_MAX, 'nothing written');
  });

  test('a corrupt or tampered file is set aside with a warning, and the node starts with no contacts', async () => {
    for (const content of [
      '{"version":1,"contacts":[{"identity":',
      JSON.stringify({ version: 1, contacts: [{ identity: 'short', name: 'X', addedAt: new Date().toISOString() }] }),
      JSON.stringify({ version: 1, contacts: [alice, alice].map((identity) => ({ identity, name: 'Twice', addedAt: new Date().toISOString() })) }),
    ]) {
      const dir = await freshDir();
      await fsp.writeFile(path.join(dir, CONTACTS_FILE), content);
      const store = await ContactStore.load(dir);
      assert.deepEqual(store.list(), []);
      assert.match(store.problem ?? '', /^contacts\.json could not be read \(.+\); started with defaults; the old file is kept as /);
      const kept = (await fsp.readdir(dir)).find((f) => f.startsWith(`${CONTACTS_FILE}.corrupt-`));
      assert.ok(kept);
      assert.equal(await fsp.readFile(path.join(dir, kept), 'utf8'), content);
    }
  });
});

describe('ContactStore.standingOf (issue 11)', () => {
  test('a proven contact is marked under its stored name and fingerprint; a device that uses that name with another key is its lookalike; an unproven claim of its key is neither', async () => {
    const store = await ContactStore.load(await freshDir());
    await store.add(bob, 'Bob');
    const mark = { name: 'Bob', fingerprint: identityFingerprint(bob)! };
    assert.deepEqual(store.standingOf(bob, 'Robert now', true), { contact: mark }, 'its own new name changes nothing');
    assert.deepEqual(store.standingOf(bob, 'Bob', false), {}, 'not proven: the directory warns about impostors itself');
    assert.deepEqual(store.standingOf(alice, 'bob', true), { lookalikeOf: mark });
    assert.deepEqual(store.standingOf(null, 'Воb', false), { lookalikeOf: mark }, 'a Cyrillic В and о');
    assert.deepEqual(store.standingOf(alice, 'Alice', true), {});
    await store.remove(bob);
    assert.deepEqual(store.standingOf(alice, 'Bob', true), {}, 'follows the contacts as they are now');
  });
});
