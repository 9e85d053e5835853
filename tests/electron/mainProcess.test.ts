// The real main bundle (dist/electron/main.cjs, with the real node core) against a stand-in of
// Electron's main-process API (tests/support/fakeElectron.cjs), for machines without an Electron
// binary: the window's options, the session's permission and CSP handlers, blocked navigation,
// IPC with the node, the state pushed to the window, and a SIGTERM that closes the node before
// the quit goes through. The process runs in a private network namespace (unshare --net), with
// discovery disabled on top, so not one packet can leave this machine.

import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const FAKE_ELECTRON = path.join(ROOT, 'tests', 'support', 'fakeElectron.cjs');
const RUN_TIMEOUT_MS = 30_000;
const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'none'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

function skipReason(): string | false {
  if (process.platform !== 'linux') return 'needs Linux network namespaces';
  if (process.getuid?.() !== 0) return 'needs root for a private network namespace (unshare --net)';
  return false;
}
const skip = skipReason();

interface Observation {
  kind: string;
  [key: string]: unknown;
}

describe('the main process bundle, on a stand-in Electron in a private network namespace', () => {
  let workDir = '';
  let observations: Observation[] = [];
  let exitCode: number | null = null;
  let stderr = '';

  const seen = (kind: string): Observation => {
    const found = observations.find((o) => o.kind === kind);
    assert.ok(found, `no ${kind} observation; stderr:\n${stderr}`);
    return found;
  };

  before(async () => {
    if (skip) return;
    workDir = await mkdtemp(path.join(tmpdir(), 'nearby-main-'));
    const outDir = path.join(workDir, 'app', 'electron');
    await promisify(execFile)(process.execPath, [path.join(ROOT, 'scripts', 'build-electron.mjs'), outDir], { cwd: ROOT });
    const child = spawn('unshare', ['--net', process.execPath, '--require', FAKE_ELECTRON, path.join(outDir, 'main.cjs')], {
      cwd: workDir,
      env: { ...process.env, SD_NEARBY_MODE: 'disabled', SD_NEARBY_DATA_DIR: path.join(workDir, 'data') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
    exitCode = await new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    clearTimeout(timer);
    observations = stdout
      .split('\n')
      .filter((line) => line.startsWith('FAKE-ELECTRON '))
      .map((line) => JSON.parse(line.slice('FAKE-ELECTRON '.length)) as Observation);
  });

  after(async () => {
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  test('every renderer is sandboxed (enableSandbox before ready) and the data of this run stays in its folder', { skip }, () => {
    assert.deepEqual(seen('app.enableSandbox'), { kind: 'app.enableSandbox', ready: false });
    assert.deepEqual(seen('app.setPath'), { kind: 'app.setPath', name: 'userData', value: path.join(workDir, 'data', 'electron-profile') });
  });

  test('the window is created isolated, sandboxed, without Node, with the bundled preload, and loads dist/renderer/index.html', { skip }, () => {
    const { webPreferences, show } = seen('BrowserWindow') as { webPreferences: Record<string, unknown>; show: boolean } & Observation;
    assert.equal(show, false, 'shown once ready, not blank');
    assert.deepEqual(
      { ...webPreferences, preload: path.relative(workDir, String(webPreferences.preload)) },
      {
        preload: path.join('app', 'electron', 'preload.cjs'),
        contextIsolation: true,
        sandbox: true,
        nodeIntegration: false,
        nodeIntegrationInWorker: false,
        nodeIntegrationInSubFrames: false,
        webSecurity: true,
        allowRunningInsecureContent: false,
        webviewTag: false,
        navigateOnDragDrop: false,
        spellcheck: false,
      },
    );
    assert.equal(seen('loadFile').file, path.join(workDir, 'app', 'renderer', 'index.html'));
  });

  test('every permission request and check is denied', { skip }, () => {
    assert.deepEqual(seen('permissions'), { kind: 'permissions', request: false, check: false, device: false });
  });

  test('every response gets the strict CSP, replacing any the response brought', { skip }, () => {
    const { responseHeaders } = seen('headers') as { responseHeaders: Record<string, string[]> } & Observation;
    assert.deepEqual(responseHeaders, { 'X-Kept': ['1'], 'Content-Security-Policy': [CSP] });
  });

  test('navigation anywhere but our page is blocked; webviews and new windows are denied', { skip }, () => {
    const all = (verdict: string) => ({ 'will-navigate': verdict, 'will-frame-navigate': verdict, 'will-redirect': verdict });
    assert.deepEqual(seen('navigation'), {
      kind: 'navigation',
      navigation: { web: all('blocked'), otherFile: all('blocked'), ourPageWithHash: all('allowed') },
      webview: 'blocked',
      windowOpen: { action: 'deny' },
    });
  });

  test('getState over IPC reaches the real node (discovery disabled) and answers the window', { skip }, () => {
    const { channel, message } = seen('getState') as { channel: string; message: { id: number; ok: boolean; result: { mode: string; peers: unknown[]; self: { version: string } } } } & Observation;
    assert.equal(channel, 'nearby:message');
    assert.equal(message.ok, true);
    assert.equal(message.result.mode, 'disabled');
    assert.deepEqual(message.result.peers, []);
    assert.match(message.result.self.version, /^\d+\.\d+\.\d+/, 'the version comes from package.json, not the stand-in');
    assert.notEqual(message.result.self.version, '0.0.0-fake');
  });

  test('a bad payload, an untrusted frame and a foreign window get typed refusals; the foreign window hears nothing', { skip }, () => {
    const code = (kind: string) => ((seen(kind) as { message: { ok: boolean; error?: { code: string } } } & Observation).message.error?.code);
    assert.equal(code('badPayload'), 'invalid-payload');
    assert.equal(code('untrusted'), 'refused');
    assert.deepEqual(seen('foreignWindow'), { kind: 'foreignWindow', sentToForeign: 0, sentToOurs: [] });
    assert.match(stderr, /refused a request from an untrusted sender/);
  });

  test('messages on unknown channels are refused, a synchronous one with a typed error', { skip }, () => {
    const { syncReturnValue } = seen('unknownChannel') as { syncReturnValue: { ok: boolean; error: { code: string } } } & Observation;
    assert.equal(syncReturnValue.ok, false);
    assert.equal(syncReturnValue.error.code, 'unknown-command');
    assert.match(stderr, /unknown channel "evil:channel"/);
  });

  test('a change in the node is pushed to the window as a state event', { skip }, () => {
    assert.deepEqual(seen('statePushed'), { kind: 'statePushed', event: 'state', name: 'Renamed desk' });
  });

  test('SIGTERM holds the quit once, closes the node, then quits with exit code 0', { skip }, () => {
    const kinds = observations.map((o) => o.kind);
    const quitSteps = observations.filter((o) => o.kind === 'before-quit' || o.kind === 'quit');
    assert.deepEqual(quitSteps, [
      { kind: 'before-quit', prevented: true },
      { kind: 'before-quit', prevented: false },
      { kind: 'quit' },
    ]);
    assert.ok(kinds.indexOf('sigterm') < kinds.indexOf('before-quit'));
    assert.match(stderr, /SIGTERM: saying goodbye/);
    assert.equal(exitCode, 0, stderr);
  });
});
