import fc from "fast-check";

/** A customer's (x, t_x, T) as the models take them: t_x ≤ T, and 0 without repeat purchases. */
export const customerArbitrary = fc
  .record({
    x: fc.integer({ min: 0, max: 60 }),
    T: fc.double({ min: 0.5, max: 100, noNaN: true }),
    share: fc.double({ min: 0, max: 1, noNaN: true }),
  })
  .map(({ x, T, share }) => ({ x, T, tx: x === 0 ? 0 : share * T }));

/** Parameters of the beta-geometric models (BG/NBD, MBG/NBD) over a realistic range. */
export const betaGeometricParamsArbitrary = fc.record({
  r: fc.double({ min: 0.05, max: 5, noNaN: true }),
  alpha: fc.double({ min: 0.5, max: 50, noNaN: true }),
  a: fc.double({ min: 0.1, max: 5, noNaN: true }),
  b: fc.double({ min: 0.1, max: 10, noNaN: true }),
});
