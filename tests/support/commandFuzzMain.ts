// Runs inside a namespace host (tests/net/hardening-commands.test.ts): drives the contract with
// random requests and prints one JSON report on stdout.
//
//   commandFuzzMain.ts ws  <ws://127.0.0.1:PORT/api/ws> <seed> <count>
//       the web UI's WebSocket of a running `sd-nearby serve --ui` (its loopback is this host's)
//   commandFuzzMain.ts ipc <dataDir> <seed> <count>
//       a real NearbyNode started here (discovery runs: this is why it runs in a namespace) behind
//       the Electron IPC bridge (createIpcBridge), with no Electron
//
// Every answer must be a typed RpcResponse (never 'internal'), nothing may throw, and afterwards
// getState must return a sane state. For IPC the node runs in this process, so Object.prototype is
// checked too (prototype pollution).

import { WebSocket, type RawData } from 'ws';
import { createRng, type Rng } from './prng.js';
import { COMMANDS, deepJsonText, hugeString, randomJson, randomPayload, randomString, type Targets } from './randomPayloads.js';
import { rpcAnswerProblem, stateProblems, Tally } from './commandFuzz.js';
import type { NodeState } from '../../src-shared/contract.js';

export interface DriverReport {
  requests: number;
  answers: number;
  outcomes: Record<string, number>;
  closes: Record<string, number>;
  problems: string[];
  problemCount: number;
  finalStateProblems: string[];
  finalState: { mode: string; name: string; libraries: number; manualPeers: number } | null;
  prototypeKeysAdded?: string[];
  elapsedMs: number;
  extra?: Record<string, unknown>;
}

const [mode, target, seedText, countText] = process.argv.slice(2);
const seed = Number(seedText);
const count = Number(countText);
const rng = createRng(seed);
const tally = new Tally();
let requests = 0;
let answers = 0;
const closes: Record<string, number> = {};
const started = Date.now();

function targetsOf(s: NodeState | null): Targets {
  return {
    libraryUuids: s?.libraries.map((l) => l.uuid) ?? [],
    peerIds: s?.peers.map((p) => p.id) ?? [],
    identities: [...(s?.peers.map((p) => p.identity).filter((i): i is string => i !== null) ?? []), ...(s ? [s.self.identity] : [])],
    manualPeers: s?.manualPeers.map((m) => m.address) ?? [],
  };
}

function outcomeOf(r: unknown): string {
  const m = r as { ok?: boolean; error?: { code?: string } };
  return m.ok ? 'ok' : `error:${m.error?.code}`;
}

/** One random request as the UI would send it (an object), or something else entirely. */
function randomRequest(rng: Rng, id: number, targets: Targets): { value: unknown; id: number | null } {
  const roll = rng();
  if (roll < 0.05) return { value: randomJson(rng, 3), id: null }; // anything at all
  if (roll < 0.1) return { value: { id: rng.pick([-1, 1.5, '7', null, Number.MAX_SAFE_INTEGER + 10, 2 ** 53]), command: rng.pick(COMMANDS), payload: {} }, id: null };
  const command = roll < 0.15 ? rng.pick(['', 'GETSTATE', '__proto__', 'constructor', 'toString', 'hasOwnProperty', randomString(rng, 20)]) : rng.pick(COMMANDS);
  const payload = roll > 0.97 ? { name: hugeString(rng) } : randomPayload(rng, command, targets);
  return { value: { id, command, payload }, id };
}

// ---------------------------------------------------------------------------------------------
// WebSocket

