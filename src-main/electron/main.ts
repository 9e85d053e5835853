// The desktop shell (DESIGN §3): runs the node in the main process, shows the renderer in one
// locked-down window (sandboxed, isolated, no Node, strict CSP, no navigation, no new windows, no
// permissions) and bridges the two through ipc.ts. On quit the node says goodbye before the exit.
// Built by scripts/build-electron.mjs into dist/electron/main.cjs, beside preload.cjs, with the
// renderer in dist/renderer/.

import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { app, BrowserWindow, dialog, ipcMain, session, type WebContents } from 'electron';
import { NearbyNode } from '../core/node.js';
import { preferBaselineCompiler } from '../core/runtimeTuning.js';
import { attachIpcBridge, isAppPageUrl, type AttachedIpc } from './ipc.js';
import { launchOptionsFromEnv } from './launchOptions.js';

/** Set by the build from package.json: a script run as `electron main.cjs` has no app version of its own. */
declare const NEARBY_VERSION: string | undefined;

/**
 * The window's policy; the page talks to the node over IPC, so it connects nowhere. A file://
 * page gets no response headers, so what holds there is the same policy in the meta tag of
 * src-renderer/index.html (tests/electron/bundles.test.ts checks that the two agree); this
 * header covers anything else the window might load.
 */
export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'none'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
/** After this the app exits even if the goodbyes have not gone out (a stuck socket must not keep it open). */
const SHUTDOWN_TIMEOUT_MS = 5_000;

// __dirname: this file runs bundled as CommonJS (dist/electron/main.cjs).
const indexHtml = path.join(__dirname, '..', 'renderer', 'index.html');
const indexUrl = pathToFileURL(indexHtml).href;
const preloadPath = path.join(__dirname, 'preload.cjs');

function log(line: string): void {
  process.stderr.write(`nearby: ${line}\n`);
}

/** Reports a problem that stops the app, where the user will see it, and exits. */
function fatal(message: string): never {
  log(message);
  if (app.isReady()) dialog.showErrorBox('Nearby cannot start', message);
  app.exit(1);
  process.exit(1);
}

const launch = launchOptionsFromEnv(process.env);
if (!launch.ok) fatal(launch.reason);
const options = launch.value;

app.setName('Nearby');
if (options.electronProfileDir) app.setPath('userData', options.electronProfileDir);
// Every renderer sandboxed, whatever a window's options say.
app.enableSandbox();

// Two nodes on one data folder would be one identity twice on the network.
const isFirstInstance = app.requestSingleInstanceLock();
if (!isFirstInstance) {
  // Another Nearby runs with this profile; it is brought to the front (second-instance below).
  log('Nearby is already running; showing its window');
  app.exit(0);
}

let node: NearbyNode | null = null;
let ipc: AttachedIpc | null = null;
let mainWindow: BrowserWindow | null = null;

/** Hardening for every web contents: no navigation away from our page, no popups, no webviews. */
function lockDown(contents: WebContents): void {
  contents.on('will-navigate', (event) => {
    if (!isAppPageUrl(event.url, indexUrl)) {
      event.preventDefault();
      log(`blocked navigation to ${JSON.stringify(event.url.slice(0, 200))}`);
    }
  });
  contents.on('will-frame-navigate', (event) => {
    if (!isAppPageUrl(event.url, indexUrl)) event.preventDefault();
  });
  contents.on('will-redirect', (event) => {
    if (!isAppPageUrl(event.url, indexUrl)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    log(`blocked a new window for ${JSON.stringify(url.slice(0, 200))}`);
    return { action: 'deny' };
  });
}

function lockDownSession(): void {
  const ses = session.defaultSession;
  ses.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  ses.setPermissionCheckHandler(() => false);
  ses.setDevicePermissionHandler(() => false);
  // Set on every response Chromium sees headers for (not a file:// page: see CONTENT_SECURITY_POLICY).
  ses.webRequest.onHeadersReceived((details, callback) => {
    const headers = { ...(details.responseHeaders ?? {}) };
    for (const key of Object.keys(headers)) if (key.toLowerCase() === 'content-security-policy') delete headers[key];
    callback({ responseHeaders: { ...headers, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] } });
  });
}

function createWindow(): BrowserWindow {
  const window = new BrowserWindow({
    width: 980,
    height: 700,
    minWidth: 420,
    minHeight: 360,
    title: 'Nearby',
    show: false,
    webPreferences: {
      preload: preloadPath,
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
  });
  ipc?.addWindow(window);
  window.once('ready-to-show', () => window.show());
  window.webContents.on('render-process-gone', (_event, details) => log(`the window's renderer stopped (${details.reason})`));
  window.on('closed', () => {
    if (mainWindow === window) mainWindow = null;
  });
  window.loadFile(indexHtml).catch((err: Error) => log(`cannot load ${indexHtml}: ${err.message}; was the renderer built (npm run build:desktop)?`));
  return window;
}

// Quit: hold the exit once, send the goodbyes (node.close), then quit for real.
let shutdown: 'running' | 'closing' | 'closed' = 'running';
async function closeNode(): Promise<void> {
  ipc?.close();
  const timeout = new Promise<void>((resolve) => setTimeout(() => {
    log(`the node did not close within ${SHUTDOWN_TIMEOUT_MS / 1000} s; exiting anyway`);
    resolve();
  }, SHUTDOWN_TIMEOUT_MS).unref());
  await Promise.race([node?.close() ?? Promise.resolve(), timeout]);
}
app.on('before-quit', (event) => {
  if (shutdown === 'closed') return;
  event.preventDefault();
  if (shutdown === 'closing') return;
  shutdown = 'closing';
  closeNode()
    .catch((err: unknown) => log(`while closing: ${(err as Error).message}`))
    .finally(() => {
      shutdown = 'closed';
      app.quit();
    });
});
let signalled = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (signalled) app.exit(130);
    signalled = true;
    log(`${signal}: saying goodbye`);
    app.quit();
  });
}

app.on('window-all-closed', () => {
  // macOS keeps an app without windows; elsewhere the last window ends it.
  if (process.platform !== 'darwin') app.quit();
});
app.on('second-instance', () => {
  if (!mainWindow) return;
  if (mainWindow.isMinimized()) mainWindow.restore();
  mainWindow.focus();
});
app.on('activate', () => {
  if (!mainWindow && node && shutdown === 'running') mainWindow = createWindow();
});
app.on('web-contents-created', (_event, contents) => lockDown(contents));

async function start(): Promise<void> {
  await app.whenReady();
  lockDownSession();
  const version = typeof NEARBY_VERSION === 'string' ? NEARBY_VERSION : app.getVersion();
  preferBaselineCompiler();
  let opened: NearbyNode;
  try {
    opened = await NearbyNode.open({ dataDir: options.dataDir, version, mode: options.mode });
  } catch (err) {
    fatal((err as Error).message);
  }
  node = opened;
  try {
    await opened.start();
  } catch (err) {
    await opened.close().catch(() => {});
    fatal((err as Error).message);
  }
  if (shutdown !== 'running') return;
  for (const warning of opened.state().warnings) log(`warning: ${warning}`);
  ipc = attachIpcBridge({ ipcMain, node: opened, indexUrl, log });
  mainWindow = createWindow();
}

if (isFirstInstance) start().catch((err: unknown) => fatal(`unexpected failure while starting: ${(err as Error).stack ?? String(err)}`));
