import * as iam from "aws-cdk-lib/aws-iam";
import type * as kms from "aws-cdk-lib/aws-kms";
import * as sns from "aws-cdk-lib/aws-sns";
import { Construct } from "constructs";
import { type TopicName, topicArnEnv } from "../topology.js";
import type { AppFunction } from "./app-function.js";

export interface SecureTopicProps {
  /** Which topology topic this is. */
  readonly name: TopicName;
  /** Customer-managed key: AWS-managed SNS keys cannot be opened to CloudWatch or other services. */
  readonly masterKey: kms.IKey;
  readonly displayName?: string;
}

/**
 * An SNS topic encrypted with a customer-managed key whose policy refuses publishing over
 * plain HTTP.
 */
export class SecureTopic extends Construct {
  readonly name: TopicName;
  readonly topic: sns.Topic;
  readonly masterKey: kms.IKey;

  constructor(scope: Construct, id: string, props: SecureTopicProps) {
    super(scope, id);
    this.name = props.name;
    this.masterKey = props.masterKey;
    this.topic = new sns.Topic(this, "Topic", {
      masterKey: props.masterKey,
      enforceSSL: true,
      ...(props.displayName ? { displayName: props.displayName } : {}),
    });
  }

  /**
   * Lets `fn` publish and tells it the topic ARN, as the topology's access list says.
   * The key statement names the two operations SNS performs for a publisher instead of the
   * `kms:GenerateDataKey*` family `grantPublish` would add.
   */
  bindPublisher(fn: AppFunction): void {
    if (!fn.spec.access.publishesTo?.includes(this.name)) {
      throw new Error(
        `function "${fn.name}" does not publish to topic "${this.name}" in the topology`,
      );
    }
    const env = topicArnEnv[this.name];
    if (!env) {
      throw new Error(`topic "${this.name}" has no ARN environment variable in the topology`);
    }
    fn.addEnvironment(env, this.topic.topicArn);
    fn.addToRolePolicy(
      new iam.PolicyStatement({ actions: ["sns:Publish"], resources: [this.topic.topicArn] }),
    );
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ["kms:GenerateDataKey", "kms:Decrypt"],
        resources: [this.masterKey.keyArn],
      }),
    );
  }
}
