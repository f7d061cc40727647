import { ArnFormat, Duration, Stack, Validations } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import * as kms from "aws-cdk-lib/aws-kms";
import * as ses from "aws-cdk-lib/aws-ses";
import * as sns from "aws-cdk-lib/aws-sns";
import * as subs from "aws-cdk-lib/aws-sns-subscriptions";
import { Construct } from "constructs";
import { ENV } from "../../lambdas/shared/env-names.js";
import type { StageConfig } from "../config.js";
import { type Channel, type QueueName, schedules, topics } from "../topology.js";
import { AppFunction } from "./app-function.js";
import type { FeatureStore } from "./feature-store.js";
import { QueueWithDlq } from "./queue-with-dlq.js";
import { ScheduledJob } from "./scheduled-job.js";
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
  readonly releaseJob: ScheduledJob;
  readonly feedbackTopic: SecureTopic;
  readonly sesConfigurationSet: ses.ConfigurationSet;
  readonly feedbackFunction: AppFunction;
  readonly functions: readonly AppFunction[];

  constructor(scope: Construct, id: string, props: ActionsProps) {
    super(scope, id);
    const { config, store } = props;

    const plan = new AppFunction(this, "Plan", { name: "plan", config });
    store.bindTables(plan);
    plan.addEnvironment(ENV.channelPreference, config.channelPreference.join(","));
    if (config.currencyTable) plan.addEnvironment(ENV.currencyTable, config.currencyTable);
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
    this.marketingTopic.bindPublisher(plan);

    // Quiet hours hold messages back; this job hands them to their channel when the hold ends.
    const release = new AppFunction(this, "Release", { name: schedules.release.target, config });
    store.bindTables(release);
    this.retentionTopic.bindPublisher(release);
    this.releaseJob = new ScheduledJob(this, "ReleaseSchedule", {
      config,
      schedule: schedules.release,
      target: release,
      maxEventAge: Duration.minutes(30),
    });

    const feedback = this.buildFeedback(config, store, topicKey);
    this.feedbackTopic = feedback.topic;
    this.sesConfigurationSet = feedback.configurationSet;
    this.feedbackFunction = feedback.fn;

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
    channelQueues.feedback = feedback.queue;
    this.channelQueues = channelQueues;
    this.functions = [plan, release, ...senders, this.feedbackFunction];
    // Checked together at synth (lib/config.ts) and again at each cold start.
    for (const fn of [plan, ...senders]) {
      for (const [name, value] of [
        [ENV.retentionPolicy, config.retentionPolicy],
        [ENV.templates, config.templates],
        [ENV.quietHours, config.quietHours],
        [ENV.frequencyCap, config.frequencyCap],
      ] as const) {
        if (value) fn.addEnvironment(name, value);
      }
    }

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

  /**
   * SES bounce and complaint events: configuration set → feedback topic → feedback queue (SNS
   * envelope kept, signature checked) → feedback λ, which marks the address undeliverable.
   */
  private buildFeedback(config: StageConfig, store: FeatureStore, topicKey: kms.Key) {
    const feedbackTopic = new SecureTopic(this, "FeedbackTopic", {
      name: "feedback",
      masterKey: topicKey,
    });
    // SES publishes bounce and complaint events into the encrypted topic.
    topicKey.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal("ses.amazonaws.com")],
        actions: ["kms:GenerateDataKey", "kms:Decrypt"],
        resources: ["*"],
        conditions: { StringEquals: { "aws:SourceAccount": Stack.of(this).account } },
      }),
    );
    const configurationSet = new ses.ConfigurationSet(this, "EmailConfigurationSet", {
      reputationMetrics: true,
    });
    configurationSet.addEventDestination("BouncesAndComplaints", {
      destination: ses.EventDestination.snsTopic(feedbackTopic.topic),
      events: [ses.EmailSendingEvent.BOUNCE, ses.EmailSendingEvent.COMPLAINT],
    });

    const feedback = new AppFunction(this, "Feedback", { name: "feedback", config });
    store.bindTables(feedback);
    const subscription = topics.feedback.subscriptions[0];
    if (!subscription) throw new Error("the feedback topic has no subscription in the topology");
    const queue = new QueueWithDlq(this, "FeedbackQueue", { name: subscription.queue });
    feedbackTopic.topic.addSubscription(
      new subs.SqsSubscription(queue.queue, {
        rawMessageDelivery: subscription.rawMessageDelivery ?? true,
        deadLetterQueue: queue.deadLetterQueue,
      }),
    );
    queue.attachConsumer(feedback);
    return { topic: feedbackTopic, configurationSet, fn: feedback, queue };
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
        sender.addEnvironment(
          ENV.sesConfigurationSet,
          this.sesConfigurationSet.configurationSetName,
        );
        const domain = config.emailFrom.slice(config.emailFrom.lastIndexOf("@") + 1);
        sender.addToRolePolicy(
          new iam.PolicyStatement({
            actions: ["ses:SendEmail"],
            // SES checks the address identity or, when only the domain is verified, the domain.
            resources: [
              ...[config.emailFrom, domain].map((identity) =>
                stack.formatArn({
                  service: "ses",
                  resource: "identity",
                  resourceName: identity,
                  arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
                }),
              ),
              // SendEmail with a configuration set is authorized against the set too.
              stack.formatArn({
                service: "ses",
                resource: "configuration-set",
                resourceName: this.sesConfigurationSet.configurationSetName,
                arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
              }),
            ],
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
