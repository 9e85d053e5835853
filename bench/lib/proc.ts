// Processes the benchmarks watch: every output line is time-stamped (performance.now()) the
// moment it reaches us, so all three implementations are timed the same way (through a pipe).

import type { ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';

export interface Line {
  t: number;
  text: string;
  stream: 'stdout' | 'stderr';
}

export const now = (): number => performance.now();
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A child process with time-stamped output lines and an exit promise. */
export class Watched extends EventEmitter<{ line: [Line] }> {
  readonly lines: Line[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; t: number }>;
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null; t: number } | null = null;

  constructor(readonly child: ChildProcess, readonly spawnedAt: number, readonly label: string) {
    super();
    this.setMaxListeners(100);
    for (const stream of ['stdout', 'stderr'] as const) {
      let partial = '';
      child[stream]?.setEncoding('utf8').on('data', (chunk: string) => {
        const t = now();
        partial += chunk;
        const parts = partial.split('\n');
        partial = parts.pop() ?? '';
        for (const text of parts) {
          const line: Line = { t, text, stream };
          this.lines.push(line);
          if (this.lines.length > 20000) this.lines.splice(0, 10000);
          this.emit('line', line);
        }
      });
    }
    this.exited = new Promise((resolve) =>
      child.on('exit', (code, signal) => {
        this.exitInfo = { code, signal, t: now() };
        resolve(this.exitInfo);
      }),
    );
  }

  get alive(): boolean {
    return this.exitInfo === null && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The first line (since `since`) that `pred` accepts, waiting up to timeoutMs; null on timeout or exit. */
  waitLine(pred: (l: Line) => boolean, timeoutMs: number, since = 0): Promise<Line | null> {
    const found = this.lines.find((l) => l.t >= since && pred(l));
    if (found) return Promise.resolve(found);
    return new Promise((resolve) => {
      const done = (l: Line | null) => {
        clearTimeout(timer);
        this.off('line', onLine);
        resolve(l);
      };
      const onLine = (l: Line) => {
        if (l.t >= since && pred(l)) done(l);
      };
      const timer = setTimeout(() => done(null), timeoutMs);
      this.on('line', onLine);
      void this.exited.then(() => setTimeout(() => done(this.lines.find((l) => l.t >= since && pred(l)) ?? null), 50));
    });
  }

  signal(sig: NodeJS.Signals): void {
    if (this.alive) this.child.kill(sig);
  }

  /** SIGTERM (or `sig`), then SIGKILL after graceMs; resolves when the process has exited. */
  async stop(sig: NodeJS.Signals = 'SIGTERM', graceMs = 3000): Promise<void> {
    if (!this.alive) return;
    this.child.kill(sig);
    const t = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(t);
  }

  /** Waits up to graceMs for the process to end by itself, then SIGKILLs it. */
  async reap(graceMs = 2000): Promise<void> {
    if (!this.alive) return;
    const t = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(t);
  }

  tail(n = 20): string {
    return this.lines
      .slice(-n)
      .map((l) => `${l.stream === 'stderr' ? '! ' : ''}${l.text}`)
      .join('\n');
  }
}

/** What an observer (a long-running browser) reported: an instance listed, or dropped. */
export interface ObsEvent {
  t: number;
  kind: 'listed' | 'dropped';
  key: string;
  detail?: string;
}

/** Turns an observer's lines into listed/dropped events, per implementation. */
export class EventLog extends EventEmitter<{ event: [ObsEvent] }> {
  readonly events: ObsEvent[] = [];

  constructor() {
    super();
    this.setMaxListeners(200);
  }

  push(e: ObsEvent): void {
    this.events.push(e);
    this.emit('event', e);
  }

  /** Time of the first `kind` event for `key` at or after `since`; null after timeoutMs. */
  wait(kind: ObsEvent['kind'], key: string, since: number, timeoutMs: number): Promise<ObsEvent | null> {
    const match = (e: ObsEvent) => e.kind === kind && e.key === key && e.t >= since;
    const found = this.events.find(match);
    if (found) return Promise.resolve(found);
    return new Promise((resolve) => {
      const done = (e: ObsEvent | null) => {
        clearTimeout(timer);
        this.off('event', onEvent);
        resolve(e);
      };
      const onEvent = (e: ObsEvent) => {
        if (match(e)) done(e);
      };
      const timer = setTimeout(() => done(null), timeoutMs);
      this.on('event', onEvent);
    });
  }
}
