// Scenarios 1-3 for one implementation, on a LAN of its own:
//   h1      the observer: a long-running browser of the same implementation (ours: a node with
//           a client subscribed to its state, as an open window would be: someone looks)
//   h2      publish-to-seen: a publisher started per repetition, then stopped with SIGTERM
//           (the SIGTERM-to-dropped samples come from these stops)
//   h3..h7  the "publishers present" of browser-start-to-list, later crashed (SIGKILL) together:
//           each one is an independent SIGKILL-to-dropped sample (their liveness timers are
//           independent; killing a batch at once saves wall time, not accuracy)
//   h8      the fresh browser of browser-start-to-list
//
// runMain() does scenarios 1 and 2 and leaves the LAN up; runKill() then does scenario 3's
// SIGKILL part (mostly idle waiting: the three implementations run it at the same time).

import { Lan, type Host } from '../../tests/support/lan.js';
import { isAvahi, makeImpl, type Impl, type ImplName, type Observer, type Publisher } from '../lib/impls.js';
import { now, sleep } from '../lib/proc.js';
import type { Sample } from '../lib/stats.js';

export const BATCH = 5;

export interface TimingConfig {
  s1Reps: number;
  s2Reps: number;
  /** SIGKILL samples wanted (a multiple of BATCH is used). */
  killReps: number;
  killCapMs: number;
  seenTimeoutMs: number;
  termTimeoutMs: number;
  /** Pause between "seen" and the stop, so the publisher is past its start-up announcements. */
  settleMs: number;
  want: { s1: boolean; s2: boolean; term: boolean; kill: boolean };
  log: (msg: string) => void;
}

export interface TimingResult {
  impl: ImplName;
  publishToSeenFromStart: Sample[];
  publishToSeenFromReady: Sample[];
  /** ours only: start -> the observer's firstSeen for the instance (inside the node, before its
   *  state event and stdout line). */
  publishToSeenInternal: Sample[];
  /** start mark -> ready mark of the publisher (ours: spawn -> 'api' line, i.e. Node start-up). */
  publisherStartToReady: Sample[];
  browserStartToList: Sample[];
  browserReadyToList: Sample[];
  /** Per repetition: ms from the fresh browser's ready mark to each publisher listed (null: not listed). */
  browserPerInstanceFromReady: Array<Array<number | null>>;
  /** avahi only: a second avahi-browse on the daemon that just listed everything. */
  browserWarmToList: Sample[];
  sigtermToDropped: Sample[];
  sigkillToDropped: Sample[];
  notes: string[];
  errors: string[];
}

export class TimingRun {
  readonly result: TimingResult;
  private lan: Lan | null = null;
  private impl: Impl;
  private observer: Observer | null = null;
  private batch: Publisher[] = [];
  private batchNo = 0;

  constructor(readonly name: ImplName, private readonly cfg: TimingConfig) {
    this.impl = makeImpl(name);
    this.result = {
      impl: name,
      publishToSeenFromStart: [],
      publishToSeenFromReady: [],
      publishToSeenInternal: [],
      publisherStartToReady: [],
      browserStartToList: [],
      browserReadyToList: [],
      browserPerInstanceFromReady: [],
      browserWarmToList: [],
      sigtermToDropped: [],
      sigkillToDropped: [],
      notes: [],
      errors: [],
    };
  }

  private log(msg: string): void {
    this.cfg.log(`[${this.name}] ${msg}`);
  }

  private host(i: number): Host {
    return this.lan!.hosts[i]!;
  }

  async setup(): Promise<void> {
    this.lan = await Lan.create({ hosts: 3 + BATCH, ipv6Dad: false });
    this.observer = await this.impl.startObserver(this.host(0), { look: true });
    await sleep(500);
  }

  /** Scenarios 1 (and the SIGTERM part of 3) and 2. */
  async runMain(): Promise<void> {
    const { want } = this.cfg;
    if (want.s1 || want.term) await this.publishToSeen();
    if (want.s2) await this.browserStartToList();
  }

  private async publishToSeen(): Promise<void> {
    const obs = this.observer!;
    const r = this.result;
    const reps = this.cfg.want.s1 ? this.cfg.s1Reps : Math.min(this.cfg.s1Reps, 5);
    for (let rep = 0; rep < reps; rep++) {
      let pub: Publisher;
      try {
        pub = await this.impl.startPublisher(this.host(1), `s1-${rep}`);
      } catch (e) {
        r.errors.push(`publish-to-seen rep ${rep}: ${(e as Error).message}`);
        continue;
      }
      const seen = await obs.events.wait('listed', pub.key, pub.startedAt, this.cfg.seenTimeoutMs);
      if (seen) {
        r.publishToSeenFromStart.push({ ms: seen.t - pub.startedAt });
        r.publishToSeenFromReady.push({ ms: seen.t - pub.readyAt });
        if (seen.detail?.includes('no address yet')) r.notes.push(`publish-to-seen rep ${rep}: listed before its address was known`);
        const internal = await obs.firstSeenAt?.(pub.key).catch(() => null);
        if (internal != null) r.publishToSeenInternal.push({ ms: internal - pub.startedAt });
      } else {
        r.publishToSeenFromStart.push({ ms: null, capMs: this.cfg.seenTimeoutMs });
        r.publishToSeenFromReady.push({ ms: null, capMs: this.cfg.seenTimeoutMs });
        r.errors.push(`publish-to-seen rep ${rep}: not listed within ${this.cfg.seenTimeoutMs} ms`);
      }
      r.publisherStartToReady.push({ ms: pub.readyAt - pub.startedAt });
      if (seen) await sleep(this.cfg.settleMs);
      const tStop = now();
      pub.terminate();
      if (seen) {
        const gone = await obs.events.wait('dropped', pub.key, tStop, this.cfg.termTimeoutMs);
        r.sigtermToDropped.push(gone ? { ms: gone.t - tStop } : { ms: null, capMs: this.cfg.termTimeoutMs });
      }
      await pub.cleanup();
      this.log(
        `publish-to-seen ${rep + 1}/${reps}: ${seen ? `${Math.round(seen.t - pub.startedAt)} ms from start, ${Math.round(seen.t - pub.readyAt)} from ready` : 'not seen'}` +
          `; SIGTERM-to-dropped ${r.sigtermToDropped.at(-1)?.ms?.toFixed(0) ?? 'timeout'} ms`,
      );
      await sleep(200);
    }
  }

