import { Duration, Stack, Validations } from "aws-cdk-lib";
import type * as apigw from "aws-cdk-lib/aws-apigateway";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import { SnsAction } from "aws-cdk-lib/aws-cloudwatch-actions";
import * as iam from "aws-cdk-lib/aws-iam";
import * as kms from "aws-cdk-lib/aws-kms";
import * as subs from "aws-cdk-lib/aws-sns-subscriptions";
import type * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import type { StageConfig } from "../config.js";
import type { AppFunction } from "./app-function.js";
import { SecureTopic } from "./secure-topic.js";

export interface ObservabilityProps {
  readonly config: StageConfig;
  readonly functions: readonly AppFunction[];
  /** Every dead-letter queue of the stack, keyed by a stable name used in construct IDs. */
  readonly deadLetterQueues: Readonly<Record<string, sqs.IQueue>>;
  readonly api: apigw.RestApi;
}

/**
 * Alarms on what needs a person: any message in a DLQ, any function error or throttle, any
 * API 5XX. All of them notify the ops topic (encrypted; optionally e-mailed).
 */
export class Observability extends Construct {
  readonly opsTopic: SecureTopic;
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    const { config } = props;
    const stack = Stack.of(this);

    const key = new kms.Key(this, "OpsTopicKey", {
      description: `churnwatch ${config.stage}: ops alarm topic`,
      enableKeyRotation: true,
      removalPolicy: config.removalPolicy,
    });
    // CloudWatch publishes alarm notifications as a service: it needs the key and the topic.
    const cloudwatchPrincipal = new iam.ServicePrincipal("cloudwatch.amazonaws.com");
    const sameAccount = { StringEquals: { "aws:SourceAccount": stack.account } };
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [cloudwatchPrincipal],
        actions: ["kms:Decrypt", "kms:GenerateDataKey"],
        resources: ["*"],
        conditions: sameAccount,
      }),
    );
    this.opsTopic = new SecureTopic(this, "OpsTopic", { name: "ops", masterKey: key });
    this.opsTopic.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [cloudwatchPrincipal],
        actions: ["sns:Publish"],
        resources: [this.opsTopic.topic.topicArn],
        conditions: sameAccount,
      }),
    );
    if (config.alarmEmail) {
      const mail = this.opsTopic.topic.addSubscription(
        new subs.EmailSubscription(config.alarmEmail),
      );
      Validations.of(mail).acknowledge({
        id: "Serverless-SNSRedrivePolicy",
        reason:
          "E-mail to a person, not a queue: an alarm whose e-mail is lost stays in ALARM state in " +
          "CloudWatch, so a DLQ of undelivered notifications adds nothing.",
      });
    }
    const action = new SnsAction(this.opsTopic.topic);

    const alarm = (id: string, metric: cloudwatch.IMetric, description: string): void => {
      const a = new cloudwatch.Alarm(this, id, {
        metric,
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: `churnwatch ${config.stage}: ${description}`,
      });
      a.addAlarmAction(action);
      a.addOkAction(action);
      this.alarms.push(a);
    };

    for (const [name, dlq] of Object.entries(props.deadLetterQueues)) {
      alarm(
        `${name}DlqNotEmptyAlarm`,
        dlq.metricApproximateNumberOfMessagesVisible({
          period: Duration.minutes(5),
          statistic: cloudwatch.Stats.MAXIMUM,
        }),
        `messages waiting in the ${name} dead-letter queue`,
      );
    }
    for (const fn of props.functions) {
      const period = { period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM };
      alarm(`${fn.name}ErrorsAlarm`, fn.lambda.metricErrors(period), `${fn.name} function errors`);
      alarm(
        `${fn.name}ThrottlesAlarm`,
        fn.lambda.metricThrottles(period),
        `${fn.name} function throttled`,
      );
    }
    alarm(
      "Api5xxAlarm",
      props.api.metricServerError({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }),
      "API answered with 5XX",
    );
  }
}
