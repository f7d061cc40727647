/**
 * Per-stage configuration of the CDK app, read once from CDK context (`cdk.json` or
 * `-c key=value`) and validated, so a typo fails `cdk synth` with the key's name instead of
 * deploying a half-configured stack.
 */
import { RemovalPolicy } from "aws-cdk-lib";
import { RetentionDays } from "aws-cdk-lib/aws-logs";
import { z } from "zod";
import { parseCurrencyTable } from "../lambdas/domain/currency.js";
import {
  DEFAULT_PROMOTION_DAMPING_DAYS,
  MAX_PROMOTION_DAMPING_DAYS,
  parsePromotions,
} from "../lambdas/domain/promotions.js";
import { parseTierPolicy } from "../lambdas/domain/risk-tiers.js";
import { parseRulesConfig } from "../lambdas/domain/rules.js";
import { parseMessageCosts } from "../lambdas/domain/winback-config.js";
import { actionsConfigFromEnv } from "../lambdas/shared/actions-config.js";
import { DEFAULT_EVENT_HORIZON } from "../lambdas/shared/config.js";
import { ENV } from "../lambdas/shared/env-names.js";
import { CHANNELS, type Channel } from "./topology.js";

export const STAGES = ["dev", "prod"] as const;
export type Stage = (typeof STAGES)[number];

export const LOG_LEVELS = ["DEBUG", "INFO", "WARN", "ERROR"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Validated configuration of one deployed stage. */
export interface StageConfig {
  readonly stage: Stage;
  /** Receives the marketing digest (e-mail subscription on the marketing topic). */
  readonly marketingEmail?: string;
  /** Receives CloudWatch alarms (e-mail subscription on the ops topic). */
  readonly alarmEmail?: string;
  /** Verified SES identity retention e-mails are sent from. */
  readonly emailFrom: string;
  readonly scoringSegments: number;
  /** Churn rules configuration (JSON, lambdas/domain/rules.ts); unset keeps the defaults. */
  readonly rulesConfig?: string;
  /** Risk tier boundaries (JSON, lambdas/domain/risk-tiers.ts); unset keeps fixed 0.5/0.7/0.9. */
  readonly riskTiers?: string;
  /** The promotion calendar, validated and normalized to a JSON array; unset means none. */
  readonly promotions?: string;
  /** Days after a promotion during which drop- and silence-based rules are damped. */
  readonly promotionDampingDays: number;
  readonly dedupeTtlDays: number;
  readonly channelPreference: readonly Channel[];
  readonly apiThrottleRateLimit: number;
  readonly apiThrottleBurstLimit: number;
  readonly logRetention: RetentionDays;
  readonly logLevel: LogLevel;
  /**
   * Reserve the topology's concurrency for the senders. AWS keeps 100 executions unreserved,
   * so accounts with a small concurrency limit (new accounts start at 10) must turn this off.
   */
  readonly reserveSenderConcurrency: boolean;
  /** Exchange rates into the base currency, as JSON; unset keeps the built-in CNY table. */
  readonly currencyTable?: string;
  /** Events dated before this instant are refused at ingest. */
  readonly eventHorizon: string;
  /** Spend in 365 days (base currency, major units) above which a user is high value. */
  readonly highValueThreshold: number;
  /** Retention policy, custom templates, quiet hours, frequency cap: JSON, checked at synth. */
  readonly retentionPolicy?: string;
  readonly templates?: string;
  readonly quietHours?: string;
  readonly frequencyCap?: string;
  /** Cost of one message per channel (JSON), for cost per won-back user. */
  readonly messageCosts?: string;
  /** prod keeps data when the stack or a resource is deleted; dev cleans up after itself. */
  readonly removalPolicy: RemovalPolicy;
  readonly deletionProtection: boolean;
}

/** Raised for a missing or malformed context value; the message names the key. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

/**
 * A JSON setting: an object in cdk.json or its JSON text with `-c key='{...}'`, kept as JSON
 * text for the environment. Its meaning is checked with the other retention settings.
 */
const jsonSetting = z.unknown().transform((value, ctx) => {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "string") {
    if (value.trim() === "") return undefined;
    try {
      JSON.parse(value);
    } catch (error) {
      ctx.addIssue({ code: "custom", message: `not valid JSON: ${(error as Error).message}` });
      return z.NEVER;
    }
    return value;
  }
  return JSON.stringify(value);
});

const RETENTION_VALUES = new Set<number>(
  Object.values(RetentionDays).filter((v): v is number => typeof v === "number"),
);

// Values passed with `-c key=value` arrive as strings, values from cdk.json as JSON types:
// numbers are coerced, but only from strings that are entirely digits.
const integer = (min: number, max: number) =>
  z.preprocess(
    (v) => (typeof v === "string" && /^\s*-?\d+\s*$/.test(v) ? Number(v) : v),
    z
      .number({ error: "must be an integer" })
      .int("must be an integer")
      .min(min, `must be at least ${min}`)
      .max(max, `must be at most ${max}`),
  );

