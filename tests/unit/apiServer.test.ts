// The HTTP API over loopback only, against a small fake NodeApi.

import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CommandError, PAYLOAD_MAX_BYTES, type CommandName, type CommandPayloads, type CommandResults, type NodeState } from '../../src-shared/contract.js';
import { startApiServer, type ApiServer } from '../../src-main/server/apiServer.js';
import { CONNECTIONS_MAX, EVENT_STREAMS_MAX } from '../../src-main/server/connectionLimits.js';
import { isLoopbackHost, requiresToken } from '../../src-main/server/httpGuards.js';
import { contentSecurityPolicy } from '../../src-main/server/staticFiles.js';
import { FakeNodeApi } from '../support/fakeNodeApi.js';
import { emptyNodeState } from '../support/nodeStateFixture.js';

function makeState(name = 'Test node'): NodeState {
  return emptyNodeState({ self: { name, hostname: 'test-host' } });
}

type Behaviour = (payload: unknown) => Promise<unknown>;

class FakeNode extends FakeNodeApi {
  override state = makeState();
  calls: Array<{ command: CommandName; payload: unknown }> = [];
  overrides = new Map<CommandName, Behaviour>();

  async invoke<K extends CommandName>(command: K, payload: CommandPayloads[K]): Promise<CommandResults[K]> {
    this.calls.push({ command, payload });
    const override = this.overrides.get(command);
    if (override !== undefined) return (await override(payload)) as CommandResults[K];
    if (command === 'setName') {
      this.state = { ...this.state, self: { ...this.state.self, name: (payload as { name: string }).name } };
      this.emitter.emit('state', this.state);
    }
    if (command === 'setMode') {
      this.state = { ...this.state, mode: (payload as { mode: NodeState['mode'] }).mode };
      this.emitter.emit('state', this.state);
    }
    return this.state as CommandResults[K];
  }
}

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A request with full control of the headers (fetch would not let us set Host). */
function request(
  port: number,
  opts: { method?: string; path: string; headers?: Record<string, string>; body?: string | Buffer; host?: string },
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: opts.host ?? '127.0.0.1',
        port,
        method: opts.method ?? 'GET',
        path: opts.path,
        headers: { Host: `127.0.0.1:${port}`, ...opts.headers },
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}

