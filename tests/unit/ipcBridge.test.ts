// The Electron IPC bridge without Electron: a fake node, fake windows, and whatever a hostile or
// buggy renderer could send. Every bad message gets a typed answer and the node is not touched.

import assert from 'node:assert/strict';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, test } from 'node:test';
import { CommandError, PAYLOAD_MAX_BYTES, type CommandName, type CommandPayloads, type CommandResults, type NodeState } from '../../src-shared/contract.js';
import type { RpcResponse, RpcServerMessage } from '../../src-shared/rpc.js';
import { createIpcBridge, isAppPageUrl, isTrustedSender, REQUESTS_IN_FLIGHT_MAX, type IpcSender } from '../../src-main/electron/ipc.js';
import { REQUEST_MAX_BYTES, RPC_CHANNEL, toWireRequest } from '../../src-main/electron/ipcProtocol.js';
import { launchOptionsFromEnv } from '../../src-main/electron/launchOptions.js';
import { defaultDataDir } from '../../src-main/core/storage/dataDir.js';
import { FakeNodeApi } from '../support/fakeNodeApi.js';
import { emptyNodeState } from '../support/nodeStateFixture.js';

const INDEX_URL = pathToFileURL(path.resolve('/opt/Nearby/resources/app.asar/dist/renderer/index.html')).href;
const OUR_WINDOW = 7;

function makeState(name = 'Test node'): NodeState {
  return emptyNodeState({ self: { name }, mode: 'disabled' });
}

class FakeNode extends FakeNodeApi {
  override state = makeState();
  calls: Array<{ command: CommandName; payload: unknown }> = [];
  behaviour: ((command: CommandName, payload: unknown) => Promise<unknown>) | null = null;

  async invoke<K extends CommandName>(command: K, payload: CommandPayloads[K]): Promise<CommandResults[K]> {
    this.calls.push({ command, payload });
    if (this.behaviour) return (await this.behaviour(command, payload)) as CommandResults[K];
    if (command === 'setName') this.state = { ...this.state, self: { ...this.state.self, name: (payload as { name: string }).name } };
    return this.state as CommandResults[K];
  }
}

function setup() {
  const node = new FakeNode();
  const sent: Array<{ to: number; message: RpcServerMessage }> = [];
  const logs: string[] = [];
  const windows = new Set([OUR_WINDOW]);
  const bridge = createIpcBridge({
    node,
    isTrustedSender: (s) => isTrustedSender(s, windows, INDEX_URL),
    send: (to, message) => sent.push({ to, message }),
    log: (line) => logs.push(line),
  });
  return { node, bridge, sent, logs };
}

/** The answers among what was sent (the windows also get state events). */
function answers(sent: Array<{ to: number; message: RpcServerMessage }>) {
  return sent.filter((s) => 'id' in s.message);
}

/** The state events one window got. */
function statesTo(sent: Array<{ to: number; message: RpcServerMessage }>, to: number) {
  return sent.filter((s) => s.to === to && 'event' in s.message).map((s) => s.message);
}

const trusted: IpcSender = { webContentsId: OUR_WINDOW, frameUrl: INDEX_URL, isMainFrame: true };

function assertError(response: RpcResponse, code: string, id: number | null = -1): string {
  assert.equal(response.ok, false, `expected a ${code} error, got ${JSON.stringify(response)}`);
  if (response.ok) throw new Error('unreachable');
  assert.equal(response.error.code, code);
  if (id !== null) assert.equal(response.id, id);
  assert.ok(response.error.message.length > 0);
  return response.error.message;
}

