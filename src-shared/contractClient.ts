// The UI's side of the contract (DESIGN §3): typed calls and events over one port, whatever the
// transport. A call's types follow from the command map (contract.ts).

import { CommandError, type CommandName, type CommandPayloads, type CommandResults, type EventName, type EventPayloads } from './contract.js';
import type { ClientPort, RpcServerMessage } from './rpc.js';

/** How long a call waits for its answer before it fails with a reason. */
export const CALL_TIMEOUT_MS = 15_000;

interface PendingCall {
  resolve(value: unknown): void;
  reject(error: Error): void;
  timer: ReturnType<typeof setTimeout>;
}

export class ContractClient {
  private nextId = 1;
  private readonly pending = new Map<number, PendingCall>();
  private readonly listeners = new Map<EventName, Set<(payload: never) => void>>();

  constructor(
    private readonly port: ClientPort,
    private readonly timeoutMs = CALL_TIMEOUT_MS,
  ) {
    port.onMessage((message) => this.receive(message));
    port.onClose((reason) => this.failPending(reason));
  }

  call<K extends CommandName>(command: K, payload: CommandPayloads[K]): Promise<CommandResults[K]> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new CommandError('internal', `no answer to ${command} within ${this.timeoutMs / 1000} s`));
      }, this.timeoutMs);
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject, timer });
      Promise.resolve()
        .then(() => this.port.send({ id, command, payload }))
        .catch((err: unknown) => this.settle(id, (p) => p.reject(err instanceof Error ? err : new Error(String(err)))));
    });
  }

  on<E extends EventName>(event: E, listener: (payload: EventPayloads[E]) => void): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener as (payload: never) => void);
    return () => set.delete(listener as (payload: never) => void);
  }

  private receive(message: RpcServerMessage): void {
    if ('event' in message) {
      for (const listener of this.listeners.get(message.event) ?? []) listener(message.payload as never);
      return;
    }
    this.settle(message.id, (p) => (message.ok ? p.resolve(message.result) : p.reject(new CommandError(message.error.code, message.error.message))));
  }

  private settle(id: number, how: (call: PendingCall) => void): void {
    const call = this.pending.get(id);
    if (!call) return;
    clearTimeout(call.timer);
    this.pending.delete(id);
    how(call);
  }

  /** The port closed: every pending call fails with the reason. */
  private failPending(reason: string): void {
    for (const id of [...this.pending.keys()]) this.settle(id, (p) => p.reject(new CommandError('internal', reason)));
  }
}
