/** `churnwatch start`: local mode in the foreground until Ctrl-C. */
import { isAbsolute, relative } from "node:path";
import { errorMessage, UsageError } from "../../errors.js";
import {
  type ThrottleLimits,
  throttleFromEnv,
  validateThrottleLimits,
} from "../../http/token-bucket.js";
import {
  apiKeyFromEnv,
  DEFAULT_API_KEY,
  DEFAULT_PORT,
  type LocalMode,
  startLocal,
} from "../../start-local.js";
import {
  defineCommand,
  noPositionals,
  type ParsedValues,
  parsePort,
  stringFlag,
} from "../command.js";
import type { CliIo } from "../io.js";

export interface StartOptions {
  readonly port: number;
  readonly dataDir?: string;
  readonly verbose: boolean;
  /** Set when --rate, --burst or their environment variables are; else local mode's default. */
  readonly throttle?: ThrottleLimits;
}

function parseThrottle(values: ParsedValues, env: NodeJS.ProcessEnv): ThrottleLimits | undefined {
  const rate = stringFlag(values, "rate");
  const burst = stringFlag(values, "burst");
  const fromEnv =
    env.CHURNWATCH_RATE_LIMIT?.trim() || env.CHURNWATCH_BURST_LIMIT?.trim() ? true : undefined;
  if (rate === undefined && burst === undefined && !fromEnv) return undefined;
  let limits: ThrottleLimits;
  try {
    limits = throttleFromEnv(env);
  } catch (error) {
    throw new UsageError(`churnwatch start: ${errorMessage(error)}`);
  }
  const number = (raw: string, flag: string): number => {
    if (raw.trim() === "" || !Number.isFinite(Number(raw))) {
      throw new UsageError(`churnwatch start: ${flag} must be a number, got "${raw}"`);
    }
    return Number(raw);
  };
  limits = {
    rate: rate === undefined ? limits.rate : number(rate, "--rate"),
    burst: burst === undefined ? limits.burst : number(burst, "--burst"),
  };
  const invalid = validateThrottleLimits(limits);
  if (invalid) throw new UsageError(`churnwatch start: --rate/--burst: ${invalid}`);
  return limits;
}

/** Relative to the working directory when inside it, absolute otherwise. */
function shortPath(path: string): string {
  const shorter = relative(process.cwd(), path);
  return shorter === "" ? "." : shorter.startsWith("..") || isAbsolute(shorter) ? path : shorter;
}

function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

export function readyBanner(local: LocalMode, keyFromEnv: boolean): string {
  const now = new Date();
  const sample = JSON.stringify({
    events: [
      {
        eventId: "e-1",
        userId: "u-1",
        type: "app_open",
        occurredAt: `${now.toISOString().slice(0, 19)}Z`,
      },
    ],
  });
  // A key from the environment stays out of the terminal (and CI logs); the default is public.
  const keyShown = keyFromEnv ? "$CHURNWATCH_API_KEY" : local.apiKey;
  const keyHint = keyFromEnv
    ? "from CHURNWATCH_API_KEY"
    : `${DEFAULT_API_KEY} (set CHURNWATCH_API_KEY to change it)`;
  const dataDir = shortPath(local.dataDir);
  const outbox = shortPath(local.outboxPath);
  const storage = local.persistent
    ? `${dataDir} (DynamoDB data and outbox kept across restarts; queues start empty)`
    : `DynamoDB in memory; outbox at ${outbox} (emptied on start)`;
  const seconds = (local.startupMs / 1000).toFixed(1);
  return [
    `churnwatch local mode ready in ${seconds} s`,
    `  API        ${local.url}   dashboard: ${local.url}/`,
    `  API key    ${keyHint}, sent as the x-api-key header`,
    `  data       ${storage}`,
    `  throttle   ${
      local.throttle
        ? `${local.throttle.rate} requests/s per API key, burst ${local.throttle.burst} (--rate, --burst)`
        : "off"
    }`,
    `  try        curl -s -X POST ${local.url}/v1/events -H "x-api-key: ${keyShown}" -H 'content-type: application/json' -d ${shellQuote(sample)}`,
    `  score      npx churnwatch score --as-of <date>${local.port === DEFAULT_PORT ? "" : ` --url ${local.url}`}`,
    "Press Ctrl-C to stop.",
    "",
  ].join("\n");
}

function waitForSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      resolve(signal);
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });
}

export const startCommand = defineCommand<StartOptions>({
  name: "start",
  summary: "run local mode: API, pipeline and dashboard on emulators (= npm start)",
  help: `Usage: churnwatch start [--port N] [--data-dir DIR] [--rate N] [--burst N] [--verbose]

Runs churnwatch on this machine: DynamoDB Local (needs Java 17+) and fauxqs for SNS/SQS, the
same handlers and topology as on AWS, an HTTP API on 127.0.0.1, SQS pollers, the scoring
schedule and a dashboard. Stops cleanly on Ctrl-C.

Options:
  --port N         HTTP port on 127.0.0.1 (default: PORT, else ${DEFAULT_PORT}; 0 picks a free one)
  --data-dir DIR   keep DynamoDB data and the outbox in DIR across restarts
                   (default: in memory, outbox in .churnwatch/ emptied on start)
  --rate N         requests per second each API key may make; more answer 429 with
                   Retry-After, like the AWS usage plan (default: 100)
  --burst N        requests a key may make at once after a quiet spell (default: 200)
  --verbose        log pollers, schedules and handler output at INFO
  -h, --help       show this help

Environment:
  PORT                 default port
  CHURNWATCH_API_KEY   the API key local mode accepts (default: ${DEFAULT_API_KEY})
  CHURNWATCH_LOG_LEVEL debug, info, warn (default) or error; --verbose means info
  CHURNWATCH_RATE_LIMIT, CHURNWATCH_BURST_LIMIT   defaults for --rate and --burst
`,
  options: {
    port: { type: "string" },
    "data-dir": { type: "string" },
    rate: { type: "string" },
    burst: { type: "string" },
    verbose: { type: "boolean", short: "v" },
  },
  parse(values, positionals, env) {
    noPositionals("start", positionals);
    const portFlag = stringFlag(values, "port");
    const port =
      portFlag !== undefined
        ? parsePort(portFlag, "churnwatch start: --port")
        : env.PORT !== undefined && env.PORT.trim() !== ""
          ? parsePort(env.PORT, "churnwatch start: PORT")
          : DEFAULT_PORT;
    const dataDir = stringFlag(values, "data-dir");
    if (dataDir !== undefined && dataDir.trim() === "") {
      throw new UsageError("churnwatch start: --data-dir needs a directory");
    }
    const throttle = parseThrottle(values, env);
    return {
      port,
      verbose: values.verbose === true,
      ...(dataDir ? { dataDir } : {}),
      ...(throttle ? { throttle } : {}),
    };
  },
  async run(options: StartOptions, io: CliIo) {
    const signal = waitForSignal();
    // Ctrl-C during start-up stops right after it, through the same clean path.
    const local = await startLocal({
      port: options.port,
      logLevel: options.verbose ? "info" : "warn",
      ...(options.dataDir ? { dataDir: options.dataDir } : {}),
      ...(options.throttle ? { throttle: options.throttle } : {}),
    });
    io.stdout(readyBanner(local, apiKeyFromEnv(io.env) !== undefined));
    const received = await signal;
    io.stderr(`\n${received}: stopping…\n`);
    // A second Ctrl-C while stopping means "now": the exit hook still kills the JVM.
    const force = () => {
      io.stderr("stopping immediately\n");
      process.exit(130);
    };
    process.once("SIGINT", force);
    try {
      await local.stop();
    } catch (error) {
      io.stderr(`churnwatch: shutdown was not clean: ${errorMessage(error)}\n`);
      return 1;
    } finally {
      process.off("SIGINT", force);
    }
    io.stderr("stopped\n");
    return 0;
  },
});