async function driveWebSocket(url: string): Promise<DriverReport> {
  let ws!: WebSocket;
  let inbox: unknown[] = [];
  let waiter: (() => void) | null = null;
  let closed: { code: number } | null = null;
  let lastState: NodeState | null = null;

  const connect = async () => {
    ws = new WebSocket(url);
    inbox = [];
    closed = null;
    ws.on('message', (data: RawData) => {
      let msg: unknown;
      try {
        msg = JSON.parse(data.toString());
      } catch {
        tally.problem(`the node sent something that is not JSON: ${data.toString().slice(0, 100)}`);
        return;
      }
      if (typeof msg === 'object' && msg !== null && 'event' in msg) {
        lastState = (msg as unknown as { payload: NodeState }).payload;
        return;
      }
      inbox.push(msg);
      waiter?.();
    });
    ws.on('close', (code) => {
      closed = { code };
      waiter?.();
    });
    ws.on('error', () => {});
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
  };

  /** The next answer, or null when the connection closed first (with its close code recorded). */
  const nextAnswer = async (timeoutMs = 5000): Promise<unknown | null> => {
    const deadline = Date.now() + timeoutMs;
    while (inbox.length === 0 && closed === null) {
      if (Date.now() > deadline) throw new Error('no answer within 5 s');
      await new Promise<void>((resolve) => {
        waiter = resolve;
        setTimeout(resolve, 50);
      });
      waiter = null;
    }
    return inbox.length > 0 ? inbox.shift()! : null;
  };

  const roundTrip = async (send: () => void, id: number | null, label: string, expectClose: number[] = []) => {
    requests++;
    send();
    let answer: unknown | null;
    try {
      answer = await nextAnswer();
    } catch (err) {
      tally.problem(`${label}: ${(err as Error).message}`);
      await reconnect();
      return;
    }
    if (answer === null) {
      const code = (closed as { code: number } | null)?.code ?? 0;
      closes[String(code)] = (closes[String(code)] ?? 0) + 1;
      if (!expectClose.includes(code)) tally.problem(`${label}: the connection closed (${code})`);
      await reconnect();
      return;
    }
    answers++;
    const problem = rpcAnswerProblem(answer, id);
    if (problem) tally.problem(`${label}: ${problem}`);
    tally.add(outcomeOf(answer));
  };

  const reconnect = async () => {
    try {
      ws.terminate();
    } catch {
      // already gone
    }
    await connect();
  };

  await connect();
  let id = 1;
  for (let i = 0; i < count; i++) {
    const targets = targetsOf(lastState);
    const roll = rng();
    if (roll < 0.04) {
      await roundTrip(() => ws.send(randomString(rng, 50) || '{'), -1, 'not JSON');
    } else if (roll < 0.06) {
      await roundTrip(() => ws.send(rng.bytes(rng.int(0, 200)), { binary: true }), -1, 'binary');
    } else if (roll < 0.08) {
      // A message over 64 KiB closes the connection (1009); under it, a typed error.
      const huge = hugeString(rng);
      const text = JSON.stringify({ id: ++id, command: 'setName', payload: { name: huge } });
      await roundTrip(() => ws.send(text), id, `huge (${Buffer.byteLength(text)} B)`, Buffer.byteLength(text) > 64 * 1024 ? [1009] : []);
    } else if (roll < 0.09) {
      const text = `{"id":${++id},"command":"${rng.pick(COMMANDS)}","payload":${deepJsonText(rng, rng.pick([1000, 10_000]))}}`;
      await roundTrip(() => ws.send(text), id, 'deeply nested');
    } else if (roll < 0.095) {
      await roundTrip(() => ws.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false }), -1, 'text frame of invalid UTF-8', [1007]);
    } else if (roll < 0.1) {
      // More at once than the node takes from one connection (16): the rest are refused, typed.
      const n = 24;
      const ids = Array.from({ length: n }, () => ++id);
      for (const x of ids) ws.send(JSON.stringify({ id: x, command: rng.pick(['getState', 'setName', 'createLibrary']), payload: rng.chance(0.5) ? {} : { name: randomString(rng) } }));
      requests += n;
      for (let k = 0; k < n; k++) {
        const answer = await nextAnswer().catch(() => null);
        if (answer === null) {
          tally.problem('burst: an answer is missing');
          await reconnect();
          break;
        }
        answers++;
        const problem = rpcAnswerProblem(answer, null);
        if (problem) tally.problem(`burst: ${problem}`);
        else if (!ids.includes((answer as { id: number }).id)) tally.problem(`burst: answer to unknown id ${(answer as { id: number }).id}`);
        tally.add(`burst ${outcomeOf(answer)}`);
      }
    } else {
      const req = randomRequest(rng, ++id, targets);
      const text = JSON.stringify(req.value) ?? 'null';
      await roundTrip(() => ws.send(text), req.id, `request ${text.slice(0, 120)}`, Buffer.byteLength(text) > 64 * 1024 ? [1009] : []);
    }
  }
  // The end: a sane state.
  inbox = [];
  ws.send(JSON.stringify({ id: 424242, command: 'getState', payload: {} }));
  const final = (await nextAnswer()) as { ok: boolean; result: NodeState } | null;
  ws.close();
  const state = final?.ok ? final.result : null;
  return finish(state, state ? stateProblems(state) : [`getState failed at the end: ${JSON.stringify(final)?.slice(0, 200)}`]);
}

// ---------------------------------------------------------------------------------------------
// Electron IPC, without Electron

