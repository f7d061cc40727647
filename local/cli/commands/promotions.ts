/**
 * `churnwatch promotions add|list`: the promotion calendar of the API key's app, against the
 * running local mode (its `/_local/promotions` endpoints). Scoring leaves promotion days out of
 * the interaction baseline and damps drop- and silence-based rules during and after a
 * promotion (lambdas/domain/promotions.ts).
 */
import {
  DEFAULT_PROMOTION_DAMPING_DAYS,
  type Promotion,
  PromotionError,
  parsePromotion,
} from "../../../lambdas/domain/promotions.js";
import { LocalModeError, UsageError } from "../../errors.js";
import type { ListedPromotion } from "../../http/promotions-routes.js";
import { LOCAL_PROMOTIONS_PATH } from "../../http/promotions-routes.js";
import { defineCommand, type ParsedValues, stringFlag } from "../command.js";
import type { CliIo } from "../io.js";
import { serverUnreachable } from "../local-client.js";
import { parseServerFlags, serverFlagsHelp } from "../server-flags.js";

export type PromotionsAction =
  | { readonly action: "add"; readonly promotion: Promotion }
  | { readonly action: "list" };

export type PromotionsOptions = PromotionsAction & {
  readonly url: string;
  readonly apiKey: string;
  readonly json: boolean;
};

const ACTIONS = ["add", "list"] as const;
const DAY_MS = 86_400_000;

function usage(message: string): UsageError {
  return new UsageError(`churnwatch promotions: ${message}`);
}

/** Checks a new promotion's flags as the server will, so a typo fails before any request. */
function promotionFromFlags(values: ParsedValues): Promotion {
  const name = stringFlag(values, "name");
  const from = stringFlag(values, "from");
  const to = stringFlag(values, "to");
  const missing = [
    ["--name NAME", name],
    ["--from YYYY-MM-DD", from],
    ["--to YYYY-MM-DD", to],
  ].filter(([, value]) => value === undefined);
  if (missing.length > 0) {
    throw usage(`promotions add needs ${missing.map(([flag]) => flag).join(", ")}`);
  }
  try {
    return parsePromotion({ name, from, to }, "promotion");
  } catch (error) {
    if (!(error instanceof PromotionError)) throw error;
    const field = error.key.startsWith("promotion.") ? error.key.slice("promotion.".length) : "";
    throw usage(field ? `--${field}: ${error.reason}` : error.reason);
  }
}

export function parsePromotionsArgs(
  values: ParsedValues,
  positionals: readonly string[],
  env: NodeJS.ProcessEnv,
): PromotionsOptions {
  const [action, ...rest] = positionals;
  if (action === undefined) throw usage("say what to do: add or list");
  if (!(ACTIONS as readonly string[]).includes(action)) {
    throw usage(`unknown action "${action}" (actions: ${ACTIONS.join(", ")})`);
  }
  if (rest.length > 0) throw usage(`unexpected argument "${rest[0]}"`);
  const server = parseServerFlags("promotions", values, env);
  const common = { url: server.url, apiKey: server.apiKey, json: values.json === true };
  if (action === "list") {
    for (const flag of ["name", "from", "to"]) {
      if (values[flag] !== undefined) throw usage(`--${flag} only goes with promotions add`);
    }
    return { action, ...common };
  }
  return { action: "add", promotion: promotionFromFlags(values), ...common };
}

