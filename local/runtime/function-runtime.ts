/**
 * Invokes handlers the way Lambda does: the module is imported on first use (a cold start, after
 * the environment is in place), each call gets a fresh context, and a call that runs past the
 * function's timeout counts as failed. Unlike Lambda, a timed-out call cannot be killed; its
 * result is simply ignored.
 */
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { Context } from "aws-lambda";
import type { FunctionName } from "../../lib/topology.js";
import type { LocalFunction } from "../plan.js";
import { createLambdaContext } from "./lambda-context.js";

export type LambdaHandler = (event: never, context: Context) => unknown;

export interface FunctionRuntime {
  invoke(name: FunctionName, event: unknown): Promise<unknown>;
}

export class FunctionTimeoutError extends Error {
  override readonly name = "FunctionTimeoutError";
  constructor(functionName: string, timeoutSeconds: number) {
    super(`${functionName} timed out after ${timeoutSeconds} s`);
  }
}

export interface FunctionRuntimeOptions {
  readonly functions: Readonly<Record<FunctionName, LocalFunction>>;
  readonly repoRoot: string;
  readonly region: string;
  readonly accountId: string;
  /** Handlers used instead of the modules (tests); the rest load from their entries. */
  readonly overrides?: Readonly<Partial<Record<FunctionName, LambdaHandler>>>;
  /**
   * Identifies the environment handlers are loaded under. ES modules load once per process and
   * handlers read their configuration at load, so a second local mode in the same process with a
   * different environment would silently talk to the first one's emulators: refuse instead.
   */
  readonly environmentFingerprint: string;
}

let loadedUnder: string | undefined;

async function importHandler(repoRoot: string, name: FunctionName, entry: string) {
  const module = (await import(pathToFileURL(resolve(repoRoot, entry)).href)) as {
    handler?: unknown;
  };
  if (typeof module.handler !== "function") {
    throw new Error(`${entry} (function ${name}) does not export a handler function`);
  }
  return module.handler as LambdaHandler;
}

export function createFunctionRuntime(options: FunctionRuntimeOptions): FunctionRuntime {
  const loaded = new Map<FunctionName, Promise<LambdaHandler>>();

  const handlerFor = (name: FunctionName): Promise<LambdaHandler> => {
    const override = options.overrides?.[name];
    if (override) return Promise.resolve(override);
    let pending = loaded.get(name);
    if (!pending) {
      if (loadedUnder !== undefined && loadedUnder !== options.environmentFingerprint) {
        return Promise.reject(
          new Error(
            "handler modules were already loaded in this process under another local mode's " +
              "environment; they read their configuration once, at load: run one local mode per process",
          ),
        );
      }
      loadedUnder = options.environmentFingerprint;
      pending = importHandler(options.repoRoot, name, options.functions[name].entry);
      // A module that failed to load is retried on the next call, as a new cold start would.
      pending.catch(() => loaded.delete(name));
      loaded.set(name, pending);
    }
    return pending;
  };

  return {
    async invoke(name, event) {
      const spec = options.functions[name];
      const handler = await handlerFor(name);
      const context = createLambdaContext({
        functionName: name,
        timeoutSeconds: spec.timeoutSeconds,
        memoryMb: spec.memoryMb,
        region: options.region,
        accountId: options.accountId,
      });
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new FunctionTimeoutError(name, spec.timeoutSeconds)),
          spec.timeoutSeconds * 1000,
        );
      });
      try {
        return await Promise.race([
          Promise.resolve().then(() => handler(event as never, context)),
          timeout,
        ]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
