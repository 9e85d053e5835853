// The Electron IPC transport of the contract (DESIGN §3): its two channels and the check the
// preload makes before anything crosses to main. Imported by the preload bundle and by main, so it
// imports nothing at runtime (not electron, not zod: the sandboxed preload must stay one small file).

import type { RpcRequest } from '../../src-shared/rpc.js';

/** Renderer -> main: one RpcRequest per message. The only channel main listens on. */
export const RPC_CHANNEL = 'nearby:rpc';
/** Main -> renderer: RpcServerMessage (answers and events). */
export const MESSAGE_CHANNEL = 'nearby:message';

/**
 * The largest request (id, command and payload, as JSON) the preload forwards. Main checks the
 * payload against the contract's PAYLOAD_MAX_BYTES (64 KiB) and answers with a typed error; this
 * bound sits a little above it so that answer can happen, and keeps megabytes out of IPC.
 */
export const REQUEST_MAX_BYTES = 64 * 1024 + 1024;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  // Object.prototype of whichever realm made it (contextBridge copies between worlds), or none.
  const proto = Object.getPrototypeOf(value) as object | null;
  return proto === null || Object.getPrototypeOf(proto) === null;
}

/**
 * What the preload sends for `request`: a JSON copy of a plain object of bounded size. Throws a
 * TypeError with a reason otherwise (RpcClient turns a throwing send into a rejected call).
 * The shape itself (id, command, payload) is main's to validate.
 */
export function toWireRequest(request: unknown): RpcRequest {
  if (!isPlainObject(request)) throw new TypeError('nearby.send: a request is a plain object {id, command, payload}');
  let json: string | undefined;
  try {
    json = JSON.stringify(request);
  } catch {
    throw new TypeError('nearby.send: the request cannot be sent as JSON (a cycle or a BigInt in it)');
  }
  if (json === undefined) throw new TypeError('nearby.send: the request cannot be sent as JSON');
  // UTF-16 length is a lower bound of UTF-8 bytes; count bytes only when it might matter.
  const bytes = json.length * 3 <= REQUEST_MAX_BYTES ? json.length : new TextEncoder().encode(json).length;
  if (bytes > REQUEST_MAX_BYTES) throw new TypeError(`nearby.send: the request is larger than ${REQUEST_MAX_BYTES} bytes`);
  return JSON.parse(json) as RpcRequest;
}
