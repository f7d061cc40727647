import { Match } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import { ENV } from "../../lambdas/shared/env-names.js";
import {
  API_KEY_HEADER,
  type FunctionName,
  functions,
  queueUrlEnv,
  routes,
  schedules,
  type TableName,
  tableEnv,
  tables,
  topicArnEnv,
} from "../../lib/topology.js";
import {
  type CfnResourceJson,
  lambdaIds,
  ofType,
  props,
  refId,
  type Synthesized,
  synthesize,
} from "./synth.js";

let s: Synthesized;
let R: Readonly<Record<string, CfnResourceJson>>;
beforeAll(() => {
  s = synthesize();
  R = s.resources;
});

const fnNames = Object.keys(functions) as FunctionName[];

describe("tables", () => {
  it("builds one on-demand table per topology table with its keys, PITR and TTL", () => {
    expect(ofType(R, "AWS::DynamoDB::Table")).toHaveLength(Object.keys(tables).length);
    for (const spec of Object.values(tables)) {
      s.template.hasResourceProperties("AWS::DynamoDB::Table", {
        KeySchema: [
          { AttributeName: spec.partitionKey, KeyType: "HASH" },
          ...(spec.sortKey ? [{ AttributeName: spec.sortKey, KeyType: "RANGE" }] : []),
        ],
        BillingMode: "PAY_PER_REQUEST",
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        TimeToLiveSpecification: spec.ttlAttribute
          ? { AttributeName: spec.ttlAttribute, Enabled: true }
          : Match.absent(),
      });
    }
  });

  it("encrypts every table, personal data with a rotating customer-managed key", () => {
    for (const [id, t] of ofType(R, "AWS::DynamoDB::Table")) {
      const sse = props(t).SSESpecification as Record<string, unknown>;
      // SSEEnabled without an SSEType is KMS with the AWS-managed key; a key ID means a CMK.
      expect(sse.SSEEnabled, id).toBe(true);
      expect([undefined, "KMS"]).toContain(sse.SSEType);
    }
    const contacts = s.stack.resolve(s.stack.store.tables.contacts.tableName);
    const sse = props(R[refId(contacts) as string]).SSESpecification as Record<string, unknown>;
    const keyId = refId(sse.KMSMasterKeyId) as string;
    expect(R[keyId]?.Type).toBe("AWS::KMS::Key");
    expect(props(R[keyId]).EnableKeyRotation).toBe(true);
    for (const name of ["users", "ledger", "apiKeys"] as TableName[]) {
      const id = refId(s.stack.resolve(s.stack.store.tables[name].tableName)) as string;
      expect(
        (props(R[id]).SSESpecification as Record<string, unknown>).KMSMasterKeyId,
      ).toBeUndefined();
    }
  });

  it("can be deleted with the dev stack", () => {
    for (const [, t] of ofType(R, "AWS::DynamoDB::Table")) {
      expect(t.DeletionPolicy).toBe("Delete");
      expect(props(t).DeletionProtectionEnabled).toBe(false);
    }
  });
});

