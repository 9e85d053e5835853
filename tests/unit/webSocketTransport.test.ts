// The contract over the WebSocket at /api/ws (the web UI's transport), against a fake NodeApi on
// loopback: who may connect (Host, Origin, token), and that nothing a client sends can do more
// than get a typed error.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { WebSocket } from 'ws';
import { CommandError, PAYLOAD_MAX_BYTES, type CommandName, type CommandPayloads, type CommandResults, type NodeState } from '../../src-shared/contract.js';
import type { RpcResponse, RpcServerMessage } from '../../src-shared/rpc.js';
import { startApiServer, type ApiServer } from '../../src-main/server/apiServer.js';
import { WS_IN_FLIGHT_MAX } from '../../src-main/server/webSocketTransport.js';
import { FakeNodeApi } from '../support/fakeNodeApi.js';
import { emptyNodeState } from '../support/nodeStateFixture.js';

function makeState(name: string): NodeState {
  return emptyNodeState({ self: { name, hostname: 'test-host' } });
}

class FakeNode extends FakeNodeApi {
  override state = makeState('Test node');
  calls: CommandName[] = [];
  /** When set, commands wait for this before answering. */
  gate: Promise<void> | null = null;

  async invoke<K extends CommandName>(command: K, payload: CommandPayloads[K]): Promise<CommandResults[K]> {
    this.calls.push(command);
    if (this.gate !== null && command !== 'getState') await this.gate;
    if (command === 'setMode' && (payload as { mode: string }).mode === 'contacts-only') {
      throw new CommandError('refused', 'Contacts only mode is not available yet');
    }
    if (command === 'deleteLibrary') throw new Error('disk on fire'); // not a CommandError: must not leak
    if (command === 'setName') {
      this.state = { ...this.state, self: { ...this.state.self, name: (payload as { name: string }).name } };
      this.emitter.emit('state', this.state);
    }
    return this.state as CommandResults[K];
  }
}

/** A client that collects every message, with a way to wait for one. */
class Client {
  readonly messages: RpcServerMessage[] = [];
  private waiters: Array<() => void> = [];
  readonly closed: Promise<{ code: number; reason: string }>;

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      this.messages.push(JSON.parse(String(data)) as RpcServerMessage);
      for (const w of this.waiters.splice(0)) w();
    });
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: String(reason) })));
  }

  async next<T extends RpcServerMessage>(predicate: (m: RpcServerMessage) => boolean, timeoutMs = 3000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.find(predicate);
      if (found !== undefined) {
        this.messages.splice(this.messages.indexOf(found), 1);
        return found as T;
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching message within ${timeoutMs} ms; got ${JSON.stringify(this.messages)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  response(id: number): Promise<RpcResponse> {
    return this.next<RpcResponse>((m) => 'id' in m && m.id === id);
  }

  state(): Promise<{ event: 'state'; payload: NodeState }> {
    return this.next((m) => 'event' in m && m.event === 'state');
  }

  send(value: unknown): void {
    this.ws.send(typeof value === 'string' ? value : JSON.stringify(value));
  }
}

function connect(port: number, opts: { path?: string; headers?: Record<string, string> } = {}): Promise<Client> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}${opts.path ?? '/api/ws'}`, { headers: opts.headers ?? {} });
    const client = new Client(ws);
    ws.once('open', () => resolve(client));
    ws.once('error', reject);
  });
}

/** The HTTP status a refused upgrade gets. */
function refusedStatus(port: number, opts: { path?: string; headers?: Record<string, string> } = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}${opts.path ?? '/api/ws'}`, { headers: opts.headers ?? {} });
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.once('open', () => {
      ws.close();
      reject(new Error('the upgrade was accepted'));
    });
    ws.once('error', () => {});
  });
}