describe('the IPC bridge answers our window', () => {
  test('getState from our window is answered to that window with the node state', async () => {
    const { bridge, sent, node } = setup();
    const response = await bridge.handleRequest(trusted, { id: 1, command: 'getState', payload: {} });
    assert.deepEqual(response, { id: 1, ok: true, result: node.state });
    assert.deepEqual(answers(sent), [{ to: OUR_WINDOW, message: response }]);
  });

  test('a valid command reaches the node with the validated payload', async () => {
    const { bridge, node } = setup();
    const response = await bridge.handleRequest(trusted, { id: 2, command: 'setName', payload: { name: '  Desk  ' } });
    assert.equal(response.ok, true);
    assert.deepEqual(node.calls, [{ command: 'setName', payload: { name: 'Desk' } }]);
  });

  test('the window that spoke gets the node state as state events, the current one first, until the bridge closes', async () => {
    const { bridge, node, sent } = setup();
    await bridge.handleRequest(trusted, { id: 1, command: 'setAttention', payload: { looking: true } });
    const state = makeState('Pushed');
    node.emitter.emit('state', state);
    assert.deepEqual(statesTo(sent, OUR_WINDOW), [
      { event: 'state', payload: makeState() },
      { event: 'state', payload: state },
    ]);
    bridge.close();
    node.emitter.emit('state', makeState('After close'));
    assert.equal(statesTo(sent, OUR_WINDOW).length, 2);
    assert.equal(node.emitter.listenerCount('state'), 0);
    assert.equal(node.openSessions, 0);
  });

  test('each window is a session of its own, opened by its first request and ended with the window', async () => {
    const node = new FakeNode();
    const sent: Array<{ to: number; message: RpcServerMessage }> = [];
    const bridge = createIpcBridge({ node, isTrustedSender: () => true, send: (to, message) => sent.push({ to, message }), log: () => {} });
    assert.equal(node.openSessions, 0, 'a window that never spoke has no session');
    await bridge.handleRequest({ ...trusted, webContentsId: 1 }, { id: 1, command: 'getState', payload: {} });
    await bridge.handleRequest({ ...trusted, webContentsId: 1 }, { id: 2, command: 'getState', payload: {} });
    await bridge.handleRequest({ ...trusted, webContentsId: 2 }, { id: 1, command: 'getState', payload: {} });
    assert.equal(node.openSessions, 2);
    node.emitter.emit('state', makeState('Both'));
    assert.equal(statesTo(sent, 1).length, 2);
    assert.equal(statesTo(sent, 2).length, 2);
    bridge.endSession(1);
    assert.equal(node.openSessions, 1);
    await new Promise((resolve) => setImmediate(resolve)); // the 'Both' sends are done
    node.emitter.emit('state', makeState('Only the second'));
    assert.equal(statesTo(sent, 1).length, 2, 'a closed window hears nothing more');
    assert.equal(statesTo(sent, 2).length, 3);
    bridge.close();
    assert.equal(node.openSessions, 0);
  });

  test('a command error from the node keeps its code and message', async () => {
    const { bridge, node } = setup();
    node.behaviour = async () => {
      throw new CommandError('not-found', 'no such library');
    };
    const message = assertError(await bridge.handleRequest(trusted, { id: 3, command: 'deleteLibrary', payload: { uuid: '00000000-0000-4000-8000-000000000000' } }), 'not-found', 3);
    assert.equal(message, 'no such library');
  });

  test('an unexpected failure in the node becomes an internal error without its details', async () => {
    const { bridge, node } = setup();
    node.behaviour = async () => {
      throw new Error('EACCES /secret/path');
    };
    const message = assertError(await bridge.handleRequest(trusted, { id: 4, command: 'getState', payload: {} }), 'internal', 4);
    assert.doesNotMatch(message, /secret/);
  });

  test('a window that is gone when the answer is ready is logged, not a crash', async () => {
    const node = new FakeNode();
    const logs: string[] = [];
    const bridge = createIpcBridge({
      node,
      isTrustedSender: () => true,
      send: () => {
        throw new Error('Object has been destroyed');
      },
      log: (line) => logs.push(line),
    });
    const response = await bridge.handleRequest(trusted, { id: 5, command: 'getState', payload: {} });
    assert.equal(response.ok, true);
    node.emitter.emit('state', makeState());
    // The first state, the answer, the change: each failed delivery is a log line.
    assert.equal(logs.length, 3);
    for (const line of logs) assert.match(line, /could not send to window 7: Object has been destroyed/);
  });
});

