/**
 * Synthesizes the churnwatch stack the way bin/app.ts does, without bundling the Lambdas
 * (`aws:cdk:bundling-stacks: []`), plus lookups over the template the tests share.
 */
import { App } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { buildChurnwatchApp } from "../../lib/app.js";
import type { ChurnwatchStack } from "../../lib/churnwatch-stack.js";
import { serviceNameOf } from "../../lib/constructs/app-function.js";
import { type FunctionName, functions } from "../../lib/topology.js";

export interface Synthesized {
  readonly app: App;
  readonly stack: ChurnwatchStack;
  readonly template: Template;
  readonly resources: Readonly<Record<string, CfnResourceJson>>;
}

export interface CfnResourceJson {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
}

/** Builds the app as bin/app.ts does (nag packs included) without synthesizing it yet. */
export function buildApp(context: Record<string, unknown> = {}): {
  app: App;
  stack: ChurnwatchStack;
} {
  const app = new App({ context: { "aws:cdk:bundling-stacks": [], ...context } });
  return { app, stack: buildChurnwatchApp(app) };
}

/** Builds and synthesizes; synthesis runs the nag packs, so this throws on any finding. */
export function synthesize(context: Record<string, unknown> = {}): Synthesized {
  const { app, stack } = buildApp(context);
  const template = Template.fromStack(stack);
  const resources = template.toJSON().Resources as Record<string, CfnResourceJson>;
  return { app, stack, template, resources };
}

export function ofType(
  resources: Readonly<Record<string, CfnResourceJson>>,
  type: string,
): [string, CfnResourceJson][] {
  return Object.entries(resources).filter(([, r]) => r.Type === type);
}

/** Logical ID a `{ "Fn::GetAtt": [id, attr] }` or `{ Ref: id }` points at. */
export function refId(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v.Ref === "string") return v.Ref;
  const getAtt = v["Fn::GetAtt"];
  if (Array.isArray(getAtt) && typeof getAtt[0] === "string") return getAtt[0];
  return undefined;
}

export function props(resource: CfnResourceJson | undefined): Record<string, unknown> {
  return resource?.Properties ?? {};
}

/** The topology function a Lambda resource implements, by its Powertools service name. */
export function topologyFunctionOf(resource: CfnResourceJson): FunctionName | undefined {
  const env = props(resource).Environment as { Variables?: Record<string, unknown> } | undefined;
  const service = env?.Variables?.POWERTOOLS_SERVICE_NAME;
  return (Object.keys(functions) as FunctionName[]).find((n) => serviceNameOf(n) === service);
}

/** Logical IDs of the Lambda functions, keyed by topology function name. */
export function lambdaIds(
  resources: Readonly<Record<string, CfnResourceJson>>,
): Record<FunctionName, string> {
  const ids = {} as Record<FunctionName, string>;
  for (const [id, r] of ofType(resources, "AWS::Lambda::Function")) {
    const name = topologyFunctionOf(r);
    if (name) ids[name] = id;
  }
  return ids;
}

/** Queues split by role: work queues (with redrive), their DLQs, and other dead-letter targets. */
export function classifyQueues(resources: Readonly<Record<string, CfnResourceJson>>): {
  work: string[];
  dlqs: string[];
  targetDlqs: string[];
  other: string[];
} {
  const queues = ofType(resources, "AWS::SQS::Queue").map(([id]) => id);
  const work = queues.filter((id) => props(resources[id]).RedrivePolicy !== undefined);
  const dlqs = work.map((id) => {
    const redrive = props(resources[id]).RedrivePolicy as { deadLetterTargetArn: unknown };
    return refId(redrive.deadLetterTargetArn) as string;
  });
  const targetDlqs = ofType(resources, "AWS::Events::Rule").flatMap(([, r]) =>
    ((props(r).Targets as { DeadLetterConfig?: { Arn: unknown } }[]) ?? [])
      .map((t) => refId(t.DeadLetterConfig?.Arn))
      .filter((id): id is string => id !== undefined),
  );
  const known = new Set([...work, ...dlqs, ...targetDlqs]);
  return { work, dlqs, targetDlqs, other: queues.filter((id) => !known.has(id)) };
}
