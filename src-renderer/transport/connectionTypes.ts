// What the UI knows of its link to the node, whatever the transport (nodeConnection.ts picks it).
// No DOM types here, so the store and its tests run in plain Node.

import type { CommandName, CommandPayloads, CommandResults, NodeState } from '../../src-shared/contract.js';

export type ConnectionStatus =
  | { state: 'connecting' }
  | { state: 'open' }
  /** Lost or refused; a new attempt starts at `retryAt` (ms since the epoch). */
  | { state: 'closed'; reason: string; retryAt: number };

export interface NodeConnection {
  call<K extends CommandName>(command: K, payload: CommandPayloads[K]): Promise<CommandResults[K]>;
  onState(listener: (state: NodeState) => void): () => void;
  /** Calls `listener` with the current status at once, then on every change. */
  onStatus(listener: (status: ConnectionStatus) => void): () => void;
}
