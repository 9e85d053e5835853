// A NodeApi for unit tests of the transports: each session runs its commands through the fake's
// `invoke`, and its subscription hears the fake's 'state' emitter (the current `state` first).
// Subclasses say what the commands do.

import { EventEmitter } from 'node:events';
import type { CommandName, CommandPayloads, CommandResults, NodeApi, NodeSession, NodeState } from '../../src-shared/contract.js';
import { emptyNodeState } from './nodeStateFixture.js';

export abstract class FakeNodeApi implements NodeApi {
  state: NodeState = emptyNodeState();
  readonly emitter = new EventEmitter();
  /** Sessions opened and not closed yet. */
  openSessions = 0;

  abstract invoke<K extends CommandName>(command: K, payload: CommandPayloads[K]): Promise<CommandResults[K]>;

  openSession(): NodeSession {
    this.openSessions++;
    let closed = false;
    const unsubscribes = new Set<() => void>();
    return {
      invoke: (command, payload) => this.invoke(command, payload),
      subscribe: (listener) => {
        this.emitter.on('state', listener);
        const off = () => {
          this.emitter.off('state', listener);
          unsubscribes.delete(off);
        };
        unsubscribes.add(off);
        listener(this.state);
        return off;
      },
      close: () => {
        if (closed) return;
        closed = true;
        this.openSessions--;
        for (const off of [...unsubscribes]) off();
      },
    };
  }

  listenerCount(): number {
    return this.emitter.listenerCount('state');
  }
}