  /** Starts BATCH publishers on h3..h7 and waits until the observer lists them all. */
  private async startBatch(): Promise<void> {
    this.batchNo++;
    const pubs = await Promise.allSettled(
      Array.from({ length: BATCH }, (_, i) => this.impl.startPublisher(this.host(2 + i), `b${this.batchNo}-${i}`)),
    );
    this.batch = [];
    for (const p of pubs) {
      if (p.status === 'fulfilled') this.batch.push(p.value);
      else this.result.errors.push(`batch ${this.batchNo}: ${(p.reason as Error).message}`);
    }
    const obs = this.observer!;
    const listed = await Promise.all(this.batch.map((p) => obs.events.wait('listed', p.key, 0, 30000)));
    const missing = this.batch.filter((_, i) => !listed[i]);
    if (missing.length > 0) this.result.errors.push(`batch ${this.batchNo}: observer did not list ${missing.length} publishers within 30 s`);
    await sleep(this.cfg.settleMs);
  }

  private async browserStartToList(): Promise<void> {
    const r = this.result;
    if (this.batch.length === 0) await this.startBatch();
    const keys = this.batch.map((p) => p.key);
    for (let rep = 0; rep < this.cfg.s2Reps; rep++) {
      let b: Observer;
      try {
        b = await this.impl.startObserver(this.host(2 + BATCH), { fresh: true, look: true });
      } catch (e) {
        r.errors.push(`browser-start-to-list rep ${rep}: ${(e as Error).message}`);
        continue;
      }
      const times = await Promise.all(keys.map((k) => b.events.wait('listed', k, 0, this.cfg.seenTimeoutMs)));
      r.browserPerInstanceFromReady.push(times.map((t) => (t ? Math.round(t.t - b.readyAt) : null)));
      if (times.every((t) => t)) {
        const last = Math.max(...times.map((t) => t!.t));
        r.browserStartToList.push({ ms: last - b.startedAt });
        r.browserReadyToList.push({ ms: last - b.readyAt });
      } else {
        r.browserStartToList.push({ ms: null, capMs: this.cfg.seenTimeoutMs });
        r.browserReadyToList.push({ ms: null, capMs: this.cfg.seenTimeoutMs });
        r.errors.push(`browser-start-to-list rep ${rep}: listed ${times.filter((t) => t).length}/${keys.length}`);
      }
      if (isAvahi(this.impl)) {
        const warm = await this.impl.extraBrowser(this.host(2 + BATCH));
        const wt = await Promise.all(keys.map((k) => warm.events.wait('listed', k, 0, this.cfg.seenTimeoutMs)));
        r.browserWarmToList.push(wt.every((t) => t) ? { ms: Math.max(...wt.map((t) => t!.t)) - warm.startedAt } : { ms: null, capMs: this.cfg.seenTimeoutMs });
        await warm.stop();
      }
      await b.stop();
      this.log(`browser-start-to-list ${rep + 1}/${this.cfg.s2Reps}: ${r.browserStartToList.at(-1)?.ms?.toFixed(0) ?? 'timeout'} ms from start, ${r.browserReadyToList.at(-1)?.ms?.toFixed(0) ?? 'timeout'} from ready`);
      // Apart by more than a second: responders rate-limit a record to one multicast per second
      // (RFC 6762 §6), so back-to-back browsers would measure that limit, not a cold start.
      await sleep(1500);
    }
  }

  /** Scenario 3, SIGKILL: batches of BATCH publishers crashed at once; each drop timed. */
  async runKill(): Promise<void> {
    const r = this.result;
    const batches = Math.max(1, Math.ceil(this.cfg.killReps / BATCH));
    for (let b = 0; b < batches; b++) {
      if (this.batch.length === 0) await this.startBatch();
      const obs = this.observer!;
      const pubs = this.batch;
      this.batch = [];
      const kills = pubs.map((p) => {
        const t = now();
        p.crash();
        return { p, t };
      });
      const drops = await Promise.all(kills.map(({ p, t }) => obs.events.wait('dropped', p.key, t, this.cfg.killCapMs).then((e) => ({ e, t }))));
      for (const { e, t } of drops) r.sigkillToDropped.push(e ? { ms: e.t - t } : { ms: null, capMs: this.cfg.killCapMs });
      await Promise.allSettled(pubs.map((p) => p.cleanup()));
      const got = drops.map(({ e, t }) => (e ? `${Math.round(e.t - t)}` : `>${this.cfg.killCapMs}`)).join(', ');
      this.log(`SIGKILL-to-dropped batch ${b + 1}/${batches}: ${got} ms`);
    }
  }

  async teardown(): Promise<void> {
    await Promise.allSettled([this.observer?.stop(), ...this.batch.map((p) => p.cleanup())]);
    await this.impl.shutdown().catch(() => undefined);
    await this.lan?.destroy().catch((e: unknown) => this.result.errors.push(`teardown: ${(e as Error).message}`));
  }
}
