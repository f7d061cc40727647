/**
 * Local mode, assembled: emulators, resources from the topology, the handlers' environment, the
 * API server, one poller per event-source mapping and the schedules. `churnwatch start` and the
 * tests both come through `startLocal`.
 */
import { join, resolve } from "node:path";
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { dynamoWinbackSources } from "../lambdas/adapters/dynamo-action-records.js";
import { DynamoPromotionStore } from "../lambdas/adapters/dynamo-promotion-store.js";
import { hashApiKey } from "../lambdas/domain/api-keys.js";
import { buildOpenApiDocument } from "../lambdas/domain/openapi.js";
import { DEFAULT_WINBACK_WINDOW_DAYS } from "../lambdas/domain/winback.js";
import { messageCostsFromEnv } from "../lambdas/domain/winback-config.js";
import { actionsConfigFromEnv } from "../lambdas/shared/actions-config.js";
import { now as clockNow } from "../lambdas/shared/clock.js";
import { currencyTableFromEnv, promotionsFromEnv } from "../lambdas/shared/config.js";
import { winbackReport } from "../lambdas/use-cases/winback-report.js";
import { API_KEY_HEADER, type FunctionName, MAX_BODY_BYTES } from "../lib/topology.js";
import { parseAsOf } from "./as-of.js";
import {
  createLocalClients,
  LOCAL_REGION,
  type LocalClients,
  type LocalEndpoints,
} from "./aws-clients.js";
import { startDynamoDbLocal } from "./emulators/dynamodb-local.js";
import { startFauxqsEmulator } from "./emulators/fauxqs.js";
import { errorMessage } from "./errors.js";
import { appIdOfKey, exportBtydCbs } from "./export.js";
import { applyEnv, buildHandlerEnv } from "./handler-env.js";
import { LOCAL_ACCOUNT_ID } from "./http/api-gateway-events.js";
import { renderDashboard } from "./http/dashboard.js";
import { startHttpServer, UnknownScheduleError } from "./http/server.js";
import {
  createRateLimiter,
  type ThrottleLimits,
  throttleFromEnv,
  validateThrottleLimits,
} from "./http/token-bucket.js";
import { assessIdle, type IdleReport, readQueueForIdle } from "./idle.js";
import { ApiKeyAdmin } from "./keys/api-key-admin.js";
import { createLogger, type LocalLogger, parseLogLevel, powertoolsLevel } from "./log.js";
import { prepareOutbox } from "./outbox.js";
import { DEFAULT_DATA_DIR, DYNAMODB_DIR, OUTBOX_FILE, REPO_ROOT } from "./paths.js";
import { buildLocalPlan, pollersFromEnv, withPollerConcurrency } from "./plan.js";
import { type ProvisionedResources, provision, seedApiKey } from "./provision.js";
import { createFunctionRuntime, type LambdaHandler } from "./runtime/function-runtime.js";
import { buildScheduledEvent } from "./schedule/scheduled-event.js";
import { createScheduler } from "./schedule/scheduler.js";
import { useFastBacklogs } from "./sqs/fauxqs-backlog.js";
import { createPoller } from "./sqs/poller.js";
import { readQueueCounts } from "./sqs/queue-counts.js";
import { collectStats, type LocalStats } from "./stats.js";
import { createLocalWorkbench } from "./workbench.js";

export const DEFAULT_PORT = 3000;
export const DEFAULT_API_KEY = "local-dev-key";

export interface StartLocalOptions {
  /** HTTP port on 127.0.0.1; 0 picks a free one. Default: PORT, else 3000. */
  readonly port?: number;
  /**
   * Keeps DynamoDB data (`<dir>/dynamodb`) and the outbox across restarts. Without it the
   * database is in memory and the outbox (in `.churnwatch/`) starts empty.
   */
  readonly dataDir?: string;
  /** Default: CHURNWATCH_API_KEY, else `local-dev-key`. */
  readonly apiKey?: string;
  /** `warn` (default), `info`, `debug`, `error`, `silent`; also sets POWERTOOLS_LOG_LEVEL. */
  readonly logLevel?: string;
  /**
   * Tests: offer failed messages again after this many seconds rather than after the queue's
   * visibility timeout, so a poison message reaches its DLQ within seconds.
   */
  readonly retryAfterSeconds?: number;
  /** Fire the topology's schedules on their timers (default true). */
  readonly schedules?: boolean;
  /** Handlers to use instead of the modules, e.g. a test authorizer. */
  readonly handlers?: Readonly<Partial<Record<FunctionName, LambdaHandler>>>;
  /**
   * Per-key throttling of the API (requests/s and burst), like the AWS usage plan. Default:
   * CHURNWATCH_RATE_LIMIT / CHURNWATCH_BURST_LIMIT, else 100/s with a burst of 200; `false`
   * turns it off.
   */
  readonly throttle?: ThrottleLimits | false;
  /** The java executable (tests point it at a missing one). */
  readonly javaCommand?: string;
  readonly logger?: LocalLogger;
}

