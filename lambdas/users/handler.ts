import type { APIGatewayProxyEvent, APIGatewayProxyResult } from "aws-lambda";
import { DynamoContactStore } from "../adapters/dynamo-contact-store.js";
import { DynamoErasureRegistry } from "../adapters/dynamo-erasure-registry.js";
import { DynamoFeatureStore } from "../adapters/dynamo-feature-store.js";
import { userActions } from "../adapters/dynamo-user-actions.js";
import {
  deleteHeldMessages,
  deletePartition,
  deleteSingleItem,
  eraseFromRunLists,
} from "../adapters/dynamo-user-eraser.js";
import { eraseFromOutbox } from "../adapters/outbox-eraser.js";
import { consentSummary } from "../domain/contact.js";
import { DEFAULT_INDICATOR_OPTIONS, deriveIndicators } from "../domain/indicators.js";
import { dynamo } from "../shared/clients.js";
import { optionalEnv, positiveIntEnv, requireEnv } from "../shared/config.js";
import { ENV } from "../shared/env-names.js";
import { appIdOf, json, respond, userIdOf } from "../shared/http.js";
import { logger } from "../shared/logger.js";

const usersTable = requireEnv(ENV.usersTable);
const contactsTable = requireEnv(ENV.contactsTable);
const ledgerTable = requireEnv(ENV.ledgerTable);
const outboxPath = optionalEnv(ENV.outboxPath);
const features = new DynamoFeatureStore(dynamo(), usersTable);
const contacts = new DynamoContactStore(dynamo(), contactsTable);
const erasures = new DynamoErasureRegistry(dynamo(), ledgerTable);
/** The latest actions a user's record shows; older ones stay in the ledger for reports. */
const RECENT_ACTIONS = 20;
const indicatorOptions = {
  ...DEFAULT_INDICATOR_OPTIONS,
  highValueMinor: positiveIntEnv(ENV.highValueThreshold, 5000) * 100,
};

async function describeUser(appId: string, userId: string): Promise<APIGatewayProxyResult> {
  const [profile, contact, actions] = await Promise.all([
    features.getProfile(appId, userId),
    contacts.get(appId, userId),
    userActions(dynamo(), ledgerTable, appId, userId, RECENT_ACTIONS),
  ]);
  if (!profile && !contact) return json(404, { message: `no user ${userId}` });
  const { risk, version: _version, ...userFeatures } = profile ?? {};
  return json(200, {
    userId,
    features: profile ? userFeatures : null,
    indicators: profile ? deriveIndicators(profile, new Date(), indicatorOptions) : null,
    risk: risk ?? null,
    consent: consentSummary(contact),
    actions,
  });
}

/** Erasure: every record about the user, in every store, and a count of what went. */
async function eraseUser(appId: string, userId: string): Promise<APIGatewayProxyResult> {
  const client = dynamo();
  // First: from now on, events, warnings and messages still queued for the user meet this
  // tombstone (it holds a hash, not the ID) and are dropped, so none can write a record of the
  // user while the stores below are being emptied.
  await erasures.recordErasure(appId, userId, new Date());
  const erased = {
    featureRecords: await deletePartition(client, usersTable, appId, userId),
    contact: await deleteSingleItem(client, contactsTable, appId, userId),
    // Before the partition: the pointers to the held messages are in it.
    heldMessages: await deleteHeldMessages(client, ledgerTable, appId, userId),
    ledgerEntries: await deletePartition(client, ledgerTable, appId, userId),
    runLists: await eraseFromRunLists(client, ledgerTable, appId, userId),
    ...(outboxPath ? { outboxLines: await eraseFromOutbox(outboxPath, appId, userId) } : {}),
  };
  logger.info("user erased", { appId, userId, ...erased });
  return json(200, { userId, erased });
}

export const handler = (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> =>
  respond(
    async () => {
      const appId = appIdOf(event);
      const userId = userIdOf(event);
      switch (event.httpMethod) {
        case "GET":
          return describeUser(appId, userId);
        case "DELETE":
          return eraseUser(appId, userId);
        default:
          return json(405, { message: `method ${event.httpMethod} is not allowed here` });
      }
    },
    (error) => logger.error("user request failed", error as Error),
  );
