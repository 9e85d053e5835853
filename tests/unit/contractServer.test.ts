// The contract server and client (src-shared/contractServer.ts, contractClient.ts) over ports in
// memory, against a fake node: the state pushed (the current one first, coalesced behind a slow
// send), the caps, the typed errors, the session's end with its port, one-shot answers, and the
// typed client over a port.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CommandError, parsePayload, type CommandName, type CommandPayloads, type CommandResults, type NodeState } from '../../src-shared/contract.js';
import { SCHEMA_ISSUES_MAX_CHARS } from '../../src-shared/schemaIssues.js';
import { ContractClient } from '../../src-shared/contractClient.js';
import { answerOnce, serveContract, type ContractServerOptions } from '../../src-shared/contractServer.js';
import { UnreadableMessage, type ClientPort, type RpcRequest, type RpcResponse, type RpcServerMessage, type ServerPort } from '../../src-shared/rpc.js';
import { FakeNodeApi } from '../support/fakeNodeApi.js';
import { emptyNodeState } from '../support/nodeStateFixture.js';

function named(name: string): NodeState {
  return emptyNodeState({ self: { name } });
}

class FakeNode extends FakeNodeApi {
  calls: CommandName[] = [];
  gate: Promise<void> | null = null;
  async invoke<K extends CommandName>(command: K, payload: CommandPayloads[K]): Promise<CommandResults[K]> {
    this.calls.push(command);
    if (this.gate !== null) await this.gate;
    if (command === 'deleteLibrary') throw new Error('disk on fire at /home/alice');
    if (command === 'activateLibrary') throw new CommandError('not-found', 'there is no such library');
    if (command === 'setName') this.state = named((payload as { name: string }).name);
    return this.state as CommandResults[K];
  }
}

/** A server port in memory; `hold()` makes sends wait until released (a slow client). */
class MemoryServerPort implements ServerPort {
  readonly sent: RpcServerMessage[] = [];
  closedWith: string | null = null;
  private receiveCallback: ((message: unknown) => void) | null = null;
  private closeCallback: ((reason: string) => void) | null = null;
  private release: (() => void) | null = null;
  private held: Promise<void> | null = null;

