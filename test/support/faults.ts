/**
 * Fault injection through the ports (RELIABILITY 22): wraps any port so that a share of calls
 * to the chosen methods fail before reaching it, the way a throttled or unreachable service does.
 */

/** A small seeded generator, so a failing run can be replayed exactly. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 0x1_0000_0000;
  };
}

export class InjectedFault extends Error {
  override readonly name = "InjectedFault";
}

export function withFaults<T extends object>(
  port: T,
  failures: Partial<Record<keyof T, number>>,
  random: () => number,
): T {
  return new Proxy(port, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      const share = failures[property as keyof T];
      if (typeof value !== "function" || share === undefined) return value;
      return async (...args: unknown[]) => {
        if (random() < share) throw new InjectedFault(`injected fault in ${String(property)}`);
        return value.apply(target, args);
      };
    },
  });
}
