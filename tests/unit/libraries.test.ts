import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { promises as fsp, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { CommandError, type CommandErrorCode } from '../../src-shared/contract.js';
import type { Library } from '../../src-shared/peer.js';
import { LIBRARIES_FILE, LIBRARIES_MAX, LibraryStore, publicLibrary, validateLibraryName } from '../../src-main/core/storage/libraries.js';
import { useTempDirs } from '../support/tempDirs.js';

const posix = process.platform !== 'win32';
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** A fresh directory per test. */
const freshDir = useTempDirs('libraries');
function fileOf(dir: string): string {
  return path.join(dir, LIBRARIES_FILE);
}
async function readFileJson(dir: string): Promise<{ version: number; libraries: Library[] }> {
  return JSON.parse(await fsp.readFile(fileOf(dir), 'utf8')) as { version: number; libraries: Library[] };
}
function isCommandError(code: CommandErrorCode, message?: RegExp) {
  return (error: unknown): boolean => {
    assert.ok(error instanceof CommandError, String(error));
    assert.equal(error.code, code);
    if (message) assert.match(error.message, message);
    return true;
  };
}

describe('LibraryStore', () => {
  test('no file: empty, no problem, nothing written', async () => {
    const dir = await freshDir();
    const store = await LibraryStore.load(dir);
    assert.deepEqual(store.list(), []);
    assert.deepEqual(store.active(), []);
    assert.equal(store.problem, null);
    assert.deepEqual(await fsp.readdir(dir), []);
  });

  test('create: uuid v4, active, ISO createdAt, cleaned name; persisted (0600) and listed', async () => {
    const dir = await freshDir();
    const store = await LibraryStore.load(dir);
    const before = Date.now();
    const lib = await store.create('  Photos\u202e  2024 ');
    assert.match(lib.uuid, UUID_V4);
    assert.equal(lib.name, 'Photos 2024');
    assert.equal(lib.active, true);
    assert.equal(new Date(lib.createdAt).toISOString(), lib.createdAt);
    assert.ok(Math.abs(Date.parse(lib.createdAt) - before) < 60_000);
    assert.deepEqual(store.list(), [lib]);
    assert.deepEqual(lib.members, [], 'nobody else in it yet');
    assert.deepEqual(store.active(), [publicLibrary(lib)]);
    assert.deepEqual(await readFileJson(dir), { version: 1, libraries: [lib] });
    if (posix) assert.equal((await fsp.stat(fileOf(dir))).mode & 0o777, 0o600);
  });

  test('create, rename, deactivate, activate, delete: each persisted across reload', async () => {
    const dir = await freshDir();
    const store = await LibraryStore.load(dir);
    const a = await store.create('A');
    const b = await store.create('B');
    const c = await store.create('C');
    assert.notEqual(a.uuid, b.uuid);
    let reloaded = await LibraryStore.load(dir);
    assert.deepEqual(reloaded.list(), [a, b, c]);

    const renamed = await store.rename(b.uuid, 'Bee');
    assert.deepEqual(renamed, { ...b, name: 'Bee', renamedAt: renamed.renamedAt });
    assert.ok(Date.now() - Date.parse(renamed.renamedAt ?? '') < 5000, 'the rename is stamped (members take the latest)');
    reloaded = await LibraryStore.load(dir);
    assert.equal(reloaded.list()[1]!.name, 'Bee');
    assert.equal(reloaded.record(b.uuid)?.renamedAt, renamed.renamedAt);

    const off = await store.deactivate(a.uuid);
    assert.equal(off.active, false);
    assert.deepEqual(store.active().map((l) => l.uuid), [b.uuid, c.uuid]);
    reloaded = await LibraryStore.load(dir);
    assert.deepEqual(reloaded.active().map((l) => l.uuid), [b.uuid, c.uuid]);
    assert.equal(reloaded.list()[0]!.active, false);

    const on = await store.activate(a.uuid);
    assert.equal(on.active, true);
    reloaded = await LibraryStore.load(dir);
    assert.deepEqual(reloaded.active().map((l) => l.uuid), [a.uuid, b.uuid, c.uuid]);

    const removed = await store.delete(b.uuid);
    assert.deepEqual(removed, renamed);
    reloaded = await LibraryStore.load(dir);
    assert.deepEqual(reloaded.list().map((l) => l.uuid), [a.uuid, c.uuid]);
    assert.deepEqual(reloaded.list(), store.list());
    assert.equal(reloaded.problem, null);
  });

  test("'change' is emitted once per change, after the file is written, with the full list", async () => {
    const dir = await freshDir();
    const store = await LibraryStore.load(dir);
    const events: Array<{ libraries: Library[]; onDisk: Library[] }> = [];
    store.on('change', (libraries) => {
      const onDisk = (JSON.parse(readFileSync(fileOf(dir), 'utf8')) as { libraries: Library[] }).libraries;
      events.push({ libraries, onDisk });
    });
    const a = await store.create('A');
    await store.rename(a.uuid, 'A2');
    await store.deactivate(a.uuid);
    await store.activate(a.uuid);
    await store.delete(a.uuid);
    assert.equal(events.length, 5);
    for (const e of events) assert.deepEqual(e.libraries, e.onDisk);
    assert.deepEqual(events.map((e) => e.libraries.map((l) => `${l.name}:${l.active}`).join()), ['A:true', 'A2:true', 'A2:false', 'A2:true', '']);
  });

  test('no-op changes (activate an active library, same name) write nothing and emit nothing', async () => {
    const dir = await freshDir();
    const store = await LibraryStore.load(dir);
    const a = await store.create('A');
    let events = 0;
    store.on('change', () => events++);
    const mtime = (await fsp.stat(fileOf(dir))).mtimeMs;
    assert.deepEqual(await store.activate(a.uuid), a);
    assert.deepEqual(await store.rename(a.uuid, '  A '), a);
    assert.equal(events, 0);
    assert.equal((await fsp.stat(fileOf(dir))).mtimeMs, mtime);
  });

  test('unknown uuid: CommandError not-found naming the id, nothing changed', async () => {
    const dir = await freshDir();
    const store = await LibraryStore.load(dir);
    await store.create('A');
    const missing = randomUUID();
    let events = 0;
    store.on('change', () => events++);
    const expected = isCommandError('not-found', new RegExp(`^no library with id ${missing}$`));
    await assert.rejects(store.rename(missing, 'X'), expected);
    await assert.rejects(store.activate(missing), expected);
    await assert.rejects(store.deactivate(missing), expected);
    await assert.rejects(store.delete(missing), expected);
    assert.equal(events, 0);
    assert.equal(store.list().length, 1);
  });

  test('uuids are matched ignoring case', async () => {
    const store = await LibraryStore.load(await freshDir());
    const a = await store.create('A');
    assert.equal((await store.deactivate(a.uuid.toUpperCase())).active, false);
    assert.equal(store.get(a.uuid.toUpperCase())?.uuid, a.uuid);
  });

  test('invalid names: CommandError invalid-payload, nothing written', async () => {
    const dir = await freshDir();
    const store = await LibraryStore.load(dir);
    const a = await store.create('A');
    const fileBefore = await fsp.readFile(fileOf(dir), 'utf8');
    for (const name of ['', '   ', '\u0000\u202e\u200b', 'x'.repeat(65)]) {
      await assert.rejects(store.create(name), isCommandError('invalid-payload'), JSON.stringify(name));
      await assert.rejects(store.rename(a.uuid, name), isCommandError('invalid-payload'), JSON.stringify(name));
    }
    await assert.rejects(store.create(42 as unknown as string), isCommandError('invalid-payload', /must be text/));
    await assert.rejects(store.create(''), isCommandError('invalid-payload', /cannot be empty/));
    await assert.rejects(store.create('x'.repeat(65)), isCommandError('invalid-payload', /at most 64 characters/));
    assert.equal(await fsp.readFile(fileOf(dir), 'utf8'), fileBefore);
    assert.deepEqual(store.list(), [a]);
  });

  test('a name of exactly 64 characters is accepted', async () => {
    const store = await LibraryStore.load(await freshDir());
    assert.equal((await store.create('n'.repeat(64))).name.length, 64);
  });

  test('list() and active() return copies', async () => {
    const store = await LibraryStore.load(await freshDir());
    await store.create('A');
    const list = store.list();
    list[0]!.name = 'mutated';
    list.pop();
    assert.equal(store.list()[0]!.name, 'A');
    const active = store.active();
    active[0]!.active = false;
    assert.equal(store.active().length, 1);
  });

  test('concurrent changes are serialised: none lost', async () => {
    const dir = await freshDir();
    const store = await LibraryStore.load(dir);
    const created = await Promise.all(Array.from({ length: 20 }, (_, i) => store.create(`L${i}`)));
    assert.equal(new Set(created.map((l) => l.uuid)).size, 20);
    await Promise.all(created.slice(0, 10).map((l) => store.deactivate(l.uuid)));
    const reloaded = await LibraryStore.load(dir);
    assert.equal(reloaded.list().length, 20);
    assert.deepEqual(reloaded.list().map((l) => l.name), created.map((l) => l.name));
    assert.equal(reloaded.active().length, 10);
  });

  test('a failed change does not block the next one', async () => {
    const store = await LibraryStore.load(await freshDir());
    const bad = store.delete(randomUUID());
    const good = store.create('after');
    await assert.rejects(bad);
    assert.equal((await good).name, 'after');
  });

  test(`at most ${LIBRARIES_MAX} libraries: the next create is refused`, async () => {
    const dir = await freshDir();
    const libs: Library[] = Array.from({ length: LIBRARIES_MAX }, (_, i) => ({
      uuid: randomUUID(),
      name: `L${i}`,
      active: false,
      createdAt: new Date(0).toISOString(),
      members: [],
      invited: [],
    }));
    await fsp.writeFile(fileOf(dir), JSON.stringify({ version: 1, libraries: libs }));
    const store = await LibraryStore.load(dir);
    assert.equal(store.problem, null);
    assert.equal(store.list().length, LIBRARIES_MAX);
    await assert.rejects(store.create('one too many'), isCommandError('refused'));
    assert.equal(store.list().length, LIBRARIES_MAX);
  });

  test('a file with unknown keys is accepted; uuids are lowercased', async () => {
    const dir = await freshDir();
    const uuid = randomUUID();
    await fsp.writeFile(fileOf(dir), JSON.stringify({
      version: 1,
      extra: true,
      libraries: [{ uuid: uuid.toUpperCase(), name: 'A', active: true, createdAt: '2024-01-02T03:04:05.000Z', color: 'red' }],
    }));
    const store = await LibraryStore.load(dir);
    assert.equal(store.problem, null);
    // A file from before shared libraries: nobody else in any library, no invitation sent.
    assert.deepEqual(store.list(), [{ uuid, name: 'A', active: true, createdAt: '2024-01-02T03:04:05.000Z', members: [], departed: [], invited: [] }]);
    assert.deepEqual(store.libraries(), [{ uuid, name: 'A', active: true, createdAt: '2024-01-02T03:04:05.000Z', members: [], invited: [] }]);
  });

  for (const [label, content, reason] of [
    ['invalid JSON', '{"version":1,"libraries":[', /invalid JSON/],
    ['wrong version', JSON.stringify({ version: 2, libraries: [] }), /unexpected content: version/],
    ['a bad uuid', JSON.stringify({ version: 1, libraries: [{ uuid: 'nope', name: 'A', active: true, createdAt: '2024-01-02T03:04:05.000Z' }] }), /libraries\.0\.uuid/],
    ['a duplicate uuid', (() => {
      const lib = { uuid: randomUUID(), name: 'A', active: true, createdAt: '2024-01-02T03:04:05.000Z' };
      return JSON.stringify({ version: 1, libraries: [lib, lib] });
    })(), /duplicate library id/],
    ['too many libraries', JSON.stringify({
      version: 1,
      libraries: Array.from({ length: LIBRARIES_MAX + 1 }, () => ({ uuid: randomUUID(), name: 'A', active: true, createdAt: '2024-01-02T03:04:05.000Z' })),
    }), /at most 1000 libraries/],
    ['a bad date', JSON.stringify({ version: 1, libraries: [{ uuid: randomUUID(), name: 'A', active: true, createdAt: 'yesterday' }] }), /createdAt/],
  ] as const) {
    test(`a bad file (${label}) is set aside: empty list and a problem sentence`, async () => {
      const dir = await freshDir();
      await fsp.writeFile(fileOf(dir), content);
      const store = await LibraryStore.load(dir);
      assert.deepEqual(store.list(), []);
      assert.ok(store.problem);
      assert.match(store.problem, /^libraries\.json could not be read \(/);
      assert.match(store.problem, reason);
      assert.match(store.problem, /started with defaults; the old file is kept as .*libraries\.json\.corrupt-/);
      const kept = (await fsp.readdir(dir)).filter((n) => n.startsWith(`${LIBRARIES_FILE}.corrupt-`));
      assert.equal(kept.length, 1);
      assert.equal(await fsp.readFile(path.join(dir, kept[0]!), 'utf8'), content);
      // The store works from there on.
      await store.create('fresh');
      assert.equal((await LibraryStore.load(dir)).list()[0]!.name, 'fresh');
    });
  }
});

describe('validateLibraryName', () => {
  test('trims, collapses spaces, drops control and bidi characters', () => {
    assert.equal(validateLibraryName('  My \t  Library '), 'My Library');
    assert.equal(validateLibraryName('abc\u202edef\u0007'), 'abcdef');
    assert.equal(validateLibraryName('📚 Books'), '📚 Books');
  });
  test('refuses empty, too long and non-text names', () => {
    assert.throws(() => validateLibraryName(''), isCommandError('invalid-payload'));
    assert.throws(() => validateLibraryName('\u200b'), isCommandError('invalid-payload'));
    assert.throws(() => validateLibraryName('x'.repeat(65)), isCommandError('invalid-payload'));
    assert.throws(() => validateLibraryName(null), isCommandError('invalid-payload'));
  });
});
