import { TransactionCanceledException } from "@aws-sdk/client-dynamodb";
import {
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
} from "@aws-sdk/lib-dynamodb";
import type { ModelKind, ModelStore, ModelVersionSummary, StoredModel } from "../model-ports.js";

export const CURRENT_SK = "CURRENT";
const VERSION_PREFIX = "V#";
/** Ten digits sort as strings in version order for longer than anyone will publish. */
const VERSION_DIGITS = 10;
/** Publishes that lose a race re-read the latest version and try the next; this many at most. */
const MAX_PUBLISH_ATTEMPTS = 8;
/**
 * DynamoDB refuses items over 400 KB; leave room for the other attributes and say so plainly
 * instead of failing with the service's generic validation error.
 */
export const MAX_ARTEFACT_BYTES = 380_000;

export function modelPartitionKey(appId: string, kind: ModelKind): string {
  return `MODEL#${appId}#${kind}`;
}

export function versionSortKey(version: number): string {
  return `${VERSION_PREFIX}${String(version).padStart(VERSION_DIGITS, "0")}`;
}

/** Raised when a publish lost the race for a version number every time it tried. */
export class ModelPublishError extends Error {
  override readonly name = "ModelPublishError";
}

interface VersionItem {
  readonly pk: string;
  readonly sk: string;
  readonly appId: string;
  readonly kind: ModelKind;
  readonly version: number;
  readonly createdAt: string;
  /** JSON text (see the class comment); a map is read as well, should anyone write one. */
  readonly artefact?: unknown;
  readonly summary?: Record<string, unknown>;
}

/**
 * Model versions in the scoring table. Per app and kind (pk = `MODEL#<appId>#<kind>`):
 * `V#<zero-padded version>` holds one immutable version, `CURRENT` names the current one.
 *
 * CURRENT is a pointer only, not a copy of the artefact: a version item never changes once
 * written, so reading CURRENT and then the version it names cannot see a torn state, the
 * artefact is stored once (each item has the 400 KB limit to itself), and moving CURRENT stays a
 * small write. The extra read happens once per cold start of a scoring function.
 *
 * The artefact is stored as JSON text: JSON round-trips JavaScript numbers exactly (a DynamoDB
 * number is a 38-digit decimal, and marshalling large float arrays as a map is slow and bigger),
 * and the store never needs to look inside it.
 */