async function driveIpc(dataDir: string): Promise<DriverReport> {
  const { NearbyNode } = await import('../../src-main/core/node.js');
  const { createIpcBridge } = await import('../../src-main/electron/ipc.js');
  const protoBefore = Object.getOwnPropertyNames(Object.prototype).sort();
  const node = await NearbyNode.open({ dataDir, version: '0.1.0' });
  await node.start();
  const logs: string[] = [];
  const delivered: unknown[] = [];
  const TRUSTED = 1;
  const bridge = createIpcBridge({
    node,
    isTrustedSender: (s) => s.webContentsId === TRUSTED && s.isMainFrame && s.frameUrl === 'file:///app/index.html',
    send: (_id, message) => {
      if ('id' in message) delivered.push(message); // answers; the window also gets state events
    },
    log: (line) => logs.push(line),
  });
  const trusted = { webContentsId: TRUSTED, frameUrl: 'file:///app/index.html', isMainFrame: true };
  let untrustedRefused = 0;
  let untrustedSent = 0;
  let refusedChannels = 0;
  let id = 1;
  for (let i = 0; i < count; i++) {
    const targets = targetsOf(node.state());
    const roll = rng();
    if (roll < 0.05) {
      // Someone else: another window, a subframe, a navigated frame.
      const sender = rng.pick([{ ...trusted, webContentsId: 2 }, { ...trusted, isMainFrame: false }, { ...trusted, frameUrl: 'https://evil.example/' }, { ...trusted, frameUrl: null }]);
      untrustedSent++;
      requests++;
      const r = await bridge.handleRequest(sender, { id: ++id, command: 'setMode', payload: { mode: 'disabled' } });
      answers++;
      if (!r.ok && r.error.code === 'refused') untrustedRefused++;
      else tally.problem(`an untrusted sender was answered ${JSON.stringify(r).slice(0, 200)}`);
      continue;
    }
    if (roll < 0.07) {
      const r = bridge.refuseChannel(randomString(rng, 30), trusted);
      if (!r.ok && r.error.code === 'unknown-command') refusedChannels++;
      else tally.problem(`an unknown channel was answered ${JSON.stringify(r)}`);
      continue;
    }
    if (roll < 0.08) {
      // More at once than one window may have unanswered (32): the rest are refused, typed.
      const batch = Array.from({ length: 40 }, () => bridge.handleRequest(trusted, { id: ++id, command: 'getState', payload: {} }));
      requests += batch.length;
      for (const r of await Promise.all(batch)) {
        answers++;
        const problem = rpcAnswerProblem(r, null);
        if (problem) tally.problem(`burst: ${problem}`);
        tally.add(`burst ${outcomeOf(r)}`);
      }
      continue;
    }
    let raw: unknown;
    let expectId: number | null;
    if (roll < 0.09) {
      raw = { id: ++id, command: rng.pick(COMMANDS), payload: JSON.parse(deepJsonText(rng, rng.pick([1000, 10_000, 50_000]))) };
      expectId = id;
    } else if (roll < 0.1) {
      raw = { id: ++id, command: 'createLibrary', payload: { name: hugeString(rng) } };
      expectId = id;
    } else {
      const req = randomRequest(rng, ++id, targets);
      raw = req.value;
      expectId = req.id;
    }
    requests++;
    let r: unknown;
    try {
      r = await bridge.handleRequest(trusted, raw);
    } catch (err) {
      tally.problem(`handleRequest threw: ${(err as Error).stack}`);
      continue;
    }
    answers++;
    const problem = rpcAnswerProblem(r, expectId);
    if (problem) tally.problem(`${JSON.stringify(raw)?.slice(0, 150)}: ${problem}`);
    tally.add(outcomeOf(r));
  }
  if (delivered.length !== answers) tally.problem(`${delivered.length} messages delivered to windows for ${answers} answers`);
  const state = await node.invoke('getState', {});
  const protoAfter = Object.getOwnPropertyNames(Object.prototype).sort();
  const added = protoAfter.filter((k) => !protoBefore.includes(k));
  const probe = {} as Record<string, unknown>;
  if (probe.polluted !== undefined || probe.mode !== undefined || probe.name !== undefined) added.push('a plain object inherits polluted keys');
  bridge.close();
  await node.close();
  // The files it wrote read back without a problem.
  const again = await NearbyNode.open({ dataDir, version: '0.1.0' });
  const reread = again.state();
  await again.close();
  const fileProblems = reread.warnings.filter((w) => /could not be read/.test(w));
  const persisted = reread.mode === state.mode && reread.self.name === state.self.name && JSON.stringify(reread.libraries) === JSON.stringify(state.libraries);
  const report = finish(state, [...stateProblems(state), ...fileProblems, ...(persisted ? [] : ['the state read back from disk differs from the last state'])]);
  report.prototypeKeysAdded = added;
  report.extra = { untrustedSent, untrustedRefused, refusedChannels, logLines: logs.length };
  return report;
}

function finish(state: NodeState | null, finalStateProblems: string[]): DriverReport {
  return {
    requests,
    answers,
    outcomes: tally.counts,
    closes,
    problems: tally.problems,
    problemCount: tally.problemCount,
    finalStateProblems,
    finalState: state ? { mode: state.mode, name: state.self.name, libraries: state.libraries.length, manualPeers: state.manualPeers.length } : null,
    elapsedMs: Date.now() - started,
  };
}

const run = mode === 'ws' ? driveWebSocket(target!) : mode === 'ipc' ? driveIpc(target!) : Promise.reject(new Error(`unknown mode ${mode}`));
run.then(
  (report) => {
    process.stdout.write(`${JSON.stringify(report)}\n`);
    process.exit(0);
  },
  (err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
