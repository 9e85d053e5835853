// A small seeded pseudo-random generator (mulberry32) for fuzzers and property tests: a failing
// run is reproduced by its seed, which the tests print.

export interface Rng {
  /** A float in [0, 1). */
  (): number;
  /** An integer in [min, max] (inclusive). */
  int(min: number, max: number): number;
  /** One element of a non-empty list. */
  pick<T>(list: readonly T[]): T;
  /** True with probability p. */
  chance(p: number): boolean;
  /** n pseudo-random bytes. */
  bytes(n: number): Buffer;
  readonly seed: number;
}

export function createRng(seed: number): Rng {
  let a = seed >>> 0;
  const next = (() => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }) as Rng;
  const int = (min: number, max: number) => min + Math.floor(next() * (max - min + 1));
  Object.assign(next, {
    int,
    pick: <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)] as T,
    chance: (p: number) => next() < p,
    bytes: (n: number) => {
      const b = Buffer.allocUnsafe(n);
      for (let i = 0; i < n; i++) b[i] = Math.floor(next() * 256);
      return b;
    },
    seed,
  });
  return next;
}

/** A seed from the environment (HARDENING_SEED, to replay a run) or a fresh one. */
export function seedFromEnv(name = 'HARDENING_SEED'): number {
  const fromEnv = Number(process.env[name]);
  return Number.isSafeInteger(fromEnv) && fromEnv > 0 ? fromEnv : Math.floor(Math.random() * 0x7fffffff) + 1;
}
