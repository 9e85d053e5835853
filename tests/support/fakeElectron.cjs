// A stand-in for the parts of Electron's main-process API that src-main/electron/main.ts uses,
// for running the real main bundle where no Electron binary exists. Loaded with
// `node --require tests/support/fakeElectron.cjs dist/electron/main.cjs`: it answers
// require('electron'), then plays a scenario against what main set up (the window's options, the
// session handlers, navigation, IPC with the real node, quit on SIGTERM) and prints one
// `FAKE-ELECTRON <json>` line per observation on stdout. Run it inside a private network namespace.
'use strict';

const Module = require('node:module');
const { EventEmitter } = require('node:events');
const path = require('node:path');
const { pathToFileURL } = require('node:url');

function report(kind, data) {
  process.stdout.write(`FAKE-ELECTRON ${JSON.stringify({ kind, ...data })}\n`);
}

let nextId = 1;
const allWindows = [];
const app = new EventEmitter();
let ready = false;
let quitting = false;
let resolveReady;
const readyPromise = new Promise((resolve) => (resolveReady = resolve));

Object.assign(app, {
  setName(name) {
    report('app.setName', { name });
  },
  setPath(name, value) {
    report('app.setPath', { name, value });
  },
  enableSandbox() {
    report('app.enableSandbox', { ready });
  },
  requestSingleInstanceLock: () => true,
  whenReady: () => readyPromise,
  isReady: () => ready,
  getVersion: () => '0.0.0-fake',
  quit() {
    if (quitting) return;
    const event = { defaultPrevented: false, preventDefault() { this.defaultPrevented = true; } };
    app.emit('before-quit', event);
    report('before-quit', { prevented: event.defaultPrevented });
    if (event.defaultPrevented) return;
    quitting = true;
    report('quit', {});
    setImmediate(() => process.exit(0));
  },
  exit(code = 0) {
    report('app.exit', { code });
    process.exit(code);
  },
});

class WebContents extends EventEmitter {
  constructor() {
    super();
    this.id = nextId++;
    this.sent = [];
    this.windowOpenHandler = null;
    this.destroyed = false;
  }
  send(channel, message) {
    this.sent.push({ channel, message });
    this.emit('fake:sent', channel, message);
  }
  isDestroyed() {
    return this.destroyed;
  }
  setWindowOpenHandler(handler) {
    this.windowOpenHandler = handler;
  }
}

class BrowserWindow extends EventEmitter {
  constructor(options) {
    super();
    this.options = options;
    this.webContents = new WebContents();
    allWindows.push(this);
    app.emit('web-contents-created', {}, this.webContents);
    report('BrowserWindow', { webPreferences: options.webPreferences, show: options.show });
  }
  static getAllWindows() {
    return [...allWindows];
  }
  loadFile(file) {
    this.loadedFile = file;
    report('loadFile', { file });
    setImmediate(() => this.emit('ready-to-show'));
    setImmediate(() => void scenario(this));
    return Promise.resolve();
  }
  show() {}
  isMinimized() {
    return false;
  }
  restore() {}
  focus() {}
}

const handlers = {};
const session = {
  defaultSession: {
    setPermissionRequestHandler: (h) => (handlers.permissionRequest = h),
    setPermissionCheckHandler: (h) => (handlers.permissionCheck = h),
    setDevicePermissionHandler: (h) => (handlers.devicePermission = h),
    webRequest: { onHeadersReceived: (h) => (handlers.headers = h) },
  },
};

const ipcMain = new EventEmitter();
const dialog = { showErrorBox: (title, content) => report('showErrorBox', { title, content }) };

const fake = { app, BrowserWindow, ipcMain, session, dialog };
const originalResolve = Module._resolveFilename;
Module._resolveFilename = function resolve(request, ...rest) {
  if (request === 'electron') return 'fake-electron';
  return originalResolve.call(this, request, ...rest);
};
require.cache['fake-electron'] = { id: 'fake-electron', filename: 'fake-electron', loaded: true, exports: fake };

setImmediate(() => {
  ready = true;
  resolveReady();
});

function navigationEvent(url) {
  return { url, defaultPrevented: false, preventDefault() { this.defaultPrevented = true; } };
}

