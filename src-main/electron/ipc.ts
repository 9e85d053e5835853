// The contract over Electron IPC (DESIGN §3): one channel in (RPC_CHANNEL, an RpcRequest per
// message), one channel out (MESSAGE_CHANNEL: answers and 'state' events to that window). Each
// window is a session of the contract server (src-shared/contractServer.ts), opened by its first
// request and ended with the window (a reloaded page says its attention again and asks for the
// state). Only our own windows, showing our own page in their top frame, may ask; anything else
// gets a typed refusal and a log line.
//
// `createIpcBridge` is the logic and knows nothing of Electron (unit-tested with a fake node);
// `attachIpcBridge` wires it to ipcMain. Electron is imported for types only: loading this file
// does not load electron.

import type { BrowserWindow, IpcMain, IpcMainEvent, WebContents } from 'electron';
import type { NodeApi } from '../../src-shared/contract.js';
import { serveContract, type ContractConnection } from '../../src-shared/contractServer.js';
import { errorResponse, requestIdOf, type RpcResponse, type RpcServerMessage, type ServerPort } from '../../src-shared/rpc.js';
import { MESSAGE_CHANNEL, REQUEST_MAX_BYTES, RPC_CHANNEL } from './ipcProtocol.js';

/** Requests one window may have unanswered at once; more are refused, not queued. */
export const REQUESTS_IN_FLIGHT_MAX = 32;
const LOGGED_TEXT_MAX_CHARS = 120;

/** Who sent an IPC message, as far as main can tell. */
export interface IpcSender {
  webContentsId: number;
  /** URL of the frame that sent it; null when the frame is gone or navigated away. */
  frameUrl: string | null;
  /** Whether that frame is the top frame of its window. */
  isMainFrame: boolean;
}

export interface IpcBridgeOptions {
  node: NodeApi;
  /** True only for our windows' top frames showing our page. */
  isTrustedSender(sender: IpcSender): boolean;
  /** Delivers a message to one window. */
  send(webContentsId: number, message: RpcServerMessage): void;
  log?(line: string): void;
}

export interface IpcBridge {
  /** A message on RPC_CHANNEL: answers the sender (and returns the answer, for tests). */
  handleRequest(sender: IpcSender, raw: unknown): Promise<RpcResponse>;
  /** A message on any other channel, or a synchronous one: refused and logged. */
  refuseChannel(channel: string, sender: IpcSender): RpcResponse;
  /** The window is gone: its session ends. */
  endSession(webContentsId: number): void;
  /** Ends every session; later requests are refused. */
  close(): void;
}

function clip(text: string): string {
  return JSON.stringify(text.length > LOGGED_TEXT_MAX_CHARS ? `${text.slice(0, LOGGED_TEXT_MAX_CHARS)}…` : text);
}

function describeSender(sender: IpcSender): string {
  return `window ${sender.webContentsId}, ${sender.isMainFrame ? 'top frame' : 'subframe'} ${sender.frameUrl === null ? '(gone)' : clip(sender.frameUrl)}`;
}

export function createIpcBridge(opts: IpcBridgeOptions): IpcBridge {
  const log = opts.log ?? ((line: string) => console.warn(`nearby: ${line}`));
  const logError = (message: string, error: unknown) => log(`${message} ${error instanceof Error ? error.message : String(error)}`);
  const sessions = new Map<number, ContractConnection>();
  let closed = false;

  /** The port of one window: messages go to it alone (the requests come in through handleRequest). */
  const windowPort = (webContentsId: number): ServerPort => ({
    send(message) {
      try {
        opts.send(webContentsId, message);
      } catch (err) {
        log(`could not send to window ${webContentsId}: ${(err as Error).message}`);
      }
    },
    onMessage() {},
    onClose() {},
    close: () => bridge.endSession(webContentsId),
  });
  const sessionOf = (webContentsId: number): ContractConnection => {
    let session = sessions.get(webContentsId);
    if (session === undefined) {
      session = serveContract(opts.node, windowPort(webContentsId), { label: 'IPC', logError, inFlightMax: REQUESTS_IN_FLIGHT_MAX, pushState: true, requestMaxBytes: REQUEST_MAX_BYTES });
      sessions.set(webContentsId, session);
    }
    return session;
  };
  const isTrusted = (sender: IpcSender): boolean => {
    try {
      return opts.isTrustedSender(sender);
    } catch {
      return false;
    }
  };
  const refuse = (sender: IpcSender, response: RpcResponse): RpcResponse => {
    windowPort(sender.webContentsId).send(response);
    return response;
  };

  const bridge: IpcBridge = {
    async handleRequest(sender, raw) {
      if (closed) return refuse(sender, errorResponse(requestIdOf(raw), 'refused', 'the app is shutting down'));
      if (!isTrusted(sender)) {
        log(`refused a request from an untrusted sender (${describeSender(sender)})`);
        return refuse(sender, errorResponse(requestIdOf(raw), 'refused', 'only the Nearby window may talk to the node'));
      }
      return sessionOf(sender.webContentsId).receive(raw);
    },
    refuseChannel(channel, sender) {
      log(`refused a message on unknown channel ${clip(String(channel))} (${describeSender(sender)})`);
      return errorResponse(-1, 'unknown-command', `there is no IPC channel ${clip(String(channel))}; use ${RPC_CHANNEL}`);
    },
    endSession(webContentsId) {
      sessions.get(webContentsId)?.close();
      sessions.delete(webContentsId);
    },
    close() {
      if (closed) return;
      closed = true;
      for (const id of [...sessions.keys()]) bridge.endSession(id);
    },
  };
  return bridge;
}

