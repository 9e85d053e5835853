import assert from 'node:assert/strict';
import { promises as fsp, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { z } from 'zod';
import { JsonStore, loadJsonFile, type JsonStoreChange } from '../../src-main/core/storage/jsonStore.js';
import { useTempDirs } from '../support/tempDirs.js';

const freshDir = useTempDirs('jsonstore');

const FILE = 'counter.json';
const counterSchema = z.object({ version: z.literal(1), count: z.number().int().min(0, 'a count is never negative') });
type Counter = z.output<typeof counterSchema>;

/** The smallest domain over a JsonStore: a counter that announces each value. */
class CounterStore extends JsonStore<Counter, { change: [count: number] }> {
  static async load(dataDir: string): Promise<CounterStore> {
    return new CounterStore(
      await loadJsonFile(dataDir, { fileName: FILE, schema: counterSchema, defaults: () => ({ version: 1, count: 0 }), whenSetAside: 'counting starts again from 0' }),
    );
  }
  get count(): number {
    return this.value.count;
  }
  change<R>(compute: (current: Counter) => JsonStoreChange<Counter, R>): Promise<R> {
    return this.mutate(compute);
  }
  protected override announce(value: Counter): void {
    this.emit('change', value.count);
  }
}

const add = (n: number) => (current: Counter): JsonStoreChange<Counter, number> => ({ next: { version: 1, count: current.count + n }, result: current.count + n });
const readFile = async (dir: string): Promise<unknown> => JSON.parse(await fsp.readFile(path.join(dir, FILE), 'utf8'));

describe('JsonStore', () => {
  test('a change is on disk before it is kept and announced; each change sees the one before it', async () => {
    const dir = await freshDir();
    const store = await CounterStore.load(dir);
    const seen: Array<{ count: number; onDisk: unknown }> = [];
    store.on('change', (count) => seen.push({ count, onDisk: JSON.parse(readFileSync(path.join(dir, FILE), 'utf8')) }));
    assert.deepEqual(await Promise.all([store.change(add(1)), store.change(add(2)), store.change(add(3))]), [1, 3, 6]);
    assert.deepEqual(seen.map((s) => s.count), [1, 3, 6]);
    assert.deepEqual(seen.map((s) => (s.onDisk as Counter).count), [1, 3, 6]);
    assert.equal((await CounterStore.load(dir)).count, 6);
  });

  test('returning the current value itself writes nothing and announces nothing', async () => {
    const dir = await freshDir();
    const store = await CounterStore.load(dir);
    let announced = 0;
    store.on('change', () => announced++);
    assert.equal(await store.change((current) => ({ next: current, result: 'unchanged' })), 'unchanged');
    assert.deepEqual(await fsp.readdir(dir), [], 'no file was written');
    assert.equal(announced, 0);
  });

  test('a value the schema refuses rejects, names the file and the field, and changes nothing', async () => {
    const dir = await freshDir();
    const store = await CounterStore.load(dir);
    await store.change(add(5));
    let announced = 0;
    store.on('change', () => announced++);
    await assert.rejects(store.change(add(-10)), /^Error: counter\.json was not changed: .*count: a count is never negative/);
    assert.equal(store.count, 5);
    assert.deepEqual(await readFile(dir), { version: 1, count: 5 });
    assert.equal(announced, 0);
    assert.equal(await store.change(add(1)), 6, 'the next change still runs');
  });

  test('a bad file is set aside; the problem sentence says what follows', async () => {
    const dir = await freshDir();
    await fsp.writeFile(path.join(dir, FILE), '{"version":1,"count":-1}');
    const store = await CounterStore.load(dir);
    assert.equal(store.count, 0);
    assert.match(store.problem ?? '', /^counter\.json could not be read \(unexpected content: count: a count is never negative\); started with defaults; the old file is kept as .*counter\.json\.corrupt-\S+; counting starts again from 0$/);
    assert.equal(store.file, path.join(dir, FILE));
  });
});
