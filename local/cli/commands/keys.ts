/**
 * `churnwatch keys create|list|revoke`: per-app API keys. Against the running local mode (its
 * `/_local/keys` endpoints, with local mode's own key), or with `--aws` against a deployed
 * stack's apiKeys table using the caller's AWS credentials. The key is printed once; only its
 * SHA-256 hash is stored.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { z } from "zod";
import {
  type ApiKeySummary,
  apiGatewayKeyName,
  appIdSchema,
  keyIdSchema,
  keyNameSchema,
} from "../../../lambdas/domain/api-key-issuing.js";
import { errorMessage, LocalModeError, UsageError } from "../../errors.js";
import { ApiKeyAdmin, type CreatedApiKey } from "../../keys/api-key-admin.js";
import { apiKeyFromEnv, DEFAULT_API_KEY, DEFAULT_PORT } from "../../start-local.js";
import { defineCommand, type ParsedValues, parsePort, stringFlag } from "../command.js";
import type { CliIo } from "../io.js";
import { LocalClient } from "../local-client.js";

export type KeysTarget =
  | { readonly kind: "local"; readonly url: string; readonly apiKey: string }
  | {
      readonly kind: "aws";
      readonly table: string;
      readonly usagePlanId?: string;
      readonly region?: string;
    };

export type KeysAction =
  | { readonly action: "create"; readonly appId: string; readonly name: string }
  | { readonly action: "list"; readonly appId?: string }
  | { readonly action: "revoke"; readonly keyId: string };

export type KeysOptions = KeysAction & { readonly target: KeysTarget; readonly json: boolean };

const ACTIONS = ["create", "list", "revoke"] as const;

const ONCE_WARNING =
  "This is the only time the key is shown: churnwatch keeps only its SHA-256 hash. Store it " +
  "in your secret store now; if it is lost, create a new key and revoke this one.";

function usage(message: string): UsageError {
  return new UsageError(`churnwatch keys: ${message}`);
}

function checked<T>(schema: z.ZodType<T>, raw: string, what: string): T {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw usage(`${what} "${raw}" ${parsed.error.issues[0]?.message ?? "is not valid"}`);
  }
  return parsed.data;
}

function localUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw usage(`--url must be a URL such as http://127.0.0.1:3000, got "${raw}"`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw usage(`--url must start with http:// or https://, got "${raw}"`);
  }
  return url.href.replace(/\/+$/, "");
}

function parseTarget(action: string, values: ParsedValues, env: NodeJS.ProcessEnv): KeysTarget {
  const table = stringFlag(values, "table");
  const usagePlanId = stringFlag(values, "usage-plan");
  const region = stringFlag(values, "region");
  if (values.aws !== true) {
    for (const [flag, value] of [
      ["--table", table],
      ["--usage-plan", usagePlanId],
      ["--region", region],
    ] as const) {
      if (value !== undefined) throw usage(`${flag} only goes with --aws`);
    }
    const port =
      env.PORT !== undefined && env.PORT.trim() !== ""
        ? parsePort(env.PORT, "churnwatch keys: PORT")
        : DEFAULT_PORT;
    const url = localUrl(stringFlag(values, "url") ?? `http://127.0.0.1:${port}`);
    const apiKey = stringFlag(values, "api-key") ?? apiKeyFromEnv(env) ?? DEFAULT_API_KEY;
    if (apiKey.trim() === "") throw usage("--api-key must not be empty");
    return { kind: "local", url, apiKey };
  }
  for (const flag of ["url", "api-key"]) {
    if (values[flag] !== undefined) throw usage(`--${flag} is for local mode, not with --aws`);
  }
  if (!table?.trim()) {
    throw usage("--aws needs --table <ApiKeysTableName output of the stack>");
  }
  if (action === "create" && !usagePlanId?.trim()) {
    throw usage("keys create --aws needs --usage-plan <UsagePlanId output of the stack>");
  }
  if (action !== "create" && usagePlanId !== undefined) {
    throw usage(`--usage-plan only goes with keys create`);
  }
  return {
    kind: "aws",
    table,
    ...(usagePlanId ? { usagePlanId } : {}),
    ...(region ? { region } : {}),
  };
}

export function parseKeysArgs(
  values: ParsedValues,
  positionals: readonly string[],
  env: NodeJS.ProcessEnv,
): KeysOptions {
  const [action, ...rest] = positionals;
  if (action === undefined) throw usage("say what to do: create, list or revoke");
  if (!(ACTIONS as readonly string[]).includes(action)) {
    throw usage(`unknown action "${action}" (actions: ${ACTIONS.join(", ")})`);
  }
  const app = stringFlag(values, "app");
  const name = stringFlag(values, "name");
  const json = values.json === true;
  const target = parseTarget(action, values, env);
  if (action === "create") {
    if (rest.length > 0) throw usage(`unexpected argument "${rest[0]}"`);
    if (app === undefined) throw usage("keys create needs --app <appId>");
    const appId = checked(appIdSchema, app, "--app");
    const keyName = name === undefined ? appId : checked(keyNameSchema, name, "--name");
    return { action, appId, name: keyName, target, json };
  }
  if (name !== undefined) throw usage("--name only goes with keys create");
  if (action === "list") {
    if (rest.length > 0) throw usage(`unexpected argument "${rest[0]}"`);
    return {
      action,
      ...(app === undefined ? {} : { appId: checked(appIdSchema, app, "--app") }),
      target,
      json,
    };
  }
  if (app !== undefined) throw usage("--app does not go with keys revoke: name the key ID");
  const [keyId, ...extra] = rest;
  if (keyId === undefined) throw usage("keys revoke needs the key ID (see `churnwatch keys list`)");
  if (extra.length > 0) throw usage(`unexpected argument "${extra[0]}"`);
  return { action: "revoke", keyId: checked(keyIdSchema, keyId, "key ID"), target, json };
}

function shellQuote(text: string): string {
  return /^[A-Za-z0-9_./:=+-]+$/.test(text) ? text : `'${text.replaceAll("'", `'\\''`)}'`;
}

/** The API Gateway half of onboarding on AWS: a metering key with the same value, in the plan. */
export function apiGatewayCreateCommands(
  created: CreatedApiKey,
  usagePlanId: string,
  region?: string,
): string[] {
  const regionFlag = region ? ` --region ${shellQuote(region)}` : "";
  return [
    `APIGW_KEY_ID=$(aws apigateway create-api-key --name ${shellQuote(apiGatewayKeyName(created.summary))} --value ${shellQuote(created.key)} --enabled --query id --output text${regionFlag})`,
    `aws apigateway create-usage-plan-key --usage-plan-id ${shellQuote(usagePlanId)} --key-type API_KEY --key-id "$APIGW_KEY_ID"${regionFlag}`,
  ];
}

