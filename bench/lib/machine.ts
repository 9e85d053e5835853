// How busy the machine is while the bench runs: every few seconds, the share of all cores that
// was busy since the last sample (/proc/stat through os.cpus()), the 1-minute load average and
// the free memory. Many node processes on few cores stand in for many machines only while the
// cores are far from full; each LAN's window is judged against these samples.

import os from 'node:os';

export interface MachineSample {
  /** ms since the epoch. */
  t: number;
  /** Share of all cores busy since the previous sample, in % (100 = every core busy). */
  cpuBusyPercent: number;
  load1: number;
  freeMemoryMB: number;
}

export interface MachineSummary {
  samples: number;
  cpuBusyPercentMean: number | null;
  cpuBusyPercentMax: number | null;
  load1Mean: number | null;
  load1Max: number | null;
  freeMemoryMBMin: number | null;
}

const SAMPLE_INTERVAL_MS = 5000;

function cpuTimes(): { busy: number; total: number } {
  let busy = 0;
  let total = 0;
  for (const c of os.cpus()) {
    const t = c.times.user + c.times.nice + c.times.sys + c.times.irq + c.times.idle;
    total += t;
    busy += t - c.times.idle;
  }
  return { busy, total };
}

export class MachineMonitor {
  readonly samples: MachineSample[] = [];
  private last = cpuTimes();
  private readonly timer: NodeJS.Timeout;

  constructor() {
    this.timer = setInterval(() => this.sample(), SAMPLE_INTERVAL_MS);
    this.timer.unref();
  }

  private sample(): void {
    const now = cpuTimes();
    const total = now.total - this.last.total;
    const busy = now.busy - this.last.busy;
    this.last = now;
    if (total <= 0) return;
    this.samples.push({
      t: Date.now(),
      cpuBusyPercent: Math.round((busy / total) * 1000) / 10,
      load1: Math.round(os.loadavg()[0]! * 100) / 100,
      freeMemoryMB: Math.round(os.freemem() / 1048576),
    });
  }

  /** The samples taken within [from, to] (epoch ms). */
  summary(from: number, to: number): MachineSummary {
    const s = this.samples.filter((x) => x.t >= from && x.t <= to);
    const mean = (xs: number[]) => (xs.length ? Math.round((xs.reduce((a, b) => a + b, 0) / xs.length) * 10) / 10 : null);
    const max = (xs: number[]) => (xs.length ? Math.max(...xs) : null);
    return {
      samples: s.length,
      cpuBusyPercentMean: mean(s.map((x) => x.cpuBusyPercent)),
      cpuBusyPercentMax: max(s.map((x) => x.cpuBusyPercent)),
      load1Mean: mean(s.map((x) => x.load1)),
      load1Max: max(s.map((x) => x.load1)),
      freeMemoryMBMin: s.length ? Math.min(...s.map((x) => x.freeMemoryMB)) : null,
    };
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
