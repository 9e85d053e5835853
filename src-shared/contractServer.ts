// The node's side of the contract (DESIGN §3), written once for every transport: a connection is
// a port and a node session. Per connection: request ids, the size cap, the in-flight cap, the
// typed error shape, validation (the node validates again), and the state pushed to the client,
// the current state first, coalesced while a send is pending (only the newest state waits).
// Electron IPC, the WebSocket and HTTP (one request, or the event stream) are adapters of a port.

import { COMMAND_NAMES, CommandError, isCommandName, parsePayload, PAYLOAD_MAX_BYTES, type NodeApi, type NodeSession, type NodeState } from './contract.js';
import { errorResponse, jsonSize, requestIdOf, UnreadableMessage, type RpcResponse, type RpcServerMessage, type ServerPort } from './rpc.js';

export interface ContractServerOptions {
  /** Which transport, for the log: `sd-nearby WebSocket`, `sd-nearby API`, `IPC`. */
  label: string;
  /** Where failures of the node are logged (the client gets a typed error without the details). */
  logError(message: string, error: unknown): void;
  /** Requests of this connection carried out at once; more are refused, not queued. */
  inFlightMax: number;
  /** Push the node's state to this client (and so count as looking at it). False for one request. */
  pushState: boolean;
  /** A whole request over this many bytes of JSON is refused before anything in it is read. */
  requestMaxBytes?: number;
}

export interface ContractConnection {
  /** Answers one message as if it came from the port; the answer is sent on the port and returned. */
  receive(raw: unknown): Promise<RpcResponse>;
  /** Ends the session (no more state, no more commands); the port is the transport's to close. */
  close(): void;
}

/** Serves the contract on one port, for one session of `node`, until the port closes. */
export function serveContract(node: NodeApi, port: ServerPort, options: ContractServerOptions): ContractConnection {
  const session = node.openSession();
  let closed = false;
  let inFlight = 0;
  let unsubscribe: () => void = () => {};

  const deliver = async (message: RpcServerMessage): Promise<void> => {
    try {
      await port.send(message);
    } catch (err) {
      options.logError(`${options.label}: could not send to the client:`, err);
    }
  };
  const close = () => {
    if (closed) return;
    closed = true;
    unsubscribe();
    session.close();
  };
  const refusalOf = (raw: unknown): RpcResponse | null => {
    if (raw instanceof UnreadableMessage) return errorResponse(-1, 'invalid-payload', raw.reason);
    const id = requestIdOf(raw);
    if (closed) return errorResponse(id, 'refused', 'this connection to the node is closed; connect again');
    if (options.requestMaxBytes !== undefined && jsonSize(raw) > options.requestMaxBytes) {
      return errorResponse(id, 'invalid-payload', `the request is larger than ${options.requestMaxBytes} bytes`);
    }
    if (inFlight >= options.inFlightMax) {
      return errorResponse(id, 'refused', `more than ${options.inFlightMax} requests at once; wait for the answers before sending more`);
    }
    return null;
  };

  const receive = async (raw: unknown): Promise<RpcResponse> => {
    const refusal = refusalOf(raw);
    if (refusal !== null) {
      await deliver(refusal);
      return refusal;
    }
    inFlight++;
    try {
      const answer = await answerRequest(session, raw, options);
      await deliver(answer);
      return answer;
    } finally {
      inFlight--;
    }
  };

  port.onMessage((raw) => void receive(raw));
  port.onClose(close);
  if (options.pushState) {
    try {
      unsubscribe = session.subscribe(coalescedPush(deliver, () => closed));
    } catch (err) {
      options.logError(`${options.label}: the state for a new client failed:`, err);
      close();
      port.close('the node could not report its state');
    }
  }
  return { receive, close };
}

/** State events to a client: while one is being sent, only the newest of those that follow waits. */
function coalescedPush(deliver: (message: RpcServerMessage) => Promise<void>, isClosed: () => boolean): (state: NodeState) => void {
  let sending = false;
  let waiting: NodeState | null = null;
  const push = (state: NodeState): void => {
    if (isClosed()) return;
    if (sending) {
      waiting = state;
      return;
    }
    sending = true;
    void deliver({ event: 'state', payload: state }).then(() => {
      sending = false;
      const next = waiting;
      waiting = null;
      if (next !== null) push(next);
    });
  };
  return push;
}

/** One request, whatever arrived: the answer is always a typed response, never a throw. */
async function answerRequest(session: NodeSession, raw: unknown, options: ContractServerOptions): Promise<RpcResponse> {
  const id = requestIdOf(raw);
  const fail = (code: CommandError['code'], message: string) => errorResponse(id, code, message);
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return fail('invalid-payload', 'a request is an object {id, command, payload}');
  if (id < 0) return fail('invalid-payload', 'a request needs a numeric id');
  const { command, payload } = raw as { command?: unknown; payload?: unknown };
  if (!isCommandName(command)) {
    return fail('unknown-command', `unknown command ${JSON.stringify(String(command)).slice(0, 80)}; known: ${COMMAND_NAMES.join(', ')}`);
  }
  if (jsonSize(payload) > PAYLOAD_MAX_BYTES) return fail('invalid-payload', `the ${command} request is larger than ${PAYLOAD_MAX_BYTES} bytes`);
  try {
    const result = await session.invoke(command, parsePayload(command, payload));
    return { id, ok: true, result };
  } catch (err) {
    if (err instanceof CommandError) return fail(err.code, err.message);
    options.logError(`${options.label}: ${command} failed:`, err);
    return fail('internal', `the node failed to carry out ${command}; the details are in its log (stderr)`);
  }
}

/** One request on a session of its own (an HTTP request): the session ends with the answer. */
export async function answerOnce(node: NodeApi, request: { command: string; payload: unknown }, options: Pick<ContractServerOptions, 'label' | 'logError'>): Promise<RpcResponse> {
  // The answer comes back from receive(); this port has nothing else to carry.
  const port: ServerPort = { send() {}, onMessage() {}, onClose() {}, close() {} };
  const connection = serveContract(node, port, { ...options, inFlightMax: 1, pushState: false });
  try {
    return await connection.receive({ id: 0, ...request });
  } finally {
    connection.close();
  }
}
