// Issue 6, hardening point 4: every API command and every WebSocket/IPC command driven with random
// payloads (support/randomPayloads.ts: random JSON of random shapes and sizes, wrong types, strings
// around 64 characters and 64 KiB, deep nesting, __proto__/constructor keys, unknown commands, and
// valid payloads in between so that the commands really run). Every answer is typed (never
// 'internal' nor a 500), the node does not crash, and its state is sane afterwards and read back
// the same from disk after a restart.
//
// - HTTP API: from this process over the node's Unix socket (the node runs in a namespace).
// - WebSocket: the web UI's server (`serve --ui 127.0.0.1:7380`) is on the host's loopback, so the
//   driver (support/commandFuzzMain.ts, the `ws` client) runs inside that host.
// - Electron IPC: createIpcBridge in front of a real NearbyNode, in a driver inside another host
//   (the node runs discovery and dials manual peers: never in the root namespace).
//
// LAN: h1 the node under test (HTTP + WebSocket), h2 a peer (so that peer ids are real), h3 the
// IPC driver's own node. HARDENING_SEED=<n> replays a run.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { join } from 'node:path';
import { isRoot, Lan } from '../support/lan.js';
import { REPO_ROOT, startNode, tempDataDir, type NearbyProcess } from '../support/nearby.js';
import { assertNodeHealthy, exclusively, Report } from '../support/hardening.js';
import { createRng, seedFromEnv, type Rng } from '../support/prng.js';
import { COMMANDS, deepJsonText, hugeString, randomJson, randomPayload, randomString, type Targets } from '../support/randomPayloads.js';
import { HTTP_ERROR_CODES, stateProblems, Tally } from '../support/commandFuzz.js';
import type { DriverReport } from '../support/commandFuzzMain.js';
import { PAYLOAD_MAX_BYTES, type NodeState } from '../../src-shared/contract.js';

const skip = isRoot() ? false : 'needs root to create network namespaces';

const HTTP_REQUESTS = 4000;
const WS_REQUESTS = 4000;
const IPC_REQUESTS = 4000;
const UI = '127.0.0.1:7380';
const DRIVER = join(REPO_ROOT, 'tests/support/commandFuzzMain.ts');
const ALLOWED_STATUS = new Set([200, 400, 404, 405, 409, 413, 415]);

interface RawAnswer {
  status: number;
  text: string;
}

