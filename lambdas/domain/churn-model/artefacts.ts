/**
 * The two stored model artefacts, as zod schemas: the fitted buy-till-you-die models and the
 * churn classifier (logistic regression or boosted trees). They travel as JSON (DynamoDB, the CLI), so every number is checked on the
 * way back in: a NaN weight or a coefficient list of the wrong length would otherwise score
 * every user silently wrong.
 */
import { z } from "zod";

/** JSON cannot carry NaN or ±Infinity faithfully; refuse them by name rather than as "null". */
const finite = z.number({ error: "must be a finite number (not NaN or Infinity)" });
const positive = finite.positive("must be positive");
const count = z.number().int("must be a whole number").nonnegative("must be 0 or more");

/** A real calendar date as YYYY-MM-DD (Date.parse alone rolls 02-30 over into March). */
export function isDayKey(key: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(key)) return false;
  const ms = Date.parse(`${key}T00:00:00Z`);
  return !Number.isNaN(ms) && new Date(ms).toISOString().slice(0, 10) === key;
}

const dayKeySchema = z.string().refine(isDayKey, "must be a real calendar date YYYY-MM-DD");

function fitSchema<T extends z.ZodRawShape>(params: T) {
  return z
    .object({
      params: z.object(params).strict(),
      /** null when the fit failed before producing a finite likelihood. */
      logLikelihood: finite.nullable(),
      converged: z.boolean(),
    })
    .strict();
}

const betaGeometricParams = { r: positive, alpha: positive, a: positive, b: positive };

export const btydArtefactSchema = z
  .object({
    kind: z.literal("btyd"),
    /** Time unit of t_x, T, the scale parameters and every horizon given to the models. */
    unit: z.literal("weeks"),
    /** Last local day (inclusive) of the calibration period the models were fitted on. */
    calibrationEnd: dayKeySchema,
    customers: count,
    bgNbd: fitSchema(betaGeometricParams),
    mbgNbd: fitSchema(betaGeometricParams),
    paretoNbd: fitSchema({ r: positive, alpha: positive, s: positive, beta: positive }),
    gammaGamma: fitSchema({ p: positive, q: positive, gamma: positive }).nullable(),
  })
  .strict();

export type BtydArtefact = z.infer<typeof btydArtefactSchema>;

const reliabilityBinSchema = z
  .object({
    lower: finite,
    upper: finite,
    count,
    /** null for an empty bin: there is nothing to average. */
    meanPredicted: finite.nullable(),
    observed: finite.nullable(),
  })
  .strict();

export type ReliabilityBin = z.infer<typeof reliabilityBinSchema>;

const probability = finite.min(0, "must be within [0, 1]").max(1, "must be within [0, 1]");

const metricsSchema = z
  .object({
    rows: count,
    positives: count,
    validationRows: count,
    /** null when the part holds one class only (AUC is undefined). */
    trainAuc: probability.nullable(),
    validationAuc: probability.nullable(),
    brier: finite.nonnegative(),
    logLoss: finite.nonnegative(),
    reliability: z.array(reliabilityBinSchema),
    converged: z.boolean(),
    iterations: count,
    /**
     * Every algorithm (and regression penalty) tried on the same split, judged on the held-out
     * rows: the regression with the best held-out AUC is stored unless the trees beat it by
     * MIN_AUC_GAIN (train.ts).
     */
    candidates: z
      .array(
        z
          .object({
            algorithm: z.enum(["logistic", "boosted-trees"]),
            /** The regression's penalty (the trees' λ is the artefact's own). */
            l2: finite.nonnegative().optional(),
            validationAuc: probability.nullable(),
            logLoss: finite.nonnegative(),
          })
          .strict(),
      )
      .optional(),
  })
  .strict();

/** What every churn model carries, whichever algorithm learned it. */
const churnModelShape = {
  kind: z.literal("churn"),
  /** The cut-off the training features were taken at. */
  asOf: z.iso.datetime({ offset: true }),
  horizonDays: z.number().int().min(1).max(3650),
  /** What "churned" meant: no interaction, or no purchase, in the horizon. */
  label: z.enum(["activity", "purchase"]),
  featureNames: z.array(z.string().min(1)).min(1),
  /** Platt scaling on the model's logit: P(churn) = σ(a · logit + b). */
  calibration: z.object({ a: finite, b: finite }).strict(),
  metrics: metricsSchema,
  /** Version of the BTYD artefact whose signals fed the features; null when none did. */
  btydVersion: z.number().int().nonnegative().nullable(),
};

