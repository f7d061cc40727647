/** `churnwatch train`: learns the churn model on local mode's users and stores it, versioned. */
import {
  CHURN_ALGORITHMS,
  type ChurnAlgorithm,
} from "../../../lambdas/domain/churn-model/train.js";
import type { TrainOutcome } from "../../../lambdas/use-cases/model-workbench.js";
import { UsageError } from "../../errors.js";
import { parseCalibrationEnd } from "../../export.js";
import { defineCommand, noPositionals, stringFlag } from "../command.js";
import type { CliIo } from "../io.js";
import { LocalClient } from "../local-client.js";
import { parseServerFlags, type ServerFlags, serverFlagsHelp } from "../server-flags.js";

export interface TrainOptions {
  readonly asOf: string;
  readonly horizonDays: number;
  readonly label: "activity" | "purchase";
  readonly userPrefix?: string;
  readonly snapshots: number;
  readonly algorithm: ChurnAlgorithm | "auto";
  readonly json: boolean;
  readonly server: ServerFlags;
}

function format(value: unknown, digits = 3): string {
  return typeof value === "number" ? value.toFixed(digits) : "n/a";
}

/** One line per algorithm tried, when training tried more than one. */
function candidateLines(candidates: unknown): string[] {
  if (!Array.isArray(candidates) || candidates.length < 2) return [];
  return candidates.map(
    (c: { algorithm?: unknown; l2?: unknown; validationAuc?: unknown; logLoss?: unknown }) => {
      const name = typeof c.l2 === "number" ? `${c.algorithm} λ=${c.l2}` : String(c.algorithm);
      return `held out: ${name.padEnd(19)} AUC ${format(c.validationAuc)} · log loss ${format(c.logLoss)}`;
    },
  );
}

export const trainCommand = defineCommand<TrainOptions>({
  name: "train",
  summary: "learn the churn model (calibrated regression or boosted trees) on local mode's users",
  help: `Usage: churnwatch train --as-of YYYY-MM-DD --horizon DAYS [--label activity|purchase]
                       [--user-prefix P] [--json] [--url URL] [--api-key KEY]

Reads every user of the API key's app in a running local mode as they were at the end of
--as-of, labels each by what followed (churned = no activity, or no purchase with
--label purchase, in the next --horizon days), and learns on the same features the score
function builds (indicators, rule hits, BTYD signals of the current "btyd" version — run
\`churnwatch fit\` first) logistic regressions (penalty λ = 0.1, 1, 10, 100 and 1000) and
gradient-boosted trees. Each is calibrated and judged on a held-out quarter of the users; the
regression with the best held-out AUC is kept, unless the trees beat it by 0.002 or more. The model is stored as the app's next "churn"
version. Scoring uses it from the next run.

The horizon must end before the newest event in the store: otherwise users who simply had no
time to come back yet would be labelled churned, and the command refuses.

Options:
  --as-of D          the day the features are read as of (YYYY-MM-DD)
  --horizon N        days after it that make the label (1–730)
  --label L          activity (default) or purchase
  --snapshots N      also learn from the users as of N−1 earlier days, one horizon apart
                     (more examples from the same history; default 1)
  --algorithm A      auto (default), logistic or boosted-trees
  --user-prefix P    only users whose ID starts with P
  --json             print the outcome as JSON
${serverFlagsHelp(21)}
  -h, --help         show this help
`,
  options: {
    "as-of": { type: "string" },
    horizon: { type: "string" },
    label: { type: "string" },
    "user-prefix": { type: "string" },
    snapshots: { type: "string" },
    algorithm: { type: "string" },
    json: { type: "boolean" },
    url: { type: "string" },
    "api-key": { type: "string" },
  },
  parse(values, positionals, env) {
    noPositionals("train", positionals);
    const asOf = stringFlag(values, "as-of");
    if (asOf === undefined)
      throw new UsageError("churnwatch train: --as-of YYYY-MM-DD is required");
    try {
      parseCalibrationEnd(asOf);
    } catch (error) {
      throw new UsageError(`churnwatch train: --as-of: ${(error as Error).message}`);
    }
    const rawHorizon = stringFlag(values, "horizon");
    const horizonDays =
      rawHorizon !== undefined && /^\d+$/.test(rawHorizon) ? Number(rawHorizon) : Number.NaN;
    if (!(horizonDays >= 1 && horizonDays <= 730)) {
      throw new UsageError(
        `churnwatch train: --horizon must be a whole number of days from 1 to 730, got ${rawHorizon === undefined ? "nothing" : `"${rawHorizon}"`}`,
      );
    }
    const label = stringFlag(values, "label") ?? "activity";
    if (label !== "activity" && label !== "purchase") {
      throw new UsageError(
        `churnwatch train: --label must be activity or purchase, got "${label}"`,
      );
    }
    const rawSnapshots = stringFlag(values, "snapshots") ?? "1";
    const snapshots = /^\d+$/.test(rawSnapshots) ? Number(rawSnapshots) : Number.NaN;
    if (!(snapshots >= 1 && snapshots <= 24)) {
      throw new UsageError(`churnwatch train: --snapshots must be 1–24, got "${rawSnapshots}"`);
    }
    const algorithm = stringFlag(values, "algorithm") ?? "auto";
    if (algorithm !== "auto" && !(CHURN_ALGORITHMS as readonly string[]).includes(algorithm)) {
      throw new UsageError(
        `churnwatch train: --algorithm must be auto, ${CHURN_ALGORITHMS.join(" or ")}, got "${algorithm}"`,
      );
    }
    const userPrefix = stringFlag(values, "user-prefix");
    return {
      asOf,
      snapshots,
      algorithm: algorithm as ChurnAlgorithm | "auto",
      horizonDays,
      label,
      ...(userPrefix ? { userPrefix } : {}),
      json: values.json === true,
      server: parseServerFlags("train", values, env),
    };
  },
  async run(options: TrainOptions, io: CliIo) {
    const client = new LocalClient(options.server.url, options.server.apiKey);
    const outcome = await client.request<TrainOutcome>("POST", "/_local/models/train", {
      asOf: options.asOf,
      horizonDays: options.horizonDays,
      label: options.label,
      snapshots: options.snapshots,
      algorithm: options.algorithm,
      ...(options.userPrefix ? { userPrefix: options.userPrefix } : {}),
    });
    if (options.json) {
      io.stdout(`${JSON.stringify(outcome, null, 2)}\n`);
      return 0;
    }
    const m = outcome.metrics;
    io.stdout(
      `${[
        `trained on ${outcome.rows} user snapshots as of ${outcome.asOf}: ${outcome.churned} churned (no ${outcome.label}) in the next ${outcome.horizonDays} days`,
        ...candidateLines(m.candidates),
        `kept ${outcome.algorithm}: AUC ${format(m.validationAuc)} · Brier ${format(m.brier)} · log loss ${format(m.logLoss)} (held-out rows, calibrated)`,
        `BTYD signals from ${outcome.btydVersion === null ? "no btyd model (run churnwatch fit to add them)" : `btyd version ${outcome.btydVersion}`}`,
        `published as churn version ${outcome.version}: scoring uses it from the next run`,
      ].join("\n")}\n`,
    );
    return 0;
  },
});
