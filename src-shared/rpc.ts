// The contract on the wire (DESIGN §3): one message shape for every transport (WebSocket,
// Electron IPC). `serveRequest` is the node side: it validates everything a UI sends; `RpcClient`
// is the UI side. Neither knows the transport.

import { CommandError, commandSchemas, isCommandName, parsePayload, PAYLOAD_MAX_BYTES, type CommandErrorCode, type CommandName, type CommandPayloads, type CommandResults, type EventName, type EventPayloads, type NodeApi } from './contract.js';

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

const REQUEST_ID_MAX = Number.MAX_SAFE_INTEGER;

/** Roughly the bytes a value takes as JSON; refuses before a huge payload is walked twice. */
export function jsonSize(value: unknown): number {
  try {
    return new TextEncoder().encode(JSON.stringify(value) ?? '').length;
  } catch {
    return Infinity;
  }
}

/**
 * Handles one request from a UI. `raw` is whatever arrived (already JSON-parsed): anything can be
 * wrong with it, and the answer is always a typed response, never a throw.
 */
export async function serveRequest(node: NodeApi, raw: unknown): Promise<RpcResponse> {
  const id = typeof raw === 'object' && raw !== null && Number.isSafeInteger((raw as { id?: unknown }).id) ? ((raw as { id: number }).id) : -1;
  const fail = (code: CommandErrorCode, message: string): RpcResponse => ({ id, ok: false, error: { code, message } });
  if (id < 0 || id > REQUEST_ID_MAX) return fail('invalid-payload', 'a request needs a numeric id');
  const { command, payload } = raw as { command?: unknown; payload?: unknown };
  if (!isCommandName(command)) {
    return fail('unknown-command', `unknown command ${JSON.stringify(String(command)).slice(0, 80)}; known: ${Object.keys(commandSchemas).join(', ')}`);
  }
  if (jsonSize(payload) > PAYLOAD_MAX_BYTES) return fail('invalid-payload', `the ${command} request is larger than ${PAYLOAD_MAX_BYTES} bytes`);
  try {
    const parsed = parsePayload(command, payload);
    const result = await node.invoke(command, parsed as never);
    return { id, ok: true, result };
  } catch (err) {
    if (err instanceof CommandError) return fail(err.code, err.message);
    return fail('internal', 'the node could not carry out this command; see its log');
  }
}

/** The UI side: typed calls over any transport that can send a string and deliver messages. */
export class RpcClient {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: ReturnType<typeof setTimeout> }>();
  private readonly listeners = new Map<EventName, Set<(payload: never) => void>>();

  constructor(private readonly send: (request: RpcRequest) => void, private readonly timeoutMs = 15_000) {}

  call<K extends CommandName>(command: K, payload: CommandPayloads[K]): Promise<CommandResults[K]> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new CommandError('internal', `no answer to ${command} within ${this.timeoutMs / 1000} s`));
      }, this.timeoutMs);
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      try {
        this.send({ id, command, payload });
      } catch (err) {
        clearTimeout(timer);
        this.pending.delete(id);
        reject(err as Error);
      }
    });
  }

  on<E extends EventName>(event: E, listener: (payload: EventPayloads[E]) => void): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener as (payload: never) => void);
    return () => set.delete(listener as (payload: never) => void);
  }

  /** Feed every message from the node here. */
  receive(message: RpcServerMessage): void {
    if ('event' in message) {
      for (const l of this.listeners.get(message.event) ?? []) l(message.payload as never);
      return;
    }
    const p = this.pending.get(message.id);
    if (!p) return;
    clearTimeout(p.timer);
    this.pending.delete(message.id);
    if (message.ok) p.resolve(message.result);
    else p.reject(new CommandError(message.error.code, message.error.message));
  }

  /** The transport closed: every pending call fails with a reason. */
  close(reason: string): void {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new CommandError('internal', reason));
      this.pending.delete(id);
    }
  }
}
