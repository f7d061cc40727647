/**
 * Experiment assignment by hashing, not by a stored coin flip: the same user lands in the same
 * group on every run, in every process, with nothing to store — so a user held out as control
 * stays held out for as long as the experiment runs, and win-back measures what messaging did.
 */
import { createHash } from "node:crypto";
import type { ActionVariant, ExperimentSpec } from "./policy.js";

export type Assignment =
  | { readonly group: "control" }
  | { readonly group: "variant"; readonly variant: ActionVariant };

/** 48 bits: exact in a double, and far finer than any share a shop would configure. */
const POINT_BYTES = 6;
const POINT_SCALE = 2 ** (8 * POINT_BYTES);

/**
 * A point uniform in [0, 1) fixed by the app, the user and the experiment. Each part is
 * length-prefixed before hashing, so ("a", "bc") and ("ab", "c") are different users; the
 * experiment id takes part, so two experiments split users independently.
 */
export function assignmentPoint(appId: string, userId: string, experimentId: string): number {
  const hash = createHash("sha256");
  for (const part of [appId, userId, experimentId]) {
    const bytes = Buffer.from(part, "utf8");
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    hash.update(length).update(bytes);
  }
  return hash.digest().readUIntBE(0, POINT_BYTES) / POINT_SCALE;
}

/**
 * The user's group: the lowest `controlShare` of points is control, the rest is cut among the
 * variants in proportion to their weights, in the order listed. Changing the variants moves
 * users between variants but never changes who is control; only `controlShare` or the id does.
 * @throws RangeError for an experiment without variants (parseRetentionPolicy refuses one).
 */
export function assignGroup(appId: string, userId: string, experiment: ExperimentSpec): Assignment {
  const point = assignmentPoint(appId, userId, experiment.id);
  if (point < experiment.controlShare) return { group: "control" };
  const { variants } = experiment;
  const last = variants[variants.length - 1];
  if (last === undefined) {
    throw new RangeError(`experiment "${experiment.id}" has no variants`);
  }
  const total = variants.reduce((sum, variant) => sum + variant.weight, 0);
  // Rescaled to [0, 1) over the users who are not control.
  const target = ((point - experiment.controlShare) / (1 - experiment.controlShare)) * total;
  let cumulative = 0;
  for (const variant of variants) {
    cumulative += variant.weight;
    if (target < cumulative) return { group: "variant", variant };
  }
  // Rounding can leave the very top of the range past the last sum.
  return { group: "variant", variant: last };
}
