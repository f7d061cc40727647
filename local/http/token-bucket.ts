/**
 * Per-key throttling for the local API, the way an API Gateway usage plan throttles each API
 * key: a token bucket that holds up to `burst` tokens and refills at `rate` tokens a second.
 * Pure apart from the injected clock, so tests drive time by hand.
 */

export interface ThrottleLimits {
  /** Requests a second each key may keep up (tokens added per second). */
  readonly rate: number;
  /** Requests a key may make at once after a quiet spell (bucket size). */
  readonly burst: number;
}

/** The AWS stage and usage plan defaults (`apiThrottleRateLimit` / `apiThrottleBurstLimit`). */
export const DEFAULT_THROTTLE: ThrottleLimits = { rate: 100, burst: 200 };

export type ThrottleDecision =
  | { readonly allowed: true }
  | { readonly allowed: false; readonly retryAfterSeconds: number };

export interface RateLimiter {
  readonly limits: ThrottleLimits;
  /** Takes one token from `key`'s bucket, or says how long until one is there. */
  take(key: string): ThrottleDecision;
}

interface Bucket {
  tokens: number;
  updatedMs: number;
}

/** Buckets kept before full ones are dropped (a full bucket is the same as no bucket). */
const PRUNE_ABOVE = 10_000;

export function validateThrottleLimits(limits: ThrottleLimits): string | undefined {
  if (!Number.isFinite(limits.rate) || limits.rate <= 0) {
    return `rate must be a number of requests per second above 0, got ${limits.rate}`;
  }
  if (!Number.isInteger(limits.burst) || limits.burst < 1) {
    return `burst must be a whole number of requests, at least 1, got ${limits.burst}`;
  }
  return undefined;
}

export function createRateLimiter(
  limits: ThrottleLimits,
  now: () => number = () => performance.now(),
): RateLimiter {
  const invalid = validateThrottleLimits(limits);
  if (invalid) throw new RangeError(invalid);
  const buckets = new Map<string, Bucket>();

  const refill = (bucket: Bucket, at: number) => {
    const elapsedSeconds = Math.max(0, at - bucket.updatedMs) / 1000;
    bucket.tokens = Math.min(limits.burst, bucket.tokens + elapsedSeconds * limits.rate);
    bucket.updatedMs = at;
  };

  const prune = (at: number) => {
    for (const [key, bucket] of buckets) {
      refill(bucket, at);
      if (bucket.tokens >= limits.burst) buckets.delete(key);
    }
  };

  return {
    limits,
    take(key) {
      const at = now();
      let bucket = buckets.get(key);
      if (!bucket) {
        if (buckets.size >= PRUNE_ABOVE) prune(at);
        bucket = { tokens: limits.burst, updatedMs: at };
        buckets.set(key, bucket);
      } else {
        refill(bucket, at);
      }
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return { allowed: true };
      }
      // Whole seconds, at least 1: what `Retry-After` can carry.
      const waitSeconds = (1 - bucket.tokens) / limits.rate;
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(waitSeconds)) };
    },
  };
}

/**
 * Reads `CHURNWATCH_RATE_LIMIT` / `CHURNWATCH_BURST_LIMIT`; unset (or empty) keeps the default.
 * Throws a RangeError naming the variable when a value is not a valid limit.
 */
export function throttleFromEnv(
  env: NodeJS.ProcessEnv,
  defaults: ThrottleLimits = DEFAULT_THROTTLE,
): ThrottleLimits {
  const read = (name: string, fallback: number): number => {
    const raw = env[name]?.trim();
    if (raw === undefined || raw === "") return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value)) throw new RangeError(`${name} must be a number, got "${raw}"`);
    return value;
  };
  const limits = {
    rate: read("CHURNWATCH_RATE_LIMIT", defaults.rate),
    burst: read("CHURNWATCH_BURST_LIMIT", defaults.burst),
  };
  const invalid = validateThrottleLimits(limits);
  if (invalid) throw new RangeError(`CHURNWATCH_RATE_LIMIT/CHURNWATCH_BURST_LIMIT: ${invalid}`);
  return limits;
}
