// The real desktop window, driven by Playwright's _electron: sandbox and isolation on, only
// window.nearby exposed, a round trip through IPC, navigation and popups blocked, the CSP in force,
// permissions denied, a clean quit. Needs an Electron binary (none can be downloaded on the
// machines this project is built on; there every test here reports itself skipped, by name).
// The app runs with SD_NEARBY_MODE=disabled and a fresh data folder: its node sends no discovery
// traffic, so this is safe outside a network namespace.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { _electron, type ElectronApplication, type Page } from 'playwright-core';
import type { RpcServerMessage } from '../../src-shared/rpc.js';
import type { NearbyBridge } from '../../src-main/electron/preload.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MAIN_BUNDLE = path.join(ROOT, 'dist', 'electron', 'main.cjs');
const RENDERER_INDEX = path.join(ROOT, 'dist', 'renderer', 'index.html');
const LAUNCH_TIMEOUT_MS = 30_000;

/** The Electron binary the electron package points at, or null when it was never downloaded. */
function electronBinary(): string | null {
  try {
    const binary = createRequire(import.meta.url)('electron') as unknown;
    return typeof binary === 'string' && existsSync(binary) ? binary : null;
  } catch {
    return null; // "Electron failed to install correctly": installed without its binary (the download at install failed)
  }
}

function skipReason(binary: string | null): string | false {
  if (binary === null) return 'no Electron binary on this machine (npm start downloads it where GitHub can be reached)';
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) return 'no display for the Electron window (run the tests under xvfb-run)';
  return false;
}

const binary = electronBinary();
const skip = skipReason(binary);

/** The page's window as the preload leaves it. */
type BridgedWindow = Window & { nearby?: NearbyBridge };

