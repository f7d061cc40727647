/**
 * SDK clients, one per cold start. In local mode the emulator endpoints come from the
 * environment; every client then gets an explicit endpoint (fauxqs queue URLs use `*.localhost`
 * host names that do not resolve, so SQS must not take its endpoint from the queue URL).
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SESv2Client } from "@aws-sdk/client-sesv2";
import { SNSClient } from "@aws-sdk/client-sns";
import { SQSClient } from "@aws-sdk/client-sqs";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { optionalEnv } from "./config.js";
import { ENV } from "./env-names.js";

let documentClient: DynamoDBDocumentClient | undefined;
let sqsClient: SQSClient | undefined;
let snsClient: SNSClient | undefined;
let sesClient: SESv2Client | undefined;

/**
 * Providers (SES, SNS SMS/push) that hang must not hold a sender until its Lambda times out: each
 * attempt gives up after a few seconds and the SDK retries with exponential backoff and jitter
 * (standard mode, 3 attempts); what still fails goes back to SQS and, at last, to the DLQ.
 */
const PROVIDER_CALLS = {
  maxAttempts: 3,
  requestHandler: { connectionTimeout: 2_000, requestTimeout: 5_000 },
} as const;

function endpointOf(name: (typeof ENV)[keyof typeof ENV]): { endpoint?: string } {
  const endpoint = optionalEnv(name);
  return endpoint ? { endpoint } : {};
}

export function dynamo(): DynamoDBDocumentClient {
  documentClient ??= DynamoDBDocumentClient.from(
    new DynamoDBClient(endpointOf(ENV.dynamodbEndpoint)),
    { marshallOptions: { removeUndefinedValues: true } },
  );
  return documentClient;
}

export function sqs(): SQSClient {
  const endpoint = endpointOf(ENV.sqsEndpoint);
  sqsClient ??= new SQSClient(
    endpoint.endpoint ? { ...endpoint, useQueueUrlAsEndpoint: false } : {},
  );
  return sqsClient;
}

export function sns(): SNSClient {
  snsClient ??= new SNSClient({ ...PROVIDER_CALLS, ...endpointOf(ENV.snsEndpoint) });
  return snsClient;
}

export function ses(): SESv2Client {
  sesClient ??= new SESv2Client({ ...PROVIDER_CALLS });
  return sesClient;
}