function postJson(port: number, command: string, body: unknown, headers: Record<string, string> = {}): Promise<RawResponse> {
  return request(port, {
    method: 'POST',
    path: `/api/${command}`,
    headers: { 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

function errorOf(res: RawResponse): { code: string; message: string } {
  const parsed = JSON.parse(res.body) as { error?: { code: string; message: string } };
  assert.ok(parsed.error, `expected an error body, got ${res.body}`);
  return parsed.error;
}

describe('requiresToken / isLoopbackHost', () => {
  test('non-loopback hosts require a token', () => {
    for (const h of ['0.0.0.0', '10.1.2.3', '::', '192.168.1.20', 'fe80::1', '[::]']) assert.equal(requiresToken(h), true, h);
  });
  test('loopback hosts do not', () => {
    for (const h of ['127.0.0.1', '127.8.9.10', '::1', '[::1]', 'localhost', 'LOCALHOST', '::ffff:127.0.0.1']) {
      assert.equal(requiresToken(h), false, h);
      assert.equal(isLoopbackHost(h), true, h);
    }
  });
});

describe('API server on 127.0.0.1 without a token', () => {
  const node = new FakeNode();
  const logged: string[] = [];
  let api: ApiServer;
  before(async () => {
    api = await startApiServer({ node, host: '127.0.0.1', port: 0, logError: (m, e) => logged.push(`${m} ${String(e)}`) });
  });
  after(async () => {
    await api.close();
  });

  test('reports its address and needs no token on loopback', () => {
    assert.equal(api.token, null);
    assert.ok(api.port > 0);
    assert.equal(api.url, `http://127.0.0.1:${api.port}`);
  });

  test('GET /api/state returns the state with safe headers', async () => {
    const res = await request(api.port, { path: '/api/state' });
    assert.equal(res.status, 200);
    assert.deepEqual(JSON.parse(res.body), node.state);
    assert.equal(res.headers['content-type'], 'application/json; charset=utf-8');
    assert.equal(res.headers['cache-control'], 'no-store');
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
  });

  test('fetch works too (localhost Host header)', async () => {
    const res = await fetch(`http://localhost:${api.port}/api/state`).catch(() => fetch(`${api.url}/api/state`));
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as NodeState).self.name, node.state.self.name);
  });

  test('a valid command reaches the node with the parsed payload', async () => {
    node.calls.length = 0;
    const res = await postJson(api.port, 'setName', { name: '  Kitchen laptop  ' });
    assert.equal(res.status, 200);
    assert.equal((JSON.parse(res.body) as NodeState).self.name, 'Kitchen laptop');
    assert.deepEqual(node.calls, [{ command: 'setName', payload: { name: 'Kitchen laptop' } }]);
  });

  test('POST /api/getState with an empty body counts as {}', async () => {
    const res = await request(api.port, { method: 'POST', path: '/api/getState' });
    assert.equal(res.status, 200);
    assert.deepEqual(JSON.parse(res.body), node.state);
  });

  test('invalid JSON is 400 invalid-payload', async () => {
    const res = await request(api.port, {
      method: 'POST',
      path: '/api/setMode',
      headers: { 'Content-Type': 'application/json' },
      body: '{"mode": ',
    });
    assert.equal(res.status, 400);
    const err = errorOf(res);
    assert.equal(err.code, 'invalid-payload');
    assert.match(err.message, /not valid JSON/);
  });

  test('a non-JSON content type is refused', async () => {
    const res = await request(api.port, {
      method: 'POST',
      path: '/api/setMode',
      headers: { 'Content-Type': 'text/plain' },
      body: '{"mode":"disabled"}',
    });
    assert.equal(res.status, 415);
    assert.match(errorOf(res).message, /Content-Type: application\/json/);
  });

  test('a schema violation is 400 and names the field', async () => {
    node.calls.length = 0;
    const res = await postJson(api.port, 'setMode', { mode: 'all' });
    assert.equal(res.status, 400);
    const err = errorOf(res);
    assert.equal(err.code, 'invalid-payload');
    assert.match(err.message, /^invalid setMode request: mode: /);
    assert.match(err.message, /everyone/);
    assert.equal(node.calls.length, 0, 'the node must not see an invalid payload');
  });

  test('an extra field is a schema violation', async () => {
    const res = await postJson(api.port, 'setMode', { mode: 'disabled', extra: 1 });
    assert.equal(res.status, 400);
    assert.match(errorOf(res).message, /extra/);
  });

  test('an unknown command is 404 and lists the commands', async () => {
    for (const name of ['setMood', '__proto__', 'constructor']) {
      const res = await postJson(api.port, name, {});
      assert.equal(res.status, 404, name);
      const err = errorOf(res);
      assert.equal(err.code, 'unknown-command');
      assert.match(err.message, /setMode/);
      assert.match(err.message, /createLibrary/);
    }
  });

  test('a wrong method is 405', async () => {
    const a = await request(api.port, { path: '/api/setMode' });
    assert.equal(a.status, 405);
    assert.equal(a.headers.allow, 'POST');
    const b = await request(api.port, { method: 'DELETE', path: '/api/state' });
    assert.equal(b.status, 405);
    assert.equal(b.headers.allow, 'GET');
  });

  test('an oversize body is 413', async () => {
    const big = JSON.stringify({ name: 'x'.repeat(PAYLOAD_MAX_BYTES + 10) });
    const res = await request(api.port, {
      method: 'POST',
      path: '/api/setName',
      headers: { 'Content-Type': 'application/json' },
      body: big,
    });
    assert.equal(res.status, 413);
    assert.equal(errorOf(res).code, 'payload-too-large');
  });

  test('an oversize chunked body (no Content-Length) is 413', async () => {
    const res = await new Promise<RawResponse>((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port: api.port,
          method: 'POST',
          path: '/api/setName',
          headers: { Host: `127.0.0.1:${api.port}`, 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' },
          agent: false,
        },
        (r) => {
          const chunks: Buffer[] = [];
          r.on('data', (c: Buffer) => chunks.push(c));
          r.on('end', () => resolve({ status: r.statusCode ?? 0, headers: r.headers, body: Buffer.concat(chunks).toString() }));
        },
      );
      req.on('error', reject);
      const piece = Buffer.alloc(16 * 1024, 0x61);
      for (let i = 0; i < 5; i++) req.write(piece);
      req.end();
    });
    assert.equal(res.status, 413);
  });

  test('a foreign Host header is 403 (DNS rebinding)', async () => {
    const res = await request(api.port, { path: '/api/state', headers: { Host: `evil.example:${api.port}` } });
    assert.equal(res.status, 403);
    assert.equal(errorOf(res).code, 'forbidden-host');
    const wrongPort = await request(api.port, { path: '/api/state', headers: { Host: `127.0.0.1:${api.port + 1}` } });
    assert.equal(wrongPort.status, 403);
  });

  test('allowed Host headers, case-insensitively', async () => {
    for (const h of [`localhost:${api.port}`, `LOCALHOST:${api.port}`, `127.0.0.1:${api.port}`, `[::1]:${api.port}`]) {
      const res = await request(api.port, { path: '/api/state', headers: { Host: h } });
      assert.equal(res.status, 200, h);
    }
  });

  test('a foreign Origin is 403, our own origin is fine', async () => {
    const bad = await postJson(api.port, 'setMode', { mode: 'disabled' }, { Origin: 'http://evil.example' });
    assert.equal(bad.status, 403);
    assert.equal(errorOf(bad).code, 'forbidden-origin');
    const nul = await request(api.port, { path: '/api/state', headers: { Origin: 'null' } });
    assert.equal(nul.status, 403);
    const https = await request(api.port, { path: '/api/state', headers: { Origin: `https://127.0.0.1:${api.port}` } });
    assert.equal(https.status, 403);
    const good = await request(api.port, { path: '/api/state', headers: { Origin: `http://localhost:${api.port}` } });
    assert.equal(good.status, 200);
  });

  test('CommandError from the node keeps its code and message', async () => {
    node.overrides.set('activateLibrary', async () => {
      throw new CommandError('not-found', 'there is no library 0f8fad5b-d9cb-469f-a165-70867728950e; list them with GET /api/state');
    });
    node.overrides.set('deleteLibrary', async () => {
      throw new CommandError('refused', 'deactivate the library first');
    });
    try {
      const uuid = '0f8fad5b-d9cb-469f-a165-70867728950e';
      const a = await postJson(api.port, 'activateLibrary', { uuid });
      assert.equal(a.status, 404);
      assert.deepEqual(errorOf(a), { code: 'not-found', message: 'there is no library 0f8fad5b-d9cb-469f-a165-70867728950e; list them with GET /api/state' });
      const b = await postJson(api.port, 'deleteLibrary', { uuid });
      assert.equal(b.status, 409);
      assert.equal(errorOf(b).code, 'refused');
    } finally {
      node.overrides.clear();
    }
  });

  test('another error is 500 without leaking its message', async () => {
    node.overrides.set('createLibrary', async () => {
      throw new Error('EACCES: secret /home/alice/.config path');
    });
    logged.length = 0;
    try {
      const res = await postJson(api.port, 'createLibrary', { name: 'Photos' });
      assert.equal(res.status, 500);
      const err = errorOf(res);
      assert.equal(err.code, 'internal');
      assert.doesNotMatch(res.body, /secret|alice|EACCES|at /);
      assert.match(err.message, /createLibrary/);
      assert.equal(logged.length, 1);
      assert.match(logged[0] ?? '', /secret/);
    } finally {
      node.overrides.clear();
    }
  });

  test('paths outside /api without staticDir are a JSON 404', async () => {
    const res = await request(api.port, { path: '/index.html' });
    assert.equal(res.status, 404);
    assert.equal(errorOf(res).code, 'not-found');
  });

  test('SSE sends the current state first, then changes, and unsubscribes on close', async () => {
    const before = node.listenerCount();
    const events = await new Promise<NodeState[]>((resolve, reject) => {
      const got: NodeState[] = [];
      const req = http.request(
        { host: '127.0.0.1', port: api.port, path: '/api/events', headers: { Host: `127.0.0.1:${api.port}` }, agent: false },
        (res) => {
          assert.equal(res.statusCode, 200);
          assert.match(res.headers['content-type'] ?? '', /^text\/event-stream/);
          let buffer = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            buffer += chunk;
            let idx: number;
            while ((idx = buffer.indexOf('\n\n')) >= 0) {
              const block = buffer.slice(0, idx);
              buffer = buffer.slice(idx + 2);
              const lines = block.split('\n');
              if (!lines.includes('event: state')) continue;
              const data = lines.find((l) => l.startsWith('data: '));
              got.push(JSON.parse((data ?? '').slice('data: '.length)) as NodeState);
              if (got.length === 1) {
                void postJson(api.port, 'setMode', { mode: 'contacts-only' });
              } else {
                req.destroy();
                resolve(got);
              }
            }
          });
        },
      );
      req.on('error', (e) => (got.length >= 2 ? undefined : reject(e)));
      req.end();
    });
    assert.equal(events[0]?.self.name, node.state.self.name);
    assert.equal(events[1]?.mode, 'contacts-only');
    // The listener goes away once the client disconnects.
    for (let i = 0; i < 50 && node.listenerCount() > before; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(node.listenerCount(), before);
    assert.equal(node.openSessions, 0, 'the stream was a session; it ended with the stream');
  });

  test('each request is a session of its own, which ends with its answer and never listens to the state', async () => {
    const answers = await Promise.all([request(api.port, { path: '/api/state' }), postJson(api.port, 'setName', { name: 'Session' })]);
    assert.deepEqual(answers.map((a) => a.status), [200, 200]);
    assert.equal(node.openSessions, 0);
    assert.equal(node.listenerCount(), 0);
  });

  test('the address in use gives a readable error', async () => {
    await assert.rejects(startApiServer({ node, host: '127.0.0.1', port: api.port }), (err: Error) => {
      assert.equal(err.message, `the API address 127.0.0.1:${api.port} is in use by another program; choose another with --api HOST:PORT`);
      return true;
    });
  });
});

