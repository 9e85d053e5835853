import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { z } from 'zod';
import {
  JSON_FILE_MAX_BYTES,
  cleanStaleTempFiles,
  moveAside,
  readJsonFile,
  writeFileAtomic,
  writeJsonFileAtomic,
} from '../../src-main/core/storage/jsonFile.js';
import { useTempDirs } from '../support/tempDirs.js';

const posix = process.platform !== 'win32';

/** A fresh directory per test. */
const freshDir = useTempDirs('jsonfile');

const schema = z.object({ name: z.string(), count: z.number().int() });
type Value = z.infer<typeof schema>;
const defaults = (): Value => ({ name: 'default', count: 0 });

async function corruptCopies(dir: string, base: string): Promise<string[]> {
  return (await fsp.readdir(dir)).filter((n) => n.startsWith(`${base}.corrupt-`)).sort();
}

/** A pid that is certainly not running: a child that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  const pid = Number(child.stdout);
  assert.ok(Number.isInteger(pid) && pid > 0);
  return pid;
}

describe('writeJsonFileAtomic', () => {
  test('writes the JSON value, readable back exactly', async () => {
    const dir = await freshDir();
    const file = path.join(dir, 'data.json');
    const value = { name: 'Oscar’s laptop 💻', count: 3, nested: { list: [1, 'two', null] } };
    await writeJsonFileAtomic(file, value);
    const text = await fsp.readFile(file, 'utf8');
    assert.deepEqual(JSON.parse(text), value);
    assert.ok(text.endsWith('\n'));
  });

  test('replaces an existing file and leaves no temp file behind', async () => {
    const dir = await freshDir();
    const file = path.join(dir, 'data.json');
    await writeJsonFileAtomic(file, { name: 'first', count: 1 });
    await writeJsonFileAtomic(file, { name: 'second', count: 2 });
    assert.deepEqual(JSON.parse(await fsp.readFile(file, 'utf8')), { name: 'second', count: 2 });
    assert.deepEqual(await fsp.readdir(dir), ['data.json']);
  });

  test('file mode is 0600, also over an existing wider file', { skip: !posix ? 'needs POSIX file modes' : false }, async () => {
    const dir = await freshDir();
    const file = path.join(dir, 'data.json');
    await writeJsonFileAtomic(file, { a: 1 });
    assert.equal((await fsp.stat(file)).mode & 0o777, 0o600);
    await fsp.chmod(file, 0o644);
    await writeJsonFileAtomic(file, { a: 2 });
    assert.equal((await fsp.stat(file)).mode & 0o777, 0o600);
  });

  test('file mode is 0600 even with a permissive umask', { skip: !posix ? 'needs POSIX file modes' : false }, async () => {
    const dir = await freshDir();
    const file = path.join(dir, 'data.json');
    const old = process.umask(0);
    try {
      await writeJsonFileAtomic(file, { a: 1 });
    } finally {
      process.umask(old);
    }
    assert.equal((await fsp.stat(file)).mode & 0o777, 0o600);
  });

  test('creates a missing directory (nested) with mode 0700', async () => {
    const dir = await freshDir();
    const file = path.join(dir, 'a', 'b', 'data.json');
    await writeJsonFileAtomic(file, { ok: true });
    assert.deepEqual(JSON.parse(await fsp.readFile(file, 'utf8')), { ok: true });
    if (posix) assert.equal((await fsp.stat(path.join(dir, 'a', 'b'))).mode & 0o777, 0o700);
  });

  test('concurrent writes to one path are serialised: the last call wins, the file is always whole', async () => {
    const dir = await freshDir();
    const file = path.join(dir, 'data.json');
    const big = 'x'.repeat(50_000);
    const writes = Array.from({ length: 30 }, (_, i) => writeJsonFileAtomic(file, { i, big }));
    // Also through a different spelling of the same path.
    writes.push(writeJsonFileAtomic(path.join(dir, '.', 'data.json'), { i: 30, big }));
    await Promise.all(writes);
    const parsed = JSON.parse(await fsp.readFile(file, 'utf8')) as { i: number; big: string };
    assert.equal(parsed.i, 30);
    assert.equal(parsed.big, big);
    assert.deepEqual(await fsp.readdir(dir), ['data.json']);
  });

  test('writes complete in call order', async () => {
    const dir = await freshDir();
    const file = path.join(dir, 'data.json');
    const order: number[] = [];
    await Promise.all(Array.from({ length: 10 }, (_, i) => writeJsonFileAtomic(file, { i }).then(() => order.push(i))));
    assert.deepEqual(order, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  test('the value is captured at call time', async () => {
    const dir = await freshDir();
    const file = path.join(dir, 'data.json');
    const value = { n: 1 };
    const pending = writeJsonFileAtomic(file, value);
    value.n = 2;
    await pending;
    assert.deepEqual(JSON.parse(await fsp.readFile(file, 'utf8')), { n: 1 });
  });

  test('a value that is not JSON is refused and the old file kept', async () => {
    const dir = await freshDir();
    const file = path.join(dir, 'data.json');
    await writeJsonFileAtomic(file, { keep: true });
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    await assert.rejects(writeJsonFileAtomic(file, circular));
    await assert.rejects(writeJsonFileAtomic(file, undefined));
    await assert.rejects(writeJsonFileAtomic(file, { big: 1n }));
    assert.deepEqual(JSON.parse(await fsp.readFile(file, 'utf8')), { keep: true });
  });

  test('a failed write leaves the old file and no temp file, and later writes still work', async () => {
    const dir = await freshDir();
    const file = path.join(dir, 'data.json');
    await writeJsonFileAtomic(file, { keep: true });
    // A directory where the file should be: the rename fails.
    const blocked = path.join(dir, 'blocked.json');
    await fsp.mkdir(blocked);
    await fsp.writeFile(path.join(blocked, 'inside'), 'x');
    await assert.rejects(writeJsonFileAtomic(blocked, { a: 1 }));
    assert.deepEqual((await fsp.readdir(dir)).sort(), ['blocked.json', 'data.json']);
    await fsp.rm(blocked, { recursive: true });
    await writeJsonFileAtomic(blocked, { a: 2 });
    assert.deepEqual(JSON.parse(await fsp.readFile(blocked, 'utf8')), { a: 2 });
  });

  test('writeFileAtomic writes raw text and bytes', async () => {
    const dir = await freshDir();
    const file = path.join(dir, 'raw.txt');
    await writeFileAtomic(file, 'hello\n');
    assert.equal(await fsp.readFile(file, 'utf8'), 'hello\n');
    await writeFileAtomic(file, new Uint8Array([0, 1, 2, 255]));
    assert.deepEqual([...(await fsp.readFile(file))], [0, 1, 2, 255]);
  });
});

describe('readJsonFile', () => {
  test('a missing file gives the defaults and no problem, and creates nothing', async () => {
    const dir = await freshDir();
    const file = path.join(dir, 'settings.json');
    const result = await readJsonFile(file, schema, defaults, 'settings.json');
    assert.deepEqual(result, { value: defaults(), problem: null });
    assert.deepEqual(await fsp.readdir(dir), []);
  });

  test('a missing directory gives the defaults and no problem', async () => {
    const dir = await freshDir();
    const result = await readJsonFile(path.join(dir, 'nope', 'settings.json'), schema, defaults, 'settings.json');
    assert.deepEqual(result, { value: defaults(), problem: null });
  });

  test('a valid file is read and left in place', async () => {
    const dir = await freshDir();
    const file = path.join(dir, 'settings.json');
    await writeJsonFileAtomic(file, { name: 'kept', count: 7 });
    const result = await readJsonFile(file, schema, defaults, 'settings.json');
    assert.deepEqual(result, { value: { name: 'kept', count: 7 }, problem: null });
    assert.deepEqual(await fsp.readdir(dir), ['settings.json']);
  });

  test('the schema output is returned (transforms and stripping applied)', async () => {
    const dir = await freshDir();
    const file = path.join(dir, 'settings.json');
    await fsp.writeFile(file, JSON.stringify({ name: '  padded  ', count: 1, extra: 'dropped' }));
    const trimming = z.object({ name: z.string().trim(), count: z.number() });
    const result = await readJsonFile(file, trimming, () => ({ name: '', count: 0 }), 'settings.json');
    assert.deepEqual(result, { value: { name: 'padded', count: 1 }, problem: null });
  });

  test('a leading UTF-8 BOM is accepted', async () => {
    const dir = await freshDir();
    const file = path.join(dir, 'settings.json');
    await fsp.writeFile(file, '\ufeff{"name":"bom","count":1}');
    const result = await readJsonFile(file, schema, defaults, 'settings.json');
    assert.deepEqual(result, { value: { name: 'bom', count: 1 }, problem: null });
  });

  test('invalid JSON: set aside (content intact), defaults returned, the sentence names the position and the kept file', async () => {
    const dir = await freshDir();
    const file = path.join(dir, 'settings.json');
    const bad = '{"name": "x", "count": 1,}';
    await fsp.writeFile(file, bad);
    const before = Date.now();
    const result = await readJsonFile(file, schema, defaults, 'settings.json');
    assert.deepEqual(result.value, defaults());
    const kept = await corruptCopies(dir, 'settings.json');
    assert.equal(kept.length, 1);
    const keptName = kept[0]!;
    assert.match(keptName, /^settings\.json\.corrupt-\d{4}-\d{2}-\d{2}T\d{6}\.\d{3}Z$/);
    assert.doesNotMatch(keptName, /:/);
    const stamp = keptName.slice('settings.json.corrupt-'.length);
    const iso = `${stamp.slice(0, 13)}:${stamp.slice(13, 15)}:${stamp.slice(15)}`;
    assert.ok(Math.abs(Date.parse(iso) - before) < 60_000, `timestamp ${iso} is now`);
    assert.equal(await fsp.readFile(path.join(dir, keptName), 'utf8'), bad, 'never deleted or altered');
    await assert.rejects(fsp.stat(file), { code: 'ENOENT' });
    assert.ok(result.problem);
    assert.match(result.problem, /^settings\.json could not be read \(invalid JSON at (position \d+|line \d+ column \d+)\); started with defaults; the old file is kept as /);
    assert.ok(result.problem.endsWith(path.join(dir, keptName)), result.problem);
  });

  test('a partial (truncated) file is set aside as a likely partial write', async () => {
    const dir = await freshDir();
    const file = path.join(dir, 'settings.json');
    await fsp.writeFile(file, '{"name": "trunc", "co');
    const result = await readJsonFile(file, schema, defaults, 'settings.json');
    assert.deepEqual(result.value, defaults());
    assert.match(result.problem ?? '', /^settings\.json could not be read \(invalid JSON/);
    assert.equal((await corruptCopies(dir, 'settings.json')).length, 1);

    await fsp.writeFile(file, '{"name": ');
    const second = await readJsonFile(file, schema, defaults, 'settings.json');
    assert.match(second.problem ?? '', /ends too early|invalid JSON at/);
    assert.equal((await corruptCopies(dir, 'settings.json')).length, 2, 'the second bad file is kept too, not overwriting the first');
  });

  test('an empty file is set aside', async () => {
    const dir = await freshDir();
    const file = path.join(dir, 'settings.json');
    await fsp.writeFile(file, '');
    const result = await readJsonFile(file, schema, defaults, 'settings.json');
    assert.deepEqual(result.value, defaults());
    assert.match(result.problem ?? '', /settings\.json could not be read \(it is empty/);
    assert.equal((await corruptCopies(dir, 'settings.json')).length, 1);
  });

  test('invalid UTF-8 is set aside', async () => {
    const dir = await freshDir();
    const file = path.join(dir, 'settings.json');
    await fsp.writeFile(file, Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]));
    const result = await readJsonFile(file, schema, defaults, 'settings.json');
    assert.deepEqual(result.value, defaults());
    assert.match(result.problem ?? '', /not valid UTF-8/);
  });

  test('a file failing the schema is set aside and the sentence says which field', async () => {
    const dir = await freshDir();
    const file = path.join(dir, 'settings.json');
    const content = JSON.stringify({ name: 'ok', count: 'three' });
    await fsp.writeFile(file, content);
    const result = await readJsonFile(file, schema, defaults, 'settings.json');
    assert.deepEqual(result.value, defaults());
    assert.match(result.problem ?? '', /^settings\.json could not be read \(unexpected content: count: .+\); started with defaults; the old file is kept as .+settings\.json\.corrupt-/);
    const kept = await corruptCopies(dir, 'settings.json');
    assert.equal(kept.length, 1);
    assert.equal(await fsp.readFile(path.join(dir, kept[0]!), 'utf8'), content);
  });

  test('JSON of the wrong type (array, null) fails the schema', async () => {
    const dir = await freshDir();
    const file = path.join(dir, 'settings.json');
    for (const content of ['[]', 'null', '"text"', '42']) {
      await fsp.writeFile(file, content);
      const result = await readJsonFile(file, schema, defaults, 'settings.json');
      assert.deepEqual(result.value, defaults(), content);
      assert.match(result.problem ?? '', /unexpected content/, content);
    }
    assert.equal((await corruptCopies(dir, 'settings.json')).length, 4);
  });

  test('a file over 1 MiB is set aside without being parsed', async () => {
    const dir = await freshDir();
    const file = path.join(dir, 'settings.json');
    // Valid JSON that matches the schema, just too large.
    const content = JSON.stringify({ name: 'x'.repeat(JSON_FILE_MAX_BYTES), count: 1 });
    await fsp.writeFile(file, content);
    const result = await readJsonFile(file, schema, defaults, 'settings.json');
    assert.deepEqual(result.value, defaults());
    assert.match(result.problem ?? '', /settings\.json could not be read \(it is larger than 1 MiB \(\d+ bytes\)\)/);
    const kept = await corruptCopies(dir, 'settings.json');
    assert.equal(kept.length, 1);
    assert.equal((await fsp.stat(path.join(dir, kept[0]!))).size, Buffer.byteLength(content));
  });

  test('a file of exactly 1 MiB is still read', async () => {
    const dir = await freshDir();
    const file = path.join(dir, 'settings.json');
    const prefix = '{"name":"';
    const suffix = '","count":1}';
    const content = prefix + 'y'.repeat(JSON_FILE_MAX_BYTES - prefix.length - suffix.length) + suffix;
    assert.equal(Buffer.byteLength(content), JSON_FILE_MAX_BYTES);
    await fsp.writeFile(file, content);
    const result = await readJsonFile(file, schema, defaults, 'settings.json');
    assert.equal(result.problem, null);
    assert.equal(result.value.count, 1);
  });

  test('an unreadable file is set aside', { skip: !posix ? 'needs POSIX file modes' : process.getuid?.() === 0 ? 'runs as root, and root can read and rename any file regardless of mode' : false }, async () => {
    const dir = await freshDir();
    const file = path.join(dir, 'settings.json');
    await fsp.writeFile(file, '{"name":"x","count":1}');
    await fsp.chmod(file, 0o000);
    const result = await readJsonFile(file, schema, defaults, 'settings.json');
    assert.deepEqual(result.value, defaults());
    assert.match(result.problem ?? '', /settings\.json could not be read \(it is not readable: EACCES\)/);
    assert.equal((await corruptCopies(dir, 'settings.json')).length, 1);
  });

  test('a symbolic link (a loop, here) is refused, neither read nor set aside', { skip: !posix ? 'needs POSIX file modes' : false }, async () => {
    const dir = await freshDir();
    const file = path.join(dir, 'settings.json');
    await fsp.symlink('settings.json', file);
    await assert.rejects(readJsonFile(file, schema, defaults, 'settings.json'), /settings\.json: it is a symbolic link, and Nearby follows none in its data directory/);
    assert.equal((await corruptCopies(dir, 'settings.json')).length, 0);
    assert.equal(await fsp.readlink(file), 'settings.json');
  });

  test('a directory in place of the file is moved aside too', async () => {
    const dir = await freshDir();
    const file = path.join(dir, 'settings.json');
    await fsp.mkdir(file);
    const result = await readJsonFile(file, schema, defaults, 'settings.json');
    assert.deepEqual(result.value, defaults());
    assert.match(result.problem ?? '', /not a regular file/);
    assert.equal((await corruptCopies(dir, 'settings.json')).length, 1);
    // And now a write can take the place.
    await writeJsonFileAtomic(file, { name: 'new', count: 1 });
    assert.deepEqual((await readJsonFile(file, schema, defaults, 'settings.json')).value, { name: 'new', count: 1 });
  });

  test('when the bad file cannot be moved aside the sentence says so', { skip: !posix ? 'needs POSIX file modes' : process.getuid?.() === 0 ? 'runs as root, and root can read and rename any file regardless of mode' : false }, async () => {
    const dir = await freshDir();
    const file = path.join(dir, 'settings.json');
    await fsp.writeFile(file, 'not json');
    await fsp.chmod(dir, 0o500); // no renames in the directory
    try {
      const result = await readJsonFile(file, schema, defaults, 'settings.json');
      assert.deepEqual(result.value, defaults());
      assert.match(result.problem ?? '', /could not be moved aside \(EACCES\) and is still at /);
    } finally {
      await fsp.chmod(dir, 0o700);
    }
    assert.equal(await fsp.readFile(file, 'utf8'), 'not json');
  });

  test('when the bad file cannot be moved aside (name too long, fails even as root) it is left in place and the sentence says so', { skip: !posix ? 'needs POSIX file modes' : false }, async () => {
    const dir = await freshDir();
    const file = path.join(dir, `${'s'.repeat(240)}.json`); // a valid name; with `.corrupt-<stamp>` it is over 255 bytes
    await fsp.writeFile(file, 'not json');
    const result = await readJsonFile(file, schema, defaults, 'settings.json');
    assert.deepEqual(result.value, defaults());
    assert.match(result.problem ?? '', /^settings\.json could not be read \(invalid JSON.*\); started with defaults; the old file could not be moved aside \(ENAMETOOLONG\) and is still at /);
    assert.equal(await fsp.readFile(file, 'utf8'), 'not json');
  });

  test('a leftover temp file of a crashed process is ignored and removed; the real file is read', async () => {
    const dir = await freshDir();
    const file = path.join(dir, 'settings.json');
    await writeJsonFileAtomic(file, { name: 'real', count: 1 });
    const leftover = path.join(dir, `.settings.json.${deadPid()}-abcdef012345.tmp`);
    await fsp.writeFile(leftover, '{"name": "half');
    const unrelated = path.join(dir, '.other.json.1-abc.tmp');
    await fsp.writeFile(unrelated, 'x');
    const result = await readJsonFile(file, schema, defaults, 'settings.json');
    assert.deepEqual(result, { value: { name: 'real', count: 1 }, problem: null });
    await assert.rejects(fsp.stat(leftover), { code: 'ENOENT' });
    await fsp.stat(unrelated); // another file's temp is not ours to remove
  });

  test('a leftover temp file with no target (crash before the first rename) gives defaults', async () => {
    const dir = await freshDir();
    const file = path.join(dir, 'settings.json');
    const leftover = path.join(dir, `.settings.json.${deadPid()}-0123456789ab.tmp`);
    await fsp.writeFile(leftover, '{"name":"x","count":1}');
    const result = await readJsonFile(file, schema, defaults, 'settings.json');
    assert.deepEqual(result, { value: defaults(), problem: null });
    assert.deepEqual(await fsp.readdir(dir), []);
  });

  test('temp files of a live process are left alone', async () => {
    const dir = await freshDir();
    const file = path.join(dir, 'settings.json');
    const live = path.join(dir, `.settings.json.${process.ppid}-0123456789ab.tmp`);
    await fsp.writeFile(live, '{');
    assert.deepEqual(await cleanStaleTempFiles(file), []);
    await fsp.stat(live);
    // Our own pid with no write in flight is a leftover from an earlier run that had our pid.
    const own = path.join(dir, `.settings.json.${process.pid}-0123456789ab.tmp`);
    await fsp.writeFile(own, '{');
    assert.deepEqual(await cleanStaleTempFiles(file), [own]);
  });

  test('a read waits for a pending write of the same path', async () => {
    const dir = await freshDir();
    const file = path.join(dir, 'settings.json');
    const write = writeJsonFileAtomic(file, { name: 'pending', count: 5 });
    const result = await readJsonFile(file, schema, defaults, 'settings.json');
    await write;
    assert.deepEqual(result, { value: { name: 'pending', count: 5 }, problem: null });
  });
});

describe('moveAside', () => {
  test('never overwrites an earlier set-aside copy', async () => {
    const dir = await freshDir();
    const file = path.join(dir, 'x.json');
    const kept: string[] = [];
    for (let i = 0; i < 3; i++) {
      await fsp.writeFile(file, `copy ${i}`);
      kept.push(await moveAside(file));
    }
    assert.equal(new Set(kept).size, 3);
    for (let i = 0; i < 3; i++) assert.equal(await fsp.readFile(kept[i]!, 'utf8'), `copy ${i}`);
  });
});