const nodeIndex = z.number().int().min(-1);

/** One regression tree as parallel arrays (boosted-trees.ts says how they are read). */
const treeSchema = z
  .object({
    feature: z.array(nodeIndex).min(1),
    threshold: z.array(finite),
    left: z.array(nodeIndex),
    right: z.array(nodeIndex),
    value: z.array(finite),
  })
  .strict()
  .superRefine((tree, ctx) => {
    const n = tree.feature.length;
    for (const key of ["threshold", "left", "right", "value"] as const) {
      if (tree[key].length !== n) {
        ctx.addIssue({
          code: "custom",
          path: [key],
          message: `has ${tree[key].length} entries but feature has ${n}`,
        });
        return;
      }
    }
    for (let node = 0; node < n; node++) {
      const isLeaf = tree.feature[node] === -1;
      const left = tree.left[node] as number;
      const right = tree.right[node] as number;
      // Children come after their parent: a walk from the root always ends at a leaf.
      const ok = isLeaf
        ? left === -1 && right === -1
        : left > node && right > node && left < n && right < n;
      if (!ok) {
        ctx.addIssue({
          code: "custom",
          path: ["left", node],
          message: isLeaf
            ? "a leaf (feature -1) must have no children"
            : `node ${node} must point to two later nodes of the tree`,
        });
        return;
      }
    }
  });

const logisticChurnSchema = z
  .object({
    ...churnModelShape,
    algorithm: z.literal("logistic"),
    /** Standardisation: z = (x − mean) / scale. */
    mean: z.array(finite),
    scale: z.array(positive),
    /** Coefficients on the standardised features. */
    weights: z.array(finite),
    intercept: finite,
    l2: finite.nonnegative(),
  })
  .strict();

const boostedTreesChurnSchema = z
  .object({
    ...churnModelShape,
    algorithm: z.literal("boosted-trees"),
    /** Log-odds of the training base rate: every prediction starts here. */
    baseLogit: finite,
    trees: z.array(treeSchema).min(1),
    learningRate: positive,
    maxDepth: z.number().int().min(1),
    l2: finite.nonnegative(),
  })
  .strict();

export const churnModelArtefactSchema = z
  .discriminatedUnion("algorithm", [logisticChurnSchema, boostedTreesChurnSchema])
  .superRefine((model, ctx) => {
    const n = model.featureNames.length;
    if (new Set(model.featureNames).size !== n) {
      ctx.addIssue({ code: "custom", path: ["featureNames"], message: "names must be distinct" });
    }
    if (model.algorithm === "logistic") {
      for (const key of ["mean", "scale", "weights"] as const) {
        if (model[key].length !== n) {
          ctx.addIssue({
            code: "custom",
            path: [key],
            message: `has ${model[key].length} entries but featureNames has ${n}`,
          });
        }
      }
      return;
    }
    model.trees.forEach((tree, t) => {
      const bad = tree.feature.findIndex((feature) => feature >= n);
      if (bad >= 0) {
        ctx.addIssue({
          code: "custom",
          path: ["trees", t, "feature", bad],
          message: `splits on feature ${tree.feature[bad]} but featureNames has ${n}`,
        });
      }
    });
  });

export type LogisticChurnModel = z.infer<typeof logisticChurnSchema>;
export type BoostedTreesChurnModel = z.infer<typeof boostedTreesChurnSchema>;
export type ChurnModelArtefact = z.infer<typeof churnModelArtefactSchema>;

export const modelArtefactSchema = z.union([btydArtefactSchema, churnModelArtefactSchema]);

export type ModelArtefact = z.infer<typeof modelArtefactSchema>;

function parseWith<T>(schema: z.ZodType<T>, what: string, raw: unknown): T {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const path = issue?.path.map(String).join(".") || "(root)";
  throw new Error(`${what}: ${path}: ${issue?.message ?? "invalid"}`);
}

/** Parses a stored artefact of either kind; the error names the field and why. */
export function parseModelArtefact(raw: unknown): ModelArtefact {
  return parseWith(modelArtefactSchema, "model artefact", raw);
}

export function parseBtydArtefact(raw: unknown): BtydArtefact {
  return parseWith(btydArtefactSchema, "BTYD artefact", raw);
}

export function parseChurnModelArtefact(raw: unknown): ChurnModelArtefact {
  return parseWith(churnModelArtefactSchema, "churn model artefact", raw);
}
