// Runs our node (`sd-nearby serve` / `browse`, the built CLI) inside a namespace host, and talks
// to its API over a Unix socket: the host's loopback is not reachable from the test process.

import { request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildProcess } from 'node:child_process';
import type { Host } from './lan.js';
import WebSocket from 'ws';
import type { NodeState } from '../../src-shared/contract.js';
import { ContractClient } from '../../src-shared/contractClient.js';
import type { ClientPort, RpcServerMessage } from '../../src-shared/rpc.js';
import type { Peer } from '../../src-shared/peer.js';
import { isFinalPairingStage, type PairingSessionState } from '../../src-shared/pairing.js';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI = join(REPO_ROOT, 'bin/sd-nearby.js');

export interface NodeOptions {
  dataDir?: string;
  name?: string;
  mode?: 'everyone' | 'disabled' | 'contacts-only';
  libraries?: string[];
  port?: number;
  env?: Record<string, string>;
  extraArgs?: string[];
}

export interface ApiResponse<T = unknown> {
  status: number;
  body: T;
}

export class NearbyProcess {
  private out = '';
  private err = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(readonly host: Host, readonly child: ChildProcess, readonly dataDir: string, readonly socketPath: string) {
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (this.out += d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (this.err += d));
    this.exited = new Promise((res) => child.on('exit', (code, signal) => res({ code, signal })));
  }

  get stdout(): string {
    return this.out;
  }

  get stderr(): string {
    return this.err;
  }

  api<T = unknown>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<ApiResponse<T>> {
    return new Promise((resolveReq, reject) => {
      const payload = body === undefined ? '' : JSON.stringify(body);
      const req = request(
        { socketPath: this.socketPath, path, method, headers: { host: 'localhost', 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } },
        (res) => {
          let text = '';
          res.setEncoding('utf8').on('data', (d: string) => (text += d));
          res.on('end', () => {
            try {
              resolveReq({ status: res.statusCode ?? 0, body: JSON.parse(text) as T });
            } catch (err) {
              reject(new Error(`API answered ${res.statusCode} with non-JSON: ${text.slice(0, 200)}`, { cause: err }));
            }
          });
        },
      );
      req.on('error', reject);
      req.setTimeout(5000, () => req.destroy(new Error(`API ${path} timed out`)));
      req.end(payload);
    });
  }

  async state(): Promise<NodeState> {
    const r = await this.api<NodeState>('GET', '/api/state');
    if (r.status !== 200) throw new Error(`GET /api/state: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  }

  async command<T = unknown>(name: string, payload: unknown = {}): Promise<ApiResponse<T>> {
    return this.api<T>('POST', `/api/${name}`, payload);
  }

  /** Polls the state until `predicate` holds; returns it with the time it took. */
  async waitForState(predicate: (s: NodeState) => boolean, timeoutMs: number, what: string): Promise<{ state: NodeState; elapsedMs: number }> {
    const start = Date.now();
    let last: NodeState | null = null;
    while (Date.now() - start < timeoutMs) {
      last = await this.state();
      if (predicate(last)) return { state: last, elapsedMs: Date.now() - start };
      await sleep(20);
    }
    throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} on ${this.host.name}; last peers: ${JSON.stringify(last?.peers.map((p) => p.name))}\nstdout:\n${this.out}\nstderr:\n${this.err}`);
  }

  async identity(): Promise<string> {
    return (await this.state()).self.identity;
  }

  /** The identity the node printed when it started (reading it from stdout is not a look at its state). */
  get printedIdentity(): string {
    const m = /identity (\S+)/.exec(this.out);
    if (!m?.[1]) throw new Error(`no identity line on ${this.host.name}'s stdout:\n${this.out}`);
    return m[1];
  }

  /** The web UI's address `serve --ui` printed, with the token in its fragment (what the user opens). */
  get printedUiUrl(): string {
    const m = /^ui (\S+)/m.exec(this.out);
    if (!m?.[1]) throw new Error(`no ui line on ${this.host.name}'s stdout:\n${this.out}`);
    return m[1];
  }

  /** Subscribes to the node's state (GET /api/events, Server-Sent Events): someone is looking while it is open. */
  subscribe(): StateSubscription {
    return new StateSubscription(this.socketPath);
  }

  /** A session over the contract's WebSocket (what the web UI uses): typed calls, state pushed, someone looking. */
  async session(): Promise<{ client: ContractClient; states: NodeState[]; close(): void }> {
    const ws = new WebSocket(`ws+unix://${this.socketPath}:/api/ws`, { headers: { host: 'localhost' } });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const port: ClientPort = {
      send: (request) => ws.send(JSON.stringify(request)),
      onMessage: (callback) => ws.on('message', (data) => callback(JSON.parse(String(data)) as RpcServerMessage)),
      onClose: (callback) => ws.on('close', () => callback('closed')),
      close: () => ws.close(),
    };
    const client = new ContractClient(port);
    const states: NodeState[] = [];
    client.on('state', (state) => states.push(state));
    return { client, states, close: () => ws.close() };
  }

  /** Sends a signal and waits for the process to end. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exited;
  }
}

/** A client subscribed to a node's state through /api/events; keeps every state it was sent. */
export class StateSubscription {
  readonly states: Array<{ at: number; state: NodeState }> = [];
  private readonly req: ReturnType<typeof request>;
  private listeners = new Set<() => void>();