describe('API server with a token', () => {
  const node = new FakeNode();
  const token = 'a-test-token-of-enough-length_123';
  let api: ApiServer;
  before(async () => {
    api = await startApiServer({ node, host: '127.0.0.1', port: 0, token });
  });
  after(async () => {
    await api.close();
  });

  test('an explicit token is required on loopback too', () => {
    assert.equal(api.token, token);
  });

  test('401 without the token, saying where it is', async () => {
    const res = await request(api.port, { path: '/api/state' });
    assert.equal(res.status, 401);
    const err = errorOf(res);
    assert.equal(err.code, 'unauthorized');
    assert.match(err.message, /Authorization: Bearer/);
    assert.match(err.message, /--api-token/);
  });

  test('401 with a wrong token', async () => {
    for (const value of ['Bearer nope', `Bearer ${token}x`, `Basic ${token}`, token]) {
      const res = await request(api.port, { path: '/api/state', headers: { Authorization: value } });
      assert.equal(res.status, 401, value);
    }
    const cmd = await postJson(api.port, 'setMode', { mode: 'disabled' }, { Authorization: 'Bearer wrong' });
    assert.equal(cmd.status, 401);
    const sse = await request(api.port, { path: '/api/events', headers: { Authorization: 'Bearer wrong' } });
    assert.equal(sse.status, 401);
    assert.equal(node.calls.length, 0);
  });

  test('200 with the token', async () => {
    const res = await request(api.port, { path: '/api/state', headers: { Authorization: `Bearer ${token}` } });
    assert.equal(res.status, 200);
    const cmd = await postJson(api.port, 'setMode', { mode: 'disabled' }, { Authorization: `bearer ${token}` });
    assert.equal(cmd.status, 200);
    assert.deepEqual(node.calls, [
      { command: 'getState', payload: {} },
      { command: 'setMode', payload: { mode: 'disabled' } },
    ]);
  });

  test('the Host check comes before the token check', async () => {
    const res = await request(api.port, { path: '/api/state', headers: { Host: 'evil.example', Authorization: `Bearer ${token}` } });
    assert.equal(res.status, 403);
  });
});

