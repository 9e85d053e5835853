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
  | { kind: 'pace'; every: number; ms: number };

export async function sendMdns(host: Host, specs: InjectSpec[]): Promise<void> {
  const r = await host.run(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'tests/support/mdnsInjectorMain.ts'), JSON.stringify(specs)], { timeoutMs: 20000, cwd: REPO_ROOT });
  if (r.code !== 0) throw new Error(`mDNS injector failed (${r.code}): ${r.stderr}`);
}
