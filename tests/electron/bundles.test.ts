// The built desktop shell (scripts/build-electron.mjs), checked as files: the preload is one file
// that requires only 'electron' and exposes exactly window.nearby = { send, onMessage }; main
// carries the node core inside and requires nothing but electron and Node builtins. Runs the
// preload bundle against a stand-in of electron's preload API, so no Electron binary is needed.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import vm from 'node:vm';
import { after, before, describe, test } from 'node:test';
import { PAYLOAD_MAX_BYTES } from '../../src-shared/contract.js';
import { MESSAGE_CHANNEL, RPC_CHANNEL } from '../../src-main/electron/ipcProtocol.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** The window's policy (src-main/electron/main.ts): connections to nothing. */
const WINDOW_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'none'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** A policy's directives, name -> sources. */
function directives(policy: string): Map<string, string[]> {
  return new Map(
    policy
      .split(';')
      .map((d) => d.trim().split(/\s+/u))
      .filter((parts) => parts[0] !== '')
      .map(([name, ...sources]) => [name!, sources]),
  );
}
const BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

/** The module names a CommonJS bundle requires (esbuild writes them as require("x")). */
function requiresOf(code: string): string[] {
  return [...new Set([...code.matchAll(/\brequire\(\s*["'`]([^"'`]+)["'`]\s*\)/g)].map((m) => m[1]!))].sort();
}

interface PreloadWorld {
  exposed: Map<string, unknown>;
  sent: Array<{ channel: string; args: unknown[] }>;
  listeners: Map<string, Array<(...args: unknown[]) => void>>;
  required: string[];
}

/** Runs the preload bundle as a sandboxed renderer would: its require() knows only 'electron'. */
function runPreload(code: string): PreloadWorld {
  const world: PreloadWorld = { exposed: new Map(), sent: [], listeners: new Map(), required: [] };
  const electron = {
    contextBridge: { exposeInMainWorld: (key: string, api: unknown) => world.exposed.set(key, api) },
    ipcRenderer: {
      send: (channel: string, ...args: unknown[]) => world.sent.push({ channel, args }),
      on: (channel: string, listener: (...args: unknown[]) => void) => {
        world.listeners.set(channel, [...(world.listeners.get(channel) ?? []), listener]);
      },
    },
  };
  const module = { exports: {} };
  const sandbox = {
    module,
    exports: module.exports,
    require: (name: string) => {
      world.required.push(name);
      if (name !== 'electron') throw new Error(`a sandboxed preload cannot require ${name}`);
      return electron;
    },
    TextEncoder,
  };
  vm.runInNewContext(code, sandbox, { filename: 'preload.cjs' });
  return world;
}

describe('the built desktop bundles', () => {
  let outDir = '';
  let preload = '';
  let main = '';

  before(async () => {
    outDir = await mkdtemp(path.join(tmpdir(), 'nearby-electron-build-'));
    await promisify(execFile)(process.execPath, [path.join(ROOT, 'scripts', 'build-electron.mjs'), outDir], { cwd: ROOT });
    preload = await readFile(path.join(outDir, 'preload.cjs'), 'utf8');
    main = await readFile(path.join(outDir, 'main.cjs'), 'utf8');
  });
  after(async () => {
    if (outDir) await rm(outDir, { recursive: true, force: true });
  });

  test("the preload bundle's only require is 'electron'", () => {
    assert.deepEqual(requiresOf(preload), ['electron']);
    // Neither zod nor the node core came along: it is the contract's transport, not its validator.
    assert.ok(preload.length < 10_000, `preload is ${preload.length} bytes`);
  });

  test('the main bundle requires only electron and Node builtins: the node core and its dependencies are inside', () => {
    const outside = requiresOf(main).filter((name) => name !== 'electron' && !BUILTINS.has(name));
    assert.deepEqual(outside, []);
    assert.match(main, /_sd\._udp/, 'the discovery engine is bundled');
  });

  test('main sets the window up locked down, with the strict CSP', () => {
    for (const setting of ['contextIsolation: true', 'sandbox: true', 'nodeIntegration: false', 'webSecurity: true', 'webviewTag: false']) {
      assert.ok(main.includes(setting), setting);
    }
    assert.ok(main.includes(WINDOW_CSP), 'the window policy is set on responses');
    assert.ok(main.includes('action: "deny"'), 'new windows are denied');
    assert.ok(main.includes('app.enableSandbox()'), 'every renderer is sandboxed, whatever its window says');
    assert.ok(main.includes('setPermissionRequestHandler'), 'permission requests are answered (with no)');
  });

  test('the page loaded from file:// carries the window policy itself: it connects nowhere (IPC needs no connection)', async () => {
    // Electron's onHeadersReceived does not reach a file:// page: its meta tag is what holds.
    const html = await readFile(path.join(ROOT, 'dist', 'renderer', 'index.html'), 'utf8');
    const metas = [...html.matchAll(/<meta\s+http-equiv="Content-Security-Policy"\s+content="([^"]*)"/giu)].map((m) => m[1]!);
    assert.equal(metas.length, 1, 'one policy in the built page');
    const policy = directives(metas[0]!);
    assert.deepEqual(policy.get('connect-src'), ["'none'"], `connect-src of the page: ${metas[0]}`);
    assert.deepEqual(policy.get('default-src'), ["'self'"]);
    assert.deepEqual(policy.get('script-src'), ["'self'"]);
    assert.deepEqual(policy.get('object-src'), ["'none'"]);
    assert.doesNotMatch(metas[0]!, /\b(ws|wss|http|https):/, 'no scheme-wide source');
    // The same policy as main sets on responses, less frame-ancestors (a meta tag cannot carry it).
    const header = directives(WINDOW_CSP);
    header.delete('frame-ancestors');
    assert.deepEqual(policy, header);
  });

  test('main opens no HTTP server: the window reaches the node over IPC, with nothing for other programs to connect to', () => {
    for (const apiPart of ['/api/ws', 'text/event-stream', 'WebSocketServer', 'sd-nearby API']) {
      assert.ok(!main.includes(apiPart), `main.cjs carries ${apiPart}`);
    }
    const required = requiresOf(main);
    for (const server of ['http', 'node:http', 'https', 'node:https', 'http2', 'node:http2']) assert.ok(!required.includes(server), `main.cjs requires ${server}`);
  });

  test('the preload exposes exactly window.nearby with send and onMessage, and nothing else', () => {
    const world = runPreload(preload);
    assert.deepEqual(world.required, ['electron']);
    assert.deepEqual([...world.exposed.keys()], ['nearby']);
    const api = world.exposed.get('nearby') as Record<string, unknown>;
    assert.deepEqual(Object.keys(api).sort(), ['onMessage', 'send']);
    assert.equal(typeof api.send, 'function');
    assert.equal(typeof api.onMessage, 'function');
  });

  test('nearby.send forwards a plain request on the RPC channel, and refuses anything else before IPC', () => {
    const world = runPreload(preload);
    const api = world.exposed.get('nearby') as { send(r: unknown): void };
    api.send({ id: 1, command: 'getState', payload: {} });
    assert.deepEqual(JSON.parse(JSON.stringify(world.sent)), [{ channel: RPC_CHANNEL, args: [{ id: 1, command: 'getState', payload: {} }] }]);
    for (const bad of [null, 'getState', 5, [1, 2], { id: 2, command: 'setName', payload: { name: 'x'.repeat(2 * PAYLOAD_MAX_BYTES) } }]) {
      assert.throws(() => api.send(bad), (err: Error) => err.name === 'TypeError' && /nearby\.send/.test(err.message));
    }
    assert.equal(world.sent.length, 1);
  });

  test('nearby.onMessage hands the callback the message only, never the IPC event (it carries the sender)', () => {
    const world = runPreload(preload);
    const api = world.exposed.get('nearby') as { onMessage(cb: (...args: unknown[]) => void): void };
    const received: unknown[][] = [];
    api.onMessage((...args) => received.push(args));
    const listeners = world.listeners.get(MESSAGE_CHANNEL) ?? [];
    assert.equal(listeners.length, 1);
    assert.deepEqual([...world.listeners.keys()], [MESSAGE_CHANNEL]);
    listeners[0]!({ sender: 'the ipcRenderer event', ports: [] }, { id: 1, ok: true, result: null });
    assert.deepEqual(received, [[{ id: 1, ok: true, result: null }]]);
    assert.throws(() => api.onMessage('not a function' as never), (err: Error) => err.name === 'TypeError');
  });
});
