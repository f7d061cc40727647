import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from "aws-lambda";
import { API_KEY_HEADER } from "../../lib/topology.js";
import { DynamoApiKeyStore } from "../adapters/dynamo-api-key-store.js";
import { hashApiKey } from "../domain/api-keys.js";
import { dynamo } from "../shared/clients.js";
import { requireEnv } from "../shared/config.js";
import { ENV } from "../shared/env-names.js";
import { logger } from "../shared/logger.js";

const keys = new DynamoApiKeyStore(dynamo(), requireEnv(ENV.apiKeysTable));

function headerValue(event: APIGatewayRequestAuthorizerEvent, name: string): string | undefined {
  const headers = event.headers ?? {};
  const match = Object.keys(headers).find((key) => key.toLowerCase() === name);
  return match ? (headers[match] ?? undefined) : undefined;
}

/** Resource ARN pattern covering every method of the stage, so a cached answer serves all routes. */
function stageWildcard(methodArn: string): string {
  // arn:aws:execute-api:<region>:<account>:<apiId>/<stage>/<method>/<path...>
  const [apiArn, stage] = methodArn.split("/");
  return `${apiArn}/${stage}/*/*`;
}

export const handler = async (
  event: APIGatewayRequestAuthorizerEvent,
): Promise<APIGatewayAuthorizerResult> => {
  const key = headerValue(event, API_KEY_HEADER);
  const record = key ? await keys.find(hashApiKey(key)) : undefined;
  if (!key || !record || record.status !== "active") {
    logger.info("api key refused", { known: Boolean(record) });
    // API Gateway answers exactly this error with 401.
    throw new Error("Unauthorized");
  }
  return {
    principalId: record.appId,
    policyDocument: {
      Version: "2012-10-17",
      Statement: [
        { Action: "execute-api:Invoke", Effect: "Allow", Resource: stageWildcard(event.methodArn) },
      ],
    },
    context: { appId: record.appId },
    // Meters and throttles the caller through the usage plan; authentication happened above.
    usageIdentifierKey: key,
  };
};
