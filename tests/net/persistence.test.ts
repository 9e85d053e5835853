// Issue 2, point 8 and the CLI's promises: the identity is stable across restarts, a corrupt
// settings file is set aside and the node starts with defaults and says so; the port rules
// (--port, SD_DOCKER=true -> 7373) and one-line errors for a busy port or a bad flag.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isRoot, Lan } from '../support/lan.js';
import { CLI, startNode, tempDataDir } from '../support/nearby.js';

const skip = isRoot() ? false : 'needs root to create network namespaces';

describe('persistence and the command line', { skip }, () => {
  let lan: Lan;
  before(async () => {
    lan = await Lan.create({ hosts: 1, ipv6Dad: false });
  });
  after(async () => {
    await lan?.destroy();
  });

  test('the identity is created once, kept with mode 0600, and the same after restart', async () => {
    const dataDir = tempDataDir('identity');
    const first = await startNode(lan.hosts[0]!, { dataDir });
    const id1 = await first.identity();
    assert.deepEqual(await first.stop('SIGTERM'), { code: 0, signal: null });
    const mode = (await stat(join(dataDir, 'identity.key'))).mode & 0o777;
    assert.equal(mode, 0o600);
    const second = await startNode(lan.hosts[0]!, { dataDir });
    assert.equal(await second.identity(), id1);
    await second.stop('SIGKILL');
  });

  test('a corrupt settings file: defaults, the bad file kept beside, and a clear warning', async () => {
    const dataDir = tempDataDir('corrupt');
    const first = await startNode(lan.hosts[0]!, { dataDir, name: 'Before corruption' });
    await first.stop('SIGTERM');
    await writeFile(join(dataDir, 'settings.json'), '{"name": "half a fil');
    const node = await startNode(lan.hosts[0]!, { dataDir });
    const s = await node.state();
    assert.equal(s.mode, 'everyone', 'defaults');
    assert.notEqual(s.self.name, 'Before corruption');
    const warning = s.warnings.find((w) => w.includes('settings.json'));
    assert.ok(warning, `a warning names the file: ${JSON.stringify(s.warnings)}`);
    assert.match(warning, /started with defaults/);
    const kept = (await readdir(dataDir)).find((f) => f.startsWith('settings.json.corrupt-'));
    assert.ok(kept, 'the bad file is kept beside');
    assert.ok(warning.includes(kept), 'the warning says where the bad file is');
    assert.equal(await readFile(join(dataDir, kept), 'utf8'), '{"name": "half a fil');
    assert.match(node.stderr, /warning: settings\.json could not be read/);
    await node.stop('SIGKILL');
  });

  test('SD_DOCKER=true binds port 7373; a second node on that port gets a one-line error', async () => {
    const host = lan.hosts[0]!;
    const docker = await startNode(host, { env: { SD_DOCKER: 'true' } });
    assert.equal((await docker.state()).self.port, 7373);
    const r = await host.run(process.execPath, [CLI, 'serve', '--data-dir', tempDataDir('busy'), '--api', 'none'], { env: { SD_DOCKER: 'true' }, timeoutMs: 10000 });
    assert.notEqual(r.code, 0);
    assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
    assert.match(r.stderr, /port 7373 is in use by another program/);
    await docker.stop('SIGKILL');
    const explicit = await startNode(host, { port: 7444, env: { SD_DOCKER: 'true' } });
    assert.equal((await explicit.state()).self.port, 7444, '--port wins over SD_DOCKER');
    await explicit.stop('SIGKILL');
  });

  test('--ui 0.0.0.0 prints an address per interface that others can open, not 0.0.0.0', async () => {
    const host = lan.hosts[0]!;
    const node = await startNode(host, { mode: 'disabled', extraArgs: ['--ui', '0.0.0.0:7391'] });
    try {
      const lines = node.stdout.split('\n').filter((l) => l.startsWith('ui '));
      assert.ok(!lines.some((l) => l.includes('0.0.0.0')), `no 0.0.0.0 address: ${lines.join(' | ')}`);
      assert.match(lines[0] ?? '', new RegExp(`^ui http://${host.ipv4Of()!.replace(/\./g, '\\.')}:7391/#token=[\\w-]{43} \\(eth0\\)$`), 'the LAN address first, with its interface');
      assert.ok(lines.some((l) => /^ui http:\/\/127\.0\.0\.1:7391\/#token=\S+ \(lo\)$/.test(l)), `and loopback: ${lines.join(' | ')}`);
    } finally {
      await node.stop('SIGKILL');
    }
  });

  test('a data directory that cannot be one: a file, or a place nothing can be made (/proc): one line, at once', async () => {
    const host = lan.hosts[0]!;
    const file = join(tempDataDir('a-file'), 'not-a-dir');
    await writeFile(file, 'x');
    for (const [dir, why] of [[file, /not a directory/], ['/proc/nope', /\/proc\/nope/]] as const) {
      const r = await host.run(process.execPath, [CLI, 'serve', '--data-dir', dir, '--mode', 'disabled', '--api', 'none'], { timeoutMs: 10000 });
      assert.notEqual(r.code, 0, `${dir}: refused (${r.code}): ${r.stderr}`);
      assert.notEqual(r.code, null, `${dir}: exits, does not hang`);
      assert.equal(r.stderr.trim().split('\n').length, 1, `${dir}: one line: ${r.stderr}`);
      assert.match(r.stderr, why);
      assert.doesNotMatch(r.stderr, /EEXIST|ENOENT|at \//, `${dir}: a sentence, not a raw error: ${r.stderr}`);
    }
  });

  test('one node per data directory: a second exits at once naming the first; after a crash the next one starts', async () => {
    const host = lan.hosts[0]!;
    const dataDir = tempDataDir('one-node');
    const first = await startNode(host, { dataDir, mode: 'disabled' });
    const pid = first.child.pid!;
    const identity = await first.identity();
    const second = await host.run(process.execPath, [CLI, 'serve', '--data-dir', dataDir, '--mode', 'disabled', '--api', 'none'], { timeoutMs: 10000 });
    assert.equal(second.code, 2, `refused: ${second.stderr}`);
    assert.equal(second.stderr.trim().split('\n').length, 1, `one line: ${second.stderr}`);
    assert.match(second.stderr, new RegExp(`another Nearby node \\(pid ${pid}\\) already runs on the data directory`));
    assert.equal(second.stdout, '', 'it announced nothing: no identity line');
    await first.stop('SIGKILL');
    const after = await startNode(host, { dataDir, mode: 'disabled' });
    assert.equal(await after.identity(), identity, 'the lock a crash left behind is taken over');
    await after.stop('SIGTERM');
    assert.deepEqual(await readdir(dataDir).then((f) => f.filter((n) => n === 'node.lock')), [], 'a node that stops frees the directory');
  });

  test('a bad flag is a one-line error and a non-zero exit', async () => {
    const r = await lan.hosts[0]!.run(process.execPath, [CLI, 'serve', '--prot', '3'], { timeoutMs: 10000 });
    assert.equal(r.code, 2);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    assert.match(r.stderr, /unknown option --prot \(did you mean --port\?\)/);
    const b = await lan.hosts[0]!.run(process.execPath, [CLI, 'browse', '--timeout', 'soon'], { timeoutMs: 10000 });
    assert.equal(b.code, 2);
    assert.match(b.stderr, /--timeout/);
    const none = await lan.hosts[0]!.run(process.execPath, [CLI], { timeoutMs: 10000 });
    assert.equal(none.code, 2, 'no command is not a success');
    assert.match(none.stderr, /^sd-nearby: no command given/);
    assert.equal(none.stdout, '');
  });
});
