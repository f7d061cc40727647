/**
 * `GET /v1/reports/winback?experiment=&windowDays=&winback=purchase|activity&from=&to=`: the
 * win-back report of the caller's app (the app comes from the authorizer, as for every route).
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from "aws-lambda";
import { dynamoWinbackSources } from "../adapters/dynamo-action-records.js";
import type { FieldError } from "../domain/validation.js";
import { messageCostsFromEnv, parseWinbackQuery } from "../domain/winback-config.js";
import { dynamo } from "../shared/clients.js";
import { ConfigError, currencyTableFromEnv, requireEnv } from "../shared/config.js";
import { ENV } from "../shared/env-names.js";
import { appIdOf, badRequest, json, respond } from "../shared/http.js";
import { logger } from "../shared/logger.js";
import { winbackReport } from "../use-cases/winback-report.js";

const sources = dynamoWinbackSources(dynamo(), {
  usersTable: requireEnv(ENV.usersTable),
  ledgerTable: requireEnv(ENV.ledgerTable),
});
const currency = currencyTableFromEnv();
const messageCosts = (() => {
  try {
    return messageCostsFromEnv();
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
})();

/** A parameter given twice is refused rather than one of the values silently winning. */
function repeatedParameters(event: APIGatewayProxyEvent): FieldError[] {
  return Object.entries(event.multiValueQueryStringParameters ?? {})
    .filter(([, values]) => (values?.length ?? 0) > 1)
    .map(([field]) => ({ field, message: "given more than once" }));
}

export const handler = (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> =>
  respond(
    async () => {
      const appId = appIdOf(event);
      if (event.httpMethod !== "GET") {
        return json(405, { message: `method ${event.httpMethod} is not allowed here` });
      }
      const repeated = repeatedParameters(event);
      const query = parseWinbackQuery(event.queryStringParameters ?? {});
      if (repeated.length > 0 || !query.ok) {
        return badRequest("invalid query parameters", [
          ...repeated,
          ...(query.ok ? [] : query.errors),
        ]);
      }
      const report = await winbackReport(appId, query.value, {
        ...sources,
        messageCosts,
        currency,
      });
      return json(200, report);
    },
    (error) => logger.error("win-back report failed", error as Error),
  );