describe("functions", () => {
  it("runs every topology function on Node.js 22, arm64, traced, with its timeout and memory", () => {
    const ids = lambdaIds(R);
    expect(ofType(R, "AWS::Lambda::Function")).toHaveLength(fnNames.length);
    expect(Object.keys(ids).sort()).toEqual([...fnNames].sort());
    for (const name of fnNames) {
      const p = props(R[ids[name]]);
      expect(p.Runtime).toBe("nodejs22.x");
      expect(p.Architectures).toEqual(["arm64"]);
      expect(p.TracingConfig).toEqual({ Mode: "Active" });
      expect(p.Timeout).toBe(functions[name].timeoutSeconds);
      expect(p.MemorySize).toBe(functions[name].memoryMb);
      expect((p.Environment as { Variables: Record<string, unknown> }).Variables).toMatchObject({
        NODE_OPTIONS: "--enable-source-maps",
        POWERTOOLS_LOG_LEVEL: "DEBUG",
      });
    }
  });

  it("gives every function its own role and log group with retention", () => {
    const roles = new Set<string>();
    for (const [id, fn] of ofType(R, "AWS::Lambda::Function")) {
      const role = refId(props(fn).Role) as string;
      expect(roles.has(role), `${id} shares a role`).toBe(false);
      roles.add(role);
      expect(props(R[role]).ManagedPolicyArns).toBeUndefined();
      const logGroup = refId((props(fn).LoggingConfig as { LogGroup: unknown }).LogGroup) as string;
      expect(props(R[logGroup]).RetentionInDays).toBe(14);
    }
  });

  it("sets exactly the environment variables the topology's access list implies", () => {
    const ids = lambdaIds(R);
    for (const name of fnNames) {
      const access = functions[name].access;
      const vars = (props(R[ids[name]]).Environment as { Variables: Record<string, unknown> })
        .Variables;
      for (const table of Object.keys(tables) as TableName[]) {
        expect(tableEnv[table] in vars, `${name} ${table}`).toBe(
          access.tables?.[table] !== undefined,
        );
      }
      for (const [queue, env] of Object.entries(queueUrlEnv)) {
        expect(env in vars, `${name} ${queue}`).toBe(
          access.sendsTo?.includes(queue as never) ?? false,
        );
      }
      for (const [topic, env] of Object.entries(topicArnEnv)) {
        expect(env in vars, `${name} ${topic}`).toBe(
          access.publishesTo?.includes(topic as never) ?? false,
        );
      }
    }
    const env = (name: FunctionName) =>
      (props(R[ids[name]]).Environment as { Variables: Record<string, unknown> }).Variables;
    expect(env("features")[ENV.dedupeTtlDays]).toBe("400");
    expect(env("ingest")[ENV.eventHorizon]).toBe("1990-01-01T00:00:00Z");
    expect(env("ingest")[ENV.currencyTable]).toBeUndefined();
    expect(env("users")[ENV.highValueThreshold]).toBe("5000");
    expect(env("scoreDispatch")[ENV.scoringSegments]).toBe("4");
    expect(env("score")[ENV.rulesConfig]).toBeUndefined();
    expect(env("score")[ENV.highValueThreshold]).toBe("5000");
    expect(env("plan")[ENV.channelPreference]).toBe("email,push,sms");
    expect(env("email")[ENV.emailFrom]).toBe("no-reply@example.com");
    for (const sender of ["sms", "email", "push"] as const) {
      expect(env(sender)[ENV.channelProvider]).toBe("aws");
    }
  });
});

describe("least privilege", () => {
  const statements = () =>
    ofType(R, "AWS::IAM::Policy").flatMap(([id, p]) =>
      (props(p).PolicyDocument as { Statement: Record<string, unknown>[] }).Statement.map(
        (st) => [id, st] as const,
      ),
    );

  it("uses no wildcard actions", () => {
    for (const [id, st] of statements()) {
      for (const action of [st.Action].flat() as string[]) {
        expect(action.includes("*"), `${id}: ${action}`).toBe(false);
      }
    }
  });

  it("uses Resource * only for X-Ray and SMS publishing", () => {
    for (const [id, st] of statements()) {
      if (![st.Resource].flat().includes("*")) continue;
      const actions = [st.Action].flat();
      const xray = actions.every(
        (a) => a === "xray:PutTraceSegments" || a === "xray:PutTelemetryRecords",
      );
      const sms =
        id.includes("SmsPublishPolicy") && actions.length === 1 && actions[0] === "sns:Publish";
      expect(xray || sms, `${id}: ${actions.join(",")}`).toBe(true);
    }
  });

  it("lets the e-mail sender send only from its SES identity", () => {
    const ids = lambdaIds(R);
    const role = refId(props(R[ids.email]).Role);
    s.template.hasResourceProperties("AWS::IAM::Policy", {
      Roles: Match.arrayWith([{ Ref: role }]),
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: "ses:SendEmail",
            Condition: { StringEquals: { "ses:FromAddress": "no-reply@example.com" } },
          }),
        ]),
      },
    });
  });
});

