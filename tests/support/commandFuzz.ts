// Checks shared by the command fuzzers (tests/net/hardening-commands.test.ts and
// support/commandFuzzMain.ts): what a typed answer is, and what a sane NodeState is.

import { isRemoteIdentity } from '../../src-shared/identity.js';
import { DISCOVERY_MODES } from '../../src-shared/discoveryModes.js';

/** Error codes a refusal may carry; 'internal' is not among them: it means the node failed. */
export const TYPED_ERROR_CODES = new Set(['unknown-command', 'invalid-payload', 'not-found', 'refused']);
/** HTTP-only codes of the API server (apiServer.ts). */
export const HTTP_ERROR_CODES = new Set([...TYPED_ERROR_CODES, 'payload-too-large', 'method-not-allowed']);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const codePoints = (s: string) => Array.from(s).length;

/** Why `s` is not a sane NodeState (empty when it is). */
export function stateProblems(s: unknown): string[] {
  const problems: string[] = [];
  const st = s as Record<string, unknown> | null;
  if (typeof st !== 'object' || st === null) return ['the state is not an object'];
  const self = st.self as Record<string, unknown> | undefined;
  if (!self || typeof self !== 'object') problems.push('no self');
  else {
    if (typeof self.identity !== 'string' || !isRemoteIdentity(self.identity)) problems.push(`self.identity ${JSON.stringify(self.identity)}`);
    if (typeof self.name !== 'string' || self.name.trim() === '' || codePoints(self.name) > 64) problems.push(`self.name ${JSON.stringify(self.name)}`);
    if (!Number.isInteger(self.port)) problems.push(`self.port ${JSON.stringify(self.port)}`);
  }
  if (!(DISCOVERY_MODES as readonly unknown[]).includes(st.mode)) problems.push(`mode ${JSON.stringify(st.mode)}`);
  if (!Array.isArray(st.libraries)) problems.push('libraries is not a list');
  else {
    const seen = new Set<string>();
    for (const l of st.libraries as Array<Record<string, unknown>>) {
      if (typeof l.uuid !== 'string' || !UUID.test(l.uuid)) problems.push(`library uuid ${JSON.stringify(l.uuid)}`);
      else if (seen.has(l.uuid)) problems.push(`library ${l.uuid} twice`);
      else seen.add(l.uuid);
      if (typeof l.name !== 'string' || l.name.trim() === '' || codePoints(l.name) > 64 || /[\u0000-\u001f\u202a-\u202e\u2066-\u2069]/.test(l.name)) problems.push(`library name ${JSON.stringify(l.name)}`);
      if (typeof l.active !== 'boolean') problems.push(`library active ${JSON.stringify(l.active)}`);
    }
  }
  for (const key of ['peers', 'manualPeers', 'warnings']) if (!Array.isArray(st[key])) problems.push(`${key} is not a list`);
  if (Array.isArray(st.warnings) && st.warnings.some((w) => typeof w !== 'string')) problems.push('a warning is not text');
  if (Array.isArray(st.manualPeers)) for (const m of st.manualPeers as Array<Record<string, unknown>>) if (typeof m.address !== 'string' || m.address.length > 300) problems.push(`manual peer ${JSON.stringify(m.address)}`);
  if (Object.prototype.hasOwnProperty.call(st, '__proto__') || 'polluted' in st) problems.push('the state carries a __proto__ or polluted key');
  return problems;
}

/** Why `r` is not a typed RPC answer to request `id` (null when it is). */
export function rpcAnswerProblem(r: unknown, id: number | null): string | null {
  const m = r as { id?: unknown; ok?: unknown; result?: unknown; error?: { code?: unknown; message?: unknown } } | null;
  if (typeof m !== 'object' || m === null) return 'not an object';
  if (typeof m.id !== 'number') return `id ${JSON.stringify(m.id)}`;
  if (id !== null && m.id !== id) return `answered id ${m.id} to request ${id}`;
  if (m.ok === true) return m.result === undefined ? 'ok without a result' : null;
  if (m.ok !== false || !m.error) return 'neither ok nor an error';
  if (typeof m.error.code !== 'string' || !TYPED_ERROR_CODES.has(m.error.code)) return `error code ${JSON.stringify(m.error.code)}: ${String(m.error.message).slice(0, 200)}`;
  if (typeof m.error.message !== 'string' || m.error.message.length === 0 || m.error.message.length > 2000) return `error message of ${String(m.error.message).length} characters`;
  return null;
}

/** A small tally: counts by key, and the first few examples of problems. */
export class Tally {
  readonly counts: Record<string, number> = {};
  readonly problems: string[] = [];
  problemCount = 0;
  add(key: string): void {
    this.counts[key] = (this.counts[key] ?? 0) + 1;
  }
  problem(text: string): void {
    this.problemCount++;
    if (this.problems.length < 20) this.problems.push(text.slice(0, 500));
  }
}
