// Issue 12, item 7: a `serve` whose API or web UI port is taken used to announce itself first and
// exit after: the other nodes printed `+ host`, then `- host`. The servers' ports are bound before
// discovery starts now: such a node sends not one mDNS packet (tcpdump on the LAN's switch), a node
// watching the LAN never lists it, and serve says why in one line. A node started right after on the same host is listed (the watcher would have seen it).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { isRoot, Lan, type Host } from '../support/lan.js';
import { CLI, sleep, startNode, tempDataDir, type NearbyProcess } from '../support/nearby.js';

const skip = isRoot() ? false : 'needs root to create network namespaces';
/** Inside the subject's own namespace: no clash with anything outside it. */
const TAKEN_PORT = 7390;
const LISTED_WITHIN_MS = 10_000;

/** A process holding 127.0.0.1:TAKEN_PORT in `host` until killed. */
async function holdPort(host: Host): Promise<ChildProcess> {
  const holder = host.spawn(process.execPath, ['-e', `require('net').createServer().listen(${TAKEN_PORT}, '127.0.0.1', () => console.log('holding'))`]);
  let out = '';
  holder.stdout?.setEncoding('utf8').on('data', (d: string) => (out += d));
  for (let waited = 0; !out.includes('holding'); waited += 20) {
    if (waited > 10_000 || holder.exitCode !== null) throw new Error('the port holder did not start');
    await sleep(20);
  }
  return holder;
}

describe('serve with its API or web UI port taken (namespace LAN, built CLI)', { skip }, () => {
  let lan: Lan;
  let watcher: NearbyProcess;
  let holder: ChildProcess;

  before(async () => {
    lan = await Lan.create({ hosts: 2, ipv6: false });
    watcher = await startNode(lan.hosts[0]!, { name: 'Watcher' });
    holder = await holdPort(lan.hosts[1]!);
  });
  after(async () => {
    holder?.kill('SIGKILL');
    await watcher?.stop('SIGKILL');
    await lan?.destroy();
  });

  for (const flag of ['--api', '--ui'] as const) {
    test(`${flag} on a taken port: exit 2 with one line naming the port, not one mDNS packet sent, never listed by the watcher`, async () => {
      const name = `Taken ${flag.slice(2)}`;
      const mdns = await lan.capture('udp port 5353');
      const r = await lan.hosts[1]!.run(process.execPath, [CLI, 'serve', '--data-dir', tempDataDir('taken'), '--name', name, '--mode', 'everyone', flag, `127.0.0.1:${TAKEN_PORT}`], { timeoutMs: 10_000 });
      assert.equal(r.timedOut, false, `serve kept running: ${r.stdout}`);
      assert.equal(r.code, 2, r.stderr);
      const lines = r.stderr.trim().split('\n');
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0]!, new RegExp(`^sd-nearby: the ${flag === '--api' ? 'API' : 'web UI'} address 127\\.0\\.0\\.1:${TAKEN_PORT} is in use by another program; choose another with ${flag} HOST:PORT$`));
      assert.equal(r.stdout, '', 'nothing printed as if it had started');
      const sent = (await mdns.stop()).filter((p) => p.src === lan.hosts[1]!.ipv4);
      assert.equal(sent.length, 0, `the node that could not start sent ${sent.length} mDNS packets (probes, announcements, goodbyes)`);

      // A node that does start on that host is listed: the watcher hears that host.
      const control = await startNode(lan.hosts[1]!, { name: `Control ${flag.slice(2)}` });
      const start = Date.now();
      while (!watcher.stdout.includes(`+ Control ${flag.slice(2)}`) && Date.now() - start < LISTED_WITHIN_MS) await sleep(50);
      await control.stop('SIGKILL');
      assert.ok(watcher.stdout.includes(`+ Control ${flag.slice(2)}`), `the watcher lists a node of that host:\n${watcher.stdout}`);
      assert.ok(!watcher.stdout.includes(name), `the watcher never listed the node that could not start:\n${watcher.stdout}`);
    });
  }
});