export interface LocalMode {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  readonly apiKey: string;
  readonly dataDir: string;
  /** Whether DynamoDB data survives a restart (`dataDir` given). */
  readonly persistent: boolean;
  /** Per-key throttling in force, or false when off. */
  readonly throttle: ThrottleLimits | false;
  readonly outboxPath: string;
  /** Emulator endpoints, for tests that look inside. */
  readonly endpoints: LocalEndpoints;
  readonly resources: ProvisionedResources;
  /** Milliseconds from the call to ready. */
  readonly startupMs: number;
  /** Runs a schedule's target now, as if the schedule fired at `asOf` (default now). */
  runSchedule(name: string, asOf?: Date | string): Promise<unknown>;
  idle(): Promise<IdleReport>;
  /** Resolves once no queue has work and no poller holds a batch; rejects after the timeout. */
  waitForIdle(timeoutMs?: number): Promise<void>;
  stats(): Promise<LocalStats>;
  /** Stops schedules, pollers (finishing batches in hand), the server and the emulators. */
  stop(): Promise<void>;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** CHURNWATCH_API_KEY, when set to something (an empty variable counts as unset). */
export function apiKeyFromEnv(env: NodeJS.ProcessEnv): string | undefined {
  const key = env.CHURNWATCH_API_KEY?.trim();
  return key ? key : undefined;
}

function defaultPort(): number {
  const raw = process.env.PORT;
  if (raw === undefined || raw.trim() === "") return DEFAULT_PORT;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new Error(`PORT must be a port number (0-65535), got "${raw}"`);
  }
  return port;
}

