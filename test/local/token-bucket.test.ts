import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { STAGE_DEFAULTS } from "../../lib/config.js";
import {
  createRateLimiter,
  DEFAULT_THROTTLE,
  throttleFromEnv,
} from "../../local/http/token-bucket.js";

function clock(startMs = 1_000) {
  let now = startMs;
  return {
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describe("token bucket", () => {
  it("allows a burst, then refuses with a whole-second Retry-After of at least 1", () => {
    const time = clock();
    const limiter = createRateLimiter({ rate: 2, burst: 3 }, time.now);
    expect([1, 2, 3].map(() => limiter.take("k").allowed)).toEqual([true, true, true]);
    expect(limiter.take("k")).toEqual({ allowed: false, retryAfterSeconds: 1 });
    time.advance(499);
    expect(limiter.take("k").allowed).toBe(false);
    time.advance(1); // 0.5 s at 2/s: one token
    expect(limiter.take("k").allowed).toBe(true);
    expect(limiter.take("k").allowed).toBe(false);
  });

  it("refills at the rate, never above the burst", () => {
    const time = clock();
    const limiter = createRateLimiter({ rate: 10, burst: 5 }, time.now);
    for (let i = 0; i < 5; i++) limiter.take("k");
    time.advance(60_000);
    const allowed = Array.from({ length: 8 }, () => limiter.take("k").allowed);
    expect(allowed.filter(Boolean)).toHaveLength(5);
  });

  it("says how long a slow rate needs", () => {
    const time = clock();
    const limiter = createRateLimiter({ rate: 0.1, burst: 1 }, time.now);
    expect(limiter.take("k").allowed).toBe(true);
    expect(limiter.take("k")).toEqual({ allowed: false, retryAfterSeconds: 10 });
    time.advance(7_500);
    expect(limiter.take("k")).toEqual({ allowed: false, retryAfterSeconds: 3 });
  });

  it("keeps one bucket per key", () => {
    const time = clock();
    const limiter = createRateLimiter({ rate: 1, burst: 1 }, time.now);
    expect(limiter.take("a").allowed).toBe(true);
    expect(limiter.take("a").allowed).toBe(false);
    expect(limiter.take("b").allowed).toBe(true);
  });

  it("never lets more through than burst + rate × elapsed time", () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.5, max: 500, noNaN: true }),
        fc.integer({ min: 1, max: 50 }),
        fc.array(fc.integer({ min: 0, max: 2_000 }), { minLength: 1, maxLength: 200 }),
        (rate, burst, gaps) => {
          const time = clock();
          const limiter = createRateLimiter({ rate, burst }, time.now);
          let allowed = 0;
          for (const gap of gaps) {
            time.advance(gap);
            const decision = limiter.take("k");
            if (decision.allowed) allowed += 1;
            else expect(decision.retryAfterSeconds).toBeGreaterThanOrEqual(1);
          }
          const elapsedSeconds = gaps.reduce((sum, gap) => sum + gap, 0) / 1000;
          expect(allowed).toBeLessThanOrEqual(burst + rate * elapsedSeconds + 1e-9);
        },
      ),
    );
  });

  it("refuses limits that make no sense", () => {
    expect(() => createRateLimiter({ rate: 0, burst: 1 })).toThrow(/rate must be/);
    expect(() => createRateLimiter({ rate: 1, burst: 0.5 })).toThrow(/burst must be/);
  });
});

describe("throttle settings", () => {
  it("defaults to the AWS stage and usage plan limits", () => {
    expect(DEFAULT_THROTTLE).toEqual({
      rate: STAGE_DEFAULTS.dev.apiThrottleRateLimit,
      burst: STAGE_DEFAULTS.dev.apiThrottleBurstLimit,
    });
    expect(throttleFromEnv({})).toEqual(DEFAULT_THROTTLE);
    expect(throttleFromEnv({ CHURNWATCH_RATE_LIMIT: "", CHURNWATCH_BURST_LIMIT: " " })).toEqual(
      DEFAULT_THROTTLE,
    );
  });

  it("reads CHURNWATCH_RATE_LIMIT and CHURNWATCH_BURST_LIMIT, naming a bad one", () => {
    expect(throttleFromEnv({ CHURNWATCH_RATE_LIMIT: "5", CHURNWATCH_BURST_LIMIT: "10" })).toEqual({
      rate: 5,
      burst: 10,
    });
    expect(() => throttleFromEnv({ CHURNWATCH_RATE_LIMIT: "fast" })).toThrow(
      /CHURNWATCH_RATE_LIMIT must be a number/,
    );
    expect(() => throttleFromEnv({ CHURNWATCH_BURST_LIMIT: "0" })).toThrow(/burst must be/);
  });
});
