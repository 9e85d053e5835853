// The contract on the wire (DESIGN §3): one message shape for every transport, and the port a
// transport gives the contract server (contractServer.ts) or client (contractClient.ts). Neither
// side knows the transport: a WebSocket, Electron IPC, an HTTP request or an event stream is a port.

import type { CommandErrorCode, EventName } from './contract.js';

export interface RpcRequest {
  id: number;
  command: string;
  payload: unknown;
}

export type RpcResponse =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: { code: CommandErrorCode; message: string } };

export interface RpcEvent {
  event: EventName;
  payload: unknown;
}

export type RpcServerMessage = RpcResponse | RpcEvent;

/**
 * One end of a connection. `send` resolves when the transport has taken the message (written to
 * its socket): a sender that waits for it does not pile messages up in front of a slow client.
 */
export interface ContractPort<In, Out> {
  send(message: Out): Promise<void> | void;
  onMessage(callback: (message: In) => void): void;
  /** The other end went away (or the transport closed); `reason` in words for the user. */
  onClose(callback: (reason: string) => void): void;
  /** Ends the connection from this side; `reason` says why when it is a refusal. */
  close(reason?: string): void;
}

/** The server's end: whatever arrived (already JSON-parsed, or unreadable) in, answers and events out. */
export type ServerPort = ContractPort<unknown, RpcServerMessage>;
/** The UI's end. */
export type ClientPort = ContractPort<RpcServerMessage, RpcRequest>;

/** A message the transport could not read (not JSON, binary): answered with a typed error at id -1. */
export class UnreadableMessage {
  constructor(readonly reason: string) {}
}

/** Roughly the bytes a value takes as JSON; refuses before a huge payload is walked twice. */
export function jsonSize(value: unknown): number {
  try {
    return new TextEncoder().encode(JSON.stringify(value) ?? '').length;
  } catch {
    return Infinity;
  }
}

/** The id of a request as far as it can be read: a non-negative safe integer, else -1. */
export function requestIdOf(raw: unknown): number {
  const id = typeof raw === 'object' && raw !== null ? (raw as { id?: unknown }).id : undefined;
  return typeof id === 'number' && Number.isSafeInteger(id) && id >= 0 ? id : -1;
}

export function errorResponse(id: number, code: CommandErrorCode, message: string): RpcResponse {
  return { id, ok: false, error: { code, message } };
}
