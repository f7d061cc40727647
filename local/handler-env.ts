/**
 * The environment the handlers see locally: what CDK sets on each function on AWS, plus the
 * emulator endpoints. One process environment serves every function (the names do not clash),
 * and it must be in place before the first handler module is imported, since handlers read
 * their configuration once, at module load, like a Lambda cold start.
 */

import { ENV } from "../lambdas/shared/env-names.js";
import { queueUrlEnv, tableEnv, topicArnEnv } from "../lib/topology.js";
import type { LocalEndpoints } from "./aws-clients.js";
import { LOCAL_REGION } from "./aws-clients.js";
import type { ProvisionedResources } from "./provision.js";

export interface HandlerEnvInput {
  readonly resources: ProvisionedResources;
  readonly endpoints: LocalEndpoints;
  readonly outboxPath: string;
  /** Powertools level name: `WARN`, `INFO`, … */
  readonly powertoolsLogLevel: string;
}

/** Local defaults for tuning variables: the same values the stack deploys with. */
const LOCAL_SETTINGS = {
  [ENV.scoringSegments]: "2",
  [ENV.dedupeTtlDays]: "400",
  [ENV.channelPreference]: "email,push,sms",
  [ENV.channelProvider]: "outbox",
  [ENV.emailFrom]: "no-reply@churnwatch.local",
  // fauxqs does not sign SNS messages; on AWS every feedback notification's signature is checked.
  [ENV.feedbackSignatures]: "off",
} as const;

export function buildHandlerEnv(input: HandlerEnvInput): Record<string, string> {
  const env: Record<string, string> = { ...LOCAL_SETTINGS };
  for (const [table, name] of Object.entries(tableEnv)) {
    env[name] = input.resources.tables[table as keyof typeof tableEnv];
  }
  for (const [queue, name] of Object.entries(queueUrlEnv)) {
    const provisioned = input.resources.queues[queue as keyof typeof input.resources.queues];
    if (name) env[name] = provisioned.url;
  }
  for (const [topic, name] of Object.entries(topicArnEnv)) {
    const arn = input.resources.topicArns[topic as keyof typeof input.resources.topicArns];
    if (name && arn) env[name] = arn;
  }
  env[ENV.outboxPath] = input.outboxPath;
  env[ENV.dynamodbEndpoint] = input.endpoints.dynamodb;
  env[ENV.sqsEndpoint] = input.endpoints.sqs;
  env[ENV.snsEndpoint] = input.endpoints.sns;
  env.AWS_REGION = LOCAL_REGION;
  env.AWS_DEFAULT_REGION = LOCAL_REGION;
  // Dummy credentials: the SDK's chain takes these first, so real credentials in the developer's
  // shell are never sent to an emulator (or anywhere else) by a local run.
  env.AWS_ACCESS_KEY_ID = "local";
  env.AWS_SECRET_ACCESS_KEY = "local";
  env.POWERTOOLS_LOG_LEVEL = input.powertoolsLogLevel;
  return env;
}

/** Variables removed so they cannot pair with the dummy keys or redirect the SDK elsewhere. */
const CLEARED = ["AWS_SESSION_TOKEN", "AWS_PROFILE"] as const;

/** Applies the environment; returns a function that puts the previous values back. */
export function applyEnv(env: Record<string, string>): () => void {
  const previous = new Map<string, string | undefined>();
  for (const name of [...Object.keys(env), ...CLEARED]) previous.set(name, process.env[name]);
  for (const name of CLEARED) delete process.env[name];
  Object.assign(process.env, env);
  return () => {
    for (const [name, value] of previous) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
}
