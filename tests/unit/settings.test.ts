import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { CommandError } from '../../src-shared/contract.js';
import {
  FALLBACK_DEVICE_NAME,
  SETTINGS_FILE,
  SettingsStore,
  defaultDeviceName,
  defaultSettings,
  settingsSchema,
  type Settings,
} from '../../src-main/core/storage/settings.js';
import { useTempDirs } from '../support/tempDirs.js';

const posix = process.platform !== 'win32';

/** A fresh directory per test. */
const freshDir = useTempDirs('settings');
async function writeSettingsFile(dir: string, content: unknown): Promise<string> {
  const file = path.join(dir, SETTINGS_FILE);
  await fsp.writeFile(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}
async function readSettingsFile(dir: string): Promise<unknown> {
  return JSON.parse(await fsp.readFile(path.join(dir, SETTINGS_FILE), 'utf8'));
}
async function corruptCopies(dir: string): Promise<string[]> {
  return (await fsp.readdir(dir)).filter((n) => n.startsWith(`${SETTINGS_FILE}.corrupt-`));
}

describe('defaultDeviceName', () => {
  test('uses the first label of the host name', () => {
    assert.equal(defaultDeviceName('Oscars-MacBook-Pro.local'), 'Oscars-MacBook-Pro');
    assert.equal(defaultDeviceName('web01.example.com'), 'web01');
    assert.equal(defaultDeviceName('nas'), 'nas');
  });
  test('falls back to "My device" when nothing usable is left', () => {
    assert.equal(defaultDeviceName(''), FALLBACK_DEVICE_NAME);
    assert.equal(defaultDeviceName('   '), FALLBACK_DEVICE_NAME);
    assert.equal(defaultDeviceName('.local'), FALLBACK_DEVICE_NAME);
    assert.equal(defaultDeviceName('\u202e\u0007'), FALLBACK_DEVICE_NAME);
  });
  test('strips control and bidi characters and caps the length at 64', () => {
    assert.equal(defaultDeviceName('ab\u202ecd\u0000'), 'abcd');
    const long = defaultDeviceName('h'.repeat(200));
    assert.equal(Array.from(long).length, 64);
    assert.ok(settingsSchema.safeParse({ ...defaultSettings(), name: long }).success);
  });
  test('the default argument is the real host name', () => {
    assert.equal(defaultDeviceName(), defaultDeviceName(os.hostname()));
  });
});

describe('settingsSchema', () => {
  const valid: Settings = { version: 1, name: 'Box', discovery: 'contacts-only', port: 7373, manualPeers: ['10.0.0.2:7373'] };
  test('accepts valid settings', () => {
    assert.deepEqual(settingsSchema.parse(valid), valid);
  });
  test('rejects bad values', () => {
    const bad: Array<Record<string, unknown>> = [
      { version: 2 },
      { name: '' },
      { name: '   ' },
      { name: 'n'.repeat(65) },
      { name: 42 },
      { discovery: 'all' },
      { port: 0 },
      { port: 65536 },
      { port: 80.5 },
      { port: '7373' },
      { manualPeers: 'host' },
      { manualPeers: ['x'.repeat(301)] },
      { manualPeers: Array.from({ length: 101 }, (_, i) => `h${i}`) },
    ];
    for (const patch of bad) assert.equal(settingsSchema.safeParse({ ...valid, ...patch }).success, false, JSON.stringify(patch).slice(0, 80));
  });
  test('accepts the limits', () => {
    for (const patch of [
      { port: 1 },
      { port: 65535 },
      { port: null },
      { name: 'n'.repeat(64) },
      { manualPeers: ['x'.repeat(300)] },
      { manualPeers: Array.from({ length: 100 }, (_, i) => `h${i}`) },
    ]) {
      assert.equal(settingsSchema.safeParse({ ...valid, ...patch }).success, true, JSON.stringify(patch).slice(0, 80));
    }
  });
  test('cleans the name', () => {
    assert.equal(settingsSchema.parse({ ...valid, name: '  My\u202e  box\u0000 ' }).name, 'My box');
  });
  test('drops unknown keys', () => {
    assert.deepEqual(settingsSchema.parse({ ...valid, extra: 1 }), valid);
  });
});

describe('SettingsStore', () => {
  test('no file: the defaults, no problem, nothing written', async () => {
    const dir = await freshDir();
    const store = await SettingsStore.load(dir);
    assert.equal(store.problem, null);
    assert.deepEqual(store.get(), {
      version: 1,
      name: defaultDeviceName(os.hostname()),
      discovery: 'everyone',
      port: null,
      manualPeers: [],
    });
    assert.deepEqual(await fsp.readdir(dir), []);
  });

  test('a partial file keeps its values and gets the other defaults', async () => {
    const dir = await freshDir();
    await writeSettingsFile(dir, { discovery: 'disabled' });
    const store = await SettingsStore.load(dir);
    assert.equal(store.problem, null);
    assert.deepEqual(store.get(), { ...defaultSettings(), discovery: 'disabled' });
    assert.deepEqual(await corruptCopies(dir), []);
  });

  test('unknown extra keys are tolerated and dropped', async () => {
    const dir = await freshDir();
    await writeSettingsFile(dir, { name: 'Server', port: 7373, fromTheFuture: { x: 1 } });
    const store = await SettingsStore.load(dir);
    assert.equal(store.problem, null);
    assert.deepEqual(store.get(), { ...defaultSettings(), name: 'Server', port: 7373 });
    assert.equal('fromTheFuture' in store.get(), false);
    assert.deepEqual(await corruptCopies(dir), []);
  });

  test('a full file is read as it is', async () => {
    const dir = await freshDir();
    const full: Settings = { version: 1, name: 'Kitchen', discovery: 'contacts-only', port: 4000, manualPeers: ['[fe80::1%eth0]:7373', 'nas'] };
    await writeSettingsFile(dir, full);
    const store = await SettingsStore.load(dir);
    assert.deepEqual(store.get(), full);
  });

  for (const [label, content, reason] of [
    ['invalid JSON', '{"discovery": "disabled",', /invalid JSON/],
    ['a bad value', { discovery: 'sometimes' }, /unexpected content: discovery/],
    ['a bad port', { port: 99999 }, /unexpected content: port/],
    ['an array', [], /unexpected content/],
  ] as const) {
    test(`a truly bad file (${label}) is set aside; defaults with a problem sentence`, async () => {
      const dir = await freshDir();
      await writeSettingsFile(dir, content);
      const store = await SettingsStore.load(dir);
      assert.deepEqual(store.get(), defaultSettings());
      assert.ok(store.problem);
      assert.match(store.problem, /^settings\.json could not be read \(/);
      assert.match(store.problem, reason);
      assert.match(store.problem, /started with defaults; the old file is kept as .*settings\.json\.corrupt-/);
      assert.equal((await corruptCopies(dir)).length, 1);
    });
  }

  test('update writes the file atomically (0600), emits change after the write, and survives reload', async () => {
    const dir = await freshDir();
    const store = await SettingsStore.load(dir);
    const seen: Settings[] = [];
    store.on('change', (settings) => seen.push(settings));
    const result = await store.update({ discovery: 'contacts-only', name: 'Living room' });
    assert.deepEqual(result, { ...defaultSettings(), discovery: 'contacts-only', name: 'Living room' });
    assert.deepEqual(store.get(), result);
    assert.equal(seen.length, 1);
    assert.deepEqual(seen[0], result);
    assert.deepEqual(await readSettingsFile(dir), result);
    if (posix) assert.equal((await fsp.stat(path.join(dir, SETTINGS_FILE))).mode & 0o777, 0o600);

    const reloaded = await SettingsStore.load(dir);
    assert.deepEqual(reloaded.get(), result);
    assert.equal(reloaded.problem, null);
  });

  test("the file already holds the new settings when 'change' is emitted", async () => {
    const dir = await freshDir();
    const store = await SettingsStore.load(dir);
    let onDisk: unknown = null;
    const { readFileSync } = await import('node:fs');
    store.on('change', () => {
      onDisk = JSON.parse(readFileSync(path.join(dir, SETTINGS_FILE), 'utf8'));
    });
    await store.update({ port: 5000 });
    assert.deepEqual(onDisk, { ...defaultSettings(), port: 5000 });
  });

  test('invalid updates are rejected with CommandError invalid-payload; memory and file unchanged, no event', async () => {
    const dir = await freshDir();
    const store = await SettingsStore.load(dir);
    await store.update({ name: 'Stable' });
    const fileBefore = await fsp.readFile(path.join(dir, SETTINGS_FILE), 'utf8');
    const before = store.get();
    let events = 0;
    store.on('change', () => events++);
    const bad: Array<Record<string, unknown>> = [
      { name: '' },
      { name: 'x'.repeat(65) },
      { discovery: 'nobody' },
      { port: 0 },
      { port: 70000 },
      { port: 1.5 },
      { manualPeers: Array.from({ length: 101 }, () => 'h') },
      { manualPeers: ['y'.repeat(301)] },
      { version: 2 },
      { unknownKey: true },
    ];
    for (const patch of bad) {
      await assert.rejects(store.update(patch as Partial<Settings>), (error: unknown) => {
        assert.ok(error instanceof CommandError, String(error));
        assert.equal(error.code, 'invalid-payload');
        assert.match(error.message, /^invalid settings: /);
        return true;
      }, JSON.stringify(patch).slice(0, 60));
    }
    assert.equal(events, 0);
    assert.deepEqual(store.get(), before);
    assert.equal(await fsp.readFile(path.join(dir, SETTINGS_FILE), 'utf8'), fileBefore);
  });

  test('the error message names the field', async () => {
    const store = await SettingsStore.load(await freshDir());
    await assert.rejects(store.update({ port: 0 }), /port: a port is 1 to 65535/);
    await assert.rejects(store.update({ name: ' ' }), /name: a device name cannot be empty/);
  });

  test('get() returns a copy: changing it does not change the store', async () => {
    const store = await SettingsStore.load(await freshDir());
    const copy = store.get();
    copy.name = 'mutated';
    copy.manualPeers.push('evil');
    assert.notEqual(store.get().name, 'mutated');
    assert.deepEqual(store.get().manualPeers, []);
  });

  test('concurrent updates apply in order without losing any', async () => {
    const dir = await freshDir();
    const store = await SettingsStore.load(dir);
    await Promise.all([
      store.update({ name: 'A' }),
      store.update({ port: 1234 }),
      store.update({ discovery: 'disabled' }),
      store.update({ manualPeers: ['h1'] }),
      store.update({ name: 'B' }),
    ]);
    const expected = { ...defaultSettings(), name: 'B', port: 1234, discovery: 'disabled' as const, manualPeers: ['h1'] };
    assert.deepEqual(store.get(), expected);
    assert.deepEqual(await readSettingsFile(dir), expected);
  });

  test('concurrent read-modify-writes (modify) each see the others: none lost, none brought back', async () => {
    const dir = await freshDir();
    const store = await SettingsStore.load(dir);
    await store.update({ manualPeers: ['gone.invalid:1'] });
    const add = (a: string) => store.modify(({ manualPeers }) => ({ manualPeers: [...manualPeers, a] }));
    // Two clients at once: one removes an address while others add theirs.
    await Promise.all([
      add('h1.invalid:1'),
      store.modify(({ manualPeers }) => ({ manualPeers: manualPeers.filter((a) => a !== 'gone.invalid:1') })),
      add('h2.invalid:2'),
      add('h3.invalid:3'),
    ]);
    assert.deepEqual(store.get().manualPeers, ['h1.invalid:1', 'h2.invalid:2', 'h3.invalid:3']);
    assert.deepEqual(((await readSettingsFile(dir)) as { manualPeers: string[] }).manualPeers, ['h1.invalid:1', 'h2.invalid:2', 'h3.invalid:3']);
    // What the change function throws rejects the call and writes nothing.
    await assert.rejects(store.modify(() => {
      throw new CommandError('refused', 'no');
    }), /no/);
    assert.equal(store.get().manualPeers.length, 3);
  });

  test('a failed update does not block the next one', async () => {
    const store = await SettingsStore.load(await freshDir());
    const bad = store.update({ port: -1 });
    const good = store.update({ port: 2000 });
    await assert.rejects(bad);
    assert.equal((await good).port, 2000);
  });

  test('a patch with an undefined value keeps the current value', async () => {
    const store = await SettingsStore.load(await freshDir());
    await store.update({ port: 3000 });
    const result = await store.update({ port: undefined, name: 'N' });
    assert.equal(result.port, 3000);
    assert.equal(result.name, 'N');
  });

  test('port null clears a fixed port', async () => {
    const dir = await freshDir();
    const store = await SettingsStore.load(dir);
    await store.update({ port: 3000 });
    await store.update({ port: null });
    assert.equal((await SettingsStore.load(dir)).get().port, null);
  });

  test('after a bad file was set aside, an update writes a good file', async () => {
    const dir = await freshDir();
    await writeSettingsFile(dir, 'garbage');
    const store = await SettingsStore.load(dir);
    assert.ok(store.problem);
    await store.update({ discovery: 'disabled' });
    const reloaded = await SettingsStore.load(dir);
    assert.equal(reloaded.problem, null);
    assert.equal(reloaded.get().discovery, 'disabled');
  });
});
