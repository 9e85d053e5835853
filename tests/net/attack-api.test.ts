// Issue 11, points 2 (the server's half), 7 and 9: the node's HTTP API and web UI server under
// attack from the machine itself, against the built `sd-nearby serve` in a namespace host (whose
// loopback is the host's own; the clients run there too).
//
// - Another user of the machine (a client run as `nobody`) reads nothing and pairs with nothing:
//   the API and the UI server want the token, which sits in a 0600 file in the data directory.
//   The owner's script (the token file) does both.
// - 2,000 event streams of each kind that never read, and 2,000 connections that send nothing:
//   a few dozen streams are served, the rest refused with a 503, connections stay under their
//   cap, and the owner's own requests still work.
// - A slow reader of each kind (2 KB/s), readers that stall and a WebSocket that floods requests
//   without reading the answers, while the state (1,000 libraries, ~170 KB) changes 20 times a
//   second: the node's memory stays within 50 MB of where it started; the stalled and the flood
//   are dropped.
//
// LAN: h1 runs the node under attack A (TCP API and UI on loopback) and the node C with a large
// state; h2 runs B, a device another user would like A to pair with.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { ChildProcess } from 'node:child_process';
import { browserSkipReason, launchBrowserIn } from '../support/browser.js';
import { isRoot, Lan, type Host } from '../support/lan.js';
import { CLI, REPO_ROOT, sleep, startNode, tempDataDir, type NearbyProcess } from '../support/nearby.js';

const skip = isRoot() ? false : 'needs root to create network namespaces and to run a client as another user';

const API = '127.0.0.1:23401';
const UI = '127.0.0.1:23402';
const BIG_UI = '127.0.0.1:23502';
const DRIVER = join(REPO_ROOT, 'tests/support/apiClientsMain.ts');
/** uid and gid of `nobody`: another user of the machine. */
const NOBODY = '65534';
/** The most event streams one server may serve (src-main/server/connectionLimits.ts). */
const EVENT_STREAMS_MAX = 32;
const CONNECTIONS_MAX = 256;
/** The bound the issue asks for: the node's memory under the slow readers. */
const RSS_GROWTH_MAX_MB = 50;

interface CurlResult {
  status: number;
  body: string;
}

/** curl on `host`, as root (the owner here) or as `nobody`; the status is the last line. */
async function curl(host: Host, args: string[], as: 'owner' | 'nobody' = 'owner'): Promise<CurlResult> {
  const curlArgs = ['-s', '-m', '5', '-w', '\\n%{http_code}', ...args];
  const r = as === 'nobody' ? await host.run('setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', 'curl', ...curlArgs]) : await host.run('curl', curlArgs);
  const lines = r.stdout.split('\n');
  return { status: Number(lines.at(-1)), body: lines.slice(0, -1).join('\n') };
}

/** What the README tells the owner's scripts to run: the bearer header from the token file. */
async function ownerScript(host: Host, dataDir: string, method: 'GET' | 'POST', url: string, body?: unknown): Promise<CurlResult> {
  const data = body === undefined ? '' : ` -H 'content-type: application/json' -d '${JSON.stringify(body)}'`;
  const r = await host.run('sh', ['-c', `curl -s -m 5 -w '\\n%{http_code}' -X ${method}${data} -H "Authorization: Bearer $(cat "$0/api-token")" ${url}`, dataDir]);
  const lines = r.stdout.split('\n');
  return { status: Number(lines.at(-1)), body: lines.slice(0, -1).join('\n') };
}

/** The node's resident memory in MB (/proc/PID/status). */
function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m?.[1] === undefined ? NaN : Number(m[1]) / 1024;
}

/** A client driver in `host` (apiClientsMain.ts), with each JSON line it printed. */
function driver(host: Host, args: string[]): { child: ChildProcess; lines: unknown[]; next(timeoutMs: number): Promise<unknown> } {
  const child = host.spawn(process.execPath, ['--import', 'tsx', DRIVER, ...args], { cwd: REPO_ROOT, preExec: 'ulimit -n 20000' });
  const lines: unknown[] = [];
  let buffer = '';
  let taken = 0;
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  child.stdout?.setEncoding('utf8').on('data', (d: string) => {
    buffer += d;
    let end: number;
    while ((end = buffer.indexOf('\n')) >= 0) {
      lines.push(JSON.parse(buffer.slice(0, end)));
      buffer = buffer.slice(end + 1);
    }
  });
  const next = async (timeoutMs: number) => {
    const start = Date.now();
    while (lines.length <= taken) {
      if (Date.now() - start > timeoutMs) throw new Error(`driver ${args[0]}: nothing printed within ${timeoutMs} ms; stderr: ${stderr.slice(-500)}`);
      await sleep(50);
    }
    return lines[taken++];
  };
  return { child, lines, next };
}

