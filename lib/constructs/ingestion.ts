import { CfnOutput, Duration, Validations } from "aws-cdk-lib";
import * as apigw from "aws-cdk-lib/aws-apigateway";
import { LogGroup } from "aws-cdk-lib/aws-logs";
import { Construct } from "constructs";
import { ENV } from "../../lambdas/shared/env-names.js";
import type { StageConfig } from "../config.js";
import { API_KEY_HEADER, type FunctionName, type RouteSpec, routes } from "../topology.js";
import { AppFunction } from "./app-function.js";
import type { FeatureStore } from "./feature-store.js";
import { QueueWithDlq } from "./queue-with-dlq.js";

export interface IngestionProps {
  readonly config: StageConfig;
  readonly store: FeatureStore;
}

/** Largest batch `POST /v1/events` takes (DESIGN.md contract). */
export const MAX_EVENTS_PER_BATCH = 500;

type RouteKey = `${RouteSpec["method"]} ${string}`;

/**
 * Body models API Gateway checks before a request reaches a handler. They only reject what is
 * not a request at all (wrong shape); the handlers validate every field again with zod and
 * answer per event, so the contract's `rejected` list stays theirs.
 */
const BODY_MODELS: Readonly<Partial<Record<RouteKey, apigw.JsonSchema>>> = {
  "POST /v1/events": {
    schema: apigw.JsonSchemaVersion.DRAFT4,
    title: "EventBatch",
    type: apigw.JsonSchemaType.OBJECT,
    required: ["events"],
    properties: {
      events: {
        type: apigw.JsonSchemaType.ARRAY,
        minItems: 1,
        maxItems: MAX_EVENTS_PER_BATCH,
        items: { type: apigw.JsonSchemaType.OBJECT },
      },
    },
  },
  "PUT /v1/users/{userId}/contact": {
    schema: apigw.JsonSchemaVersion.DRAFT4,
    title: "Contact",
    type: apigw.JsonSchemaType.OBJECT,
  },
};

const FUNCTION_IDS: Readonly<Partial<Record<FunctionName, string>>> = {
  authorizer: "Authorizer",
  ingest: "Ingest",
  contact: "Contact",
  users: "Users",
  features: "Features",
  reports: "Reports",
};

// Gateway responses are rendered without VTL; `messageString` is already a quoted JSON string.
const GATEWAY_RESPONSES: readonly [apigw.ResponseType, string][] = [
  [apigw.ResponseType.BAD_REQUEST_BODY, "400"],
  [apigw.ResponseType.BAD_REQUEST_PARAMETERS, "400"],
  [apigw.ResponseType.UNAUTHORIZED, "401"],
  [apigw.ResponseType.ACCESS_DENIED, "403"],
  [apigw.ResponseType.MISSING_AUTHENTICATION_TOKEN, "404"],
  [apigw.ResponseType.REQUEST_TOO_LARGE, "413"],
  [apigw.ResponseType.THROTTLED, "429"],
  [apigw.ResponseType.QUOTA_EXCEEDED, "429"],
  [apigw.ResponseType.DEFAULT_4XX, ""],
  [apigw.ResponseType.DEFAULT_5XX, ""],
];

/**
 * The public HTTP API and the ingestion pipeline behind it: API Gateway (Lambda authorizer on
 * our own hashed per-app keys, request validation, access logs, stage and usage-plan
 * throttling) → ingest λ → events queue (+DLQ) → features λ → feature store.
 *
 * API Gateway API keys only meter and throttle: the authorizer returns the app's usage
 * identifier key, so `apiKeyRequired` ties every request to a usage plan without making the
 * API Gateway key a credential.
 */
export class Ingestion extends Construct {
  readonly api: apigw.RestApi;
  readonly usagePlan: apigw.UsagePlan;
  readonly eventsQueue: QueueWithDlq;
  readonly functions: readonly AppFunction[];

