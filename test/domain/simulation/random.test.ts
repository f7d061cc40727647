import { describe, expect, it } from "vitest";
import { createRandom, mix32, mixSeed } from "../../../lambdas/domain/simulation/random.js";

const draw = (seed: number, n: number) => {
  const random = createRandom(seed);
  return Array.from({ length: n }, () => random.next());
};

describe("createRandom", () => {
  it("repeats for a seed and differs between seeds", () => {
    expect(draw(42, 100)).toEqual(draw(42, 100));
    expect(draw(42, 100)).not.toEqual(draw(43, 100));
    // Seeds beyond 32 bits keep their high part.
    expect(draw(2 ** 32 + 1, 10)).not.toEqual(draw(1, 10));
  });

  it("mixes: neighbouring inputs give unrelated outputs", () => {
    expect(mix32(1)).not.toBe(mix32(2));
    expect(mixSeed(1, 2)).not.toBe(mixSeed(2, 1));
  });

  it("draws uniformly on [0, 1)", () => {
    const values = draw(7, 20_000);
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...values)).toBeLessThan(1);
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    expect(mean).toBeCloseTo(0.5, 2);
    const deciles = new Array(10).fill(0);
    for (const v of values) deciles[Math.floor(v * 10)] += 1;
    for (const count of deciles) expect(Math.abs(count - 2000)).toBeLessThan(200);
  });

  it.each([0.5, 4, 60])("draws Poisson counts with mean %d", (mean) => {
    const random = createRandom(11);
    let sum = 0;
    for (let i = 0; i < 20_000; i += 1) sum += random.poisson(mean);
    expect(sum / 20_000).toBeCloseTo(mean, mean > 10 ? 0 : 1);
  });

  it("draws exponential waits with the mean asked for", () => {
    const random = createRandom(5);
    let sum = 0;
    for (let i = 0; i < 20_000; i += 1) sum += random.exponential(3);
    expect(sum / 20_000).toBeCloseTo(3, 1);
  });

  it("chooses by weight and never picks a zero weight", () => {
    const random = createRandom(9);
    const counts = { a: 0, b: 0, c: 0 };
    for (let i = 0; i < 30_000; i += 1)
      counts[random.choice(["a", "b", "c"] as const, [1, 0, 3])] += 1;
    expect(counts.b).toBe(0);
    expect(counts.a / 30_000).toBeCloseTo(0.25, 1);
    expect(() => random.choice(["a"], [0])).toThrow(RangeError);
    expect(() => random.choice(["a", "b"], [1])).toThrow(RangeError);
  });

  it("forks streams that depend on the keys only", () => {
    const a = createRandom(1);
    a.next();
    const b = createRandom(1);
    expect(a.fork(3, 4).next()).toBe(b.fork(3, 4).next());
    expect(createRandom(1).fork(3, 4).next()).not.toBe(createRandom(1).fork(4, 3).next());
  });

  it("gives whole numbers in [min, max]", () => {
    const random = createRandom(2);
    const seen = new Set<number>();
    for (let i = 0; i < 1000; i += 1) seen.add(random.int(3, 6));
    expect([...seen].sort()).toEqual([3, 4, 5, 6]);
  });
});