  constructor(socketPath: string) {
    let buffer = '';
    this.req = request({ socketPath, path: '/api/events', method: 'GET', headers: { host: 'localhost' } }, (res) => {
      res.setEncoding('utf8').on('data', (d: string) => {
        buffer += d;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = block.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
          if (!/^event: state$/m.test(block) || data === '') continue;
          this.states.push({ at: Date.now(), state: JSON.parse(data) as NodeState });
          for (const l of this.listeners) l();
        }
      });
    });
    this.req.on('error', () => {});
    this.req.end();
  }

  get last(): NodeState | null {
    return this.states.at(-1)?.state ?? null;
  }

  /** Resolves with the first state (pushed from now on, or the last one) for which `predicate` holds. */
  waitFor(predicate: (s: NodeState) => boolean, timeoutMs: number, what: string): Promise<NodeState> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const last = this.last;
        if (last && predicate(last)) {
          clearTimeout(timer);
          this.listeners.delete(check);
          resolve(last);
        }
      };
      const timer = setTimeout(() => {
        this.listeners.delete(check);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last peers: ${JSON.stringify(this.last?.peers.map((p) => [p.name, p.verified]))}`));
      }, timeoutMs);
      this.listeners.add(check);
      check();
    });
  }

  close(): void {
    this.req.destroy();
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

const ownedDirs: string[] = [];
process.on('exit', () => {
  for (const d of ownedDirs) rmSync(d, { recursive: true, force: true });
});

/** A temporary data directory removed when the test process exits. */
export function tempDataDir(tag: string): string {
  const dir = mkdtempSync(join(tmpdir(), `sdn-${tag}-`));
  ownedDirs.push(dir);
  return dir;
}

/** Starts `sd-nearby serve` on `host`; resolves once its API answers. */
export async function startNode(host: Host, opts: NodeOptions = {}): Promise<NearbyProcess> {
  const dataDir = opts.dataDir ?? tempDataDir(host.name);
  const socketPath = join(dataDir, `api-${process.pid}-${Math.random().toString(36).slice(2, 8)}.sock`);
  const args = [CLI, 'serve', '--data-dir', dataDir, '--api', `unix:${socketPath}`];
  if (opts.name) args.push('--name', opts.name);
  if (opts.mode) args.push('--mode', opts.mode);
  if (opts.port !== undefined) args.push('--port', String(opts.port));
  for (const l of opts.libraries ?? []) args.push('--library', l);
  args.push(...(opts.extraArgs ?? []));
  const child = host.spawn(process.execPath, args, { env: opts.env ?? {} });
  const proc = new NearbyProcess(host, child, dataDir, socketPath);
  const start = Date.now();
  while (Date.now() - start < 15000) {
    if (child.exitCode !== null) throw new Error(`sd-nearby serve exited with ${child.exitCode}: ${proc.stderr}`);
    if (proc.stdout.includes('api unix:')) return proc;
    await sleep(20);
  }
  child.kill('SIGKILL');
  throw new Error(`sd-nearby serve did not start within 15 s: ${proc.stderr}`);
}

/** Runs `sd-nearby browse --json` on `host`. */
export async function browseJson(host: Host, timeoutSeconds: number): Promise<Peer[]> {
  const r = await host.run(process.execPath, [CLI, 'browse', '--json', '--timeout', String(timeoutSeconds)], { timeoutMs: timeoutSeconds * 1000 + 10000 });
  if (r.code !== 0) throw new Error(`browse failed (${r.code}): ${r.stderr}`);
  return JSON.parse(r.stdout) as Peer[];
}

/** Pairs two running nodes through their APIs (a starts, both confirm the code); resolves once each lists the other as a contact. */
export async function pairNodes(a: NearbyProcess, b: NearbyProcess, timeoutMs = 15_000): Promise<void> {
  const idB = b.printedIdentity;
  const { state } = await a.waitForState((s) => s.peers.some((p) => p.identity === idB), timeoutMs, `${b.host.name} listed on ${a.host.name}`);
  const started = await a.command<PairingSessionState>('startPairing', { peerId: state.peers.find((p) => p.identity === idB)!.id });
  if (started.status !== 200) throw new Error(`startPairing: ${started.status} ${JSON.stringify(started.body)}`);
  const sessionOf = async (node: NearbyProcess, with_: string) => {
    const open = (s: NodeState) => s.pairing.find((p) => p.peerIdentity === with_ && p.code !== null && !isFinalPairingStage(p.stage));
    return open((await node.waitForState((s) => open(s) !== undefined, timeoutMs, 'the code')).state)!;
  };
  const [atA, atB] = await Promise.all([sessionOf(a, idB), sessionOf(b, a.printedIdentity)]);
  await Promise.all([a.command('confirmPairing', { sessionId: atA.id }), b.command('confirmPairing', { sessionId: atB.id })]);
  await a.waitForState((s) => s.contacts.some((c) => c.identity === idB), timeoutMs, 'the contact stored');
  await b.waitForState((s) => s.contacts.some((c) => c.identity === a.printedIdentity), timeoutMs, 'the contact stored');
}
