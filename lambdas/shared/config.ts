import {
  type CurrencyTable,
  DEFAULT_CURRENCY_TABLE,
  parseCurrencyTable,
} from "../domain/currency.js";
import { DEFAULT_INDICATOR_OPTIONS } from "../domain/indicators.js";
import {
  DEFAULT_PROMOTION_DAMPING_DAYS,
  MAX_PROMOTION_DAMPING_DAYS,
  type Promotion,
  parsePromotions,
} from "../domain/promotions.js";
import type { ScoringOptions } from "../domain/risk.js";
import { DEFAULT_TIER_POLICY, parseTierPolicy, type TierPolicy } from "../domain/risk-tiers.js";
import { parseRulesConfig } from "../domain/rules.js";
import { ENV, type EnvName } from "./env-names.js";

/** Before this, events are refused unless EVENT_HORIZON says otherwise (CDNOW starts 1997). */
export const DEFAULT_EVENT_HORIZON = "1990-01-01T00:00:00Z";

/** Raised at cold start when the deployment forgot a variable: the message names it. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

export function requireEnv(name: EnvName, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (value === undefined || value.trim() === "") {
    throw new ConfigError(`missing environment variable ${name}`);
  }
  return value;
}

export function optionalEnv(
  name: EnvName,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === "" ? undefined : value;
}

export function positiveIntEnv(name: EnvName, fallback: number, env = process.env): number {
  const raw = optionalEnv(name, env);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) {
    throw new ConfigError(`environment variable ${name} must be a positive integer, got "${raw}"`);
  }
  return value;
}

export function currencyTableFromEnv(env = process.env): CurrencyTable {
  const raw = optionalEnv(ENV.currencyTable, env);
  if (raw === undefined) return DEFAULT_CURRENCY_TABLE;
  try {
    return parseCurrencyTable(raw);
  } catch (error) {
    throw new ConfigError(`${ENV.currencyTable}: ${(error as Error).message}`);
  }
}

export function eventHorizonFromEnv(env = process.env): Date {
  const raw = optionalEnv(ENV.eventHorizon, env) ?? DEFAULT_EVENT_HORIZON;
  const horizon = new Date(raw);
  if (Number.isNaN(horizon.getTime())) {
    throw new ConfigError(`${ENV.eventHorizon} must be an ISO 8601 date, got "${raw}"`);
  }
  return horizon;
}

export interface PromotionSettings {
  /** The configured calendar, sorted by start; stored promotions are merged in by the caller. */
  readonly promotions: readonly Promotion[];
  readonly dampingDays: number;
}

/**
 * The configured promotion calendar and damping days; a bad PROMOTIONS stops the cold start
 * naming the entry, e.g. `PROMOTIONS[1].to: must be a calendar date YYYY-MM-DD`.
 */
export function promotionsFromEnv(env = process.env): PromotionSettings {
  const raw = optionalEnv(ENV.promotions, env);
  let promotions: Promotion[] = [];
  if (raw !== undefined) {
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      throw new ConfigError(`${ENV.promotions} must be a JSON array of {name, from, to}`);
    }
    try {
      promotions = parsePromotions(json, ENV.promotions);
    } catch (error) {
      throw new ConfigError((error as Error).message);
    }
  }
  const rawDays = optionalEnv(ENV.promotionDampingDays, env);
  let dampingDays = DEFAULT_PROMOTION_DAMPING_DAYS;
  if (rawDays !== undefined) {
    dampingDays = /^\s*\d+\s*$/.test(rawDays) ? Number(rawDays) : Number.NaN;
    if (!(dampingDays >= 0 && dampingDays <= MAX_PROMOTION_DAMPING_DAYS)) {
      throw new ConfigError(
        `environment variable ${ENV.promotionDampingDays} must be an integer from 0 to ` +
          `${MAX_PROMOTION_DAMPING_DAYS}, got "${rawDays}"`,
      );
    }
  }
  return { promotions, dampingDays };
}

/**
 * Rules, tiers and the configured promotion calendar for scoring; a bad RULES_CONFIG or
 * PROMOTIONS stops the cold start with the exact key.
 */
/** The tier policy; a bad RISK_TIERS stops the cold start with the exact key. */
export function tierPolicyFromEnv(env = process.env): TierPolicy {
  const raw = optionalEnv(ENV.riskTiers, env);
  if (raw === undefined) return DEFAULT_TIER_POLICY;
  try {
    return parseTierPolicy(JSON.parse(raw));
  } catch (error) {
    throw new ConfigError(`${ENV.riskTiers}: ${(error as Error).message}`);
  }
}

export function scoringOptionsFromEnv(env = process.env): ScoringOptions {
  const raw = optionalEnv(ENV.rulesConfig, env);
  let rules = {};
  if (raw !== undefined) {
    try {
      rules = parseRulesConfig(JSON.parse(raw));
    } catch (error) {
      throw new ConfigError(`${ENV.rulesConfig}: ${(error as Error).message}`);
    }
  }
  const { promotions, dampingDays } = promotionsFromEnv(env);
  return {
    rules,
    tiers: tierPolicyFromEnv(env).floors,
    indicators: {
      ...DEFAULT_INDICATOR_OPTIONS,
      highValueMinor: positiveIntEnv(ENV.highValueThreshold, 5000, env) * 100,
      ...(promotions.length > 0 ? { promotions } : {}),
      promotionDampingDays: dampingDays,
    },
  };
}
