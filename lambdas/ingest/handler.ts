import type { APIGatewayProxyEvent, APIGatewayProxyResult } from "aws-lambda";
import { SqsEventQueue } from "../adapters/sqs-queue.js";
import { eventBatchSchema } from "../domain/events.js";
import { fieldErrors } from "../domain/validation.js";
import { sqs } from "../shared/clients.js";
import { currencyTableFromEnv, eventHorizonFromEnv, requireEnv } from "../shared/config.js";
import { ENV } from "../shared/env-names.js";
import { appIdOf, badRequest, json, jsonBody, respond } from "../shared/http.js";
import { logger } from "../shared/logger.js";
import { ingestEvents } from "../use-cases/ingest-events.js";

const queue = new SqsEventQueue(sqs(), requireEnv(ENV.eventsQueueUrl));
const currencies = currencyTableFromEnv();
const horizon = eventHorizonFromEnv();

export const handler = (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> =>
  respond(
    async () => {
      const appId = appIdOf(event);
      const batch = eventBatchSchema.safeParse(jsonBody(event));
      if (!batch.success) {
        return badRequest(
          'body must be { "events": [ ... ] } with 1 to 500 events',
          fieldErrors(batch.error),
        );
      }
      const rules = { now: new Date(), horizon, currencies };
      const result = await ingestEvents(batch.data.events, appId, queue, rules);
      logger.info("batch ingested", {
        appId,
        accepted: result.accepted,
        duplicates: result.duplicates,
        rejected: result.rejected.length,
      });
      return json(202, result);
    },
    (error) => logger.error("ingest failed", error as Error),
  );
