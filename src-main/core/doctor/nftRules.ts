// The nftables rules that drop or reject mDNS (UDP 5353), when this process may read them (root
// on Linux). The network check finds a blocked direction by its packets alone (mdnsProbe.ts);
// a rule found here names the cause exactly and makes the fix one command.

import { execFile } from 'node:child_process';
import { MDNS_PORT } from '../discovery/constants.js';

/** How long `nft -j list ruleset` may take. */
const NFT_LIST_TIMEOUT_MS = 2000;

export interface MdnsFirewallRule {
  /** Which way it blocks: packets coming in (input, prerouting hooks) or going out (output, postrouting). */
  direction: 'in' | 'out';
  family: string;
  table: string;
  chain: string;
  handle: number;
  verdict: 'drop' | 'reject';
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

const HOOK_DIRECTIONS: Record<string, MdnsFirewallRule['direction']> = { input: 'in', prerouting: 'in', output: 'out', postrouting: 'out' };

/** Whether an nftables value (a port, a set, a range) holds port 5353. */
function holdsMdnsPort(right: unknown): boolean {
  if (right === MDNS_PORT) return true;
  if (isObject(right) && Array.isArray(right.set)) return right.set.some(holdsMdnsPort);
  if (isObject(right) && Array.isArray(right.range)) {
    const [low, high] = right.range as unknown[];
    return typeof low === 'number' && typeof high === 'number' && low <= MDNS_PORT && MDNS_PORT <= high;
  }
  return false;
}

/** A `udp dport 5353` (or `th dport`) match among a rule's expressions. */
function matchesMdnsPort(expr: unknown[]): boolean {
  return expr.some((e) => {
    const match = isObject(e) && isObject(e.match) ? e.match : null;
    const payload = match && isObject(match.left) && isObject(match.left.payload) ? match.left.payload : null;
    const udp = payload?.field === 'dport' && (payload.protocol === 'udp' || payload.protocol === 'th');
    return udp && (match?.op === '==' || match?.op === 'in') && holdsMdnsPort(match?.right);
  });
}

function verdictOf(expr: unknown[]): MdnsFirewallRule['verdict'] | null {
  if (expr.some((e) => isObject(e) && 'drop' in e)) return 'drop';
  if (expr.some((e) => isObject(e) && 'reject' in e)) return 'reject';
  return null;
}

/** The rules of `nft -j list ruleset` output that drop or reject UDP 5353 in a chain hooked on the way in or out. */
export function mdnsBlockingRules(ruleset: unknown): MdnsFirewallRule[] {
  const items = isObject(ruleset) && Array.isArray(ruleset.nftables) ? (ruleset.nftables as unknown[]) : [];
  const hooks = new Map<string, MdnsFirewallRule['direction']>();
  for (const item of items) {
    const chain = isObject(item) && isObject(item.chain) ? item.chain : null;
    const direction = chain && typeof chain.hook === 'string' ? HOOK_DIRECTIONS[chain.hook] : undefined;
    if (chain && direction) hooks.set(`${chain.family}|${chain.table}|${chain.name}`, direction);
  }
  const rules: MdnsFirewallRule[] = [];
  for (const item of items) {
    const rule = isObject(item) && isObject(item.rule) ? item.rule : null;
    if (!rule || !Array.isArray(rule.expr) || typeof rule.handle !== 'number') continue;
    const direction = hooks.get(`${rule.family}|${rule.table}|${rule.chain}`);
    const verdict = verdictOf(rule.expr);
    if (!direction || !verdict || !matchesMdnsPort(rule.expr)) continue;
    rules.push({ direction, family: String(rule.family), table: String(rule.table), chain: String(rule.chain), handle: rule.handle, verdict });
  }
  return rules;
}

/** The rules that block mDNS; null when the ruleset cannot be read (not root, no nft, not Linux). */
export function readMdnsFirewallRules(): Promise<MdnsFirewallRule[] | null> {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return Promise.resolve(null);
  return new Promise((resolve) => {
    execFile('nft', ['-j', 'list', 'ruleset'], { timeout: NFT_LIST_TIMEOUT_MS, maxBuffer: 8 * 1024 * 1024 }, (err, stdout) => {
      if (err) return resolve(null);
      try {
        resolve(mdnsBlockingRules(JSON.parse(stdout)));
      } catch {
        resolve(null);
      }
    });
  });
}

/** How the fix names a rule: `nft delete rule inet guard input handle 3`. */
export function deleteCommand(rule: MdnsFirewallRule): string {
  return `nft delete rule ${rule.family} ${rule.table} ${rule.chain} handle ${rule.handle}`;
}
