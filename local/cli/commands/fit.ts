/** `churnwatch fit`: fits the buy-till-you-die models on a cbs CSV and prints their parameters. */
import { readFile } from "node:fs/promises";
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
import { LocalModeError, UsageError } from "../../errors.js";
import { defineCommand, noPositionals, stringFlag } from "../command.js";
import type { CliIo } from "../io.js";

export interface FitCommandOptions {
  readonly cbs: string;
  readonly json: boolean;
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
  summary: "fit BG/NBD, MBG/NBD, Pareto/NBD (and Gamma-Gamma) on a cbs CSV",
  help: `Usage: churnwatch fit --cbs FILE [--json]

Fits the buy-till-you-die models by maximum likelihood on per-customer (x, t_x, T) in weeks
and prints their parameters, log-likelihood and whether each fit converged (a fit that did not
converge says why). Gamma-Gamma is fitted too when the file has a zbar column (mean value of
the repeat transactions).

The CSV may use BTYD's header (cust,x,t.x,T.cal), lifetimes' (ID,frequency,recency,T) or
churnwatch's own (cust,x,t_x,T). To fit on local mode's users, export them first:
  npx churnwatch export --format btyd-cbs --calibration-end 1997-09-30 --out cbs.csv
  npx churnwatch fit --cbs cbs.csv

Options:
  --cbs FILE     the CSV to fit on
  --json         print the fits as JSON
  -h, --help     show this help
`,
  options: { cbs: { type: "string" }, json: { type: "boolean" } },
  parse(values, positionals) {
    noPositionals("fit", positionals);
    const cbs = stringFlag(values, "cbs");
    if (cbs === undefined || cbs.trim() === "") {
      throw new UsageError(
        "churnwatch fit: --cbs FILE is required (a CSV of x, t_x, T per customer)",
      );
    }
    return { cbs, json: values.json === true };
  },
  async run(options: FitCommandOptions, io: CliIo) {
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
