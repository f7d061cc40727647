/**
 * The options of a win-back report, as `GET /v1/reports/winback` and `churnwatch report` take
 * them, and the message cost table; every error names the exact parameter or key.
 *
 * Pure: no I/O, no AWS imports.
 */

import type { Channel } from "../../lib/topology.js";
import { ENV } from "../shared/env-names.js";
import type { FieldError } from "./validation.js";
import {
  DEFAULT_MESSAGE_COSTS,
  DEFAULT_WINBACK_WINDOW_DAYS,
  MAX_WINBACK_WINDOW_DAYS,
  type MessageCosts,
  type WinbackKind,
} from "./winback.js";

/** JSON `{"sms":0.05,"email":0.001,"push":0}` in major units of the base currency. */
export const MESSAGE_COSTS_ENV = ENV.messageCosts;

export interface WinbackQuery {
  /** Only this experiment; all (and actions outside experiments) when absent. */
  readonly experiment?: string;
  readonly windowDays: number;
  readonly winback: WinbackKind;
  /** Actions with asOf at or after this instant (ISO). */
  readonly from?: string;
  /** Actions with asOf at or before this instant (ISO). */
  readonly to?: string;
}

/** The query parameters, by name. */
export const WINBACK_QUERY_PARAMETERS = [
  "experiment",
  "windowDays",
  "winback",
  "from",
  "to",
] as const;
export type WinbackQueryParameter = (typeof WINBACK_QUERY_PARAMETERS)[number];

export type ParseResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly errors: readonly FieldError[] };

const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
const EXPERIMENT_ID = /^[\w.:@/+-]{1,128}$/;

/**
 * A day (`YYYY-MM-DD`, UTC: the whole day) or an ISO 8601 instant with an offset, as the first
 * or the last millisecond it covers.
 */
export function parseInstant(raw: string, end: "start" | "end"): string | undefined {
  const day = DATE_ONLY.exec(raw);
  if (day) {
    const [year, month, date] = [Number(day[1]), Number(day[2]), Number(day[3])];
    const ms = Date.UTC(year, month - 1, date);
    const check = new Date(ms);
    if (check.getUTCMonth() !== month - 1 || check.getUTCDate() !== date) return undefined;
    return new Date(end === "start" ? ms : ms + 86_400_000 - 1).toISOString();
  }
  if (!DATE_TIME.test(raw)) return undefined;
  const ms = Date.parse(raw);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

/**
 * The report's options from query parameters (missing ones take the defaults). Unknown
 * parameters are refused, so a typo such as `window_days` is not silently ignored.
 */
export function parseWinbackQuery(
  parameters: Readonly<Record<string, string | undefined>>,
): ParseResult<WinbackQuery> {
  const errors: FieldError[] = [];
  const known = new Set<string>(WINBACK_QUERY_PARAMETERS);
  for (const name of Object.keys(parameters)) {
    if (!known.has(name)) {
      errors.push({
        field: name,
        message: `unknown parameter; use ${WINBACK_QUERY_PARAMETERS.join(", ")}`,
      });
    }
  }
  const value = (name: WinbackQueryParameter) => {
    const raw = parameters[name];
    return raw === undefined ? undefined : raw.trim();
  };

  const experiment = value("experiment");
  if (experiment !== undefined && !EXPERIMENT_ID.test(experiment)) {
    errors.push({
      field: "experiment",
      message: "must be an experiment ID: 1 to 128 letters, digits or . _ : @ / + -",
    });
  }

  let windowDays = DEFAULT_WINBACK_WINDOW_DAYS;
  const rawWindow = value("windowDays");
  if (rawWindow !== undefined) {
    windowDays = /^\d+$/.test(rawWindow) ? Number(rawWindow) : Number.NaN;
    if (!(windowDays >= 1 && windowDays <= MAX_WINBACK_WINDOW_DAYS)) {
      errors.push({
        field: "windowDays",
        message: `must be a whole number of days from 1 to ${MAX_WINBACK_WINDOW_DAYS}, got "${rawWindow}"`,
      });
    }
  }

  const winback = value("winback") ?? "purchase";
  if (winback !== "purchase" && winback !== "activity") {
    errors.push({ field: "winback", message: `must be purchase or activity, got "${winback}"` });
  }

  const instant = (name: "from" | "to") => {
    const raw = value(name);
    if (raw === undefined) return undefined;
    const parsed = parseInstant(raw, name === "from" ? "start" : "end");
    if (parsed === undefined) {
      errors.push({
        field: name,
        message: `must be a date YYYY-MM-DD or an ISO 8601 time with an offset, got "${raw}"`,
      });
    }
    return parsed;
  };
  const from = instant("from");
  const to = instant("to");
  if (from !== undefined && to !== undefined && from > to) {
    errors.push({ field: "to", message: `must not be before from (${from})` });
  }

  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    value: {
      ...(experiment !== undefined ? { experiment } : {}),
      windowDays,
      winback: winback as WinbackKind,
      ...(from !== undefined ? { from } : {}),
      ...(to !== undefined ? { to } : {}),
    },
  };
}

/** The query as URL parameters, for a client of the API (the CLI). */
export function winbackQueryString(
  query: Readonly<Partial<Record<WinbackQueryParameter, string | number>>>,
): string {
  const search = new URLSearchParams();
  for (const name of WINBACK_QUERY_PARAMETERS) {
    const raw = query[name];
    if (raw !== undefined) search.set(name, String(raw));
  }
  return search.toString();
}

/**
 * Parses a message cost table: a JSON object of channel → cost of one message in major units of
 * the base currency, e.g. `{"sms":0.05,"email":0.001,"push":0}`; channels left out keep their
 * defaults. Errors name the key, e.g. `WINBACK_MESSAGE_COSTS.sms: must be a number ≥ 0`.
 */
export function parseMessageCosts(raw: string, source: string = MESSAGE_COSTS_ENV): MessageCosts {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new Error(`${source}: must be a JSON object such as {"sms":0.05,"email":0.001,"push":0}`);
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new Error(`${source}: must be a JSON object such as {"sms":0.05,"email":0.001,"push":0}`);
  }
  const costs: Record<Channel, number> = { ...DEFAULT_MESSAGE_COSTS };
  for (const [key, value] of Object.entries(json)) {
    if (!(key in costs)) {
      throw new Error(`${source}.${key}: unknown channel; use email, push or sms`);
    }
    if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
      throw new Error(`${source}.${key}: must be a number ≥ 0, got ${JSON.stringify(value)}`);
    }
    costs[key as Channel] = value;
  }
  return costs;
}

/** The configured message costs, or the defaults when the variable is unset. */
export function messageCostsFromEnv(env: NodeJS.ProcessEnv = process.env): MessageCosts {
  const raw = env[MESSAGE_COSTS_ENV];
  return raw === undefined || raw.trim() === "" ? DEFAULT_MESSAGE_COSTS : parseMessageCosts(raw);
}
