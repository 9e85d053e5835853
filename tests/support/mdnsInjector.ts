// Plays a hostile or broken peer: hand-made mDNS packets sent from a namespace host.

import { join } from 'node:path';
import type { Host } from './lan.js';
import { REPO_ROOT } from './nearby.js';

export type InjectSpec =
  | { kind: 'raw'; hex: string }
  | { kind: 'garbage'; count: number }
  | { kind: 'goodbye'; instance: string; hostname: string }
  | { kind: 'service'; instance: string; hostname: string; port: number; txt: string[] | null; ttl?: number };

export async function sendMdns(host: Host, specs: InjectSpec[]): Promise<void> {
  const r = await host.run(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'tests/support/mdnsInjectorMain.ts'), JSON.stringify(specs)], { timeoutMs: 20000, cwd: REPO_ROOT });
  if (r.code !== 0) throw new Error(`mDNS injector failed (${r.code}): ${r.stderr}`);
}