/** One HTTP request over the node's Unix socket, with whatever body and headers. */
function rawApi(socketPath: string, method: string, path: string, body: Buffer | string, headers: Record<string, string> = {}): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const payload = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    const req = request(
      { socketPath, path, method, headers: { host: 'localhost', 'content-type': 'application/json', 'content-length': String(payload.length), ...headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    // A body over the cap is refused before it is read: the server may close while we still write.
    req.on('error', (err: NodeJS.ErrnoException) => (err.code === 'EPIPE' || err.code === 'ECONNRESET' ? resolve({ status: -1, text: err.code }) : reject(err)));
    req.setTimeout(10_000, () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.end(payload);
  });
}

function targetsOf(s: NodeState): Targets {
  return {
    libraryUuids: s.libraries.map((l) => l.uuid),
    peerIds: s.peers.map((p) => p.id),
    identities: [...s.peers.map((p) => p.identity).filter((i): i is string => i !== null), s.self.identity],
    manualPeers: s.manualPeers.map((m) => m.address),
  };
}

/** One random HTTP request: method, path, content type and body all vary. */
function randomHttp(rng: Rng, targets: Targets): { method: string; path: string; body: Buffer | string; headers?: Record<string, string>; label: string } {
  const command = rng.pick(COMMANDS);
  const roll = rng();
  if (roll < 0.04) return { method: 'POST', path: `/api/${command}`, body: JSON.stringify({ name: hugeString(rng) }), label: 'huge body' };
  if (roll < 0.06) return { method: 'POST', path: `/api/${command}`, body: deepJsonText(rng, rng.pick([1000, 10_000])), label: 'deep nesting' };
  if (roll < 0.08) return { method: 'POST', path: `/api/${command}`, body: rng.chance(0.5) ? randomString(rng) || '{' : '{"name": "unterminated', label: 'not JSON' };
  if (roll < 0.09) return { method: 'POST', path: `/api/${command}`, body: Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), label: 'invalid UTF-8' };
  if (roll < 0.1) return { method: 'POST', path: `/api/${command}`, body: JSON.stringify(randomPayload(rng, command, targets) ?? {}), headers: { 'content-type': rng.pick(['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', '']) }, label: 'wrong content type' };
  if (roll < 0.12) return { method: rng.pick(['GET', 'PUT', 'DELETE', 'PATCH']), path: `/api/${command}`, body: '', label: 'wrong method' };
  if (roll < 0.15) {
    const path = `/api/${rng.pick(['__proto__', 'constructor', 'toString', 'hasOwnProperty', '%00', 'getState/..', 'GETSTATE', '', [...Buffer.from(randomString(rng, 40), 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0')}`).join(''), 'x'.repeat(2000)])}`;
    return { method: 'POST', path, body: '{}', label: `unknown command ${path.slice(0, 40)}` };
  }
  if (roll < 0.2) return { method: 'POST', path: `/api/${command}`, body: JSON.stringify(randomJson(rng, 4)) ?? 'null', label: 'random JSON' };
  const payload = randomPayload(rng, command, targets);
  return { method: 'POST', path: `/api/${command}`, body: payload === undefined ? '' : JSON.stringify(payload), label: `${command} ${JSON.stringify(payload)?.slice(0, 100)}` };
}

describe('hardening: random payloads for every command', { skip }, () => {
  let lan: Lan;
  let node: NearbyProcess;
  let peer: NearbyProcess;
  let dataDir: string;
  const report = new Report('commands');

  before(async () => {
    lan = await Lan.create({ hosts: 3, ipv6Dad: false });
    dataDir = tempDataDir('cmdfuzz');
    [node, peer] = await Promise.all([
      startNode(lan.hosts[0]!, { dataDir, name: 'Command target', libraries: ['Photos', 'Work'], extraArgs: ['--ui', UI] }),
      startNode(lan.hosts[1]!, { name: 'A peer' }),
    ]);
    const peerIdentity = await peer.identity();
    await node.waitForState((s) => s.peers.some((p) => p.identity === peerIdentity), 5000, 'the node to list its peer');
  });

  after(async () => {
    await Promise.allSettled([node?.stop('SIGKILL'), peer?.stop('SIGKILL')]);
    await lan?.destroy();
    report.print();
  });

  test(`HTTP API (${HTTP_REQUESTS}) and WebSocket (${WS_REQUESTS}) random requests, side by side: typed answers, no crash, a sane state that survives a restart`, async () => {
    const seed = seedFromEnv();
    report.add(`seed ${seed}`);
    const rng = createRng(seed);
    const socketPath = node.socketPath;

    const { tally, httpMs, wsRun } = await exclusively('cpu', async () => {
      const ws = lan.hosts[0]!.run(process.execPath, ['--import', 'tsx', DRIVER, 'ws', `ws://${UI}/api/ws?token=${new URL(node.printedUiUrl).hash.slice('#token='.length)}`, String(seed + 1), String(WS_REQUESTS)], { cwd: REPO_ROOT, timeoutMs: 120_000 });

      const tally = new Tally();
      const t0 = Date.now();
      let targets = targetsOf(await node.state());
      for (let i = 0; i < HTTP_REQUESTS; i++) {
        if (i % 50 === 0) targets = targetsOf(await node.state());
        const r = randomHttp(rng, targets);
        const a = await rawApi(socketPath, r.method, r.path, r.body, r.headers);
        const where = `${r.label} -> ${a.status} ${a.text.slice(0, 200)}`;
        if (a.status === -1) {
          // The server refused a body over the cap and closed before it was all sent.
          if (Buffer.byteLength(r.body) <= PAYLOAD_MAX_BYTES) tally.problem(`connection reset: ${where}`);
          tally.add('413 (closed while sending)');
          continue;
        }
        tally.add(String(a.status));
        if (!ALLOWED_STATUS.has(a.status)) tally.problem(where);
        let body: { error?: { code?: unknown; message?: unknown } };
        try {
          body = JSON.parse(a.text) as typeof body;
        } catch {
          tally.problem(`not JSON: ${where}`);
          continue;
        }
        if (a.status !== 200) {
          if (typeof body.error?.code !== 'string' || !HTTP_ERROR_CODES.has(body.error.code) || typeof body.error.message !== 'string' || body.error.message === '') tally.problem(`untyped error: ${where}`);
          else tally.add(`${a.status} ${body.error.code}`);
        }
      }
      const httpMs = Date.now() - t0;
      const wsRun = await ws;
      return { tally, httpMs, wsRun };
    });
    assert.equal(wsRun.code, 0, `the WebSocket driver failed: ${wsRun.stderr}`);
    const wsReport = JSON.parse(wsRun.stdout.trim().split('\n').at(-1)!) as DriverReport;

    report.add(`HTTP: ${HTTP_REQUESTS} requests in ${httpMs} ms; statuses ${JSON.stringify(tally.counts)}; ${tally.problemCount} problems`);
    report.add(`WebSocket: ${wsReport.requests} requests, ${wsReport.answers} answers in ${wsReport.elapsedMs} ms; outcomes ${JSON.stringify(wsReport.outcomes)}; closes by code ${JSON.stringify(wsReport.closes)}; ${wsReport.problemCount} problems`);
    assert.deepEqual(tally.problems, [], 'every HTTP answer is typed');
    assert.deepEqual(wsReport.problems, [], 'every WebSocket answer is typed');
    assert.deepEqual(wsReport.finalStateProblems, []);
    assert.ok((tally.counts['200'] ?? 0) > HTTP_REQUESTS * 0.05, 'some requests were valid and carried out');
    assert.ok((wsReport.outcomes.ok ?? 0) > WS_REQUESTS * 0.05, 'some WebSocket requests were valid and carried out');

    await assertNodeHealthy(node);
    const before = await node.state();
    assert.deepEqual(stateProblems(before), [], 'the state after the storm is sane');
    report.add(`state after: mode ${before.mode}, name ${JSON.stringify(before.self.name)}, ${before.libraries.length} libraries, ${before.manualPeers.length} manual peers, ${before.warnings.length} warnings`);

    // What was saved reads back the same, without a problem.
    assert.deepEqual(await node.stop('SIGTERM'), { code: 0, signal: null }, `a clean stop: ${node.stderr.slice(-500)}`);
    node = await startNode(lan.hosts[0]!, { dataDir, extraArgs: ['--ui', UI] });
    const again = await node.state();
    assert.deepEqual(again.warnings.filter((w) => /could not be read/.test(w)), [], 'every file reads back');
    assert.equal(again.mode, before.mode);
    assert.equal(again.self.name, before.self.name);
    assert.equal(again.self.identity, before.self.identity);
    assert.deepEqual(again.libraries, before.libraries);
    assert.deepEqual(again.manualPeers.map((m) => m.address), before.manualPeers.map((m) => m.address));
  });

  test(`Electron IPC bridge (${IPC_REQUESTS} random requests) in front of a real node: typed answers, no crash, no prototype pollution`, async () => {
    const seed = seedFromEnv() + 2;
    const run = await exclusively('cpu', () => lan.hosts[2]!.run(process.execPath, ['--import', 'tsx', DRIVER, 'ipc', tempDataDir('ipcfuzz'), String(seed), String(IPC_REQUESTS)], { cwd: REPO_ROOT, timeoutMs: 120_000 }));
    assert.equal(run.code, 0, `the IPC driver failed: ${run.stderr}`);
    const r = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as DriverReport;
    report.add(`IPC: seed ${seed}; ${r.requests} requests, ${r.answers} answers in ${r.elapsedMs} ms; outcomes ${JSON.stringify(r.outcomes)}; ${JSON.stringify(r.extra)}; ${r.problemCount} problems; final ${JSON.stringify(r.finalState)}`);
    assert.deepEqual(r.problems, [], 'every IPC answer is typed');
    assert.deepEqual(r.finalStateProblems, [], 'a sane state, read back the same from disk');
    assert.deepEqual(r.prototypeKeysAdded, [], 'Object.prototype is untouched');
    assert.ok((r.outcomes.ok ?? 0) > IPC_REQUESTS * 0.05, 'some requests were valid and carried out');
    assert.doesNotMatch(run.stderr, /(Uncaught|Unhandled|TypeError|RangeError)/, run.stderr.slice(0, 500));
  });
});
