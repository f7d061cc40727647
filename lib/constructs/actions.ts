import { ArnFormat, Stack, Validations } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import * as kms from "aws-cdk-lib/aws-kms";
import * as sns from "aws-cdk-lib/aws-sns";
import * as subs from "aws-cdk-lib/aws-sns-subscriptions";
import { Construct } from "constructs";
import { ENV } from "../../lambdas/shared/env-names.js";
import type { StageConfig } from "../config.js";
import { type Channel, type QueueName, topics } from "../topology.js";
import { AppFunction } from "./app-function.js";
import type { FeatureStore } from "./feature-store.js";
import { QueueWithDlq } from "./queue-with-dlq.js";
import { SecureTopic } from "./secure-topic.js";

export interface ActionsProps {
  readonly config: StageConfig;
  readonly store: FeatureStore;
}

const CHANNEL_IDS: Readonly<Record<Channel, string>> = { sms: "Sms", email: "Email", push: "Push" };

/**
 * Retention actions: warnings queue → plan λ → SNS retention topic, fanned out by the
 * topology's per-channel filter policies to one queue (+DLQ) and sender λ per channel; and the
 * marketing topic for the digest e-mail.
 *
 * Each channel subscription delivers raw messages and redrives what SNS cannot deliver into
 * that channel's DLQ, so a message is never dropped silently on either side of the queue.
 */
export class Actions extends Construct {
  readonly warningsQueue: QueueWithDlq;
  readonly channelQueues: Readonly<Partial<Record<QueueName, QueueWithDlq>>>;
  readonly retentionTopic: SecureTopic;
  readonly marketingTopic: SecureTopic;
  readonly functions: readonly AppFunction[];

  constructor(scope: Construct, id: string, props: ActionsProps) {
    super(scope, id);
    const { config, store } = props;

    const plan = new AppFunction(this, "Plan", { name: "plan", config });
    store.bindTables(plan);
    plan.addEnvironment(ENV.channelPreference, config.channelPreference.join(","));
    this.warningsQueue = new QueueWithDlq(this, "WarningsQueue", { name: "warnings" });
    this.warningsQueue.attachConsumer(plan);

    const topicKey = new kms.Key(this, "TopicKey", {
      description: `churnwatch ${config.stage}: retention and marketing topics`,
      enableKeyRotation: true,
      removalPolicy: config.removalPolicy,
    });
    this.retentionTopic = new SecureTopic(this, "RetentionTopic", {
      name: "retention",
      masterKey: topicKey,
    });
    this.marketingTopic = new SecureTopic(this, "MarketingTopic", {
      name: "marketing",
      masterKey: topicKey,
      displayName: "churnwatch",
    });
    this.retentionTopic.bindPublisher(plan);

    const senders: AppFunction[] = [];
    const channelQueues: Partial<Record<QueueName, QueueWithDlq>> = {};
    for (const subscription of topics.retention.subscriptions) {
      const channel = subscription.queue as Channel;
      const cid = CHANNEL_IDS[channel];
      if (!cid)
        throw new Error(`retention subscription to "${subscription.queue}" is not a channel`);
      const queue = new QueueWithDlq(this, `${cid}Queue`, { name: subscription.queue });
      this.retentionTopic.topic.addSubscription(
        new subs.SqsSubscription(queue.queue, {
          rawMessageDelivery: true,
          filterPolicy: Object.fromEntries(
            Object.entries(subscription.filterPolicy).map(([attribute, allowlist]) => [
              attribute,
              sns.SubscriptionFilter.stringFilter({ allowlist: [...allowlist] }),
            ]),
          ),
          deadLetterQueue: queue.deadLetterQueue,
        }),
      );
      const sender = new AppFunction(this, `${cid}Sender`, { name: queue.spec.consumer, config });
      store.bindTables(sender);
      sender.addEnvironment(ENV.channelProvider, "aws");
      queue.attachConsumer(sender);
      channelQueues[subscription.queue] = queue;
      senders.push(sender);
      this.allowProviderSend(channel, sender, config);
    }
    this.channelQueues = channelQueues;
    this.functions = [plan, ...senders];

    if (config.marketingEmail) {
      const digest = this.marketingTopic.topic.addSubscription(
        new subs.EmailSubscription(config.marketingEmail),
      );
      Validations.of(digest).acknowledge({
        id: "Serverless-SNSRedrivePolicy",
        reason:
          "E-mail to a person, not a queue: a DLQ would keep undeliverable digests nobody reads, " +
          "and the next digest supersedes a lost one.",
      });
    }
  }

  private allowProviderSend(channel: Channel, sender: AppFunction, config: StageConfig): void {
    const stack = Stack.of(this);
    switch (channel) {
      case "sms": {
        // Separate policy so the Resource * acknowledgement covers this statement and no other.
        const policy = new iam.Policy(this, "SmsPublishPolicy", {
          roles: [sender.role],
          statements: [new iam.PolicyStatement({ actions: ["sns:Publish"], resources: ["*"] })],
        });
        Validations.of(policy).acknowledge({
          id: "AwsSolutions-IAM5[Resource::*]",
          reason:
            "SNS authorizes Publish to a phone number only against Resource *: SMS has no ARN. " +
            "The action is the single sns:Publish; sender concurrency is reserved to cap spend.",
        });
        return;
      }
      case "email": {
        sender.addEnvironment(ENV.emailFrom, config.emailFrom);
        const domain = config.emailFrom.slice(config.emailFrom.lastIndexOf("@") + 1);
        sender.addToRolePolicy(
          new iam.PolicyStatement({
            actions: ["ses:SendEmail"],
            // SES checks the address identity or, when only the domain is verified, the domain.
            resources: [config.emailFrom, domain].map((identity) =>
              stack.formatArn({
                service: "ses",
                resource: "identity",
                resourceName: identity,
                arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
              }),
            ),
            conditions: { StringEquals: { "ses:FromAddress": config.emailFrom } },
          }),
        );
        return;
      }
      case "push": {
        const endpoints = stack.formatArn({
          service: "sns",
          resource: "endpoint",
          resourceName: "*",
          arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
        });
        const policy = new iam.Policy(this, "PushPublishPolicy", {
          roles: [sender.role],
          statements: [
            new iam.PolicyStatement({ actions: ["sns:Publish"], resources: [endpoints] }),
          ],
        });
        Validations.of(policy).acknowledge({
          id: "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:sns:<AWS::Region>:<AWS::AccountId>:endpoint/*]",
          reason:
            "Mobile push endpoints are created per device at registration, after deployment; " +
            "the wildcard is limited to this account's and region's platform endpoints.",
        });
        return;
      }
    }
  }
}