/** `sd-nearby serve` with its API and UI on the host's loopback (not startNode's Unix socket). */
async function startOnLoopback(host: Host, dataDir: string): Promise<{ child: ChildProcess; stdout: () => string }> {
  const child = host.spawn(process.execPath, [CLI, 'serve', '--data-dir', dataDir, '--name', 'Owner', '--api', API, '--ui', UI]);
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (err += d));
  const start = Date.now();
  while (!/^api http/m.test(out)) {
    if (child.exitCode !== null || Date.now() - start > 15_000) throw new Error(`serve did not start: ${err}`);
    await sleep(20);
  }
  return { child, stdout: () => out };
}

/**
 * The goal: throughout an attack, the real peer stays listed, verified and pairable (as the
 * owner sees it through the API: a getState counts as a look, so verification runs meanwhile).
 */
async function assertPeerStaysUsable(host: Host, dataDir: string, identity: string, when: string): Promise<void> {
  let row: { verified: boolean } | undefined;
  for (let i = 0; i < 50 && !row?.verified; i++) {
    if (i > 0) await sleep(100);
    const state = JSON.parse((await ownerScript(host, dataDir, 'GET', `http://${API}/api/state`)).body) as { peers: Array<{ identity: string | null; verified: boolean }> };
    row = state.peers.find((p) => p.identity === identity);
  }
  assert.ok(row?.verified, `the real peer is listed and verified ${when}: ${JSON.stringify(row)}`);
  const pairing = await ownerScript(host, dataDir, 'POST', `http://${API}/api/startPairing`, { peerId: identity });
  assert.equal(pairing.status, 200, `the real peer is pairable ${when}: ${pairing.body.slice(0, 300)}`);
  await ownerScript(host, dataDir, 'POST', `http://${API}/api/rejectPairing`, { sessionId: (JSON.parse(pairing.body) as { id: string }).id });
}