describe('the IPC bridge refuses bad requests with typed errors', () => {
  const notObjects: Array<[string, unknown]> = [
    ['null', null],
    ['undefined', undefined],
    ['a string', '{"id":1,"command":"getState"}'],
    ['a number', 42],
    ['an array', [1, 'getState', {}]],
    ['a boolean', true],
  ];
  for (const [what, raw] of notObjects) {
    test(`a request that is ${what} is invalid-payload, and the node is not called`, async () => {
      const { bridge, node, sent } = setup();
      const response = await bridge.handleRequest(trusted, raw);
      assertError(response, 'invalid-payload');
      assert.equal(node.calls.length, 0);
      assert.deepEqual(answers(sent), [{ to: OUR_WINDOW, message: response }]);
    });
  }

  test('a request without a numeric id is invalid-payload', async () => {
    const { bridge, node } = setup();
    for (const id of ['1', 1.5, -3, null, Number.MAX_SAFE_INTEGER + 2]) {
      assertError(await bridge.handleRequest(trusted, { id, command: 'getState', payload: {} }), 'invalid-payload', null);
    }
    assert.equal(node.calls.length, 0);
  });

  test('an unknown command is unknown-command, naming the known ones', async () => {
    const { bridge, node } = setup();
    for (const command of ['shutdown', '__proto__', 'constructor', 'toString', 42, null]) {
      const message = assertError(await bridge.handleRequest(trusted, { id: 9, command, payload: {} }), 'unknown-command', 9);
      assert.match(message, /getState/);
    }
    assert.equal(node.calls.length, 0);
  });

  test('payloads of the wrong types are invalid-payload with the reason', async () => {
    const { bridge, node } = setup();
    const cases: Array<[string, unknown, RegExp]> = [
      ['setMode', { mode: 5 }, /mode/],
      ['setMode', { mode: 'everybody' }, /mode/],
      ['setName', { name: 123 }, /name/],
      ['setName', { name: '' }, /empty/],
      ['setName', { name: 'x', admin: true }, /admin|unrecognized/i],
      ['renameLibrary', { uuid: 'not-a-uuid', name: 'x' }, /UUID/],
      ['getState', 'all', /./],
      ['getState', [], /./],
    ];
    for (const [command, payload, reason] of cases) {
      const message = assertError(await bridge.handleRequest(trusted, { id: 10, command, payload }), 'invalid-payload', 10);
      assert.match(message, reason, `${command} ${JSON.stringify(payload)}`);
    }
    assert.equal(node.calls.length, 0);
  });

  test(`a payload over PAYLOAD_MAX_BYTES (${PAYLOAD_MAX_BYTES}) is invalid-payload`, async () => {
    const { bridge, node } = setup();
    const name = 'x'.repeat(PAYLOAD_MAX_BYTES);
    const message = assertError(await bridge.handleRequest(trusted, { id: 11, command: 'setName', payload: { name } }), 'invalid-payload', 11);
    assert.match(message, /larger than/);
    assert.equal(node.calls.length, 0);
  });

  test('a request far over the limit (a huge command string) is invalid-payload, not walked further', async () => {
    const { bridge, node } = setup();
    const message = assertError(await bridge.handleRequest(trusted, { id: 12, command: 'c'.repeat(4 * 1024 * 1024), payload: {} }), 'invalid-payload', 12);
    assert.match(message, new RegExp(String(REQUEST_MAX_BYTES)));
    assert.equal(node.calls.length, 0);
  });

  test(`more than ${REQUESTS_IN_FLIGHT_MAX} unanswered requests from one window are refused, then accepted again`, async () => {
    const { bridge, node } = setup();
    let release = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    node.behaviour = async () => {
      await gate;
      return node.state;
    };
    const pending = Array.from({ length: REQUESTS_IN_FLIGHT_MAX }, (_, i) => bridge.handleRequest(trusted, { id: i, command: 'getState', payload: {} }));
    assertError(await bridge.handleRequest(trusted, { id: 999, command: 'getState', payload: {} }), 'refused', 999);
    release();
    for (const r of await Promise.all(pending)) assert.equal(r.ok, true);
    const after = await bridge.handleRequest(trusted, { id: 1000, command: 'getState', payload: {} });
    assert.equal(after.ok, true);
  });

  test('after close, requests are refused', async () => {
    const { bridge, node } = setup();
    bridge.close();
    assertError(await bridge.handleRequest(trusted, { id: 13, command: 'getState', payload: {} }), 'refused', 13);
    assert.equal(node.calls.length, 0);
  });
});

