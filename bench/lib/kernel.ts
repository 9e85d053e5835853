// The kernel's neighbour tables (ARP for IPv4, ND for IPv6) are ONE table per family for the
// whole machine, every network namespace included, capped by gc_thresh3 (1024 by default). A
// 50-host LAN whose hosts all talk to each other needs 50 x 49 = 2,450 entries per family, and
// even a multicast packet needs an entry on its sending host: with the table full, the kernel
// drops the packet ("neighbour: arp_cache: neighbor table overflow!" in dmesg). 50 real machines
// each have a table of their own; `--raise-neighbour-tables` raises the caps for the run (and
// puts them back at exit) to stand in for that. By default they are left alone, so a run also
// shows that the LANs stay within them; the overflows (table_fulls of /proc/net/stat/*_cache)
// are counted during each LAN either way.

import { readFileSync, writeFileSync } from 'node:fs';

/** Enough for 60 + 50 + 30 hosts talking to every other of their LAN at once, in each family,
 *  with room for whatever else runs on the machine. */
const GC_THRESH3_MIN = 32768;
const GC_THRESH2_MIN = 16384;

const KNOBS = ['ipv4', 'ipv6'].flatMap((f) => ['gc_thresh2', 'gc_thresh3'].map((k) => `/proc/sys/net/${f}/neigh/default/${k}`));

export type NeighbourLimits = Record<string, number>;

function readLimits(): NeighbourLimits {
  return Object.fromEntries(KNOBS.map((p) => [p.replace('/proc/sys/', '').replace(/\//g, '.'), Number(readFileSync(p, 'utf8').trim())]));
}

/** The limits as they are, left alone (the default): overflows are counted, not prevented. */
export function keepNeighbourLimits(): { before: NeighbourLimits; after: NeighbourLimits; restore: () => void; error: string | null } {
  const limits = readLimits();
  return { before: limits, after: limits, restore: () => {}, error: null };
}

/**
 * Raises gc_thresh2/3 of both families to at least the minimums above; returns the limits before
 * and after, and a function that puts the old ones back (also run at process exit).
 */
export function raiseNeighbourLimits(): { before: NeighbourLimits; after: NeighbourLimits; restore: () => void; error: string | null } {
  const before = readLimits();
  const changed: Array<[string, string]> = [];
  let error: string | null = null;
  try {
    for (const p of KNOBS) {
      const old = readFileSync(p, 'utf8').trim();
      const min = p.endsWith('gc_thresh3') ? GC_THRESH3_MIN : GC_THRESH2_MIN;
      if (Number(old) >= min) continue;
      writeFileSync(p, String(min));
      changed.push([p, old]);
    }
  } catch (e) {
    error = `could not raise the kernel's neighbour table limits (${(e as Error).message}): LANs of more than ~30 hosts will lose packets to "neighbor table overflow"`;
  }
  let restored = false;
  const restore = () => {
    if (restored) return;
    restored = true;
    for (const [p, old] of changed) {
      try {
        writeFileSync(p, old);
      } catch {
        // the machine keeps the larger table; nothing else depends on it
      }
    }
  };
  process.once('exit', restore);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = () => {
      restore();
      process.removeListener(sig, onSignal);
      // Die by the signal as before, unless another handler (the LAN harness's) still runs.
      if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
    };
    process.on(sig, onSignal);
  }
  return { before, after: readLimits(), restore, error };
}

/** How many times each table was full since boot (sum of the per-CPU table_fulls counters). */
export function neighbourTableFulls(): { arp: number; nd: number } {
  const fulls = (file: string) => {
    try {
      const lines = readFileSync(file, 'utf8').trim().split('\n');
      const col = lines[0]!.trim().split(/\s+/).indexOf('table_fulls');
      return lines.slice(1).reduce((sum, l) => sum + parseInt(l.trim().split(/\s+/)[col] ?? '0', 16), 0);
    } catch {
      return 0;
    }
  };
  return { arp: fulls('/proc/net/stat/arp_cache'), nd: fulls('/proc/net/stat/ndisc_cache') };
}