export function apiGatewayRevokeCommands(summary: ApiKeySummary, region?: string): string[] {
  const regionFlag = region ? ` --region ${shellQuote(region)}` : "";
  return [
    `APIGW_KEY_ID=$(aws apigateway get-api-keys --name-query ${shellQuote(apiGatewayKeyName(summary))} --query 'items[0].id' --output text${regionFlag})`,
    `aws apigateway update-api-key --api-key "$APIGW_KEY_ID" --patch-operations op=replace,path=/enabled,value=false${regionFlag}`,
  ];
}

function table(keys: readonly ApiKeySummary[]): string {
  if (keys.length === 0) return "no API keys\n";
  const rows = [
    ["KEY ID", "APP", "STATUS", "NAME", "CREATED", "REVOKED"],
    ...keys.map((key) => [
      key.keyId,
      key.appId,
      key.status,
      key.name,
      key.createdAt,
      key.revokedAt ?? "",
    ]),
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

type RevokeOutcome = { summary: ApiKeySummary; alreadyRevoked: boolean };

/** The three actions, against local mode over HTTP or against DynamoDB directly. */
interface KeysBackend {
  create(appId: string, name: string): Promise<CreatedApiKey>;
  list(appId?: string): Promise<ApiKeySummary[]>;
  revoke(keyId: string): Promise<RevokeOutcome>;
  close(): void;
}

function localBackend(target: Extract<KeysTarget, { kind: "local" }>): KeysBackend {
  const client = new LocalClient(target.url, target.apiKey);
  return {
    async create(appId, name) {
      const { key, ...summary } = await client.request<ApiKeySummary & { key: string }>(
        "POST",
        "/_local/keys",
        { appId, name },
      );
      return { key, summary };
    },
    async list(appId) {
      const query = appId === undefined ? "" : `?app=${encodeURIComponent(appId)}`;
      return (await client.request<{ keys: ApiKeySummary[] }>("GET", `/_local/keys${query}`)).keys;
    },
    async revoke(keyId) {
      const { alreadyRevoked, ...summary } = await client.request<
        ApiKeySummary & { alreadyRevoked: boolean }
      >("POST", `/_local/keys/${keyId}/revoke`);
      return { summary, alreadyRevoked };
    },
    close() {},
  };
}

function awsBackend(target: Extract<KeysTarget, { kind: "aws" }>): KeysBackend {
  const client = new DynamoDBClient(target.region ? { region: target.region } : {});
  const admin = new ApiKeyAdmin(DynamoDBDocumentClient.from(client), target.table);
  const aws = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      const name = error instanceof Error ? error.name : "Error";
      throw new LocalModeError(
        `churnwatch keys: DynamoDB table ${target.table}: ${name}: ${errorMessage(error)}`,
        1,
      );
    }
  };
  return {
    create: (appId, name) => aws(() => admin.create(appId, name)),
    list: (appId) => aws(() => admin.list(appId)),
    async revoke(keyId) {
      const result = await aws(() => admin.revoke(keyId));
      switch (result.kind) {
        case "revoked":
        case "already-revoked":
          return { summary: result.summary, alreadyRevoked: result.kind === "already-revoked" };
        case "not-found":
          throw new LocalModeError(`churnwatch keys: no API key with ID ${keyId}`, 1);
        case "ambiguous":
          throw new LocalModeError(
            `churnwatch keys: ${result.matches} keys share the ID ${keyId}; revoke by hash in the table`,
            1,
          );
        case "refused":
          throw new LocalModeError(`churnwatch keys: ${result.reason}`, 1);
      }
    },
    close: () => client.destroy(),
  };
}

