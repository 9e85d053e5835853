// One client of the node (DESIGN §3): what a transport opens per connection (NodeApi.openSession).
// Its commands run on its behalf; its state subscription is what makes it count as someone
// looking (issue 9); closing it ends both.

import { CommandError, type CommandName, type CommandPayloads, type CommandResults, type NodeSession, type NodeState } from '../../src-shared/contract.js';
import type { Attention } from './peers/attention.js';

/** What a session needs of the node. */
export interface SessionHost {
  /** Runs a command for `session` (validating its payload); refuses when the node is closing. */
  run<K extends CommandName>(command: K, payload: CommandPayloads[K], session: NodeSession): Promise<CommandResults[K]>;
  state(): NodeState;
  /** The node's state events; returns the unsubscribe. */
  onState(listener: (state: NodeState) => void): () => void;
  readonly attention: Pick<Attention, 'subscribe' | 'unsubscribe' | 'close'>;
}

export function openNodeSession(host: SessionHost): NodeSession {
  const listeners = new Set<(state: NodeState) => void>();
  let closed = false;
  const deliver = (state: NodeState) => {
    for (const listener of [...listeners]) listener(state);
  };
  let offState: (() => void) | null = null;

  const session: NodeSession = {
    invoke(command, payload) {
      if (closed) return Promise.reject(new CommandError('refused', 'this session with the node has ended; connect again'));
      return host.run(command, payload, session);
    },
    subscribe(listener) {
      if (closed) return () => {};
      listeners.add(listener);
      offState ??= host.onState(deliver);
      host.attention.subscribe(session);
      listener(host.state());
      return () => {
        listeners.delete(listener);
        if (listeners.size > 0 || closed) return;
        offState?.();
        offState = null;
        host.attention.unsubscribe(session);
      };
    },
    close() {
      if (closed) return;
      closed = true;
      listeners.clear();
      offState?.();
      offState = null;
      host.attention.close(session);
    },
  };
  return session;
}
