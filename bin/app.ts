/**
 * The churnwatch CDK app: one stack per stage (`-c stage=dev|prod`, default from cdk.json),
 * held to cdk-nag's AwsSolutions and Serverless checks; synthesis fails on any finding that is
 * not acknowledged on its resource. Environment-agnostic: synthesizes offline, without
 * credentials or lookups.
 */
import { App } from "aws-cdk-lib";
import { buildChurnwatchApp } from "../lib/app.js";
import { ConfigError } from "../lib/config.js";

const app = new App();
try {
  buildChurnwatchApp(app);
  app.synth();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  // A bad context value is the user's to fix: say which key and why, without a stack trace.
  console.error(error.message);
  process.exitCode = 1;
}