const flag = z.preprocess(
  (v) => (v === "true" ? true : v === "false" ? false : v),
  z.boolean({ error: "must be true or false" }),
);

const optionalEmail = z.preprocess(
  (v) => (typeof v === "string" && v.trim() === "" ? undefined : v),
  z.email("must be an e-mail address").optional(),
);

const channelList = z
  .string({ error: "must be a comma-separated list of channels" })
  .transform((v) =>
    v
      .split(",")
      .map((c) => c.trim())
      .filter((c) => c !== ""),
  )
  .pipe(
    z
      .array(
        z.enum(CHANNELS as readonly [Channel, ...Channel[]], {
          error: `must list channels out of ${CHANNELS.join(", ")}`,
        }),
      )
      .min(1, "must name at least one channel")
      .refine((list) => new Set(list).size === list.length, "must not repeat a channel"),
  );

const contextSchema = z.object({
  stage: z.enum(STAGES, { error: `must be one of ${STAGES.join(", ")}` }),
  marketingEmail: optionalEmail,
  alarmEmail: optionalEmail,
  emailFrom: z.email("must be an e-mail address"),
  scoringSegments: integer(1, 1000),
  riskTiers: z
    .string()
    .superRefine((json, ctx) => {
      try {
        parseTierPolicy(JSON.parse(json));
      } catch (error) {
        ctx.addIssue({ code: "custom", message: (error as Error).message });
      }
    })
    .optional(),
  rulesConfig: z
    .string()
    .superRefine((json, ctx) => {
      try {
        parseRulesConfig(JSON.parse(json));
      } catch (error) {
        ctx.addIssue({ code: "custom", message: (error as Error).message });
      }
    })
    .optional(),
  // A JSON array in cdk.json, or its JSON text with `-c promotions='[...]'`.
  promotions: z.unknown().transform((value, ctx) => {
    if (value === undefined || (typeof value === "string" && value.trim() === "")) {
      return undefined;
    }
    try {
      const list = parsePromotions(typeof value === "string" ? JSON.parse(value) : value);
      return list.length > 0 ? JSON.stringify(list) : undefined;
    } catch (error) {
      const message =
        error instanceof SyntaxError
          ? "must be a JSON array of {name, from, to}"
          : (error as Error).message;
      ctx.addIssue({ code: "custom", message });
      return z.NEVER;
    }
  }),
  promotionDampingDays: integer(0, MAX_PROMOTION_DAMPING_DAYS),
  dedupeTtlDays: integer(1, 3650),
  channelPreference: channelList,
  apiThrottleRateLimit: integer(1, 100_000),
  apiThrottleBurstLimit: integer(1, 100_000),
  logRetentionDays: integer(1, 9999).refine((d) => RETENTION_VALUES.has(d), {
    message: `must be a CloudWatch Logs retention (${[...RETENTION_VALUES].join(", ")})`,
  }),
  logLevel: z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(", ")}` }),
  reserveSenderConcurrency: flag,
  currencyTable: z
    .string()
    .superRefine((json, ctx) => {
      try {
        parseCurrencyTable(json);
      } catch (error) {
        ctx.addIssue({ code: "custom", message: (error as Error).message });
      }
    })
    .optional(),
  eventHorizon: z.iso.datetime({
    offset: true,
    error: "must be an ISO 8601 date-time with offset",
  }),
  highValueThreshold: integer(1, 1_000_000_000),
  retentionPolicy: jsonSetting,
  templates: jsonSetting,
  messageCosts: jsonSetting.superRefine((json, ctx) => {
    if (json === undefined) return;
    try {
      parseMessageCosts(json, "messageCosts");
    } catch (error) {
      ctx.addIssue({ code: "custom", message: (error as Error).message });
    }
  }),
  quietHours: jsonSetting,
  frequencyCap: jsonSetting,
});

/** Names of the retention settings' context keys, with the environment variable each becomes. */
const ACTION_SETTINGS = {
  retentionPolicy: ENV.retentionPolicy,
  templates: ENV.templates,
  quietHours: ENV.quietHours,
  frequencyCap: ENV.frequencyCap,
} as const;

/** The context keys this app reads; anything else in context is left to CDK. */
export type ContextKey = keyof z.input<typeof contextSchema>;
export const CONTEXT_KEYS = Object.keys(contextSchema.shape) as ContextKey[];

const COMMON_DEFAULTS = {
  emailFrom: "no-reply@example.com",
  scoringSegments: 4,
  promotionDampingDays: DEFAULT_PROMOTION_DAMPING_DAYS,
  dedupeTtlDays: 400,
  channelPreference: "email,push,sms",
  apiThrottleRateLimit: 100,
  apiThrottleBurstLimit: 200,
  reserveSenderConcurrency: true,
  eventHorizon: DEFAULT_EVENT_HORIZON,
  highValueThreshold: 5000,
} as const;

/** Defaults per stage; prod keeps logs longer and logs less. */
export const STAGE_DEFAULTS: Readonly<Record<Stage, Partial<Record<ContextKey, unknown>>>> = {
  dev: { ...COMMON_DEFAULTS, logRetentionDays: RetentionDays.TWO_WEEKS, logLevel: "DEBUG" },
  prod: { ...COMMON_DEFAULTS, logRetentionDays: RetentionDays.ONE_YEAR, logLevel: "INFO" },
};

/**
 * Builds the stage configuration from a context lookup (`app.node.tryGetContext`).
 * @throws ConfigError naming the first offending key and why it was refused.
 */
export function loadConfig(lookup: (key: string) => unknown): StageConfig {
  const stage = parseKey("stage", lookup("stage") ?? "dev") as Stage;
  const raw: Record<string, unknown> = { stage };
  for (const key of CONTEXT_KEYS) {
    if (key === "stage") continue;
    raw[key] = lookup(key) ?? STAGE_DEFAULTS[stage][key];
  }
  const result = contextSchema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0];
    const key = String(issue?.path[0] ?? "context");
    throw new ConfigError(describe(key, raw[key], issue?.message ?? "is invalid"));
  }
  const c = result.data;
  if (c.apiThrottleBurstLimit < c.apiThrottleRateLimit) {
    throw new ConfigError(
      describe(
        "apiThrottleBurstLimit",
        c.apiThrottleBurstLimit,
        `must be at least apiThrottleRateLimit (${c.apiThrottleRateLimit})`,
      ),
    );
  }
  // The retention settings refer to each other (a policy names templates): checked together,
  // exactly as each Lambda checks them at cold start.
  const actionSettings: Partial<Record<keyof typeof ACTION_SETTINGS, string>> = {};
  for (const key of Object.keys(ACTION_SETTINGS) as (keyof typeof ACTION_SETTINGS)[]) {
    if (c[key]) actionSettings[key] = c[key];
  }
  try {
    actionsConfigFromEnv(
      Object.fromEntries(
        Object.entries(actionSettings).map(([key, json]) => [
          ACTION_SETTINGS[key as keyof typeof ACTION_SETTINGS],
          json,
        ]),
      ),
    );
  } catch (error) {
    const message = (error as Error).message;
    const key = (Object.keys(ACTION_SETTINGS) as (keyof typeof ACTION_SETTINGS)[]).find((name) =>
      message.startsWith(`${ACTION_SETTINGS[name]}:`),
    );
    const reason = key ? message.slice(ACTION_SETTINGS[key].length + 1).trim() : message;
    throw new ConfigError(describe(key ?? "retentionPolicy", key ? c[key] : undefined, reason));
  }
  const prod = c.stage === "prod";
  return {
    stage: c.stage,
    ...(c.marketingEmail ? { marketingEmail: c.marketingEmail } : {}),
    ...(c.alarmEmail ? { alarmEmail: c.alarmEmail } : {}),
    emailFrom: c.emailFrom,
    scoringSegments: c.scoringSegments,
    ...(c.rulesConfig ? { rulesConfig: c.rulesConfig } : {}),
    ...(c.riskTiers ? { riskTiers: c.riskTiers } : {}),
    ...(c.promotions ? { promotions: c.promotions } : {}),
    promotionDampingDays: c.promotionDampingDays,
    dedupeTtlDays: c.dedupeTtlDays,
    channelPreference: c.channelPreference,
    apiThrottleRateLimit: c.apiThrottleRateLimit,
    apiThrottleBurstLimit: c.apiThrottleBurstLimit,
    logRetention: c.logRetentionDays as RetentionDays,
    logLevel: c.logLevel,
    reserveSenderConcurrency: c.reserveSenderConcurrency,
    ...(c.currencyTable ? { currencyTable: c.currencyTable } : {}),
    eventHorizon: c.eventHorizon,
    highValueThreshold: c.highValueThreshold,
    ...actionSettings,
    ...(c.messageCosts ? { messageCosts: c.messageCosts } : {}),
    removalPolicy: prod ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    deletionProtection: prod,
  };
}

function parseKey(key: ContextKey, value: unknown): unknown {
  const result = contextSchema.shape[key].safeParse(value);
  if (!result.success) {
    throw new ConfigError(describe(key, value, result.error.issues[0]?.message ?? "is invalid"));
  }
  return result.data;
}

function describe(key: string, value: unknown, reason: string): string {
  return `Invalid CDK context value for "${key}" (${JSON.stringify(value) ?? "unset"}): ${reason}`;
}
