/**
 * A small seeded pseudo-random generator for the shop simulator. Math.random cannot be seeded,
 * and a simulated shop must come out identical for the same seed on any machine, so that an
 * evaluation can be rerun and a failing test reproduced.
 *
 * The generator walks a Weyl sequence (adding an odd constant mod 2³²) and passes each state
 * through an avalanche mix of xor-shifts and odd multiplications. It is fast, has period 2³²
 * per stream and good enough statistics for simulation; it is not for cryptography.
 * `fork` derives independent streams so each user's behaviour depends only on (seed, user),
 * not on how many numbers other users drew before.
 */

const GOLDEN = 0x9e3779b9;

/**
 * Avalanche a 32-bit value: every input bit flips about half the output bits. The shift and
 * multiplier constants are the published results of Chris Wellons' hash-prospector search for
 * low-bias 32-bit mixers.
 */
export function mix32(value: number): number {
  let z = value >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x7feb352d);
  z = Math.imul(z ^ (z >>> 15), 0x846ca68b);
  return (z ^ (z >>> 16)) >>> 0;
}

/** One 32-bit seed from several integers, order-sensitive. */
export function mixSeed(...parts: readonly number[]): number {
  let h = 0x2545f491;
  for (const part of parts) {
    // Integers beyond 32 bits keep their high part instead of being silently truncated.
    const low = part >>> 0;
    const high = Math.floor(part / 0x1_0000_0000) >>> 0;
    h = mix32(h ^ mix32(low + GOLDEN));
    h = mix32(h ^ mix32(high + 2 * GOLDEN));
  }
  return h;
}

export interface Random {
  /** Uniform on [0, 1). */
  next(): number;
  /** Uniform on [min, max). */
  uniform(min: number, max: number): number;
  /** Uniform integer in [min, max], both included. */
  int(min: number, max: number): number;
  chance(probability: number): boolean;
  /** Standard normal (Box–Muller). */
  normal(): number;
  /** exp(N(log median, sigma²)): positive and right-skewed, like baskets and load times. */
  logNormal(median: number, sigma: number): number;
  exponential(mean: number): number;
  poisson(mean: number): number;
  choice<T>(items: readonly T[], weights: readonly number[]): T;
  /** An independent stream for a sub-task, fixed by this stream's seed and the keys. */
  fork(...keys: readonly number[]): Random;
}

export function createRandom(seed: number): Random {
  if (!Number.isFinite(seed)) throw new RangeError(`seed must be a finite number, got ${seed}`);
  const root = mixSeed(seed);
  let state = root;
  const uint32 = () => {
    state = (state + GOLDEN) >>> 0;
    return mix32(state);
  };
  const next = () => uint32() / 0x1_0000_0000;
  const random: Random = {
    next,
    uniform: (min, max) => min + (max - min) * next(),
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    chance: (probability) => next() < probability,
    normal: () => {
      // 1 − u keeps the logarithm away from 0.
      const u = 1 - next();
      const v = next();
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    },
    logNormal: (median, sigma) => median * Math.exp(sigma * random.normal()),
    exponential: (mean) => -mean * Math.log(1 - next()),
    poisson: (mean) => {
      if (!(mean >= 0)) throw new RangeError(`poisson: mean must be ≥ 0, got ${mean}`);
      if (mean > 30) {
        // Knuth's product method needs e^-mean, which underflows; the normal approximation is
        // close enough this far out.
        return Math.max(0, Math.round(mean + Math.sqrt(mean) * random.normal()));
      }
      const limit = Math.exp(-mean);
      let k = 0;
      let product = next();
      while (product > limit) {
        k += 1;
        product *= next();
      }
      return k;
    },
    choice: <T>(items: readonly T[], weights: readonly number[]): T => {
      if (items.length === 0 || items.length !== weights.length) {
        throw new RangeError(`choice: ${items.length} items and ${weights.length} weights`);
      }
      let total = 0;
      for (const w of weights) {
        if (!(w >= 0 && Number.isFinite(w))) throw new RangeError(`choice: weight ${w}`);
        total += w;
      }
      if (total <= 0) throw new RangeError("choice: weights sum to 0");
      let pick = next() * total;
      for (let i = 0; i < items.length; i += 1) {
        pick -= weights[i] as number;
        if (pick < 0 && (weights[i] as number) > 0) return items[i] as T;
      }
      // Rounding can leave pick at a hair above 0: fall back to the last item with weight.
      for (let i = items.length - 1; i >= 0; i -= 1) {
        if ((weights[i] as number) > 0) return items[i] as T;
      }
      throw new RangeError("choice: unreachable");
    },
    fork: (...keys) => createRandom(mixSeed(root, ...keys)),
  };
  return random;
}
