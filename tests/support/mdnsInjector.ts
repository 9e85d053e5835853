// Plays a hostile or broken peer: hand-made mDNS packets sent from a namespace host.

import { join } from 'node:path';
import type { Host } from './lan.js';
import { REPO_ROOT } from './nearby.js';

export interface ServiceSpec {
  kind: 'service';
  instance: string;
  hostname: string;
  port: number;
  /** TXT strings (UTF-8), or null for no TXT record at all. Each must be at most 255 bytes. */
  txt: string[] | null;
  ttl?: number;
}

export type InjectSpec =
  | { kind: 'raw'; hex: string }
  | { kind: 'garbage'; count: number }
  | { kind: 'goodbye'; instance: string; hostname: string }
  | ServiceSpec
  /** Every proper prefix (12 bytes and longer) of the packet `of` would send: truncated real packets. */
  | { kind: 'truncated'; of: ServiceSpec }
  /** `count` copies of the packet `of` would send, each with 1 to 8 random bytes overwritten. */
  | { kind: 'mutated'; of: ServiceSpec; count: number }
  /**
   * From here on, wait `ms` after every `every` packets (default: no pause). A flood sent at full
   * speed mostly overflows the receiver's socket buffer; pacing makes it reach the program.
   */
  | { kind: 'pace'; every: number; ms: number }
  /** From here on, send at most `perSecond` packets a second on average (replaces 'pace'). */
  | { kind: 'rate'; perSecond: number }
  /**
   * `count` packets generated in-process from `seed` (support/mdnsFuzz.ts): random bytes, damaged
   * real packets, well-formed packets of random content; some over IPv6, some queries from a port
   * other than 5353 (legacy unicast). `victim` lets packets name the victim's own records.
   */
  | { kind: 'fuzz'; count: number; seed: number; victim?: { instance: string; hostname: string }; ipv6?: boolean }
  /**
   * `count` distinct services (PTR+SRV+TXT+A, instance labels that look like identities) spread
   * evenly over `durationMs`, sent in turn from each address of `sources` (default: the host's
   * first IPv4 address; others must be configured on the host). Nothing answers for them.
   */
  | { kind: 'flood'; count: number; durationMs: number; sources?: string[]; tag?: string };

/** What the injector reports when it is done (its last line of stdout, JSON). */
export interface InjectReport {
  sent: number;
  sendErrors: number;
  elapsedMs: number;
  fuzz?: { byCategory: Record<string, number>; byPath: Record<string, number> };
  flood?: { sent: number; elapsedMs: number; sources: number };
}

/**
 * Runs the injector on `host`; resolves with its report. `nice`: a lower CPU priority for it
 * (a flood's packet generator should not take the CPU from the node it attacks: on a real LAN it
 * runs on another machine).
 */
export async function runInjector(host: Host, specs: InjectSpec[], timeoutMs = 20000, nice = 0): Promise<InjectReport> {
  const args = ['--import', 'tsx', join(REPO_ROOT, 'tests/support/mdnsInjectorMain.ts'), JSON.stringify(specs)];
  const r = nice > 0
    ? await host.run('nice', ['-n', String(nice), process.execPath, ...args], { timeoutMs, cwd: REPO_ROOT })
    : await host.run(process.execPath, args, { timeoutMs, cwd: REPO_ROOT });
  if (r.code !== 0) throw new Error(`mDNS injector failed (${r.code}${r.timedOut ? ', timed out' : ''}): ${r.stderr}`);
  const last = r.stdout.trim().split('\n').at(-1) ?? '{}';
  return JSON.parse(last) as InjectReport;
}

export async function sendMdns(host: Host, specs: InjectSpec[]): Promise<void> {
  await runInjector(host, specs);
}