describe('API server on ::1', () => {
  test('binds, answers and brackets its URL', async (t) => {
    const node = new FakeNode();
    let api: ApiServer;
    try {
      api = await startApiServer({ node, host: '::1', port: 0 });
    } catch (err) {
      t.skip(`no IPv6 loopback here: ${(err as Error).message}`);
      return;
    }
    try {
      assert.equal(api.url, `http://[::1]:${api.port}`);
      const res = await request(api.port, { host: '::1', path: '/api/state', headers: { Host: `[::1]:${api.port}` } });
      assert.equal(res.status, 200);
    } finally {
      await api.close();
    }
  });
});

describe('closing', () => {
  test('close() ends open event streams and resolves promptly', async () => {
    const node = new FakeNode();
    const api = await startApiServer({ node, host: '127.0.0.1', port: 0 });
    const ended = new Promise<string>((resolve, reject) => {
      const req = http.request(
        { host: '127.0.0.1', port: api.port, path: '/api/events', headers: { Host: `127.0.0.1:${api.port}` }, agent: false },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => {
            text += c;
            if (text.includes('\n\n')) void api.close();
          });
          res.on('end', () => resolve(text));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end();
    });
    const started = Date.now();
    const text = await ended;
    await api.close();
    assert.match(text, /^event: state\ndata: /);
    assert.ok(Date.now() - started < 900, 'close does not wait for the stream');
    assert.equal(node.listenerCount(), 0);
  });
});

