/**
 * The cdk-nag rule packs churnwatch is held to, applied the same way by `bin/app.ts` and by
 * the infrastructure tests, so a test cannot pass with a check the deployed app skips.
 */
import { type App, Validations } from "aws-cdk-lib";
import { AwsSolutionsChecks, type NagPack, ServerlessChecks } from "cdk-nag";
import type { IConstruct } from "constructs";

export function nagPacks(scope?: IConstruct): NagPack[] {
  return [new AwsSolutionsChecks(scope), new ServerlessChecks(scope)];
}

/** Registers the rule packs as validation plugins: synthesis fails on any unacknowledged finding. */
export function applyNagChecks(app: App): void {
  Validations.of(app).addPlugins(...nagPacks(app));
}

export interface NagFinding {
  readonly rule: string;
  readonly severity: string;
  readonly paths: readonly string[];
  readonly description: string;
}

/**
 * Runs the same packs directly over a construct tree and returns what is not acknowledged.
 * Tests read this instead of parsing the synthesis report.
 */
export function unacknowledgedNagFindings(scope: IConstruct): NagFinding[] {
  return nagPacks().flatMap((pack) =>
    pack.validateScope(scope).violations.map((v) => ({
      rule: v.ruleName,
      severity: v.severity ?? "error",
      paths: v.violatingResources.map((r) => r.constructPath ?? r.resourceLogicalId ?? "?"),
      description: v.description,
    })),
  );
}
