// Helpers of the hardening tests (issue 6): kernel counters of a namespace, the memory of a
// process, latency statistics, and the check that a node is still up and healthy.

import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { setPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Host } from './lan.js';
import type { NearbyProcess } from './nearby.js';

export interface UdpCounters {
  /** IPv4 + IPv6 datagrams handed to a socket. */
  inDatagrams: number;
  /** Datagrams dropped because a socket's receive buffer was full (IPv4 + IPv6). */
  rcvbufErrors: number;
  /** All receive errors (includes rcvbufErrors). */
  inErrors: number;
  /** Datagrams sent (IPv4 + IPv6). */
  outDatagrams: number;
}

/** The UDP counters of a host's network namespace (/proc/net/snmp and snmp6 are per namespace). */
export async function udpCounters(host: Host): Promise<UdpCounters> {
  const r = await host.run('cat', ['/proc/net/snmp', '/proc/net/snmp6'], { timeoutMs: 5000 });
  const lines = r.stdout.split('\n').filter((l) => l.startsWith('Udp:'));
  const keys = lines[0]!.split(/\s+/).slice(1);
  const values = lines[1]!.split(/\s+/).slice(1).map(Number);
  const v4 = Object.fromEntries(keys.map((k, i) => [k, values[i]!])) as Record<string, number>;
  const v6 = Object.fromEntries(r.stdout.split('\n').filter((l) => l.startsWith('Udp6')).map((l) => l.trim().split(/\s+/)).map(([k, v]) => [k, Number(v)])) as Record<string, number>;
  return {
    inDatagrams: (v4.InDatagrams ?? 0) + (v6.Udp6InDatagrams ?? 0),
    rcvbufErrors: (v4.RcvbufErrors ?? 0) + (v6.Udp6RcvbufErrors ?? 0),
    inErrors: (v4.InErrors ?? 0) + (v6.Udp6InErrors ?? 0),
    outDatagrams: (v4.OutDatagrams ?? 0) + (v6.Udp6OutDatagrams ?? 0),
  };
}

export function diffCounters(a: UdpCounters, b: UdpCounters): UdpCounters {
  return { inDatagrams: b.inDatagrams - a.inDatagrams, rcvbufErrors: b.rcvbufErrors - a.rcvbufErrors, inErrors: b.inErrors - a.inErrors, outDatagrams: b.outDatagrams - a.outDatagrams };
}

/**
 * Runs `pid` (0: this process) at a higher CPU priority (nice -10). On a LAN the attacker's CPU is
 * not the victim's; here the attacking processes, and the other test files running at the same
 * time, share two cores with it. Without this, the latencies measured would be those of the test
 * machine's run queue, not those of the node. Returns a function that puts it back.
 */
export function prioritize(pid: number): () => void {
  try {
    setPriority(pid, -10);
  } catch {
    return () => {}; // not allowed (not root): measured as it is
  }
  return () => {
    try {
      setPriority(pid, 0);
    } catch {
      // the process is gone
    }
  };
}

/** Resident memory of a process in MB (VmRSS of /proc/<pid>/status; PIDs are not namespaced here). */
export function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1]);
  assert.ok(Number.isFinite(kb), `VmRSS of ${pid}`);
  return Math.round((kb / 1024) * 10) / 10;
}

/** Samples a process's RSS every `everyMs` until stopped; returns the peak. */
export function sampleRss(pid: number, everyMs = 250): { stop(): number } {
  let peak = rssMb(pid);
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, rssMb(pid));
    } catch {
      // the process is gone: the test's own checks say so
    }
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      return peak;
    },
  };
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export function distribution(values: number[]): string {
  const s = [...values].sort((a, b) => a - b);
  const f = (n: number) => (Math.round(n * 10) / 10).toString();
  return `n=${s.length} min=${f(s[0] ?? NaN)} p50=${f(percentile(s, 50))} p90=${f(percentile(s, 90))} p99=${f(percentile(s, 99))} max=${f(s.at(-1) ?? NaN)} ms`;
}

/** The node runs, answers its API, no handler threw on a packet, nothing on stderr looks like a crash. */
export async function assertNodeHealthy(node: NearbyProcess): Promise<void> {
  assert.equal(node.child.exitCode, null, `the node exited (${node.child.exitCode}): ${node.stderr}`);
  assert.equal(node.child.signalCode, null, `the node was killed (${node.child.signalCode})`);
  const s = await node.state();
  const handlerFailures = s.warnings.filter((w) => /could not be handled/.test(w));
  assert.deepEqual(handlerFailures, [], 'a packet made a handler throw (caught, but a bug)');
  assert.doesNotMatch(node.stderr, /(Uncaught|Unhandled|TypeError|RangeError|ReferenceError)/, 'nothing on stderr looks like a crash');
}

const heldLocks = new Set<string>();
process.on('exit', () => {
  for (const dir of heldLocks) rmSync(dir, { recursive: true, force: true });
});

/** Whether the process that holds the lock `dir` runs; null when it has not written its pid yet. */
function lockOwnerAlive(dir: string): boolean | null {
  let pid: number;
  try {
    pid = Number(readFileSync(join(dir, 'pid'), 'utf8'));
  } catch {
    return null;
  }
  if (!Number.isSafeInteger(pid) || pid <= 0) return null;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Runs `fn` while holding a lock shared by the test processes of this machine (a directory in
 * the temp folder). The CPU-heavy hardening tests (fuzzing, floods, kill loops, command storms)
 * take it so that they do not run at the same time: `npm test` runs two test files at once on
 * two cores, and one storm would otherwise be measured against another. A lock whose process is
 * gone is taken over; after `waitMs` the test runs anyway.
 */
export async function exclusively<T>(name: string, fn: () => Promise<T>, waitMs = 300_000): Promise<T> {
  const dir = join(tmpdir(), `sd-nearby-${name}.lock`);
  const deadline = Date.now() + waitMs;
  let held = false;
  while (!held && Date.now() < deadline) {
    try {
      mkdirSync(dir);
      writeFileSync(join(dir, 'pid'), String(process.pid));
      held = true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const made = statSync(dir, { throwIfNoEntry: false })?.mtimeMs;
      if (made === undefined) continue; // released meanwhile
      const alive = lockOwnerAlive(dir);
      // A lock just made has no pid file yet: its owner gets a moment before it is judged stale.
      if (alive === false || (alive === null && Date.now() - made > 5000)) rmSync(dir, { recursive: true, force: true });
      else await new Promise((r) => setTimeout(r, 100));
    }
  }
  if (held) heldLocks.add(dir);
  try {
    return await fn();
  } finally {
    if (held) {
      heldLocks.delete(dir);
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

/** Collects lines for a summary printed after the tests (as `# ...` comments of the TAP/spec output). */
export class Report {
  private readonly lines: string[] = [];
  constructor(private readonly title: string) {}
  add(line: string): void {
    this.lines.push(line);
    if (process.env.HARDENING_VERBOSE) console.log(`# ${this.title}: ${line}`);
  }
  print(): void {
    if (this.lines.length > 0) console.log(`# ${this.title}\n#   ${this.lines.join('\n#   ')}`);
  }
}
