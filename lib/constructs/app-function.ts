import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Duration, Validations } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import { Architecture, Runtime, Tracing } from "aws-cdk-lib/aws-lambda";
import { NodejsFunction, OutputFormat } from "aws-cdk-lib/aws-lambda-nodejs";
import { LogGroup } from "aws-cdk-lib/aws-logs";
import { Construct } from "constructs";
import type { EnvName } from "../../lambdas/shared/env-names.js";
import type { StageConfig } from "../config.js";
import { type FunctionName, type FunctionSpec, functions } from "../topology.js";

/** The repository root: topology entries and the lock file are relative to it. */
export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));

// ESM bundles have no `require`; CommonJS dependencies bundled into them still call it.
const REQUIRE_SHIM =
  "import { createRequire as __churnwatchCreateRequire } from 'node:module';" +
  "const require = __churnwatchCreateRequire(import.meta.url);";

export interface AppFunctionProps {
  /** Which topology function this is; timeout, memory, entry and concurrency come from there. */
  readonly name: FunctionName;
  readonly config: StageConfig;
}

/**
 * A churnwatch Lambda function with every house default: Node.js 22 on arm64, ESM bundle with
 * the AWS SDK left external, X-Ray tracing, its own log group and its own role that carries no
 * managed policy. Functions differ only in what the topology says about them.
 *
 * Environment variables are limited to the names in `lambdas/shared/env-names.ts`, so the
 * handlers and the infrastructure cannot disagree on a name.
 */
export class AppFunction extends Construct implements iam.IGrantable {
  readonly name: FunctionName;
  readonly spec: FunctionSpec;
  readonly lambda: NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: LogGroup;
  readonly grantPrincipal: iam.IPrincipal;

  constructor(scope: Construct, id: string, props: AppFunctionProps) {
    super(scope, id);
    this.name = props.name;
    this.spec = functions[props.name];
    const serviceName = serviceNameOf(props.name);

    this.logGroup = new LogGroup(this, "LogGroup", {
      retention: props.config.logRetention,
      removalPolicy: props.config.removalPolicy,
    });

    // A role of our own instead of AWSLambdaBasicExecutionRole: that managed policy lets the
    // function create any log group and write to all of them; this one may write to its own.
    this.role = new iam.Role(this, "Role", {
      assumedBy: new iam.ServicePrincipal("lambda.amazonaws.com"),
      description: `Execution role of ${serviceName}`,
    });
    this.logGroup.grantWrite(this.role);
    this.grantPrincipal = this.role;

    this.lambda = new NodejsFunction(this, "Function", {
      description: `${serviceName} (${this.spec.entry})`,
      entry: join(REPO_ROOT, this.spec.entry),
      handler: "handler",
      projectRoot: REPO_ROOT,
      depsLockFilePath: join(REPO_ROOT, "package-lock.json"),
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      timeout: Duration.seconds(this.spec.timeoutSeconds),
      memorySize: this.spec.memoryMb,
      ...(this.spec.reservedConcurrency !== undefined && props.config.reserveSenderConcurrency
        ? { reservedConcurrentExecutions: this.spec.reservedConcurrency }
        : {}),
      tracing: Tracing.ACTIVE,
      role: this.role,
      logGroup: this.logGroup,
      environment: {
        POWERTOOLS_SERVICE_NAME: serviceName,
        POWERTOOLS_LOG_LEVEL: props.config.logLevel,
        NODE_OPTIONS: "--enable-source-maps",
      },
      bundling: {
        format: OutputFormat.ESM,
        target: "node22",
        mainFields: ["module", "main"],
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        externalModules: ["@aws-sdk/*"],
        banner: REQUIRE_SHIM,
      },
    });

    // Tracing put the X-Ray statement into the role's default policy.
    const defaultPolicy = this.role.node.tryFindChild("DefaultPolicy");
    if (defaultPolicy) {
      Validations.of(defaultPolicy).acknowledge({
        id: "AwsSolutions-IAM5[Resource::*]",
        reason:
          "X-Ray PutTraceSegments/PutTelemetryRecords support no resource-level permissions; " +
          "the only statement on Resource * in this policy is the one tracing adds.",
      });
    }
    const runtimeReason =
      "Node.js 22 is the runtime the project pins (DESIGN.md, bundles target node22); " +
      "the runtime moves for all functions at once in AppFunction, after the handlers are tested on it.";
    Validations.of(this.lambda).acknowledge(
      { id: "AwsSolutions-L1", reason: runtimeReason },
      { id: "Serverless-LambdaLatestVersion", reason: runtimeReason },
    );
  }

  /** Sets an environment variable whose name is part of the shared contract. */
  addEnvironment(name: EnvName, value: string): this {
    this.lambda.addEnvironment(name, value);
    return this;
  }

  /**
   * Records why this function needs no dead-letter target for asynchronous invocations; the
   * construct that decides how the function is invoked knows the reason.
   */
  acknowledgeNoAsyncDlq(reason: string): void {
    Validations.of(this.lambda).acknowledge({ id: "Serverless-LambdaDLQ", reason });
  }

  /** Adds a statement to this function's own role. */
  addToRolePolicy(statement: iam.PolicyStatement): this {
    this.role.addToPrincipalPolicy(statement);
    return this;
  }
}

/** The Powertools service name of a topology function, e.g. `churnwatch-score-dispatch`. */
export function serviceNameOf(name: FunctionName): string {
  return `churnwatch-${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}