/** One request through window.nearby, answered through the same bridge. */
function ask(page: Page, request: { id: number; command: string; payload: unknown }): Promise<RpcServerMessage> {
  return page.evaluate(
    (req) =>
      new Promise<RpcServerMessage>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no answer to ${req.command}`)), 10_000);
        const { nearby } = window as BridgedWindow;
        nearby!.onMessage((message) => {
          if ('id' in message && message.id === req.id) {
            clearTimeout(timer);
            resolve(message);
          }
        });
        nearby!.send(req as never);
      }),
    request,
  );
}

describe('the desktop window (Playwright _electron)', () => {
  let app: ElectronApplication | null = null;
  let page: Page;
  let dataDir = '';
  const output: string[] = [];

  before(async () => {
    if (skip) return;
    await promisify(execFile)(process.execPath, [path.join(ROOT, 'scripts', 'build-electron.mjs')], { cwd: ROOT });
    assert.ok(existsSync(RENDERER_INDEX), `${path.relative(ROOT, RENDERER_INDEX)} is missing: build the renderer first (npm run build:desktop)`);
    dataDir = await mkdtemp(path.join(tmpdir(), 'nearby-window-'));
    app = await _electron.launch({
      executablePath: binary!,
      // Chromium refuses to run as root with its OS sandbox (CI runs as root); the renderer
      // sandbox under test here (no Node, isolated world) is Electron's and stays on.
      args: [...(process.getuid?.() === 0 ? ['--no-sandbox'] : []), MAIN_BUNDLE],
      env: { ...process.env, SD_NEARBY_MODE: 'disabled', SD_NEARBY_DATA_DIR: dataDir },
      timeout: LAUNCH_TIMEOUT_MS,
    });
    app.process().stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    page = await app.firstWindow({ timeout: LAUNCH_TIMEOUT_MS });
    await page.waitForLoadState('domcontentloaded');
  });

  after(async () => {
    if (app) await app.close().catch(() => {});
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  test('the window shows our page', { skip }, async () => {
    assert.equal(fileURLToPath(page.url().replace(/[?#].*$/, '')), RENDERER_INDEX);
    assert.equal(app!.windows().length, 1);
  });

  test("the page's world is isolated from the preload's: changing the page's globals does not reach the bridge", { skip }, async () => {
    // With contextIsolation off, a page that replaces JSON.stringify would run inside the preload.
    const answer = await page.evaluate(async () => {
      const original = JSON.stringify;
      let called = false;
      JSON.stringify = ((...args: Parameters<typeof JSON.stringify>) => {
        called = true;
        return original(...args);
      }) as typeof JSON.stringify;
      try {
        (window as unknown as { nearby: { send(r: unknown): void } }).nearby.send({ id: 1, command: 'getState', payload: {} });
      } finally {
        JSON.stringify = original;
      }
      return called;
    });
    assert.equal(answer, false);
  });

  test('the page has no Node: window.require, process, module and Buffer are undefined', { skip }, async () => {
    const globals = await page.evaluate(() => ({
      require: typeof (window as unknown as { require?: unknown }).require,
      process: typeof (globalThis as { process?: unknown }).process,
      module: typeof (globalThis as { module?: unknown }).module,
      Buffer: typeof (globalThis as { Buffer?: unknown }).Buffer,
    }));
    assert.deepEqual(globals, { require: 'undefined', process: 'undefined', module: 'undefined', Buffer: 'undefined' });
  });

  test('the only thing exposed is window.nearby with send and onMessage', { skip }, async () => {
    const keys = await page.evaluate(() => Object.keys((window as BridgedWindow).nearby ?? {}).sort());
    assert.deepEqual(keys, ['onMessage', 'send']);
  });

  test('getState goes through window.nearby and IPC to the node and back (mode disabled: no discovery)', { skip }, async () => {
    const answer = await ask(page, { id: 424_242, command: 'getState', payload: {} });
    assert.ok('ok' in answer && answer.ok, JSON.stringify(answer));
    const state = (answer as { result: { mode: string; peers: unknown[] } }).result;
    assert.equal(state.mode, 'disabled');
    assert.deepEqual(state.peers, []);
  });

  test('a wrong payload comes back as a typed error', { skip }, async () => {
    const answer = await ask(page, { id: 424_243, command: 'setMode', payload: { mode: 5 } });
    assert.ok('ok' in answer && !answer.ok);
    assert.equal((answer as { error: { code: string } }).error.code, 'invalid-payload');
  });

  test('navigation away from our page and new windows are blocked', { skip }, async () => {
    const before = page.url();
    const opened = await page.evaluate(() => window.open('file:///etc/hostname') === null);
    assert.equal(opened, true, 'window.open is denied');
    await page.evaluate(() => {
      window.location.href = 'file:///etc/hostname';
    });
    await new Promise((r) => setTimeout(r, 1_000));
    assert.equal(page.url(), before);
    assert.equal(app!.windows().length, 1);
    assert.equal(await page.evaluate(() => typeof (window as BridgedWindow).nearby), 'object');
  });

  test('the content security policy is in force: no eval, no inline script', { skip }, async () => {
    const result = await page.evaluate(() => {
      let evalBlocked = false;
      try {
        eval('1');
      } catch {
        evalBlocked = true;
      }
      const script = document.createElement('script');
      script.textContent = 'window.__inlineRan = true';
      document.body.appendChild(script);
      return { evalBlocked, inlineRan: (window as unknown as { __inlineRan?: boolean }).__inlineRan === true };
    });
    assert.deepEqual(result, { evalBlocked: true, inlineRan: false });
  });

  test('permission requests are denied', { skip }, async () => {
    const state = await page.evaluate(async () => (await navigator.permissions.query({ name: 'geolocation' })).state);
    assert.equal(state, 'denied');
  });

  test('quitting closes the node first and exits cleanly', { skip }, async () => {
    const child = app!.process();
    const exited = new Promise<number | null>((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', (code) => resolve(code))));
    await app!.close();
    app = null;
    assert.equal(await exited, 0, output.join(''));
  });
});