describe('a slow reader of the event stream', () => {
  test('gets the newest state, not a backlog: states that could not be sent meanwhile are skipped', async () => {
    const node = new FakeNode();
    const api = await startApiServer({ node, host: '127.0.0.1', port: 0 });
    const socket = net.connect(api.port, '127.0.0.1');
    try {
      await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
      socket.write(`GET /api/events HTTP/1.1\r\nHost: 127.0.0.1:${api.port}\r\n\r\n`);
      socket.pause(); // reads nothing: the socket's buffers fill up
      for (let i = 0; i < 50 && node.listenerCount() === 0; i++) await new Promise((r) => setTimeout(r, 20));
      const EMITTED = 400;
      const padding = 'x'.repeat(64 * 1024); // 400 states of 64 KiB: far more than the socket buffers hold
      for (let i = 1; i <= EMITTED; i++) {
        node.emitter.emit('state', { ...makeState(i === EMITTED ? 'last' : `state ${i}`), warnings: [padding] });
        await new Promise((r) => setImmediate(r)); // time for each send to finish, if it can
      }
      let text = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => (text += chunk));
      socket.resume();
      for (let i = 0; i < 200 && !text.includes('"name":"last"'); i++) await new Promise((r) => setTimeout(r, 25));
      const received = text.split('event: state\n').length - 1;
      assert.ok(text.includes('"name":"last"'), 'the newest state arrives');
      assert.ok(received < EMITTED / 2, `${received} of ${EMITTED + 1} states were sent to a reader that did not read`);
    } finally {
      socket.destroy();
      await api.close();
    }
  });
});