export class DynamoModelStore implements ModelStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly now: () => Date = () => new Date(),
    /** Pause before retrying a publish that lost a race; jittered so racers spread out. */
    private readonly backoff: (attempt: number) => Promise<void> = (attempt) =>
      new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * attempt)),
  ) {}

  async current(appId: string, kind: ModelKind): Promise<StoredModel | undefined> {
    const pk = modelPartitionKey(appId, kind);
    const pointer = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { pk, sk: CURRENT_SK } }),
    );
    const version = pointer.Item?.version;
    if (typeof version !== "number") return undefined;
    const found = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { pk, sk: versionSortKey(version) } }),
    );
    const item = found.Item as VersionItem | undefined;
    if (!item) {
      throw new Error(`${pk}: CURRENT names version ${version}, which is not stored`);
    }
    return {
      appId: item.appId,
      kind: item.kind,
      version: item.version,
      createdAt: item.createdAt,
      summary: item.summary ?? {},
      artefact: typeof item.artefact === "string" ? JSON.parse(item.artefact) : item.artefact,
    };
  }

  async publish(
    appId: string,
    kind: ModelKind,
    artefact: unknown,
    summary: Record<string, unknown>,
  ): Promise<{ version: number }> {
    const pk = modelPartitionKey(appId, kind);
    const artefactJson = JSON.stringify(artefact);
    if (artefactJson === undefined) throw new TypeError("a model artefact must be JSON");
    const bytes = Buffer.byteLength(artefactJson, "utf8");
    if (bytes > MAX_ARTEFACT_BYTES) {
      throw new RangeError(
        `${pk}: the artefact is ${bytes} bytes as JSON, more than the ${MAX_ARTEFACT_BYTES} a version item can hold`,
      );
    }
    for (let attempt = 1; attempt <= MAX_PUBLISH_ATTEMPTS; attempt += 1) {
      const version = (await this.latestVersion(pk)) + 1;
      const createdAt = this.now().toISOString();
      try {
        await this.client.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Put: {
                  TableName: this.tableName,
                  Item: {
                    pk,
                    sk: versionSortKey(version),
                    appId,
                    kind,
                    version,
                    createdAt,
                    artefact: artefactJson,
                    summary,
                  } satisfies VersionItem,
                  ConditionExpression: "attribute_not_exists(pk)",
                },
              },
              {
                // CURRENT only moves forward, whatever order two publishes commit in.
                Update: {
                  TableName: this.tableName,
                  Key: { pk, sk: CURRENT_SK },
                  UpdateExpression: "SET #version = :version, #createdAt = :createdAt",
                  ConditionExpression: "attribute_not_exists(#version) OR #version < :version",
                  ExpressionAttributeNames: { "#version": "version", "#createdAt": "createdAt" },
                  ExpressionAttributeValues: { ":version": version, ":createdAt": createdAt },
                },
              },
            ],
          }),
        );
        return { version };
      } catch (error) {
        if (!lostRace(error)) throw error;
        await this.backoff(attempt);
      }
    }
    throw new ModelPublishError(
      `${pk}: lost the race for a version number ${MAX_PUBLISH_ATTEMPTS} times; try again`,
    );
  }

  async list(appId: string, kind: ModelKind): Promise<ModelVersionSummary[]> {
    const pk = modelPartitionKey(appId, kind);
    const items: VersionItem[] = [];
    let current: number | undefined;
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: "pk = :pk",
          // Everything but the artefact, which can be hundreds of kilobytes per version.
          // Aliased throughout: DynamoDB reserves hundreds of plain words as attribute names.
          ProjectionExpression: "pk, sk, #appId, #kind, #version, #createdAt, #summary",
          ExpressionAttributeNames: {
            "#appId": "appId",
            "#kind": "kind",
            "#version": "version",
            "#createdAt": "createdAt",
            "#summary": "summary",
          },
          ExpressionAttributeValues: { ":pk": pk },
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      for (const item of (page.Items ?? []) as VersionItem[]) {
        if (item.sk === CURRENT_SK) current = item.version;
        else if (item.sk.startsWith(VERSION_PREFIX)) items.push(item);
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return items
      .sort((a, b) => a.version - b.version)
      .map((item) => ({
        appId: item.appId,
        kind: item.kind,
        version: item.version,
        createdAt: item.createdAt,
        summary: item.summary ?? {},
        current: item.version === current,
      }));
  }

  /** The highest stored version number, 0 before the first publish (read consistently). */
  private async latestVersion(pk: string): Promise<number> {
    const page = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: "pk = :pk AND begins_with(sk, :prefix)",
        ExpressionAttributeValues: { ":pk": pk, ":prefix": VERSION_PREFIX },
        ProjectionExpression: "#version",
        ExpressionAttributeNames: { "#version": "version" },
        ScanIndexForward: false,
        Limit: 1,
        ConsistentRead: true,
      }),
    );
    const version = page.Items?.[0]?.version;
    return typeof version === "number" ? version : 0;
  }
}

/** A cancelled publish transaction that another publish explains: try the next number. */
function lostRace(error: unknown): boolean {
  if (!(error instanceof TransactionCanceledException)) return false;
  const codes = (error.CancellationReasons ?? []).map((reason) => reason.Code);
  return (
    codes.some((code) => code === "ConditionalCheckFailed" || code === "TransactionConflict") &&
    codes.every(
      (code) =>
        code === undefined ||
        code === "None" ||
        code === "ConditionalCheckFailed" ||
        code === "TransactionConflict",
    )
  );
}
