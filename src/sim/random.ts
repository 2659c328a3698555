/**
 * Seeded random numbers for the simulator: one generator per seed, split into independent
 * streams by label, so that a run is repeatable to the last digit and adding a new random
 * consumer does not change the draws of the others.
 *
 * Generator. xoshiro128** (D. Blackman and S. Vigna, "Scrambled linear pseudorandom number
 * generators", ACM TOMS 47(4), 2021; reference code at https://prng.di.unimi.it/): 128 bits of
 * state, period 2^128 - 1, 32-bit outputs, written with `Math.imul`, `>>>` and `^` only, so the
 * integer sequence is the same on every machine. A uniform double takes two outputs (53 bits).
 *
 * Seeding and streams. A generator has a 128-bit key: the seed (a safe integer or a string)
 * hashed by a 32-bit mixer (C. Wellons' "lowbias32", https://nullprogram.com/blog/2018/07/31/),
 * one word per lane. `stream(label)` derives a child key from the parent's *key* and the label's
 * UTF-8 bytes, never from the parent's current state: `rng.stream('jumps')` gives the same
 * draws whether or not, and however much, the parent or another stream has been used. The
 * state of a key is the key run through splitmix32-style mixing (never all zero).
 *
 * Distributions, all from uniform doubles:
 * - `normal`: Marsaglia's polar form of the Box-Muller transform (G. Marsaglia and T. Bray,
 *   "A convenient method for generating normal variables", SIAM Review 6(3), 1964); the second
 *   variate of each pair is kept for the next call.
 * - `exponential`: inversion, -ln(1 - U) / rate.
 * - `poisson`: inversion by sequential search for a mean below 10; above, the PTRS transformed
 *   rejection of W. Hörmann, "The transformed rejection method for generating Poisson random
 *   variables", Insurance: Mathematics and Economics 12(1), 1993, as NumPy uses it.
 *
 * Determinism across machines: the integer part is exact; the doubles use +, -, *, / and
 * `Math.sqrt`, which IEEE 754 rounds exactly, and `Math.log`, which the standard leaves to the
 * implementation: V8 computes it by its own port of fdlibm (not the platform's libm), so one
 * Node version gives the same bits on every machine; another engine could differ in the last bit.
 */
import { InputError } from '../model/errors.js';

const TWO_POW_32 = 4294967296;
const TWO_POW_53 = 9007199254740992;

/** Chris Wellons' lowbias32 mixer: a bijection of 32-bit integers with good avalanche. */
function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

/** Hashes 32-bit words into one 32-bit word, starting from `lane` (distinct per key word). */
function hashWords(words: readonly number[], lane: number): number {
  let h = mix32(lane ^ 0x9e3779b9);
  for (const w of words) h = mix32((h ^ mix32(w >>> 0)) + 0x632be5ab);
  return mix32(h ^ words.length);
}

/** The 128-bit key of a list of 32-bit words. */
function keyOf(words: readonly number[]): Uint32Array {
  const key = new Uint32Array(4);
  for (let lane = 0; lane < 4; lane++) key[lane] = hashWords(words, lane + 1);
  return key;
}

/** A seed as 32-bit words: a safe integer (two words and its sign) or a string (UTF-8 bytes). */
function seedWords(seed: number | string): number[] {
  if (typeof seed === 'string') return [0x53545200, ...utf8Words(seed)];
  if (!Number.isSafeInteger(seed)) throw new InputError('seed', seed, 'a safe integer or a string');
  const magnitude = Math.abs(seed);
  const high = Math.floor(magnitude / TWO_POW_32);
  const low = magnitude - high * TWO_POW_32;
  return [0x4e554d00 | (seed < 0 ? 1 : 0), high, low];
}

const encoder = new TextEncoder();

/** A string's UTF-8 bytes as words (one byte a word, plus the length). */
function utf8Words(text: string): number[] {
  const bytes = encoder.encode(text);
  const words = [bytes.length];
  for (const b of bytes) words.push(b);
  return words;
}

/**
 * A seeded generator of random numbers (xoshiro128**). Create one per run with the run's seed,
 * and give each consumer its own `stream(label)`.
 */
