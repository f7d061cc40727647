/**
 * Runs DynamoDB Local (AWS's own emulator, a Java program) as a child process. It is the only
 * emulator with the transactions and TTL API the handlers use; the price is a JVM, so start it
 * once, wait until it answers, and make sure it dies with us.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { DynamoDBClient, ListTablesCommand } from "@aws-sdk/client-dynamodb";
import { EnvironmentError, LocalModeError } from "../errors.js";
import type { LocalLogger } from "../log.js";
import { dynamoDbLocalHome } from "../paths.js";
import { freePort } from "./free-port.js";

export interface DynamoDbLocal {
  readonly endpoint: string;
  readonly port: number;
  /** The watchdog shell's pid; it leads the process group the JVM runs in. */
  readonly pid: number | undefined;
  stop(): Promise<void>;
}

export interface DynamoDbLocalOptions {
  /** Directory for the database file; in memory (gone on stop) when absent. */
  readonly dbPath?: string;
  readonly javaCommand?: string;
  readonly logger: LocalLogger;
  readonly startTimeoutMs?: number;
}

export const JAVA_MISSING_MESSAGE =
  "churnwatch needs Java 17+ for DynamoDB Local: install it, e.g. `apt-get install openjdk-17-jre-headless`";

const OUTPUT_TAIL_CHARS = 4_000;

/**
 * `sh -c` script: $1 = the pid to watch, the rest = the java command line. Runs java, exits with
 * its status if it ends, kills it once the watched process is gone, and passes SIGTERM on.
 */
const WATCHDOG_SCRIPT = [
  'watched="$1"; shift',
  '"$@" & jvm=$!',
  'trap \'kill "$jvm" 2>/dev/null; wait "$jvm"; exit 143\' TERM INT HUP',
  'while kill -0 "$watched" 2>/dev/null; do',
  '  kill -0 "$jvm" 2>/dev/null || { wait "$jvm"; exit $?; }',
  "  sleep 1 & wait $!",
  "done",
  'kill "$jvm" 2>/dev/null',
].join("\n");

/** The shell's status for "command not found". */
const COMMAND_NOT_FOUND = 127;
const BIND_RETRIES = 3;

/** What a JVM that failed to start printed, turned into something a person can act on. */
export function diagnoseStartFailure(output: string): { retry: boolean; message: string } {
  if (/UnsupportedClassVersionError|has been compiled by a more recent version/.test(output)) {
    const found = /class file versions up to ([\d.]+)/.exec(output)?.[1];
    return {
      retry: false,
      message: `${JAVA_MISSING_MESSAGE} (the installed Java is too old${
        found ? `: it reads class files up to version ${found}, Java 17 is 61.0` : ""
      })`,
    };
  }
  if (/BindException|Address already in use/.test(output)) {
    return { retry: true, message: "DynamoDB Local could not bind its port" };
  }
  const tail = output.trim().split("\n").slice(-8).join("\n");
  return { retry: false, message: `DynamoDB Local did not start:\n${tail}` };
}

function javaArguments(home: string, port: number, dbPath: string | undefined): string[] {
  return [
    `-Djava.library.path=${join(home, "DynamoDBLocal_lib")}`,
    "-jar",
    join(home, "DynamoDBLocal.jar"),
    ...(dbPath ? ["-dbPath", dbPath] : ["-inMemory"]),
    "-sharedDb",
    "-disableTelemetry",
    "-port",
    String(port),
  ];
}

async function answers(client: DynamoDBClient): Promise<boolean> {
  try {
    await client.send(new ListTablesCommand({ Limit: 1 }));
    return true;
  } catch {
    return false;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function waitForExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** Signals the watchdog and the JVM together (the child leads its own process group). */
function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  signalGroup(child, "SIGTERM");
  if (await waitForExit(child, 5_000)) return;
  signalGroup(child, "SIGKILL");
  await waitForExit(child, 2_000);
}

type Attempt =
  | { readonly kind: "started"; readonly server: DynamoDbLocal }
  | { readonly kind: "retry" };

async function attemptStart(options: DynamoDbLocalOptions, home: string): Promise<Attempt> {
  const { logger } = options;
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  // The JVM runs under a small shell watchdog that kills it when this process disappears without
  // a clean stop (SIGKILL, a test runner killing its worker): nothing else could, and an orphaned
  // JVM holds a port and a few hundred MB. Both get their own process group, so a terminal's
  // Ctrl-C (sent to the whole foreground group) does not kill the JVM under the batches local
  // mode is still finishing; stop() signals the group instead.
  const child = spawn(
    "sh",
    [
      "-c",
      WATCHDOG_SCRIPT,
      "churnwatch-dynamodb-local",
      String(process.pid),
      options.javaCommand ?? "java",
      ...javaArguments(home, port, options.dbPath),
    ],
    { stdio: ["ignore", "pipe", "pipe"], detached: true },
  );

  // On an exit without stop (uncaught error, process.exit) kill the group at once: `kill` is
  // synchronous, which is all an exit listener may do.
  const killOnExit = () => signalGroup(child, "SIGKILL");
  process.once("exit", killOnExit);

  let output = "";
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString("utf8")).slice(-OUTPUT_TAIL_CHARS);
    logger.debug("dynamodb-local", { output: chunk.toString("utf8").trim() });
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);

  let spawnError: NodeJS.ErrnoException | undefined;
  child.once("error", (error) => {
    spawnError = error;
  });

  const client = new DynamoDBClient({
    endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
    maxAttempts: 1,
  });
  const timeoutMs = options.startTimeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  let started = false;
  try {
    while (Date.now() < deadline) {
      if (spawnError) {
        throw new EnvironmentError(
          `could not run DynamoDB Local through sh: ${spawnError.message}`,
        );
      }
      if (child.exitCode === COMMAND_NOT_FOUND) {
        throw new EnvironmentError(JAVA_MISSING_MESSAGE);
      }
      if (child.exitCode !== null || child.signalCode !== null) {
        const diagnosis = diagnoseStartFailure(output);
        if (diagnosis.retry) return { kind: "retry" };
        throw new EnvironmentError(diagnosis.message);
      }
      if (await answers(client)) {
        started = true;
        logger.info("DynamoDB Local is up", { endpoint, pid: child.pid });
        return {
          kind: "started",
          server: {
            endpoint,
            port,
            pid: child.pid,
            stop: async () => {
              await stopChild(child);
              process.removeListener("exit", killOnExit);
            },
          },
        };
      }
      await sleep(100);
    }
    throw new LocalModeError(
      `DynamoDB Local did not answer within ${Math.round(timeoutMs / 1000)} s`,
      3,
    );
  } finally {
    client.destroy();
    if (!started) {
      await stopChild(child);
      process.removeListener("exit", killOnExit);
    }
  }
}

export async function startDynamoDbLocal(options: DynamoDbLocalOptions): Promise<DynamoDbLocal> {
  if (options.dbPath) mkdirSync(options.dbPath, { recursive: true });
  const home = dynamoDbLocalHome();
  for (let attempt = 1; attempt <= BIND_RETRIES; attempt++) {
    const result = await attemptStart(options, home);
    if (result.kind === "started") return result.server;
    options.logger.debug("DynamoDB Local lost its port to another process; retrying", { attempt });
  }
  throw new EnvironmentError("DynamoDB Local could not find a free port");
}