async function create(
  backend: KeysBackend,
  options: Extract<KeysOptions, { action: "create" }>,
  io: CliIo,
): Promise<number> {
  const created = await backend.create(options.appId, options.name);
  const { target } = options;
  const commands =
    target.kind === "aws" && target.usagePlanId
      ? apiGatewayCreateCommands(created, target.usagePlanId, target.region)
      : undefined;
  if (options.json) {
    io.stdout(
      `${JSON.stringify(
        {
          key: created.key,
          ...created.summary,
          warning: ONCE_WARNING,
          ...(commands ? { apiGatewayCommands: commands } : {}),
        },
        null,
        2,
      )}\n`,
    );
  } else {
    // The key alone on stdout, so KEY=$(churnwatch keys create --app shop) captures just it.
    io.stdout(`${created.key}\n`);
    io.stderr(
      `created API key ${created.summary.keyId} for app "${created.summary.appId}" ` +
        `(name "${created.summary.name}")\n${ONCE_WARNING}\n`,
    );
  }
  if (commands) {
    io.stderr(
      "\nThe key authenticates as soon as its record is in the table, but API Gateway " +
        "answers 403 until the same value is an API Gateway key in the usage " +
        "plan (which meters and throttles it). Run, with your AWS credentials:\n\n" +
        `${commands.map((command) => `  ${command}`).join("\n")}\n`,
    );
  }
  return 0;
}

