/** `churnwatch fit`: fits the buy-till-you-die models on a cbs CSV and prints their parameters. */
import { readFile } from "node:fs/promises";
import type { BtydFitSummary } from "../../../lambdas/domain/churn-model/btyd-artefact.js";
import {
  cbsData,
  type FitResult,
  fitBgNbd,
  fitGammaGamma,
  fitMbgNbd,
  fitParetoNbd,
  parseCbsCsv,
  spendData,
} from "../../../lambdas/domain/models/index.js";
import type { FitOutcome } from "../../../lambdas/use-cases/model-workbench.js";
import { LocalModeError, UsageError } from "../../errors.js";
import { parseCalibrationEnd } from "../../export.js";
import { defineCommand, noPositionals, stringFlag } from "../command.js";
import type { CliIo } from "../io.js";
import { LocalClient } from "../local-client.js";
import { parseServerFlags, type ServerFlags, serverFlagsHelp } from "../server-flags.js";

export type FitCommandOptions =
  | { readonly source: "cbs"; readonly cbs: string; readonly json: boolean }
  | {
      readonly source: "store";
      readonly calibrationEnd: string;
      readonly userPrefix?: string;
      readonly json: boolean;
      readonly server: ServerFlags;
    };

function today(): string {
  return new Date().toISOString().slice(0, 10);
}

function formatSummary(model: string, summary: BtydFitSummary, fitted: unknown): string {
  const params = Object.entries((fitted ?? {}) as Record<string, number>)
    .map(([name, value]) => `${name} ${value.toPrecision(7)}`)
    .join(", ");
  const ll = summary.logLikelihood === null ? "n/a" : summary.logLikelihood.toFixed(3);
  return `${model.padEnd(12)} ${params}; LL ${ll}; ${summary.converged ? "converged" : `NOT converged${summary.reason ? `: ${summary.reason}` : ""}`}`;
}

async function fitOnStore(
  options: Extract<FitCommandOptions, { source: "store" }>,
  io: CliIo,
): Promise<number> {
  const client = new LocalClient(options.server.url, options.server.apiKey);
  const outcome = await client.request<FitOutcome>("POST", "/_local/models/fit", {
    calibrationEnd: options.calibrationEnd,
    ...(options.userPrefix ? { userPrefix: options.userPrefix } : {}),
  });
  if (options.json) {
    io.stdout(`${JSON.stringify(outcome, null, 2)}\n`);
  } else {
    const { report } = outcome;
    const lines = [
      `fitted on ${outcome.customers} purchasers up to ${outcome.calibrationEnd} (${outcome.spendCustomers} with repeat spend)`,
      formatSummary("bg-nbd", report.bgNbd, outcome.params.bgNbd),
      formatSummary("mbg-nbd", report.mbgNbd, outcome.params.mbgNbd),
      formatSummary("pareto-nbd", report.paretoNbd, outcome.params.paretoNbd),
      ...(report.gammaGamma
        ? [formatSummary("gamma-gamma", report.gammaGamma, outcome.params.gammaGamma)]
        : []),
      outcome.status === "published"
        ? `published as btyd version ${outcome.version}: scoring uses it from the next run`
        : "a fit did not converge: nothing published, the previous version stays current",
    ];
    io.stdout(`${lines.join("\n")}\n`);
  }
  return outcome.status === "published" ? 0 : 1;
}

interface ModelFit {
  readonly model: string;
  // biome-ignore lint/suspicious/noExplicitAny: each model has its own parameter names
  readonly fit: FitResult<any>;
}

function formatFit({ model, fit }: ModelFit): string {
  const params = Object.entries(fit.params as Record<string, number>)
    .map(([name, value]) => `${name} ${value.toPrecision(7)}`)
    .join(", ");
  const status = fit.converged ? "converged" : `NOT converged: ${fit.reason}`;
  return `${model.padEnd(12)} ${params}; LL ${fit.logLikelihood.toFixed(3)}; ${fit.customers} customers, ${fit.iterations} iterations, ${status}`;
}