describe('attack on the API from the machine itself', { skip }, () => {
  let lan: Lan;
  let host: Host;
  let dataDirA: string;
  let nodeA: { child: ChildProcess; stdout: () => string };
  let nodeB: NearbyProcess;
  let nodeC: NearbyProcess;
  let identityB: string;

  before(async () => {
    lan = await Lan.create({ hosts: 2, ipv6: false });
    host = lan.hosts[0]!;
    dataDirA = tempDataDir('attack-api');
    // As ~/.local/share/sd-nearby is made with the usual umask: anyone may look inside, so the
    // token file's own mode is what keeps it.
    chmodSync(dataDirA, 0o755);
    const dataDirC = tempDataDir('attack-api-big');
    const createdAt = new Date().toISOString();
    const libraries = Array.from({ length: 1000 }, (_, i) => ({ uuid: randomUUID(), name: `Library ${i} ${'x'.repeat(48)}`, active: false, createdAt }));
    writeFileSync(join(dataDirC, 'libraries.json'), JSON.stringify({ version: 1, libraries }));
    [nodeA, nodeB, nodeC] = await Promise.all([
      startOnLoopback(host, dataDirA),
      startNode(lan.hosts[1]!, { name: 'Somebody else’s phone' }),
      startNode(host, { dataDir: dataDirC, name: 'Big state', mode: 'disabled', extraArgs: ['--ui', BIG_UI] }),
    ]);
    identityB = await nodeB.identity();
  });

  after(async () => {
    nodeA?.child.kill('SIGKILL');
    await Promise.allSettled([nodeB?.stop('SIGKILL'), nodeC?.stop('SIGKILL')]);
    await lan?.destroy();
  });

  test('the token file is 0600; another user reads no state, opens no stream and pairs with nothing; the owner’s script does', async () => {
    // A sees B (B announces itself in Everyone): what another user would pair A with.
    const seesB = async () => (await ownerScript(host, dataDirA, 'GET', `http://${API}/api/state`)).body.includes(identityB);
    for (let i = 0; i < 100 && !(await seesB()); i++) await sleep(100);
    assert.ok(await seesB(), 'A lists B');

    for (const server of [API, UI]) {
      const state = await curl(host, [`http://${server}/api/state`], 'nobody');
      assert.equal(state.status, 401, `GET /api/state on ${server} as another user: ${state.status} ${state.body.slice(0, 200)}`);
      assert.doesNotMatch(state.body, /identity/);
      const events = await curl(host, ['-m', '2', `http://${server}/api/events`], 'nobody');
      assert.equal(events.status, 401, `GET /api/events on ${server}: ${events.body.slice(0, 200)}`);
      const upgrade = await curl(host, ['-H', 'Connection: Upgrade', '-H', 'Upgrade: websocket', '-H', 'Sec-WebSocket-Version: 13', '-H', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==', `http://${server}/api/ws`], 'nobody');
      assert.equal(upgrade.status, 401, `the WebSocket on ${server}: ${upgrade.body.slice(0, 200)}`);
      const pair = await curl(host, ['-X', 'POST', '-H', 'content-type: application/json', '-d', JSON.stringify({ peerId: identityB }), `http://${server}/api/startPairing`], 'nobody');
      assert.equal(pair.status, 401, `startPairing on ${server} as another user: ${pair.body.slice(0, 200)}`);
      assert.match(pair.body, /api-token/, 'the refusal says where the token is');
    }

    const owner = await ownerScript(host, dataDirA, 'GET', `http://${API}/api/state`);
    assert.equal(owner.status, 200);
    assert.deepEqual(JSON.parse(owner.body).pairing, [], 'no pairing was started by anyone else');
    const ownPairing = await ownerScript(host, dataDirA, 'POST', `http://${API}/api/startPairing`, { peerId: identityB });
    assert.equal(ownPairing.status, 200, `the owner starts a pairing: ${ownPairing.body.slice(0, 300)}`);
    const session = JSON.parse(ownPairing.body) as { id: string };
    await ownerScript(host, dataDirA, 'POST', `http://${API}/api/rejectPairing`, { sessionId: session.id });
    const file = join(dataDirA, 'api-token');
    const st = statSync(file);
    assert.equal(st.mode & 0o777, 0o600, `api-token mode ${(st.mode & 0o777).toString(8)}`);
    const cat = await host.run('setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', 'cat', file]);
    assert.notEqual(cat.code, 0, 'another user cannot read the token file');
    assert.match(nodeA.stdout(), new RegExp(`^ui http://${UI.replace(/\./g, '\\.')}/#token=[\\w-]{43}$`, 'm'), 'serve prints the UI address with the token');
  });

  test('2,000 event streams of each kind that never read and 2,000 idle connections: the caps refuse the rest, the owner still gets answers', async () => {
    const token = readFileSync(join(dataDirA, 'api-token'), 'utf8').trim();
    const streams = driver(host, ['streams', API, token, '2000', '2000', '30000']);
    const idle = driver(host, ['idle', UI, '2000', '30000']);
    try {
      const [streamReport, idleReport] = (await Promise.all([streams.next(60_000), idle.next(60_000)])) as [
        { report: { sse: Record<string, number>; ws: Record<string, number>; sseOpen: number; wsOpen: number } },
        { report: { opened: number; stillOpen: number; answers: Record<string, number> } },
      ];
      const s = streamReport.report;
      console.log(`streams: SSE answers ${JSON.stringify(s.sse)}, WebSocket answers ${JSON.stringify(s.ws)}; open: ${s.sseOpen} SSE + ${s.wsOpen} WebSocket`);
      console.log(`idle connections: ${JSON.stringify(idleReport.report)}`);
      assert.ok(s.sseOpen + s.wsOpen <= EVENT_STREAMS_MAX, `at most ${EVENT_STREAMS_MAX} streams served, got ${s.sseOpen + s.wsOpen}`);
      assert.ok(s.sseOpen + s.wsOpen > 0, 'some streams are served');
      assert.ok((s.sse['503'] ?? 0) + (s.ws['503'] ?? 0) >= 4000 - EVENT_STREAMS_MAX - 10, 'the rest are refused with a 503');
      assert.ok(idleReport.report.stillOpen <= CONNECTIONS_MAX, `at most ${CONNECTIONS_MAX} connections held, got ${idleReport.report.stillOpen}`);

      // Meanwhile the owner's own requests: both servers answer.
      for (const server of [API, UI]) {
        const r = await ownerScript(host, dataDirA, 'GET', `http://${server}/api/state`);
        assert.equal(r.status, 200, `the owner's GET /api/state on ${server} during the flood: ${r.status} ${r.body.slice(0, 200)}`);
      }
      await assertPeerStaysUsable(host, dataDirA, identityB, 'during the stream flood');
      const refused = await curl(host, ['-H', `Authorization: Bearer ${token}`, `http://${API}/api/events`]);
      assert.equal(refused.status, 503);
      assert.match(refused.body, /32 event streams/, 'the refusal is a sentence');
    } finally {
      streams.child.kill('SIGKILL');
      idle.child.kill('SIGKILL');
    }
  });

  test('2,000 idle connections to the web UI server: the owner opens the address serve printed in Chromium, and the page works', { skip: browserSkipReason() }, async () => {
    const idle = driver(host, ['idle', UI, '2000', '30000']);
    const browser = await launchBrowserIn(host);
    try {
      await idle.next(60_000);
      const printed = /^ui (\S+)$/m.exec(nodeA.stdout())![1]!;
      const page = await browser.newPage();
      await page.goto(printed);
      await page.waitForSelector('text=Somebody else’s phone', { timeout: 15_000 });
      assert.equal(page.url(), printed.replace(/#.*$/, ''), 'the token is out of the address bar');
    } finally {
      await browser.close().catch(() => {});
      idle.child.kill('SIGKILL');
    }
  });

  test('slow, stalled and flooding readers while the state changes: memory stays bounded, the stalled and the flood are dropped', async (t) => {
    const token = new URL(nodeC.printedUiUrl).hash.slice('#token='.length);
    const pid = nodeC.child.pid!;
    const stateBytes = JSON.stringify(await nodeC.state()).length;
    const holdMs = 18_000;
    const baseline = rssMb(pid);
    const readers = [
      driver(host, ['slow', 'sse', BIG_UI, token, '2048', String(holdMs)]),
      driver(host, ['slow', 'ws', BIG_UI, token, '2048', String(holdMs)]),
      driver(host, ['slow', 'sse', BIG_UI, token, '0', String(holdMs)]),
      driver(host, ['slow', 'ws', BIG_UI, token, '0', String(holdMs)]),
      driver(host, ['flood', BIG_UI, token, String(holdMs)]),
    ];
    try {
      const samples: number[] = [];
      const start = Date.now();
      let changes = 0;
      let unanswered = 0;
      let lastSampleAt = 0;
      while (Date.now() - start < holdMs - 2000) {
        // The owner's own script goes on meanwhile (a busy node may not answer in time: counted).
        await nodeC.command('setName', { name: `Big state ${changes++ % 2}` }).catch(() => unanswered++);
        if (Date.now() - lastSampleAt >= 1000) {
          samples.push(rssMb(pid));
          lastSampleAt = Date.now();
        }
        await sleep(50);
      }
      const results = (await Promise.all(readers.map((r) => r.next(holdMs + 15_000)))) as Array<{ closed: { kind: string; status: string; resetAtMs: number | null; dropped: boolean; bytesRead?: number; requestsSent?: number } }>;
      const peak = Math.max(...samples);
      const line = `state ${Math.round(stateBytes / 1024)} KB, ${changes} changes (${unanswered} unanswered); node RSS ${baseline.toFixed(0)} MB before the readers, peak ${peak.toFixed(0)} MB (+${(peak - baseline).toFixed(0)} MB); samples ${samples.map((x) => x.toFixed(0)).join(' ')}`;
      t.diagnostic(line);
      console.log(`slow readers: ${line}`);
      for (const r of results) console.log(`slow readers: ${JSON.stringify(r.closed)}`);
      assert.ok(peak - baseline < RSS_GROWTH_MAX_MB, `the node grew by ${(peak - baseline).toFixed(0)} MB: ${line}`);
      const [slowSse, slowWs, stalledSse, stalledWs, flood] = results.map((r) => r.closed);
      assert.equal(slowSse!.status, '200');
      assert.equal(slowWs!.status, '101');
      assert.ok(stalledSse!.dropped, 'an SSE reader that reads nothing is dropped');
      assert.ok(stalledWs!.dropped, 'a WebSocket reader that reads nothing is dropped');
      assert.ok(flood!.dropped, 'a WebSocket that sends requests without reading the answers is dropped');
      // The owner's own subscription gets the newest state afterwards.
      const sub = nodeC.subscribe();
      try {
        await sub.waitFor((s) => s.self.name === `Big state ${(changes - 1) % 2}`, 5000, 'the newest state');
      } finally {
        sub.close();
      }
    } finally {
      for (const r of readers) r.child.kill('SIGKILL');
    }
  });
});
