// What the UI knows of its link to the node, whatever the transport (nodeConnection.ts picks it).
// No DOM types here, so the store and its tests run in plain Node.

import type { CommandName, CommandPayloads, CommandResults, NodeState } from '../../src-shared/contract.js';
import type { DisconnectCause } from './pageToken.js';

export type { DisconnectCause };

export type ConnectionStatus =
  | { state: 'connecting' }
  | { state: 'open' }
  /**
   * Lost or refused, `cause` says why and `reason` in words; a new attempt starts at `retryAt` (ms
   * since the epoch), or, for a token missing or refused, when a token is added to the address (null).
   */
  | { state: 'closed'; cause: DisconnectCause; reason: string; retryAt: number | null };

export interface NodeConnection {
  call<K extends CommandName>(command: K, payload: CommandPayloads[K]): Promise<CommandResults[K]>;
  onState(listener: (state: NodeState) => void): () => void;
  /** Calls `listener` with the current status at once, then on every change. */
  onStatus(listener: (status: ConnectionStatus) => void): () => void;
}