  send(message: RpcServerMessage): Promise<void> | void {
    this.sent.push(message);
    return this.held ?? undefined;
  }
  onMessage(callback: (message: unknown) => void): void {
    this.receiveCallback = callback;
  }
  onClose(callback: (reason: string) => void): void {
    this.closeCallback = callback;
  }
  close(reason?: string): void {
    this.closedWith = reason ?? '';
  }
  hold(): void {
    this.held = new Promise((resolve) => (this.release = resolve));
  }
  releaseAll(): void {
    this.held = null;
    this.release?.();
  }
  deliver(message: unknown): void {
    this.receiveCallback?.(message);
  }
  goAway(): void {
    this.closeCallback?.('gone');
  }
  states(): string[] {
    return this.sent.filter((m): m is { event: 'state'; payload: NodeState } => 'event' in m).map((m) => m.payload.self.name);
  }
  answer(id: number): RpcResponse | undefined {
    return this.sent.find((m): m is RpcResponse => 'id' in m && m.id === id);
  }
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

function serve(node: FakeNode, port: MemoryServerPort, extra: Partial<ContractServerOptions> = {}) {
  const logged: string[] = [];
  const connection = serveContract(node, port, { label: 'test', logError: (m, e) => logged.push(`${m} ${String(e)}`), inFlightMax: 4, pushState: true, ...extra });
  return { connection, logged };
}

describe('the contract server', () => {
  test('the current state first, then each change; while a send is pending only the newest state waits', async () => {
    const node = new FakeNode();
    node.state = named('first');
    const port = new MemoryServerPort();
    port.hold();
    serve(node, port);
    assert.deepEqual(port.states(), ['first']);
    for (const name of ['second', 'third', 'fourth']) node.emitter.emit('state', named(name));
    assert.deepEqual(port.states(), ['first'], 'nothing more while the first is not taken');
    port.releaseAll();
    await tick();
    assert.deepEqual(port.states(), ['first', 'fourth'], 'the states in between were skipped');
  });

  test('answers carry the request id; unreadable messages, bad requests and refusals are typed', async () => {
    const node = new FakeNode();
    const port = new MemoryServerPort();
    const { logged } = serve(node, port, { inFlightMax: 16 });
    port.deliver({ id: 1, command: 'setName', payload: { name: ' Desk ' } });
    port.deliver(new UnreadableMessage('the message is not valid JSON'));
    port.deliver({ id: 2, command: 'formatDisk', payload: {} });
    port.deliver({ id: 3, command: 'setName', payload: { name: 7 } });
    port.deliver({ id: 4, command: 'activateLibrary', payload: { uuid: '0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0' } });
    port.deliver({ id: 5, command: 'deleteLibrary', payload: { uuid: '0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0' } });
    port.deliver({ command: 'getState', payload: {} });
    await tick();
    assert.deepEqual(port.answer(1), { id: 1, ok: true, result: named('Desk') });
    const codes = [-1, 2, 3, 4, 5].map((id) => {
      const a = port.sent.filter((m): m is RpcResponse => 'id' in m && m.id === id);
      return a.map((r) => (r.ok ? 'ok' : r.error.code));
    });
    assert.deepEqual(codes, [['invalid-payload', 'invalid-payload'], ['unknown-command'], ['invalid-payload'], ['not-found'], ['internal']]);
    const internal = port.answer(5);
    assert.ok(internal && !internal.ok && /deleteLibrary/.test(internal.error.message) && !/alice/.test(internal.error.message));
    assert.deepEqual(logged, ['test: deleteLibrary failed: Error: disk on fire at /home/alice'], 'the details go to the log only');
    assert.deepEqual(node.calls, ['setName', 'activateLibrary', 'deleteLibrary'], 'the node sees valid requests only');
  });

  test('more requests at once than the cap: the extra ones are refused, the rest answered; then accepted again', async () => {
    const node = new FakeNode();
    let open!: () => void;
    node.gate = new Promise((resolve) => (open = resolve));
    const port = new MemoryServerPort();
    serve(node, port, { inFlightMax: 2 });
    for (const id of [1, 2, 3]) port.deliver({ id, command: 'getState', payload: {} });
    await tick();
    const third = port.answer(3);
    assert.ok(third && !third.ok && third.error.code === 'refused');
    open();
    node.gate = null;
    await tick();
    assert.ok(port.answer(1)?.ok && port.answer(2)?.ok);
    port.deliver({ id: 4, command: 'getState', payload: {} });
    await tick();
    assert.ok(port.answer(4)?.ok);
  });

  test('a whole request over requestMaxBytes is refused before anything in it is read', async () => {
    const node = new FakeNode();
    const port = new MemoryServerPort();
    serve(node, port, { requestMaxBytes: 100 });
    port.deliver({ id: 1, command: 'x'.repeat(200), payload: {} });
    await tick();
    const answer = port.answer(1);
    assert.ok(answer && !answer.ok && answer.error.code === 'invalid-payload' && /larger than 100 bytes/.test(answer.error.message));
  });

  test('when the port closes the session ends: no more state, its listener gone, later requests refused', async () => {
    const node = new FakeNode();
    const port = new MemoryServerPort();
    const { connection } = serve(node, port);
    assert.equal(node.openSessions, 1);
    port.goAway();
    assert.equal(node.openSessions, 0);
    assert.equal(node.listenerCount(), 0);
    node.emitter.emit('state', named('after'));
    assert.deepEqual(port.states(), ['Test node']);
    const late = await connection.receive({ id: 9, command: 'getState', payload: {} });
    assert.ok(!late.ok && late.error.code === 'refused');
  });

  test('a node that cannot report its state: logged, and the port closed with a reason', () => {
    const node = new FakeNode();
    node.openSession = () => ({
      invoke: () => Promise.reject(new Error('unused')),
      subscribe: () => {
        throw new Error('state exploded');
      },
      close: () => {},
    });
    const port = new MemoryServerPort();
    const { logged } = serve(node, port);
    assert.equal(port.closedWith, 'the node could not report its state');
    assert.match(logged[0] ?? '', /state exploded/);
  });

  test('answerOnce: one request on a session of its own, which ends with the answer and never subscribes', async () => {
    const node = new FakeNode();
    const answer = await answerOnce(node, { command: 'setName', payload: { name: 'Once' } }, { label: 'test', logError: () => {} });
    assert.deepEqual(answer, { id: 0, ok: true, result: named('Once') });
    assert.equal(node.openSessions, 0);
    assert.equal(node.listenerCount(), 0);
  });
});

/** A client port and a server port joined in memory (JSON copies, delivered asynchronously). */
function joinedPorts(): { client: ClientPort; server: MemoryServerPort; closeBoth(reason: string): void } {
  const server = new MemoryServerPort();
  let toClient: ((message: RpcServerMessage) => void) | null = null;
  let clientClosed: ((reason: string) => void) | null = null;
  const originalSend = server.send.bind(server);
  server.send = (message) => {
    originalSend(message);
    setImmediate(() => toClient?.(JSON.parse(JSON.stringify(message)) as RpcServerMessage));
  };
  const client: ClientPort = {
    send: (request: RpcRequest) => void setImmediate(() => server.deliver(JSON.parse(JSON.stringify(request)))),
    onMessage: (callback) => (toClient = callback),
    onClose: (callback) => (clientClosed = callback),
    close: () => {},
  };
  return { client, server, closeBoth: (reason) => clientClosed?.(reason) };
}

describe('the contract client', () => {
  test('typed calls and state events over a port; a refusal is a CommandError with its code', async () => {
    const node = new FakeNode();
    const { client: port, server } = joinedPorts();
    const client = new ContractClient(port);
    const states: string[] = [];
    client.on('state', (s) => states.push(s.self.name));
    serve(node, server);
    const state = await client.call('setName', { name: 'Typed' });
    assert.equal(state.self.name, 'Typed');
    await assert.rejects(client.call('activateLibrary', { uuid: '0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0' }), (err: unknown) => err instanceof CommandError && err.code === 'not-found');
    assert.deepEqual(states, ['Test node'], 'the current state arrived first');
  });

  test('a port that closes fails the pending calls with its reason; a send that throws fails its call', async () => {
    const node = new FakeNode();
    node.gate = new Promise(() => {}); // never answers
    const { client: port, server, closeBoth } = joinedPorts();
    serve(node, server);
    const client = new ContractClient(port);
    const pending = client.call('getState', {});
    await tick();
    closeBoth('The connection to the node was lost');
    await assert.rejects(pending, /The connection to the node was lost/);
    const throwing = new ContractClient({ ...port, send: () => {
      throw new TypeError('nearby.send: the request is larger than 66560 bytes');
    } });
    await assert.rejects(throwing.call('getState', {}), TypeError);
  });

  test('no answer within the timeout: the call fails saying so', async () => {
    const port: ClientPort = { send() {}, onMessage() {}, onClose() {}, close() {} };
    const client = new ContractClient(port, 20);
    await assert.rejects(client.call('getState', {}), /no answer to getState within 0.02 s/);
  });
});

describe('a refused payload is described, not echoed', () => {
  test('an unknown key of kilobytes (found by the hardening fuzz): the reason is cut, in whole characters, and still says what is wrong', () => {
    const key = '😀'.repeat(31) + '\ud83d' + 'x'.repeat(2000);
    assert.throws(
      () => parsePayload('setAttention', { looking: true, [key]: 1 }),
      (err: unknown) => {
        assert.ok(err instanceof CommandError && err.code === 'invalid-payload');
        assert.match(err.message, /^invalid setAttention request: Unrecognized key/);
        assert.ok(err.message.length <= 'invalid setAttention request: '.length + SCHEMA_ISSUES_MAX_CHARS + 1, `${err.message.length} characters`);
        assert.ok(err.message.endsWith('…'));
        assert.doesNotMatch(err.message, /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/, 'no half of a surrogate pair');
        return true;
      },
    );
  });
});
