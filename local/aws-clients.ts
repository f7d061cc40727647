/**
 * Local mode's own SDK clients (the handlers build theirs from the environment). Every client
 * gets an explicit endpoint; SQS also must not take its endpoint from the queue URL, because
 * fauxqs queue URLs use `sqs.<region>.localhost` host names that do not resolve here.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SNSClient } from "@aws-sdk/client-sns";
import { SQSClient } from "@aws-sdk/client-sqs";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";

export const LOCAL_REGION = "us-east-1";
/** The emulators accept any credentials; fixed dummies keep real ones from ever being sent. */
export const LOCAL_CREDENTIALS = { accessKeyId: "local", secretAccessKey: "local" } as const;

export interface LocalEndpoints {
  readonly dynamodb: string;
  readonly sqs: string;
  readonly sns: string;
}

export interface LocalClients {
  readonly dynamodb: DynamoDBClient;
  readonly doc: DynamoDBDocumentClient;
  readonly sqs: SQSClient;
  readonly sns: SNSClient;
  destroy(): void;
}

export function createSqsClient(endpoint: string): SQSClient {
  return new SQSClient({
    endpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
    useQueueUrlAsEndpoint: false,
  });
}

export function createLocalClients(endpoints: LocalEndpoints): LocalClients {
  const common = { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS };
  const dynamodb = new DynamoDBClient({ ...common, endpoint: endpoints.dynamodb });
  const doc = DynamoDBDocumentClient.from(dynamodb, {
    marshallOptions: { removeUndefinedValues: true },
  });
  const sqs = createSqsClient(endpoints.sqs);
  const sns = new SNSClient({ ...common, endpoint: endpoints.sns });
  return {
    dynamodb,
    doc,
    sqs,
    sns,
    destroy() {
      doc.destroy();
      dynamodb.destroy();
      sqs.destroy();
      sns.destroy();
    },
  };
}