describe('static files', () => {
  const node = new FakeNode();
  let dir: string;
  let api: ApiServer;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'sd-api-static-'));
    const root = path.join(dir, 'www');
    await mkdir(path.join(root, 'assets'), { recursive: true });
    await writeFile(path.join(root, 'index.html'), `<!doctype html><meta http-equiv="Content-Security-Policy" content="default-src 'self'; connect-src 'none'" />\n<title>sd</title>`);
    await writeFile(path.join(root, 'assets', 'app.js'), 'console.log(1)');
    await writeFile(path.join(dir, 'secret.txt'), 'top secret');
    api = await startApiServer({ node, host: '127.0.0.1', port: 0, staticDir: root });
  });
  after(async () => {
    await api.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('serves files with their type and the CSP', async () => {
    const index = await request(api.port, { path: '/' });
    assert.equal(index.status, 200);
    assert.equal(index.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(index.headers['content-security-policy'], contentSecurityPolicy(`127.0.0.1:${api.port}`));
    assert.equal(index.headers['x-content-type-options'], 'nosniff');
    const js = await request(api.port, { path: '/assets/app.js' });
    assert.equal(js.status, 200);
    assert.equal(js.headers['content-type'], 'text/javascript; charset=utf-8');
    assert.equal(js.body, 'console.log(1)');
  });

  test("the page may connect to its own server only; the Electron window's meta policy is taken out", async () => {
    const index = await request(api.port, { path: '/', headers: { Host: `localhost:${api.port}` } });
    const policy = index.headers['content-security-policy'] as string;
    const connect = policy.split(';').map((d) => d.trim()).find((d) => d.startsWith('connect-src'));
    assert.equal(connect, `connect-src 'self' ws://localhost:${api.port}`);
    assert.doesNotMatch(policy, /\bwss?:(?!\/\/)/, 'no scheme-wide ws: or wss:');
    assert.doesNotMatch(index.body, /Content-Security-Policy/, 'the meta tag (connect-src none, for file://) would block the WebSocket');
    assert.match(index.body, /<title>sd<\/title>/);
    assert.equal(Number(index.headers['content-length']), Buffer.byteLength(index.body));
  });

  test('app routes fall back to index.html, missing assets are 404', async () => {
    const route = await request(api.port, { path: '/peers/abc' });
    assert.equal(route.status, 200);
    assert.match(route.body, /<title>sd<\/title>/);
    const missing = await request(api.port, { path: '/assets/missing.js' });
    assert.equal(missing.status, 404);
  });

  test('no path traversal', async () => {
    for (const p of ['/../secret.txt', '/assets/../../secret.txt', '/%2e%2e/secret.txt', '/..%2fsecret.txt', '/%2e%2e%5csecret.txt']) {
      const res = await rawGet(api.port, p);
      assert.doesNotMatch(res, /top secret/, p);
    }
  });

  test('the Host check applies to static files too', async () => {
    const res = await request(api.port, { path: '/', headers: { Host: 'evil.example' } });
    assert.equal(res.status, 403);
  });
});

/** A GET with the path written verbatim (http.request would not normalise, but be sure). */
function rawGet(port: number, p: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.write(`GET ${p} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`);
    });
    let data = '';
    socket.setEncoding('utf8');
    socket.on('data', (c: string) => (data += c));
    socket.on('end', () => resolve(data));
    socket.on('error', reject);
  });
}

