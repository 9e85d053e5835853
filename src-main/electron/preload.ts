// The contract -> the page (DESIGN §3): exposes exactly `window.nearby = { send, onMessage }` and
// nothing else: no ipcRenderer, no channel names, no event objects (they carry the sender).
// Runs sandboxed, where only 'electron' can be required: built into one file (dist/electron/preload.cjs).

import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type { RpcRequest, RpcServerMessage } from '../../src-shared/rpc.js';
import { MESSAGE_CHANNEL, RPC_CHANNEL, toWireRequest } from './ipcProtocol.js';

/** The page's side of the transport; the renderer's RpcClient is built on it. */
export interface NearbyBridge {
  send(request: RpcRequest): void;
  onMessage(callback: (message: RpcServerMessage) => void): void;
}

const bridge: NearbyBridge = {
  send(request) {
    ipcRenderer.send(RPC_CHANNEL, toWireRequest(request));
  },
  onMessage(callback) {
    if (typeof callback !== 'function') throw new TypeError('nearby.onMessage: the callback must be a function');
    ipcRenderer.on(MESSAGE_CHANNEL, (_event: IpcRendererEvent, message: RpcServerMessage) => callback(message));
  },
};

contextBridge.exposeInMainWorld('nearby', bridge);