describe('WebSocket transport on 127.0.0.1', () => {
  const node = new FakeNode();
  const logged: string[] = [];
  let api: ApiServer;
  before(async () => {
    api = await startApiServer({ node, host: '127.0.0.1', port: 0, logError: (m, e) => logged.push(`${m} ${String(e)}`) });
  });
  after(async () => {
    await api.close();
  });

  test('the current state comes first, then a command answers with its id', async () => {
    const c = await connect(api.port, { headers: { Origin: `http://127.0.0.1:${api.port}` } });
    assert.equal((await c.state()).payload.self.name, 'Test node');
    c.send({ id: 7, command: 'getState', payload: {} });
    const r = await c.response(7);
    assert.ok(r.ok);
    c.ws.close();
  });

  test('state events are pushed as they happen', async () => {
    const c = await connect(api.port);
    await c.state();
    c.send({ id: 1, command: 'setName', payload: { name: 'Renamed' } });
    assert.ok((await c.response(1)).ok);
    assert.equal((await c.state()).payload.self.name, 'Renamed');
    c.ws.close();
  });

  test('non-JSON, binary, unknown commands and bad payloads get typed errors, and the connection stays', async () => {
    const c = await connect(api.port);
    await c.state();
    c.send('this is not json');
    const notJson = await c.response(-1);
    assert.ok(!notJson.ok && notJson.error.code === 'invalid-payload' && /not valid JSON/.test(notJson.error.message));
    c.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    const binary = await c.response(-1);
    assert.ok(!binary.ok && /text message/.test(binary.error.message));
    c.send({ id: 2, command: 'formatDisk', payload: {} });
    const unknown = await c.response(2);
    assert.ok(!unknown.ok && unknown.error.code === 'unknown-command');
    c.send({ id: 3, command: 'setMode', payload: { mode: 'loud' } });
    const invalid = await c.response(3);
    assert.ok(!invalid.ok && invalid.error.code === 'invalid-payload');
    c.send({ id: 4, command: 'setMode', payload: { mode: 'contacts-only' } });
    const refused = await c.response(4);
    assert.deepEqual(refused, { id: 4, ok: false, error: { code: 'refused', message: 'Contacts only mode is not available yet' } });
    c.send({ id: 5, command: 'deleteLibrary', payload: { uuid: '0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0' } });
    const internal = await c.response(5);
    assert.ok(!internal.ok && internal.error.code === 'internal' && !internal.error.message.includes('disk on fire'));
    c.send({ id: 6, command: 'getState', payload: {} });
    assert.ok((await c.response(6)).ok, 'still answering');
    c.ws.close();
  });

  test('a message over PAYLOAD_MAX_BYTES closes that connection (1009); the server goes on', async () => {
    const c = await connect(api.port);
    await c.state();
    c.send({ id: 1, command: 'setName', payload: { name: 'x'.repeat(PAYLOAD_MAX_BYTES + 10) } });
    assert.equal((await c.closed).code, 1009);
    const d = await connect(api.port);
    await d.state();
    d.ws.close();
  });

  test(`more than ${WS_IN_FLIGHT_MAX} requests at once: the extra ones are refused, the rest answered`, async () => {
    let open!: () => void;
    node.gate = new Promise((resolve) => (open = resolve));
    const c = await connect(api.port);
    await c.state();
    for (let id = 1; id <= WS_IN_FLIGHT_MAX + 2; id++) c.send({ id, command: 'createLibrary', payload: { name: `L${id}` } });
    const extra = await c.response(WS_IN_FLIGHT_MAX + 1);
    assert.ok(!extra.ok && extra.error.code === 'refused');
    open();
    node.gate = null;
    for (let id = 1; id <= WS_IN_FLIGHT_MAX; id++) assert.ok((await c.response(id)).ok, `request ${id}`);
    c.ws.close();
  });

  test('a foreign Host or Origin is refused before the upgrade (403)', async () => {
    assert.equal(await refusedStatus(api.port, { headers: { Host: 'evil.example' } }), 403);
    assert.equal(await refusedStatus(api.port, { headers: { Origin: 'http://evil.example' } }), 403);
    assert.equal(await refusedStatus(api.port, { headers: { Origin: `https://127.0.0.1:${api.port}` } }), 403);
    assert.equal(await refusedStatus(api.port, { headers: { Origin: 'null' } }), 403);
  });

  test('other paths are not a WebSocket (404), and a plain GET of /api/ws says to upgrade (426)', async () => {
    assert.equal(await refusedStatus(api.port, { path: '/api/events' }), 404);
    const res = await fetch(`http://127.0.0.1:${api.port}/api/ws`);
    assert.equal(res.status, 426);
  });

  test('closing the server closes its WebSockets (1001); their sessions and state listeners go', async () => {
    const node2 = new FakeNode();
    const api2 = await startApiServer({ node: node2, host: '127.0.0.1', port: 0 });
    const c = await connect(api2.port);
    await c.state();
    assert.equal(node2.emitter.listenerCount('state'), 1);
    assert.equal(node2.openSessions, 1, 'a connection is one session');
    await api2.close();
    assert.equal((await c.closed).code, 1001);
    assert.equal(node2.emitter.listenerCount('state'), 0);
    assert.equal(node2.openSessions, 0);
  });

  test('only the node’s own failure was logged (with its details, which the client never saw)', () => {
    assert.deepEqual(logged, ['sd-nearby WebSocket: deleteLibrary failed: Error: disk on fire']);
  });
});

describe('WebSocket transport with a token', () => {
  const node = new FakeNode();
  const token = 'a-long-enough-test-token-0123456789';
  let api: ApiServer;
  before(async () => {
    api = await startApiServer({ node, host: '127.0.0.1', port: 0, token });
  });
  after(async () => {
    await api.close();
  });

  test('without the token, or a wrong one, the upgrade is refused (401)', async () => {
    assert.equal(await refusedStatus(api.port), 401);
    assert.equal(await refusedStatus(api.port, { path: '/api/ws?token=wrong' }), 401);
    assert.equal(await refusedStatus(api.port, { headers: { Authorization: 'Bearer wrong' } }), 401);
  });

  test('the token as ?token= (browsers) or as a bearer header (scripts) lets it through', async () => {
    const a = await connect(api.port, { path: `/api/ws?token=${token}` });
    await a.state();
    a.ws.close();
    const b = await connect(api.port, { headers: { Authorization: `Bearer ${token}` } });
    await b.state();
    b.ws.close();
  });
});
