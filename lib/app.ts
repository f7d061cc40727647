/**
 * Builds the churnwatch app's stack for the stage named in context, the way `bin/app.ts` runs
 * it and the infrastructure tests check it: same configuration, tags and cdk-nag packs.
 */
import { type App, Tags } from "aws-cdk-lib";
import { ChurnwatchStack } from "./churnwatch-stack.js";
import { loadConfig } from "./config.js";
import { applyNagChecks } from "./nag.js";

/** Stack ID per stage, so dev and prod can live in one account. */
export function stackIdFor(stage: string): string {
  return `Churnwatch-${stage}`;
}

/**
 * Adds the stage's stack to `app` and registers the nag packs.
 * @throws ConfigError when a context value is invalid (the message names the key).
 */
export function buildChurnwatchApp(app: App): ChurnwatchStack {
  const config = loadConfig((key) => app.node.tryGetContext(key));
  const stack = new ChurnwatchStack(app, stackIdFor(config.stage), {
    config,
    description: `churnwatch (${config.stage}): churn early-warning and win-back`,
  });
  Tags.of(stack).add("project", "churnwatch");
  Tags.of(stack).add("stage", config.stage);
  applyNagChecks(app);
  return stack;
}