describe("API", () => {
  it("has every topology route, each behind the authorizer, an API key and a validator", () => {
    const methods = ofType(R, "AWS::ApiGateway::Method");
    expect(methods).toHaveLength(routes.length);
    const ids = lambdaIds(R);
    for (const route of routes) {
      const method = methods.find(
        ([, m]) =>
          props(m).HttpMethod === route.method &&
          resourcePath(refId(props(m).ResourceId)) === route.path,
      );
      expect(method, `${route.method} ${route.path}`).toBeDefined();
      const p = props(method?.[1]);
      expect(p.AuthorizationType).toBe("CUSTOM");
      expect(R[refId(p.AuthorizerId) as string]?.Type).toBe("AWS::ApiGateway::Authorizer");
      expect(p.ApiKeyRequired).toBe(true);
      const validator = props(R[refId(p.RequestValidatorId) as string]);
      expect(validator.ValidateRequestParameters).toBe(true);
      const integration = p.Integration as { Type: string; Uri: unknown };
      expect(integration.Type).toBe("AWS_PROXY");
      expect(JSON.stringify(integration.Uri)).toContain(ids[route.handler]);
      for (const param of route.path.matchAll(/\{(\w+)\}/g)) {
        expect(p.RequestParameters).toMatchObject({ [`method.request.path.${param[1]}`]: true });
      }
      if (route.method === "POST" || route.method === "PUT") {
        expect(validator.ValidateRequestBody).toBe(true);
        const model = (p.RequestModels as Record<string, unknown>)["application/json"];
        expect(R[refId(model) as string]?.Type).toBe("AWS::ApiGateway::Model");
      }
    }
  });

  it("requires a batch of 1 to 500 event objects on POST /v1/events", () => {
    s.template.hasResourceProperties("AWS::ApiGateway::Model", {
      ContentType: "application/json",
      Schema: Match.objectLike({
        type: "object",
        required: ["events"],
        properties: {
          events: { type: "array", minItems: 1, maxItems: 500, items: { type: "object" } },
        },
      }),
    });
  });

  it("authorizes on the x-api-key header with a cached result, keys from the authorizer", () => {
    const ids = lambdaIds(R);
    s.template.hasResourceProperties("AWS::ApiGateway::Authorizer", {
      Type: "REQUEST",
      IdentitySource: `method.request.header.${API_KEY_HEADER}`,
      AuthorizerResultTtlInSeconds: 300,
    });
    const authorizer = ofType(R, "AWS::ApiGateway::Authorizer")[0]?.[1];
    expect(JSON.stringify(props(authorizer).AuthorizerUri)).toContain(ids.authorizer);
    s.template.hasResourceProperties("AWS::ApiGateway::RestApi", {
      ApiKeySourceType: "AUTHORIZER",
    });
  });

  it("throttles the stage and the usage plan, and writes JSON access logs", () => {
    s.template.hasResourceProperties("AWS::ApiGateway::Stage", {
      AccessLogSetting: {
        DestinationArn: Match.anyValue(),
        Format: Match.stringLikeRegexp('"requestId"'),
      },
      TracingEnabled: true,
      MethodSettings: Match.arrayWith([
        Match.objectLike({
          HttpMethod: "*",
          ResourcePath: "/*",
          LoggingLevel: "ERROR",
          DataTraceEnabled: false,
          ThrottlingRateLimit: 100,
          ThrottlingBurstLimit: 200,
        }),
      ]),
    });
    s.template.hasResourceProperties("AWS::ApiGateway::UsagePlan", {
      Throttle: { RateLimit: 100, BurstLimit: 200 },
      ApiStages: [Match.objectLike({ Stage: Match.anyValue() })],
    });
  });

  it("answers gateway errors with JSON bodies", () => {
    for (const type of [
      "UNAUTHORIZED",
      "BAD_REQUEST_BODY",
      "REQUEST_TOO_LARGE",
      "THROTTLED",
      "DEFAULT_5XX",
    ]) {
      s.template.hasResourceProperties("AWS::ApiGateway::GatewayResponse", {
        ResponseType: type,
        ResponseTemplates: { "application/json": Match.stringLikeRegexp("messageString") },
      });
    }
    s.template.hasResourceProperties("AWS::ApiGateway::GatewayResponse", {
      ResponseType: "THROTTLED",
      StatusCode: "429",
      ResponseParameters: { "gatewayresponse.header.Retry-After": "'1'" },
    });
  });
});

describe("scoring schedule", () => {
  it("invokes score-dispatch on the topology's schedule with retries, age limit and a DLQ", () => {
    const ids = lambdaIds(R);
    s.template.hasResourceProperties("AWS::Events::Rule", {
      ScheduleExpression: schedules.scoring.expression,
      Targets: [
        Match.objectLike({
          Arn: { "Fn::GetAtt": [ids.scoreDispatch, "Arn"] },
          RetryPolicy: {
            MaximumRetryAttempts: Match.anyValue(),
            MaximumEventAgeInSeconds: Match.anyValue(),
          },
          DeadLetterConfig: { Arn: Match.anyValue() },
        }),
      ],
    });
    s.template.hasResourceProperties("AWS::Lambda::EventInvokeConfig", {
      FunctionName: { Ref: ids.scoreDispatch },
      MaximumRetryAttempts: Match.anyValue(),
      MaximumEventAgeInSeconds: Match.anyValue(),
      DestinationConfig: { OnFailure: { Destination: Match.anyValue() } },
    });
  });
});

function resourcePath(id: string | undefined): string {
  if (id === undefined) return "";
  const resource = R[id];
  if (resource?.Type !== "AWS::ApiGateway::Resource") return "";
  const p = props(resource);
  const parent = refId(p.ParentId);
  const parentPath =
    parent && R[parent]?.Type === "AWS::ApiGateway::Resource" ? resourcePath(parent) : "";
  return `${parentPath}/${p.PathPart as string}`;
}