describe('the IPC bridge trusts only our page in our windows', () => {
  const untrusted: Array<[string, IpcSender]> = [
    ['another window (a webContents we did not create)', { webContentsId: 99, frameUrl: INDEX_URL, isMainFrame: true }],
    ['a subframe of our window', { webContentsId: OUR_WINDOW, frameUrl: INDEX_URL, isMainFrame: false }],
    ['a frame that is gone', { webContentsId: OUR_WINDOW, frameUrl: null, isMainFrame: true }],
    ['our window showing a web page', { webContentsId: OUR_WINDOW, frameUrl: 'https://example.com/dist/renderer/index.html', isMainFrame: true }],
    ['our window showing another local file', { webContentsId: OUR_WINDOW, frameUrl: pathToFileURL('/tmp/evil.html').href, isMainFrame: true }],
    ['our window showing a data: URL', { webContentsId: OUR_WINDOW, frameUrl: 'data:text/html,<script>1</script>', isMainFrame: true }],
    ['a file URL on another host', { webContentsId: OUR_WINDOW, frameUrl: INDEX_URL.replace('file://', 'file://attacker'), isMainFrame: true }],
  ];
  for (const [what, sender] of untrusted) {
    test(`${what} is refused, logged, and never reaches the node`, async () => {
      const { bridge, node, logs, sent } = setup();
      const response = await bridge.handleRequest(sender, { id: 20, command: 'setMode', payload: { mode: 'everyone' } });
      assertError(response, 'refused', 20);
      assert.equal(node.calls.length, 0);
      assert.equal(logs.length, 1);
      assert.match(logs[0]!, /untrusted sender/);
      assert.deepEqual(sent, [{ to: sender.webContentsId, message: response }]);
    });
  }

  test('a trust check that throws counts as untrusted', async () => {
    const node = new FakeNode();
    const bridge = createIpcBridge({
      node,
      isTrustedSender: () => {
        throw new Error('frame disposed');
      },
      send: () => {},
      log: () => {},
    });
    assertError(await bridge.handleRequest(trusted, { id: 21, command: 'getState', payload: {} }), 'refused', 21);
    assert.equal(node.calls.length, 0);
  });

  test('our page with a fragment or query, or by a path with dot segments, is our page', () => {
    assert.equal(isAppPageUrl(`${INDEX_URL}#peers`, INDEX_URL), true);
    assert.equal(isAppPageUrl(`${INDEX_URL}?x=1`, INDEX_URL), true);
    assert.equal(isAppPageUrl(INDEX_URL.replace('/renderer/', '/renderer/../renderer/'), INDEX_URL), true);
    assert.equal(isAppPageUrl(INDEX_URL.replace('index', '%69ndex'), INDEX_URL), true);
    assert.equal(isAppPageUrl(INDEX_URL.replace('index.html', 'other.html'), INDEX_URL), false);
    assert.equal(isAppPageUrl('not a url', INDEX_URL), false);
    assert.equal(isAppPageUrl(undefined, INDEX_URL), false);
  });

  test('the page path compares without case on Windows and macOS, with case on Linux', () => {
    const upper = INDEX_URL.replace('index.html', 'INDEX.html');
    assert.equal(isAppPageUrl(upper, INDEX_URL, 'win32'), true);
    assert.equal(isAppPageUrl(upper, INDEX_URL, 'darwin'), true);
    assert.equal(isAppPageUrl(upper, INDEX_URL, 'linux'), false);
  });
});