describe('caps on connections and event streams (issue 11)', () => {
  const token = 'a-test-token-of-enough-length_456';
  const auth = { Authorization: `Bearer ${token}` };

  /** A raw connection that sent `text` (if any) and resolves with the status line's code once it came (or null for none yet). */
  function rawOpen(port: number, text: string | null): Promise<{ socket: net.Socket; status: Promise<number> }> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        if (text !== null) socket.write(text);
        const status = new Promise<number>((resolveStatus) => {
          let head = '';
          socket.on('data', (d: Buffer) => {
            head += d.toString('latin1');
            const m = /^HTTP\/1\.1 (\d{3})/.exec(head);
            if (m?.[1] !== undefined) resolveStatus(Number(m[1]));
          });
          socket.on('close', () => resolveStatus(0));
        });
        resolve({ socket, status });
      });
      socket.on('error', () => {});
      socket.once('error', reject);
    });
  }
  const eventsRequest = (port: number) => `GET /api/events HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${token}\r\n\r\n`;
  const upgradeRequest = (port: number) =>
    `GET /api/ws HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${token}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`;

  test(`${EVENT_STREAMS_MAX} event streams at most, SSE and WebSocket together; the next gets a 503 with a sentence; a closed one frees its place`, async () => {
    const node = new FakeNode();
    node.emitter.setMaxListeners(EVENT_STREAMS_MAX + 1);
    const api = await startApiServer({ node, host: '127.0.0.1', port: 0, token });
    const sockets: net.Socket[] = [];
    try {
      for (let i = 0; i < EVENT_STREAMS_MAX; i++) {
        const opened = await rawOpen(api.port, i % 2 === 0 ? eventsRequest(api.port) : upgradeRequest(api.port));
        sockets.push(opened.socket);
        assert.equal(await opened.status, i % 2 === 0 ? 200 : 101);
      }
      const sse = await request(api.port, { path: '/api/events', headers: auth });
      assert.equal(sse.status, 503);
      assert.match(errorOf(sse).message, new RegExp(`already serves ${EVENT_STREAMS_MAX} event streams`));
      const ws = await rawOpen(api.port, upgradeRequest(api.port));
      assert.equal(await ws.status, 503);
      ws.socket.destroy();
      const state = await request(api.port, { path: '/api/state', headers: auth });
      assert.equal(state.status, 200, 'one request at a time still works');
      sockets.pop()!.destroy();
      await new Promise((r) => setTimeout(r, 100));
      const again = await rawOpen(api.port, eventsRequest(api.port));
      sockets.push(again.socket);
      assert.equal(await again.status, 200, 'a place freed is taken again');
    } finally {
      for (const s of sockets) s.destroy();
      await api.close();
    }
  });

  test(`connections beyond ${CONNECTIONS_MAX}: those without the token make room, those with it are kept, and then a newcomer gets a 503`, async () => {
    const node = new FakeNode();
    const api = await startApiServer({ node, host: '127.0.0.1', port: 0, token });
    const idle: net.Socket[] = [];
    try {
      for (let i = 0; i < CONNECTIONS_MAX + 50; i++) idle.push((await rawOpen(api.port, null)).socket);
      await new Promise((r) => setTimeout(r, 200));
      const open = idle.filter((s) => !s.destroyed).length;
      assert.ok(open <= CONNECTIONS_MAX, `${open} idle connections held`);
      const owner = await request(api.port, { path: '/api/state', headers: auth });
      assert.equal(owner.status, 200, 'the owner still gets an answer');
      // Connections that gave the token are never closed to make room: with all places theirs, the next is refused.
      const trusted: net.Socket[] = [];
      for (let i = 0; i < CONNECTIONS_MAX; i++) {
        const opened = await rawOpen(api.port, `GET /api/state HTTP/1.1\r\nHost: 127.0.0.1:${api.port}\r\nAuthorization: Bearer ${token}\r\n\r\n`);
        trusted.push(opened.socket);
        assert.equal(await opened.status, 200);
      }
      const refused = await rawOpen(api.port, null);
      assert.equal(await refused.status, 503);
      for (const s of trusted) s.destroy();
    } finally {
      for (const s of idle) s.destroy();
      await api.close();
    }
  });
});