async function revoke(
  backend: KeysBackend,
  options: Extract<KeysOptions, { action: "revoke" }>,
  io: CliIo,
): Promise<number> {
  const { summary, alreadyRevoked } = await backend.revoke(options.keyId);
  const { target } = options;
  const commands =
    target.kind === "aws" ? apiGatewayRevokeCommands(summary, target.region) : undefined;
  if (options.json) {
    io.stdout(
      `${JSON.stringify(
        { ...summary, alreadyRevoked, ...(commands ? { apiGatewayCommands: commands } : {}) },
        null,
        2,
      )}\n`,
    );
  } else {
    io.stdout(
      alreadyRevoked
        ? `API key ${summary.keyId} (app "${summary.appId}") was already revoked at ${summary.revokedAt}\n`
        : `revoked API key ${summary.keyId} (app "${summary.appId}") at ${summary.revokedAt}\n`,
    );
  }
  if (commands) {
    io.stderr(
      "\nThe authorizer refuses the key once its cached answer expires (at most 5 minutes). " +
        "To stop metering it too, disable its API Gateway key:\n\n" +
        `${commands.map((command) => `  ${command}`).join("\n")}\n`,
    );
  }
  return 0;
}

export const keysCommand = defineCommand<KeysOptions>({
  name: "keys",
  summary: "create, list and revoke per-app API keys (stored only as hashes)",
  help: `Usage: churnwatch keys create --app APP [--name NAME] [--json]
       churnwatch keys list [--app APP] [--json]
       churnwatch keys revoke KEY_ID [--json]

Per-app API keys. A key authenticates one app: everything it sends and reads is that app's, so
two apps' data never mix. The key is printed once (alone on stdout, so KEY=$(…) captures it);
only its SHA-256 hash and a short, non-secret key ID are stored. A revoked key is refused.

Actions:
  create           issue a key for --app (1-63 of a-z, 0-9 and '-', starting with a letter or digit)
  list             keys with their ID, app, status, name and dates (never the key or its hash)
  revoke KEY_ID    revoke the key with that ID (\`keys list\` shows it)

Options:
  --app APP        the app a new key belongs to; with list, only that app's keys
  --name NAME      a label for the key (default: the app ID)
  --json           print the result as JSON
  -h, --help       show this help

Target, local mode (default): the running \`npm start\`, through its /_local/keys endpoints.
  --url URL        the local mode's address (default: http://127.0.0.1:PORT, PORT else ${DEFAULT_PORT})
  --api-key KEY    local mode's own key (default: CHURNWATCH_API_KEY, else ${DEFAULT_API_KEY});
                   keys issued with \`keys create\` cannot manage keys

Target, AWS (--aws): the deployed stack's apiKeys table, with your AWS credentials.
  --aws            act on AWS instead of local mode
  --table NAME     the stack's ApiKeysTableName output (required)
  --usage-plan ID  the stack's UsagePlanId output (required by create): churnwatch writes the
                   hashed record and prints the two aws CLI commands that create the API Gateway
                   key with the same value and add it to the usage plan, which meters and
                   throttles the key. Until they ran, API Gateway answers 403.
  --region REGION  default: the AWS SDK's (AWS_REGION, profile)
`,
  options: {
    app: { type: "string" },
    name: { type: "string" },
    json: { type: "boolean" },
    url: { type: "string" },
    "api-key": { type: "string" },
    aws: { type: "boolean" },
    table: { type: "string" },
    "usage-plan": { type: "string" },
    region: { type: "string" },
  },
  parse: parseKeysArgs,
  async run(options: KeysOptions, io: CliIo) {
    const backend =
      options.target.kind === "local" ? localBackend(options.target) : awsBackend(options.target);
    try {
      switch (options.action) {
        case "create":
          return await create(backend, options, io);
        case "list": {
          const keys = await backend.list(options.appId);
          io.stdout(options.json ? `${JSON.stringify({ keys }, null, 2)}\n` : table(keys));
          return 0;
        }
        case "revoke":
          return await revoke(backend, options, io);
      }
    } finally {
      backend.close();
    }
  },
});
