// Issue 11, attack 8: a planted data directory, against the built CLI. `sd-nearby serve` runs in a
// namespace host (discovery Disabled, so nothing is sent even there) on a data directory someone
// else can write, or that holds a file someone else planted: it used to start and believe it all,
// and to chmod whatever a planted identity.key link led to. Now it refuses, exit code 2, with one
// line on stderr that ends with the fix; a directory of the user's own still starts.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { isRoot, Lan, type Host } from '../support/lan.js';
import { CLI, startNode, tempDataDir } from '../support/nearby.js';

const skip = isRoot() ? false : 'needs root to create network namespaces and to give files to another user';
/** The user "nobody". */
const NOBODY_UID = 65534;

/** Runs `serve` on `dataDir` in `host`; a node that starts is stopped after 3 s (timeout). */
function serve(host: Host, dataDir: string) {
  return host.run(process.execPath, [CLI, 'serve', '--data-dir', dataDir, '--mode', 'disabled', '--api', `unix:${join(dataDir, 'api.sock')}`], { timeoutMs: 3000 });
}

/** A data directory as the node would make it, then tampered with by `tamper`. */
async function dataDir(tag: string, tamper: (dir: string) => Promise<void>): Promise<string> {
  const dir = tempDataDir(tag);
  await tamper(dir);
  return dir;
}

/** Serve refused: exit code 2 and stderr of one line, matching `why`, ending with `fix`. */
function assertRefused(r: { code: number | null; stderr: string; stdout: string; timedOut: boolean }, why: RegExp, fix: string): void {
  assert.equal(r.timedOut, false, `serve started instead of refusing:\n${r.stdout}`);
  assert.equal(r.code, 2, r.stderr);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, why);
  assert.ok(lines[0]!.endsWith(fix), `the line ends with the fix \`${fix}\`: ${lines[0]}`);
  console.log(`  refused: ${lines[0]}`);
}

describe('attack 8: a planted data directory (sd-nearby serve)', { skip }, () => {
  let lan: Lan;
  let host: Host;

  before(async () => {
    lan = await Lan.create({ hosts: 1, ipv6: false });
    host = lan.hosts[0]!;
  });
  after(async () => {
    await lan?.destroy();
  });

  test('a world-writable data directory is refused: `chmod 700 <dir>`', async () => {
    const dir = await dataDir('ww', (d) => fsp.chmod(d, 0o777));
    assertRefused(await serve(host, dir), /other users can write to it \(mode 777\)/, `chmod 700 ${dir}`);
    assert.deepEqual(await fsp.readdir(dir), [], 'nothing was created in it');
  });

  test('a data directory owned by another user is refused: `sudo chown -R <us> <dir> && chmod 700 <dir>`', async () => {
    const dir = await dataDir('other', (d) => fsp.chown(d, NOBODY_UID, NOBODY_UID));
    assertRefused(await serve(host, dir), /belongs to another user \(uid 65534\)/, `sudo chown -R ${process.getuid!()} ${dir} && chmod 700 ${dir}`);
  });

  test('a planted identity.key link is not followed: its target keeps its mode, and the error says so', async () => {
    const elsewhere = tempDataDir('target');
    const target = join(elsewhere, 'shadow-like');
    await fsp.writeFile(target, 'someone else’s file\n');
    await fsp.chmod(target, 0o644);
    const dir = await dataDir('link', (d) => fsp.symlink(target, join(d, 'identity.key')));
    assertRefused(await serve(host, dir), /identity\.key: it is a symbolic link, and Nearby follows none in its data directory/, `rm ${join(dir, 'identity.key')}`);
    assert.equal((await fsp.stat(target)).mode & 0o777, 0o644, 'the target was not chmod’ed');
    assert.equal(await fsp.readFile(target, 'utf8'), 'someone else’s file\n');
  });

  test('a contacts.json planted by another user is not believed', async () => {
    const dir = await dataDir('contacts', async (d) => {
      const file = join(d, 'contacts.json');
      await fsp.writeFile(file, JSON.stringify({ version: 1, contacts: [] }), { mode: 0o600 });
      await fsp.chown(file, NOBODY_UID, NOBODY_UID);
    });
    assertRefused(await serve(host, dir), /contacts\.json: it belongs to another user \(uid 65534\)/, `chmod 600 ${join(dir, 'contacts.json')}`);
  });

  test('the user’s own data directory (0700, or 0755 as Docker’s volume) still starts', async () => {
    for (const mode of [0o700, 0o755]) {
      const dir = await dataDir(`ok${mode.toString(8)}`, (d) => fsp.chmod(d, mode));
      const node = await startNode(host, { dataDir: dir, mode: 'disabled' });
      assert.equal((await node.state()).mode, 'disabled');
      assert.deepEqual(await node.stop('SIGTERM'), { code: 0, signal: null });
    }
  });
});