export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  private spare = NaN;
  private readonly key: Uint32Array;

  /** A generator for a seed: a safe integer or a string. (`key` is internal: `stream` uses it.) */
  constructor(seed: number | string, key?: Uint32Array) {
    this.key = key ?? keyOf(seedWords(seed));
    [this.s0, this.s1, this.s2, this.s3] = Rng.stateOf(this.key);
  }

  private static stateOf(key: Uint32Array): [number, number, number, number] {
    // splitmix32-style expansion of the key: distinct increments per lane, never all zero
    // (each lane is a bijection of the key word, and the lanes use different constants).
    const s: [number, number, number, number] = [0, 0, 0, 0];
    for (let i = 0; i < 4; i++) s[i] = mix32((key[i]! + Math.imul(i + 1, 0x9e3779b9)) >>> 0);
    if ((s[0] | s[1] | s[2] | s[3]) === 0) s[0] = 1;
    return s;
  }

  /**
   * An independent generator named by `label`, derived from this generator's seed and the label
   * only (not from how many numbers this one has drawn). `a.stream('x').stream('y')` and
   * `a.stream('x/y')` are different streams.
   */
  stream(label: string): Rng {
    return new Rng(0, keyOf([0x4c424c00, ...this.key, ...utf8Words(label)]));
  }

  /** The next 32-bit unsigned integer. */
  nextUint32(): number {
    const s0 = this.s0;
    const s1 = this.s1;
    const s2 = this.s2;
    const s3 = this.s3;
    const r = Math.imul(s1, 5);
    const result = Math.imul((r << 7) | (r >>> 25), 9) >>> 0;
    const t = s1 << 9;
    const n2 = s2 ^ s0;
    const n3 = s3 ^ s1;
    this.s1 = s1 ^ n2;
    this.s0 = s0 ^ n3;
    this.s2 = n2 ^ t;
    this.s3 = (n3 << 11) | (n3 >>> 21);
    return result;
  }

  /** A uniform double in [0, 1), a multiple of 2^-53. */
  uniform(): number {
    const high = this.nextUint32() >>> 5; // 27 bits
    const low = this.nextUint32() >>> 6; // 26 bits
    return (high * 67108864 + low) / TWO_POW_53;
  }

  /** A uniform double in [lo, hi). */
  uniformIn(lo: number, hi: number): number {
    return lo + (hi - lo) * this.uniform();
  }

  /** A uniform integer in [0, n), n a positive safe integer (unbiased: rejection). */
  int(n: number): number {
    if (!Number.isSafeInteger(n) || n <= 0) throw new InputError('n', n, 'a positive safe integer');
    if (n <= TWO_POW_32) {
      const limit = TWO_POW_32 - (TWO_POW_32 % n);
      for (;;) {
        const x = this.nextUint32();
        if (x < limit) return x % n;
      }
    }
    for (;;) {
      const x = Math.floor(this.uniform() * TWO_POW_53);
      const limit = TWO_POW_53 - (TWO_POW_53 % n);
      if (x < limit) return x % n;
    }
  }

  /** True with probability p. */
  bernoulli(p: number): boolean {
    return this.uniform() < p;
  }

  /** A normal variate (Marsaglia's polar method). */
  normal(mean = 0, sd = 1): number {
    if (!Number.isNaN(this.spare)) {
      const z = this.spare;
      this.spare = NaN;
      return mean + sd * z;
    }
    for (;;) {
      const u = 2 * this.uniform() - 1;
      const v = 2 * this.uniform() - 1;
      const s = u * u + v * v;
      if (s >= 1 || s === 0) continue;
      const f = Math.sqrt((-2 * Math.log(s)) / s);
      this.spare = v * f;
      return mean + sd * (u * f);
    }
  }

  /** An exponential variate with rate `rate` (> 0): mean 1 / rate. */
  exponential(rate = 1): number {
    return -Math.log(1 - this.uniform()) / rate;
  }

  /** A Poisson variate with mean `mean` (>= 0, finite). */
  poisson(mean: number): number {
    if (!(mean >= 0) || mean === Infinity) throw new InputError('mean', mean, 'a finite number >= 0');
    if (mean === 0) return 0;
    if (mean < 10) {
      // Inversion: the smallest k with F(k) > U.
      const u = this.uniform();
      let p = Math.exp(-mean);
      let f = p;
      let k = 0;
      while (u >= f && k < 1000) {
        k++;
        p *= mean / k;
        f += p;
      }
      return k;
    }
    return this.ptrs(mean);
  }

  /** Hörmann's PTRS, for mean >= 10. */
  private ptrs(lam: number): number {
    const slam = Math.sqrt(lam);
    const loglam = Math.log(lam);
    const b = 0.931 + 2.53 * slam;
    const a = -0.059 + 0.02483 * b;
    const invalpha = 1.1239 + 1.1328 / (b - 3.4);
    const vr = 0.9277 - 3.6224 / (b - 2);
    for (;;) {
      const u = this.uniform() - 0.5;
      const v = this.uniform();
      const us = 0.5 - Math.abs(u);
      const k = Math.floor(((2 * a) / us + b) * u + lam + 0.43);
      if (us >= 0.07 && v <= vr) return k;
      if (k < 0 || (us < 0.013 && v > us)) continue;
      if (
        Math.log(v) + Math.log(invalpha) - Math.log(a / (us * us) + b) <=
        -lam + k * loglam - logFactorial(k)
      )
        return k;
    }
  }
}

const LOG_FACTORIALS: number[] = [0];
for (let n = 1; n < 256; n++) LOG_FACTORIALS.push(LOG_FACTORIALS[n - 1]! + Math.log(n));

/** ln(n!) for an integer n >= 0: a table below 256, Stirling's series (error < 1e-17) above. */
export function logFactorial(n: number): number {
  if (n < 256) return LOG_FACTORIALS[n]!;
  const x = n + 1;
  const x2 = x * x;
  return (x - 0.5) * Math.log(x) - x + 0.9189385332046728 + (1 / 12 - (1 / 360 - 1 / (1260 * x2)) / x2) / x;
}

/** A seed's generator: `new Rng(seed)`. */
export function rng(seed: number | string): Rng {
  return new Rng(seed);
}
