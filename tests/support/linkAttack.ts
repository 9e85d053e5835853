// Plays a hostile client of a node's P2P port, from a namespace host (see linkAttackMain.ts),
// and starts impostors (impostorMain.ts): a listener with a key of its own that speaks the link
// protocol and calls itself by another node's name.

import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import type { Host } from './lan.js';
import type { DeviceMetadata } from '../../src-shared/peerMetadata.js';
import { REPO_ROOT, sleep } from './nearby.js';

export type Attack = {
  host: string;
  port: number;
  /** Give up waiting for the node to close a connection after this (default 20 s). */
  limitMs?: number;
} & (
  | { kind: 'garbage' | 'garbage-after-tls' | 'oversize' | 'not-json' | 'invalid-message' | 'message-flood' }
  | { kind: 'silent-tcp'; count?: number; trickle?: boolean }
  | { kind: 'silent-tls'; trickle?: boolean }
  | { kind: 'connection-flood'; count?: number }
  /**
   * Issue 11, link table exhaustion: `count` TLS links spread over `addresses` (this host's own,
   * each bound in turn), each with a fresh key, a hello and a ping a second, for `limitMs`; a link
   * the node closes is opened again (a fresh key) after `reopenAfterMs`.
   */
  | { kind: 'link-table-flood'; addresses: string[]; count: number; reopenAfterMs: number }
  /**
   * Issue 11, CPU and memory from inside the limits: `count` links from one address, each sending a
   * `metadata` message of about `messageBytes` (libraries) `perSecond` times a second, for
   * `limitMs`; a link the node closes is opened again after `reopenAfterMs`.
   */
  | { kind: 'metadata-flood'; count: number; perSecond: number; messageBytes: number; reopenAfterMs: number }
  /**
   * Links with fresh keys (hello under `name`), each sending pair-request after pair-request and
   * never revealing (issue 11, point 3), for `durationMs`. Answers pings, so only pairing ends them.
   */
  | { kind: 'pairing-flood'; count: number; durationMs: number; name: string }
);

/** What the node did with a pairing flood's requests. */
export interface PairingFloodResult {
  /** Links whose TLS handshake and hello went through. */
  links: number;
  /** Requests answered with a nonce (taken as a session). */
  accepted: number;
  /** Per accepted request: ms from the nonce to the node's pair-reject (null: still open at the end). */
  droppedAfterMs: Array<number | null>;
  /** Requests held when the node closed their link (its caps make room for newer links). */
  endedWithLink: number;
  /** Requests refused at once (no nonce), by reason. */
  refusedReasons: Record<string, number>;
  /** Most requests of this flood the node held at once (nonce sent, not yet rejected). */
  heldAtOnceMax: number;
}

export interface AttackResult {
  /** Per connection: ms until the node closed it, or null when it was still open at the limit. */
  closedAfterMs: Array<number | null>;
  /** Sustained attacks (link-table-flood, metadata-flood): what the attacker managed. */
  sustained?: {
    /** TLS links that completed their handshake (reopened ones included). */
    linksOpened: number;
    /** Links the node closed or refused (after TLS). */
    linksClosedByNode: number;
    /** Links open at the end. */
    openAtEnd: number;
    /** Messages sent besides hellos (pings, metadata). */
    messagesSent: number;
  };
  pairing?: PairingFloodResult;
}

export async function runLinkAttack(host: Host, attack: Attack): Promise<AttackResult> {
  const run = () =>
    host.run(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'tests/support/linkAttackMain.ts'), JSON.stringify(attack)], {
      // Its own start (tsx) and a last TLS handshake that may take its full 10 s come on top of the
      // attack's length; under CI's load 20 s of margin was once not enough for the three.
      timeoutMs: (attack.kind === 'pairing-flood' ? attack.durationMs : (attack.limitMs ?? 20_000)) + 40_000,
      cwd: REPO_ROOT,
    });
  let r = await run();
  if (r.code === null && !r.stderr.includes('attacker started')) {
    // Seen once in a full run: the attacker printed nothing for 30 s. One that never reached its
    // first line (tsx start-up) says nothing about the node: run it again, and say so. A hang
    // after that fails the test (its TLS handshake gives up after 10 s, with a message).
    process.stderr.write(`link attack ${attack.kind}: the attacker process hung before it started; running it again\n`);
    r = await run();
  }
  if (r.code !== 0) throw new Error(`link attack ${attack.kind} failed (${r.code}): ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as AttackResult;
}

export interface Impostor {
  child: ChildProcess;
  port: number;
  /** What it printed so far ("linked <identity>", "pairing <code>"). */
  output(): string;
  stop(): void;
}

/** What an impostor does besides listening (impostorMain.ts): dial a node, say a device's metadata, ask to pair. */
export interface ImpostorOptions {
  dial?: { host: string; port: number };
  metadata?: Partial<DeviceMetadata>;
  pair?: boolean;
}

/** Starts a link listener with its own key on `host`, calling itself `name`. */
export async function startImpostor(host: Host, name: string, port = 0, options: ImpostorOptions = {}): Promise<Impostor> {
  const child = host.spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'tests/support/impostorMain.ts'), String(port), name, JSON.stringify(options)], { cwd: REPO_ROOT });
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (err += d));
  const start = Date.now();
  while (Date.now() - start < 15_000) {
    const m = /listening (\d+)/.exec(out);
    if (m) return { child, port: Number(m[1]), output: () => out + err, stop: () => child.kill('SIGKILL') };
    if (child.exitCode !== null) break;
    await sleep(20);
  }
  child.kill('SIGKILL');
  throw new Error(`impostor did not start: ${err}`);
}