/**
 * Whether `url` is the page at `indexUrl` (both file: URLs); query and fragment do not matter,
 * a different file, host or scheme does.
 */
export function isAppPageUrl(url: string | null | undefined, indexUrl: string, platform: NodeJS.Platform = process.platform): boolean {
  if (!url) return false;
  try {
    const candidate = new URL(url);
    const index = new URL(indexUrl);
    if (candidate.protocol !== 'file:' || index.protocol !== 'file:') return false;
    if (candidate.host !== index.host) return false;
    // The URL parser has resolved dot segments; decoding makes %41 and A the same file.
    const a = decodeURIComponent(candidate.pathname);
    const b = decodeURIComponent(index.pathname);
    // Windows and macOS file systems are case-insensitive by default; Linux is not.
    return platform === 'linux' ? a === b : a.toLowerCase() === b.toLowerCase();
  } catch {
    return false;
  }
}

/** The policy: one of our windows, its top frame, showing our page. */
export function isTrustedSender(sender: IpcSender, ourWindows: { has(webContentsId: number): boolean }, indexUrl: string): boolean {
  return ourWindows.has(sender.webContentsId) && sender.isMainFrame && isAppPageUrl(sender.frameUrl, indexUrl);
}

function senderOf(event: IpcMainEvent): IpcSender {
  let frameUrl: string | null = null;
  let isMainFrame = false;
  try {
    const frame = event.senderFrame;
    if (frame && !frame.isDestroyed()) {
      frameUrl = frame.url;
      isMainFrame = frame.parent === null;
    }
  } catch {
    // The frame went away while the message was in flight: it stays untrusted.
  }
  return { webContentsId: event.sender.id, frameUrl, isMainFrame };
}

export interface AttachedIpc {
  /** Lets this window talk to the node (and only through RPC_CHANNEL). */
  addWindow(window: BrowserWindow): void;
  close(): void;
}

/** Wires the bridge to Electron. `ipcMain` is passed in so that this file imports electron for types only. */
export function attachIpcBridge(opts: { ipcMain: IpcMain; node: NodeApi; indexUrl: string; log?: (line: string) => void }): AttachedIpc {
  const windows = new Map<number, WebContents>();
  const sendTo = (contents: WebContents | undefined, message: RpcServerMessage) => {
    if (contents && !contents.isDestroyed()) contents.send(MESSAGE_CHANNEL, message);
  };
  const bridge = createIpcBridge({
    node: opts.node,
    isTrustedSender: (s) => isTrustedSender(s, windows, opts.indexUrl),
    send: (id, message) => sendTo(windows.get(id), message),
    ...(opts.log ? { log: opts.log } : {}),
  });
  const onRequest = (event: IpcMainEvent, raw: unknown) => {
    void bridge.handleRequest(senderOf(event), raw);
  };
  opts.ipcMain.on(RPC_CHANNEL, onRequest);

  return {
    addWindow(window) {
      const contents = window.webContents;
      const id = contents.id;
      windows.set(id, contents);
      // ipcMain only hears channels someone listens on; these see every channel of this window.
      contents.on('ipc-message', (event, channel) => {
        if (channel !== RPC_CHANNEL) bridge.refuseChannel(channel, senderOf(event));
      });
      contents.on('ipc-message-sync', (event, channel) => {
        // Synchronous IPC would block the renderer; nothing here answers it but a refusal.
        event.returnValue = bridge.refuseChannel(channel, senderOf(event));
      });
      contents.once('destroyed', () => {
        windows.delete(id);
        bridge.endSession(id);
      });
    },
    close() {
      opts.ipcMain.removeListener(RPC_CHANNEL, onRequest);
      bridge.close();
      windows.clear();
    },
  };
}