function ipcEvent(contents, frameUrl, isMainFrame = true) {
  return { sender: contents, senderFrame: { url: frameUrl, parent: isMainFrame ? null : {}, isDestroyed: () => false } };
}

/** Sends one request on the RPC channel and waits for the answer with its id. */
function ask(contents, frameUrl, request) {
  return new Promise((resolve) => {
    const onSent = (channel, message) => {
      if (channel === 'nearby:message' && message && message.id === request.id) {
        contents.off('fake:sent', onSent);
        resolve({ channel, message });
      }
    };
    contents.on('fake:sent', onSent);
    ipcMain.emit('nearby:rpc', ipcEvent(contents, frameUrl), request);
  });
}

async function scenario(win) {
  const contents = win.webContents;
  const indexUrl = pathToFileURL(win.loadedFile).href;

  // The session.
  const permission = await new Promise((resolve) => handlers.permissionRequest(contents, 'geolocation', resolve, {}));
  report('permissions', {
    request: permission,
    check: handlers.permissionCheck(contents, 'notifications', 'file://', {}),
    device: handlers.devicePermission({ deviceType: 'usb' }),
  });
  const headers = await new Promise((resolve) =>
    handlers.headers({ url: indexUrl, responseHeaders: { 'content-security-policy': ["default-src *; script-src 'unsafe-eval'"], 'X-Kept': ['1'] } }, resolve),
  );
  report('headers', headers);

  // Navigation and new windows.
  const navigation = {};
  for (const [name, url] of [
    ['web', 'https://example.com/'],
    ['otherFile', pathToFileURL(path.join(path.dirname(win.loadedFile), 'other.html')).href],
    ['ourPageWithHash', `${indexUrl}#peers`],
  ]) {
    const results = {};
    for (const ev of ['will-navigate', 'will-frame-navigate', 'will-redirect']) {
      const event = navigationEvent(url);
      contents.emit(ev, event, url);
      results[ev] = event.defaultPrevented ? 'blocked' : 'allowed';
    }
    navigation[name] = results;
  }
  const webview = navigationEvent('');
  contents.emit('will-attach-webview', webview, {}, {});
  report('navigation', {
    navigation,
    webview: webview.defaultPrevented ? 'blocked' : 'allowed',
    windowOpen: contents.windowOpenHandler ? contents.windowOpenHandler({ url: 'https://example.com/' }) : null,
  });

  // IPC with the real node.
  report('getState', await ask(contents, indexUrl, { id: 1, command: 'getState', payload: {} }));
  report('badPayload', await ask(contents, indexUrl, { id: 2, command: 'setMode', payload: { mode: 5 } }));
  report('untrusted', await ask(contents, 'https://evil.example/', { id: 3, command: 'setMode', payload: { mode: 'everyone' } }));
  const otherContents = new WebContents();
  ipcMain.emit('nearby:rpc', ipcEvent(otherContents, indexUrl), { id: 4, command: 'getState', payload: {} });
  report('foreignWindow', { sentToForeign: otherContents.sent.length, sentToOurs: contents.sent.filter((s) => s.message.id === 4) });
  const sync = { returnValue: undefined, ...ipcEvent(contents, indexUrl) };
  contents.emit('ipc-message', ipcEvent(contents, indexUrl), 'evil:channel', {});
  contents.emit('ipc-message-sync', sync, 'evil:sync', {});
  report('unknownChannel', { syncReturnValue: sync.returnValue });
  const statePushed = new Promise((resolve) => {
    const onSent = (channel, message) => {
      if (channel === 'nearby:message' && message && message.event === 'state' && message.payload.self.name === 'Renamed desk') {
        contents.off('fake:sent', onSent);
        resolve(message);
      }
    };
    contents.on('fake:sent', onSent);
  });
  report('setName', await ask(contents, indexUrl, { id: 5, command: 'setName', payload: { name: 'Renamed desk' } }));
  const pushed = await statePushed;
  report('statePushed', { event: pushed.event, name: pushed.payload.self.name });

  // Quit as a service manager would: SIGTERM.
  report('sigterm', {});
  process.kill(process.pid, 'SIGTERM');
}