  constructor(scope: Construct, id: string, props: IngestionProps) {
    super(scope, id);
    const { config, store } = props;

    const fns = {} as Record<string, AppFunction>;
    for (const [name, fid] of Object.entries(FUNCTION_IDS) as [FunctionName, string][]) {
      const fn = new AppFunction(this, fid, { name, config });
      store.bindTables(fn);
      fns[name] = fn;
    }
    const fn = (name: FunctionName): AppFunction => {
      const found = fns[name];
      if (!found) throw new Error(`function "${name}" is not part of Ingestion`);
      return found;
    };
    this.functions = Object.values(fns);

    for (const name of ["authorizer", ...new Set(routes.map((r) => r.handler))] as FunctionName[]) {
      fn(name).acknowledgeNoAsyncDlq(
        "Invoked synchronously by API Gateway; the caller sees the error and retries.",
      );
    }

    this.eventsQueue = new QueueWithDlq(this, "EventsQueue", { name: "events" });
    this.eventsQueue.bindSender(fn("ingest"));
    this.eventsQueue.attachConsumer(fn("features"));
    fn("features").addEnvironment(ENV.dedupeTtlDays, String(config.dedupeTtlDays));
    fn("ingest").addEnvironment(ENV.eventHorizon, config.eventHorizon);
    if (config.currencyTable) fn("ingest").addEnvironment(ENV.currencyTable, config.currencyTable);
    fn("users").addEnvironment(ENV.highValueThreshold, String(config.highValueThreshold));
    fn("features").addEnvironment(ENV.highValueThreshold, String(config.highValueThreshold));
    if (config.rulesConfig) fn("features").addEnvironment(ENV.rulesConfig, config.rulesConfig);
    if (config.promotions) fn("features").addEnvironment(ENV.promotions, config.promotions);
    fn("features").addEnvironment(ENV.promotionDampingDays, String(config.promotionDampingDays));
    if (config.currencyTable) fn("reports").addEnvironment(ENV.currencyTable, config.currencyTable);
    if (config.messageCosts) fn("reports").addEnvironment(ENV.messageCosts, config.messageCosts);

    const accessLogs = new LogGroup(this, "AccessLogs", {
      retention: config.logRetention,
      removalPolicy: config.removalPolicy,
    });

    this.api = new apigw.RestApi(this, "Api", {
      description: `churnwatch ${config.stage}: event ingestion and user API`,
      endpointTypes: [apigw.EndpointType.REGIONAL],
      apiKeySourceType: apigw.ApiKeySourceType.AUTHORIZER,
      restApiName: `churnwatch-${config.stage}`,
      // Access and execution logging need the account-level CloudWatch role. It stays behind
      // when a stack is deleted (CDK's default): another stage may be logging through it.
      cloudWatchRole: true,
      deployOptions: {
        stageName: config.stage,
        accessLogDestination: new apigw.LogGroupLogDestination(accessLogs),
        accessLogFormat: apigw.AccessLogFormat.jsonWithStandardFields({
          caller: true,
          httpMethod: true,
          ip: true,
          protocol: true,
          requestTime: true,
          resourcePath: true,
          responseLength: true,
          status: true,
          user: true,
        }),
        loggingLevel: apigw.MethodLoggingLevel.ERROR,
        // Request and response bodies carry contact details: never into execution logs.
        dataTraceEnabled: false,
        metricsEnabled: true,
        tracingEnabled: true,
        throttlingRateLimit: config.apiThrottleRateLimit,
        throttlingBurstLimit: config.apiThrottleBurstLimit,
      },
    });

    const authorizer = new apigw.RequestAuthorizer(this, "KeyAuthorizer", {
      handler: fn("authorizer").lambda,
      identitySources: [apigw.IdentitySource.header(API_KEY_HEADER)],
      // Cached per key: the authorizer must allow every route in its policy, not just this one.
      resultsCacheTtl: Duration.minutes(5),
    });

    const bodyValidator = new apigw.RequestValidator(this, "BodyValidator", {
      restApi: this.api,
      validateRequestBody: true,
      validateRequestParameters: true,
    });
    const paramsValidator = new apigw.RequestValidator(this, "ParamsValidator", {
      restApi: this.api,
      validateRequestBody: false,
      validateRequestParameters: true,
    });

    for (const route of routes) {
      const key: RouteKey = `${route.method} ${route.path}`;
      const schema = BODY_MODELS[key];
      const hasBody = route.method === "POST" || route.method === "PUT";
      if (hasBody && !schema) throw new Error(`route ${key} takes a body but has no model`);
      const resource = this.api.root.resourceForPath(route.path);
      const pathParams = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1] as string);
      const method = resource.addMethod(
        route.method,
        new apigw.LambdaIntegration(fn(route.handler).lambda, { allowTestInvoke: false }),
        {
          authorizer,
          authorizationType: apigw.AuthorizationType.CUSTOM,
          apiKeyRequired: true,
          requestValidator: schema ? bodyValidator : paramsValidator,
          ...(schema
            ? {
                requestModels: {
                  "application/json": this.api.addModel(`${schema.title}Model`, {
                    contentType: "application/json",
                    schema,
                  }),
                },
              }
            : {}),
          requestParameters: Object.fromEntries(
            pathParams.map((p) => [`method.request.path.${p}`, true]),
          ),
        },
      );
      Validations.of(method).acknowledge({
        id: "AwsSolutions-COG4",
        reason:
          "Callers are client apps, not end users: a Lambda authorizer checks each app's hashed " +
          "API key (RELIABILITY 15); there is no Cognito user pool to authorize against.",
      });
    }

    for (const [type, statusCode] of GATEWAY_RESPONSES) {
      this.api.addGatewayResponse(`Response${type.responseType}`, {
        type,
        ...(statusCode ? { statusCode } : {}),
        // API Gateway sends no Retry-After itself; at a rate of at least 1/s a token is back
        // within a second (the API contract promises the header, as local mode sends it).
        ...(type === apigw.ResponseType.THROTTLED
          ? { responseHeaders: { "Retry-After": "'1'" } }
          : {}),
        templates: {
          "application/json":
            '{"error":"$context.error.responseType","message":$context.error.messageString,' +
            '"requestId":"$context.requestId"}',
        },
      });
    }

    this.usagePlan = this.api.addUsagePlan("UsagePlan", {
      description: `churnwatch ${config.stage}: per-app throttling (API keys meter, they do not authenticate)`,
      throttle: {
        rateLimit: config.apiThrottleRateLimit,
        burstLimit: config.apiThrottleBurstLimit,
      },
      apiStages: [{ api: this.api, stage: this.api.deploymentStage }],
    });
    new CfnOutput(this, "UsagePlanId", {
      description: "Add each app's API Gateway API key to this usage plan when onboarding it",
      value: this.usagePlan.usagePlanId,
    });

    Validations.of(this.api.deploymentStage).acknowledge({
      id: "AwsSolutions-APIG3",
      reason:
        "No WAF web ACL yet: requests are authorized per app and throttled per stage and usage " +
        "plan; the AWS common rule set would block the 1 MB event batches (8 KB body limit).",
    });
    const cloudWatchRole = this.api.node.tryFindChild("CloudWatchRole");
    if (cloudWatchRole) {
      Validations.of(cloudWatchRole).acknowledge({
        id: "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]",
        reason:
          "The AWS-maintained service-role policy for API Gateway's account-level logging role; " +
          "API Gateway writes its log groups under names it chooses.",
      });
    }
  }
}