export const fitCommand = defineCommand<FitCommandOptions>({
  name: "fit",
  summary: "fit BG/NBD, MBG/NBD, Pareto/NBD and Gamma-Gamma on the store's users or a cbs CSV",
  help: `Usage: churnwatch fit [--calibration-end YYYY-MM-DD] [--user-prefix P] [--json]
                     [--url URL] [--api-key KEY]
       churnwatch fit --cbs FILE [--json]

Without --cbs: fits on the users of the API key's app in a running local mode (\`npm start\`),
counting purchases up to the calibration end (default today), and stores the parameters as the
app's next "btyd" model version, which scoring uses from its next run. A fit that does not
converge is reported and not stored: the previous version stays current (exit code 1).

Fits the buy-till-you-die models by maximum likelihood on per-customer (x, t_x, T) in weeks
and prints their parameters, log-likelihood and whether each fit converged (a fit that did not
converge says why). Gamma-Gamma is fitted too when the file has a zbar column (mean value of
the repeat transactions).

The CSV may use BTYD's header (cust,x,t.x,T.cal), lifetimes' (ID,frequency,recency,T) or
churnwatch's own (cust,x,t_x,T). To fit on local mode's users, export them first:
  npx churnwatch export --format btyd-cbs --calibration-end 1997-09-30 --out cbs.csv
  npx churnwatch fit --cbs cbs.csv

Options:
  --calibration-end D   last day whose purchases count (YYYY-MM-DD, default today)
  --user-prefix P       only users whose ID starts with P
  --cbs FILE            fit on this CSV instead (prints, stores nothing)
  --json                print the fits as JSON
${serverFlagsHelp(23)}
  -h, --help            show this help
`,
  options: {
    cbs: { type: "string" },
    json: { type: "boolean" },
    "calibration-end": { type: "string" },
    "user-prefix": { type: "string" },
    url: { type: "string" },
    "api-key": { type: "string" },
  },
  parse(values, positionals, env) {
    noPositionals("fit", positionals);
    const cbs = stringFlag(values, "cbs");
    if (cbs !== undefined) {
      if (cbs.trim() === "") {
        throw new UsageError(
          "churnwatch fit: --cbs needs a file (a CSV of x, t_x, T per customer)",
        );
      }
      for (const flag of ["calibration-end", "user-prefix"]) {
        if (values[flag] !== undefined) {
          throw new UsageError(
            `churnwatch fit: --${flag} is for fitting on the store, not with --cbs`,
          );
        }
      }
      return { source: "cbs", cbs, json: values.json === true };
    }
    const calibrationEnd = stringFlag(values, "calibration-end") ?? today();
    try {
      parseCalibrationEnd(calibrationEnd);
    } catch (error) {
      throw new UsageError(`churnwatch fit: --calibration-end: ${(error as Error).message}`);
    }
    const userPrefix = stringFlag(values, "user-prefix");
    return {
      source: "store",
      calibrationEnd,
      ...(userPrefix ? { userPrefix } : {}),
      json: values.json === true,
      server: parseServerFlags("fit", values, env),
    };
  },
  async run(options: FitCommandOptions, io: CliIo) {
    if (options.source === "store") return fitOnStore(options, io);
    let text: string;
    try {
      text = await readFile(options.cbs, "utf8");
    } catch (error) {
      throw new LocalModeError(
        `churnwatch fit: cannot read ${options.cbs}: ${(error as Error).message}`,
        1,
      );
    }
    let rows: ReturnType<typeof parseCbsCsv>;
    let data: ReturnType<typeof cbsData>;
    try {
      rows = parseCbsCsv(text);
      data = cbsData(rows);
    } catch (error) {
      throw new LocalModeError(`churnwatch fit: ${options.cbs}: ${(error as Error).message}`, 1);
    }
    const fits: ModelFit[] = [
      { model: "bg-nbd", fit: fitBgNbd(data) },
      { model: "mbg-nbd", fit: fitMbgNbd(data) },
      { model: "pareto-nbd", fit: fitParetoNbd(data) },
    ];
    const spenders = rows.filter((row) => row.zbar !== undefined && row.x > 0);
    if (spenders.length > 0) {
      const spend = spendData(spenders.map((row) => ({ x: row.x, zbar: row.zbar as number })));
      fits.push({ model: "gamma-gamma", fit: fitGammaGamma(spend) });
    }
    if (options.json) io.stdout(`${JSON.stringify(fits, null, 2)}\n`);
    else io.stdout(`${fits.map(formatFit).join("\n")}\n`);
    return fits.every(({ fit }) => fit.converged) ? 0 : 1;
  },
});
