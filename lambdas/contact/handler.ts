import type { APIGatewayProxyEvent, APIGatewayProxyResult } from "aws-lambda";
import { DynamoContactStore } from "../adapters/dynamo-contact-store.js";
import {
  consentSummary,
  contactRequestSchema,
  keepUndeliverableMarks,
  toContactRecord,
} from "../domain/contact.js";
import { fieldErrors } from "../domain/validation.js";
import { dynamo } from "../shared/clients.js";
import { requireEnv } from "../shared/config.js";
import { ENV } from "../shared/env-names.js";
import { appIdOf, badRequest, json, jsonBody, respond, userIdOf } from "../shared/http.js";
import { logger } from "../shared/logger.js";

const contacts = new DynamoContactStore(dynamo(), requireEnv(ENV.contactsTable));

export const handler = (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> =>
  respond(
    async () => {
      const appId = appIdOf(event);
      const userId = userIdOf(event);
      const request = contactRequestSchema.safeParse(jsonBody(event));
      if (!request.success)
        return badRequest("invalid contact details", fieldErrors(request.error));
      // A client re-sending an address that bounced must not make it deliverable again.
      const record = keepUndeliverableMarks(
        await contacts.get(appId, userId),
        toContactRecord(appId, userId, request.data, new Date()),
      );
      await contacts.put(record);
      logger.info("contact stored", { appId, userId: userId });
      return json(200, {
        userId: record.userId,
        locale: record.locale,
        timezone: record.timezone ?? null,
        channels: consentSummary(record),
        updatedAt: record.updatedAt,
      });
    },
    (error) => logger.error("contact update failed", error as Error),
  );