async function request(
  options: PromotionsOptions,
  method: "GET" | "POST",
  body?: unknown,
): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(`${options.url}${LOCAL_PROMOTIONS_PATH}`, {
      method,
      headers: {
        "x-api-key": options.apiKey,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch (error) {
    throw serverUnreachable(options.url, error);
  }
  const text = await response.text();
  let parsed: { message?: string } | null = null;
  try {
    parsed = text === "" ? null : (JSON.parse(text) as { message?: string });
  } catch {
    // Not JSON: handled by status below.
  }
  if (response.status === 401) {
    throw new LocalModeError(
      `the server at ${options.url} refused the API key: pass --api-key or set CHURNWATCH_API_KEY`,
      1,
    );
  }
  if (response.status === 404) {
    throw new LocalModeError(
      `${options.url} has no ${LOCAL_PROMOTIONS_PATH}: promotions needs churnwatch local mode (\`npm start\`)`,
      1,
    );
  }
  // The server refused the promotion itself (an overlap, a name in use): a bad argument, so
  // exit 2, but not one --help would explain.
  if (response.status === 400 || response.status === 409) {
    throw new LocalModeError(
      `churnwatch promotions: ${parsed?.message ?? `the server refused the promotion (${response.status})`}`,
      2,
    );
  }
  if (!response.ok || parsed === null) {
    throw new LocalModeError(
      `${method} ${LOCAL_PROMOTIONS_PATH} failed with ${response.status}${
        parsed?.message ? `: ${parsed.message}` : ""
      }`,
      1,
    );
  }
  return parsed;
}

function days(promotion: Promotion): number {
  return Math.round((Date.parse(promotion.to) - Date.parse(promotion.from)) / DAY_MS) + 1;
}

export function promotionsTable(promotions: readonly ListedPromotion[]): string {
  if (promotions.length === 0) return "no promotions\n";
  const rows = [
    ["NAME", "FROM", "TO", "DAYS", "SOURCE"],
    ...promotions.map((p) => [p.name, p.from, p.to, String(days(p)), p.source]),
  ];
  const widths = rows[0]?.map((_, column) =>
    Math.max(...rows.map((row) => (row[column] ?? "").length)),
  ) as number[];
  return `${rows
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column] ?? 0))
        .join("  ")
        .trimEnd(),
    )
    .join("\n")}\n`;
}

export const promotionsCommand = defineCommand<PromotionsOptions>({
  name: "promotions",
  summary: "add and list the app's promotions (sales scoring should not read as churn)",
  help: `Usage: churnwatch promotions add --name NAME --from YYYY-MM-DD --to YYYY-MM-DD [--json]
       churnwatch promotions list [--json]

The promotion calendar of the API key's app on a running local mode (\`npm start\`). During a
promotion users browse and buy far above their habit, and are quiet after it. Scoring leaves
promotion days out of the interaction baseline and the recent window, and damps the rules that
read a drop or a silence (no_app_open, interaction_drop, short_term_inactive,
slow_pages_then_decline, search_without_purchase: one severity lower, a low hit dropped) during
a promotion and for ${DEFAULT_PROMOTION_DAMPING_DAYS} days after it (PROMOTION_DAMPING_DAYS).

The calendar is the configured one (PROMOTIONS; on AWS the CDK context key "promotions") merged
with the promotions added here. Promotions may not share a day: one that overlaps another is
refused (exit code 2).

Actions:
  add     add a promotion: days from --from to --to, both included, in the app's calendar
  list    every promotion, configured and added, by start day

Options:
  --name NAME           a name, unique within the app (e.g. double-11)
  --from YYYY-MM-DD     the first day
  --to YYYY-MM-DD       the last day, included
  --json                print the result as JSON
${serverFlagsHelp(24)}
  -h, --help            show this help

Example:
  npx churnwatch promotions add --name double-11 --from 2026-11-09 --to 2026-11-12
`,
  options: {
    name: { type: "string" },
    from: { type: "string" },
    to: { type: "string" },
    json: { type: "boolean" },
    url: { type: "string" },
    "api-key": { type: "string" },
  },
  parse: parsePromotionsArgs,
  async run(options: PromotionsOptions, io: CliIo) {
    if (options.action === "list") {
      const listed = (await request(options, "GET")) as {
        appId: string;
        promotions: ListedPromotion[];
      };
      io.stdout(
        options.json ? `${JSON.stringify(listed, null, 2)}\n` : promotionsTable(listed.promotions),
      );
      return 0;
    }
    const added = (await request(options, "POST", options.promotion)) as {
      appId: string;
      promotion: Promotion;
    };
    if (options.json) {
      io.stdout(`${JSON.stringify(added, null, 2)}\n`);
    } else {
      const { promotion } = added;
      io.stdout(
        `added promotion "${promotion.name}" for app "${added.appId}": ${promotion.from}..${promotion.to} (${days(promotion)} days)\n`,
      );
    }
    return 0;
  },
});
