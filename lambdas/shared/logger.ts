import { Logger } from "@aws-lambda-powertools/logger";

/**
 * One logger per function. Log IDs (appId, userId, eventId, messageId), never addresses, phone
 * numbers, tokens or message bodies: logs are not covered by erasure.
 */
export const logger = new Logger({
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? "churnwatch",
});