export async function startLocal(options: StartLocalOptions = {}): Promise<LocalMode> {
  const startedAt = performance.now();
  const level = parseLogLevel(options.logLevel ?? process.env.CHURNWATCH_LOG_LEVEL, "warn");
  const logger = options.logger ?? createLogger(level);
  const plan = buildLocalPlan();
  const persistent = options.dataDir !== undefined;
  const dataDir = resolve(options.dataDir ?? DEFAULT_DATA_DIR);
  const outboxPath = join(dataDir, OUTBOX_FILE);
  const apiKey = options.apiKey ?? apiKeyFromEnv(process.env) ?? DEFAULT_API_KEY;
  if (apiKey.trim() === "") throw new Error("the API key must not be empty");
  const throttle =
    options.throttle === false ? false : (options.throttle ?? throttleFromEnv(process.env));
  const badThrottle = throttle ? validateThrottleLimits(throttle) : undefined;
  if (badThrottle) throw new RangeError(`throttle: ${badThrottle}`);
  // A policy naming a missing template, a bad time zone or cap: refused now, with the exact place.
  actionsConfigFromEnv(process.env);

  // Undone in reverse order on stop, or as far as start got when it fails.
  const cleanups: { name: string; run: () => Promise<void> | void }[] = [];
  const cleanUp = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      try {
        await cleanup.run();
      } catch (error) {
        logger.warn("shutdown step failed", { step: cleanup.name, error: errorMessage(error) });
      }
    }
  };

  try {
    const http = await startHttpServer(options.port ?? defaultPort(), logger);
    cleanups.push({ name: "http", run: () => http.close() });

    // Both emulators at once (the JVM is the slow one). If one fails, stop the other.
    const [dynamodbStart, fauxqsStart] = await Promise.allSettled([
      startDynamoDbLocal({
        ...(persistent ? { dbPath: join(dataDir, DYNAMODB_DIR) } : {}),
        ...(options.javaCommand ? { javaCommand: options.javaCommand } : {}),
        logger,
      }),
      // fauxqs' own backlog makes each receive cost time in proportion to the queue's depth.
      useFastBacklogs().then(() => startFauxqsEmulator()),
    ]);
    if (dynamodbStart.status === "fulfilled") {
      const dynamodb = dynamodbStart.value;
      cleanups.push({ name: "dynamodb-local", run: () => dynamodb.stop() });
    }
    if (fauxqsStart.status === "fulfilled") {
      const fauxqs = fauxqsStart.value;
      cleanups.push({ name: "fauxqs", run: () => fauxqs.stop() });
    }
    if (dynamodbStart.status === "rejected") throw dynamodbStart.reason;
    if (fauxqsStart.status === "rejected") throw fauxqsStart.reason;
    const dynamodb = dynamodbStart.value;
    const fauxqs = fauxqsStart.value;

    const endpoints: LocalEndpoints = {
      dynamodb: dynamodb.endpoint,
      sqs: fauxqs.endpoint,
      sns: fauxqs.endpoint,
    };
    const clients: LocalClients = createLocalClients(endpoints);
    cleanups.push({ name: "clients", run: () => clients.destroy() });

    const resources = await provision(plan, clients);
    await seedApiKey(clients.doc, resources.tables.apiKeys, apiKey);
    prepareOutbox(outboxPath, !persistent);

    const env = buildHandlerEnv({
      resources,
      endpoints,
      outboxPath,
      powertoolsLogLevel: powertoolsLevel(level),
    });
    const restoreEnv = applyEnv(env);
    cleanups.push({ name: "env", run: restoreEnv });

    const runtime = createFunctionRuntime({
      functions: plan.functions,
      repoRoot: REPO_ROOT,
      region: LOCAL_REGION,
      accountId: LOCAL_ACCOUNT_ID,
      environmentFingerprint: JSON.stringify(env),
      ...(options.handlers ? { overrides: options.handlers } : {}),
    });

    const runSchedule = async (name: string, asOf?: Date | string): Promise<unknown> => {
      const schedule = plan.schedules.find((candidate) => candidate.name === name);
      if (!schedule) {
        throw new UnknownScheduleError(
          `no schedule named "${name}" (known: ${plan.schedules.map((s) => s.name).join(", ")})`,
        );
      }
      const time =
        asOf === undefined ? clockNow() : typeof asOf === "string" ? parseAsOf(asOf) : asOf;
      const event = buildScheduledEvent({
        ruleName: `churnwatch-local-${schedule.name}`,
        time,
        region: LOCAL_REGION,
        account: LOCAL_ACCOUNT_ID,
      });
      return runtime.invoke(schedule.target, event);
    };

    // CHURNWATCH_POLLERS: batches the events queue's poller handles at once (see plan.ts).
    const pollerSpecs = withPollerConcurrency(plan.pollers, pollersFromEnv(process.env));
    const pollers = pollerSpecs.map((spec) => {
      const queue = resources.queues[spec.queue];
      return createPoller({
        sqs: clients.sqs,
        queueUrl: queue.url,
        queueArn: queue.arn,
        name: queue.name,
        region: LOCAL_REGION,
        batchSize: spec.batchSize,
        windowSeconds: spec.maxBatchingWindowSeconds,
        visibilityTimeoutSeconds: spec.visibilityTimeoutSeconds,
        concurrency: spec.concurrency,
        ...(spec.affinityKey ? { affinityKey: spec.affinityKey } : {}),
        ...(options.retryAfterSeconds !== undefined
          ? { retryAfterSeconds: options.retryAfterSeconds }
          : {}),
        invoke: (event) => runtime.invoke(spec.consumer, event),
        logger,
      });
    });
    cleanups.push({
      name: "pollers",
      run: async () => {
        await Promise.all(pollers.map((poller) => poller.stop()));
      },
    });

    const scheduler = createScheduler({
      schedules: options.schedules === false ? [] : plan.schedules,
      fire: (schedule, time) => runSchedule(schedule.name, time),
      logger,
    });
    cleanups.push({ name: "scheduler", run: () => scheduler.stop() });

    const idle = async (): Promise<IdleReport> => {
      const readings = await Promise.all(
        plan.queues.map((queue) =>
          readQueueForIdle(queue.key, {
            // Counts first: a snapshot copies a whole backlog (see readQueueForIdle).
            counts: () =>
              readQueueCounts(clients.sqs, resources.queues[queue.key].url).catch(() => undefined),
            snapshot: () => fauxqs.inspector.snapshot(queue.name),
          }),
        ),
      );
      return assessIdle(
        readings,
        pollers.map((poller) => ({ busy: poller.busy, awaitingRetry: poller.awaitingRetry() })),
      );
    };

    const statsSources = {
      doc: clients.doc,
      usersTable: resources.tables.users,
      inspector: fauxqs.inspector,
      queues: plan.queues,
      outboxPath,
    };

    const checkApiKey = async (key: string): Promise<boolean> => {
      const found = await clients.doc.send(
        new GetCommand({ TableName: resources.tables.apiKeys, Key: { keyHash: hashApiKey(key) } }),
      );
      return found.Item?.status === "active";
    };
    const adminKeyHash = hashApiKey(apiKey);
    const url = `http://127.0.0.1:${http.port}`;
    let openapi: unknown;
    const appOfKey = (key: string) => appIdOfKey(clients.doc, resources.tables.apiKeys, key);
    const winbackSources = dynamoWinbackSources(clients.doc, {
      usersTable: resources.tables.users,
      ledgerTable: resources.tables.ledger,
    });
    /** The local app's win-back report for the dashboard, or why there is none. */
    const localWinback = async () => {
      try {
        const appId = await appOfKey(apiKey);
        if (!appId) return { error: "the local API key has no app" };
        return await winbackReport(
          appId,
          { windowDays: DEFAULT_WINBACK_WINDOW_DAYS, winback: "purchase" },
          {
            ...winbackSources,
            messageCosts: messageCostsFromEnv(),
            currency: currencyTableFromEnv(),
          },
        );
      } catch (error) {
        return { error: errorMessage(error) };
      }
    };

    http.attach({
      routes: plan.routes,
      invoke: (name, event) => runtime.invoke(name, event),
      maxBodyBytes: MAX_BODY_BYTES,
      apiKeyHeader: API_KEY_HEADER,
      region: LOCAL_REGION,
      ...(throttle ? { throttle: createRateLimiter(throttle) } : {}),
      local: {
        dashboard: async () => {
          const { stats, recentOutbox, recentMarketing } = await collectStats(statsSources, 20);
          return renderDashboard({
            stats,
            recentOutbox,
            recentMarketing,
            nextFirings: scheduler.nextFirings(),
            generatedAt: new Date(),
            winback: await localWinback(),
          });
        },
        stats: async () => (await collectStats(statsSources, 0)).stats,
        idle,
        runSchedule: (name, asOf) => runSchedule(name, asOf),
        checkApiKey,
        keys: {
          admin: new ApiKeyAdmin(clients.doc, resources.tables.apiKeys),
          adminKeyHash,
          roleOf: async (key) =>
            !(await checkApiKey(key)) ? "none" : hashApiKey(key) === adminKeyHash ? "admin" : "app",
        },
        openapi: () => {
          openapi ??= buildOpenApiDocument(url);
          return openapi;
        },
        promotions: {
          appOf: appOfKey,
          store: new DynamoPromotionStore(clients.doc, resources.tables.scoring),
          configured: promotionsFromEnv().promotions,
        },
        models: { appOf: appOfKey, workbench: createLocalWorkbench(clients.doc, resources.tables) },
        actions: async (key, filter) => {
          const appId = await appOfKey(key);
          return appId === undefined
            ? undefined
            : { appId, pages: winbackSources.actions.actionsOf(appId, filter) };
        },
        exportBtydCbs: async (key, query) => {
          const appId = await appIdOfKey(clients.doc, resources.tables.apiKeys, key);
          return appId === undefined
            ? undefined
            : exportBtydCbs(clients.doc, resources.tables.users, appId, query);
        },
      },
    });
    for (const poller of pollers) poller.start();
    scheduler.start();

    const startupMs = Math.round(performance.now() - startedAt);
    logger.info("local mode ready", { url, startupMs });

    let stopping: Promise<void> | undefined;
    return {
      url,
      port: http.port,
      apiKey,
      dataDir,
      persistent,
      throttle,
      outboxPath,
      endpoints,
      resources,
      startupMs,
      runSchedule,
      idle,
      async waitForIdle(timeoutMs = 60_000) {
        const deadline = Date.now() + timeoutMs;
        let quietChecks = 0;
        let last: IdleReport | undefined;
        // Two idle readings in a row: a message can be between a handler's send and a poller's
        // receive for an instant, and one reading could fall into it.
        while (Date.now() < deadline) {
          last = await idle();
          quietChecks = last.idle ? quietChecks + 1 : 0;
          if (quietChecks >= 2) return;
          await sleep(100);
        }
        throw new Error(
          `local mode still busy after ${Math.round(timeoutMs / 1000)} s: ${JSON.stringify(last?.queues)}`,
        );
      },
      stats: async () => (await collectStats(statsSources, 0)).stats,
      stop() {
        stopping ??= (async () => {
          // Take no new work, let what is in hand finish, then tear the emulators down.
          scheduler.stop();
          await Promise.all([http.close(), ...pollers.map((poller) => poller.stop())]);
          await cleanUp();
        })();
        return stopping;
      },
    };
  } catch (error) {
    await cleanUp();
    throw error;
  }
}