describe('IPC channels other than the contract', () => {
  test('a message on an unknown channel is refused with a typed error and logged', () => {
    const { bridge, logs, node } = setup();
    const response = bridge.refuseChannel('nearby:exec', trusted);
    assertError(response, 'unknown-command');
    assert.match(response.ok ? '' : response.error.message, new RegExp(RPC_CHANNEL));
    assert.equal(logs.length, 1);
    assert.match(logs[0]!, /unknown channel "nearby:exec"/);
    assert.equal(node.calls.length, 0);
  });

  test('a huge channel name is clipped in the log', () => {
    const { bridge, logs } = setup();
    bridge.refuseChannel('x'.repeat(100_000), trusted);
    assert.ok(logs[0]!.length < 400);
  });
});

describe('what the preload lets through (toWireRequest)', () => {
  test('a plain request goes as a JSON copy', () => {
    const request = { id: 1, command: 'setName', payload: { name: 'Desk' } };
    const wire = toWireRequest(request);
    assert.deepEqual(wire, request);
    assert.notEqual(wire, request);
  });

  test('anything but a plain object is a TypeError before it reaches IPC', () => {
    class Sneaky {
      id = 1;
    }
    for (const bad of [null, undefined, 'getState', 7, [1], new Sneaky(), new Date(), () => 1]) {
      assert.throws(() => toWireRequest(bad), TypeError, String(bad));
    }
  });

  test('a request that is not JSON (a cycle, a BigInt) is a TypeError', () => {
    const cyclic: Record<string, unknown> = { id: 1, command: 'getState' };
    cyclic.payload = cyclic;
    assert.throws(() => toWireRequest(cyclic), TypeError);
    assert.throws(() => toWireRequest({ id: 1n, command: 'getState', payload: {} }), TypeError);
  });

  test(`a request over REQUEST_MAX_BYTES (${REQUEST_MAX_BYTES}) is a TypeError; the bound sits above the contract's payload limit`, () => {
    assert.ok(REQUEST_MAX_BYTES > PAYLOAD_MAX_BYTES, 'main must get to answer oversize payloads itself');
    assert.throws(() => toWireRequest({ id: 1, command: 'setName', payload: { name: 'x'.repeat(REQUEST_MAX_BYTES) } }), /larger than/);
    // Multi-byte characters count in bytes, not UTF-16 units.
    assert.throws(() => toWireRequest({ id: 1, command: 'setName', payload: { name: '€'.repeat(REQUEST_MAX_BYTES / 2) } }), /larger than/);
    assert.doesNotThrow(() => toWireRequest({ id: 1, command: 'setName', payload: { name: 'x'.repeat(PAYLOAD_MAX_BYTES) } }));
  });
});

describe('what the desktop app takes from its environment', () => {
  test('SD_NEARBY_MODE=disabled starts without discovery; the data folder is the one the CLI uses', () => {
    const env = { SD_NEARBY_MODE: 'disabled' };
    const result = launchOptionsFromEnv(env, 'linux');
    assert.deepEqual(result, { ok: true, value: { dataDir: defaultDataDir({ env, platform: 'linux' }), electronProfileDir: null, mode: 'disabled' } });
  });

  test('no SD_NEARBY_MODE keeps the saved mode', () => {
    const result = launchOptionsFromEnv({}, 'linux');
    assert.equal(result.ok && result.value.mode, null);
  });

  test('an unknown SD_NEARBY_MODE is refused with the known modes', () => {
    const result = launchOptionsFromEnv({ SD_NEARBY_MODE: 'loud' }, 'linux');
    assert.equal(result.ok, false);
    assert.match(result.ok ? '' : result.reason, /everyone, contacts-only, disabled/);
  });

  test('SD_NEARBY_DATA_DIR holds the node data and Electron profile of that run', () => {
    const result = launchOptionsFromEnv({ SD_NEARBY_DATA_DIR: '/tmp/run-1' }, 'linux');
    assert.deepEqual(result, { ok: true, value: { dataDir: '/tmp/run-1', electronProfileDir: '/tmp/run-1/electron-profile', mode: null } });
  });
});
