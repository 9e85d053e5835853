// Samples, their summary, and the cells of the printed table.

/** One measurement: a duration in ms, or null when it did not happen within `capMs`. */
export interface Sample {
  ms: number | null;
  capMs?: number;
  note?: string;
}

export interface Summary {
  n: number;
  /** Samples that timed out (counted as "more than the cap" in median and max). */
  timedOut: number;
  capMs: number | null;
  medianMs: number | null;
  maxMs: number | null;
  minMs: number | null;
  meanMs: number | null;
  /** True when the median (or max) is only known to be above the cap. */
  medianAboveCap: boolean;
  maxAboveCap: boolean;
  samplesMs: Array<number | null>;
}

export function summarize(samples: Sample[]): Summary {
  const caps = samples.map((s) => s.capMs).filter((c): c is number => c !== undefined);
  const capMs = caps.length > 0 ? Math.min(...caps) : null;
  const values = samples.map((s) => (s.ms === null ? Infinity : s.ms)).sort((a, b) => a - b);
  const finite = values.filter((v) => Number.isFinite(v));
  const n = values.length;
  const med = n === 0 ? null : n % 2 === 1 ? values[(n - 1) / 2]! : (values[n / 2 - 1]! + values[n / 2]!) / 2;
  const max = n === 0 ? null : values[n - 1]!;
  return {
    n,
    timedOut: n - finite.length,
    capMs,
    medianMs: med === null ? null : Number.isFinite(med) ? round(med) : capMs,
    maxMs: max === null ? null : Number.isFinite(max) ? round(max) : capMs,
    minMs: finite.length > 0 ? round(finite[0]!) : null,
    meanMs: finite.length > 0 ? round(finite.reduce((a, b) => a + b, 0) / finite.length) : null,
    medianAboveCap: med !== null && !Number.isFinite(med),
    maxAboveCap: max !== null && !Number.isFinite(max),
    samplesMs: samples.map((s) => (s.ms === null ? null : round(s.ms))),
  };
}

export function round(x: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

export function fmtMs(ms: number): string {
  const sign = ms < 0 ? '-' : '';
  const a = Math.abs(ms);
  if (a < 1000) return `${sign}${Math.round(a)} ms`;
  if (a < 10000) return `${sign}${(a / 1000).toFixed(2)} s`;
  if (a % 1000 === 0) return `${sign}${a / 1000} s`;
  return `${sign}${(a / 1000).toFixed(1)} s`;
}

/** A table value: a number with its unit, possibly only a lower bound ("not within 40 s"). */
export interface Cell {
  value: number | null;
  /** The true value is above `value` (a timeout cap). */
  above?: boolean;
  unit: 'ms' | 'count' | 'percent' | 'MB' | 'perSecond';
  note?: string;
}

export function cellOf(s: Summary | undefined, which: 'median' | 'max'): Cell {
  if (!s || s.n === 0) return { value: null, unit: 'ms' };
  const above = which === 'median' ? s.medianAboveCap : s.maxAboveCap;
  const value = which === 'median' ? s.medianMs : s.maxMs;
  const note = s.timedOut > 0 ? `${s.timedOut}/${s.n} timed out` : undefined;
  return { value, above, unit: 'ms', ...(note ? { note } : {}) };
}

export function fmtCell(c: Cell): string {
  if (c.value === null) return c.note ? `n/a (${c.note})` : 'n/a';
  if (c.above) return `not within ${fmtMs(c.value)}${c.note ? ` (${c.note})` : ''}`;
  const num = String(Math.round(c.value * 10) / 10);
  const base =
    c.unit === 'ms' ? fmtMs(c.value) : c.unit === 'percent' ? `${Math.round(c.value * 100) / 100}%` : c.unit === 'MB' ? `${num} MB` : c.unit === 'perSecond' ? `${Number(c.value.toPrecision(3))}/s` : num;
  return c.note ? `${base} (${c.note})` : base;
}

/** ours / theirs, with bounds when either side is only a lower bound. */
export function fmtRatio(ours: Cell, theirs: Cell): string {
  if (ours.value === null || theirs.value === null) return 'n/a';
  if (ours.above && theirs.above) return '?';
  if (ours.value < 0 || theirs.value < 0) return 'n/a'; // a ready mark after the event itself
  if (theirs.value === 0) return ours.value === 0 ? '1.00' : 'inf';
  const r = ours.value / theirs.value;
  const txt = r >= 100 ? r.toFixed(0) : r >= 10 ? r.toFixed(1) : r.toFixed(2);
  if (theirs.above) return `<= ${txt}`;
  if (ours.above) return `>= ${txt}`;
  return txt;
}

export function ratioValue(ours: Cell, theirs: Cell): { ratio: number | null; bound: 'exact' | 'at-most' | 'at-least' | 'unknown' } {
  if (ours.value === null || theirs.value === null || theirs.value <= 0 || ours.value < 0) return { ratio: null, bound: 'unknown' };
  if (ours.above && theirs.above) return { ratio: null, bound: 'unknown' };
  const r = round(ours.value / theirs.value, 3);
  return { ratio: r, bound: theirs.above ? 'at-most' : ours.above ? 'at-least' : 'exact' };
}

/** The median of plain numbers (the mean of the middle two for an even count). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/** A number given on the command line as `name VALUE`, else `fallback`. */
export function numberArg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}
