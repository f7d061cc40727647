/**
 * Exports for `churnwatch export`, computed in local mode from the profiles in the users table
 * (read-only). `btyd-cbs`: per user x, t_x and T in weeks (lambdas/domain/btyd.ts), the layout
 * of BTYD's "customer-by-sufficient-statistic" matrix.
 */
import { type DynamoDBDocumentClient, GetCommand } from "@aws-sdk/lib-dynamodb";
import { hashApiKey } from "../lambdas/domain/api-keys.js";
import { type BtydCbsRow, btydInputs, compareUserIds } from "../lambdas/domain/btyd.js";
import { dayNumberOfKey } from "../lambdas/domain/calendar.js";
import { parallelScan } from "./parallel-scan.js";
import { PROFILE_SORT_KEY } from "./stats.js";

export class ExportQueryError extends Error {
  override readonly name = "ExportQueryError";
}

export interface BtydCbsQuery {
  /** Last day of the calibration period, `YYYY-MM-DD`, inclusive. */
  readonly calibrationEnd: string;
  /** Only users whose ID starts with this; it is left out of the `cust` column. */
  readonly userPrefix?: string;
}

export interface BtydCbsExport {
  readonly rows: readonly BtydCbsRow[];
  /** Users of the app with a profile, whether or not they purchased by the calibration end. */
  readonly profiles: number;
}

/** `YYYY-MM-DD` that is a real calendar date, as a day number; throws ExportQueryError. */
export function parseCalibrationEnd(text: string): number {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) {
    throw new ExportQueryError(`calibration end must be a date YYYY-MM-DD, got "${text}"`);
  }
  const day = dayNumberOfKey(text);
  if (!Number.isFinite(day) || new Date(day * 86_400_000).toISOString().slice(0, 10) !== text) {
    throw new ExportQueryError(`calibration end "${text}" is not a calendar date`);
  }
  return day;
}

/** The app an active API key belongs to, or undefined. */
export async function appIdOfKey(
  doc: DynamoDBDocumentClient,
  apiKeysTable: string,
  apiKey: string,
): Promise<string | undefined> {
  const found = await doc.send(
    new GetCommand({ TableName: apiKeysTable, Key: { keyHash: hashApiKey(apiKey) } }),
  );
  const item = found.Item as { appId?: unknown; status?: unknown } | undefined;
  return item?.status === "active" && typeof item.appId === "string" ? item.appId : undefined;
}

interface ProfileProjection {
  readonly userId?: unknown;
  readonly purchaseDays?: unknown;
}

/** Scans the app's profiles (paginated) and computes one row per user who purchased by then. */
export async function exportBtydCbs(
  doc: DynamoDBDocumentClient,
  usersTable: string,
  appId: string,
  query: BtydCbsQuery,
): Promise<BtydCbsExport> {
  const calibrationEnd = parseCalibrationEnd(query.calibrationEnd);
  const prefix = query.userPrefix ?? "";
  const rows: (BtydCbsRow & { userId: string })[] = [];
  let profiles = 0;
  await parallelScan(
    doc,
    {
      TableName: usersTable,
      FilterExpression: `sk = :profile AND appId = :app${
        prefix === "" ? "" : " AND begins_with(userId, :prefix)"
      }`,
      ProjectionExpression: "userId, purchaseDays",
      ExpressionAttributeValues: {
        ":profile": PROFILE_SORT_KEY,
        ":app": appId,
        ...(prefix === "" ? {} : { ":prefix": prefix }),
      },
    },
    (items) => {
      for (const item of items as readonly ProfileProjection[]) {
        if (typeof item.userId !== "string") continue;
        profiles += 1;
        const purchaseDays = Array.isArray(item.purchaseDays)
          ? item.purchaseDays.filter((day): day is number => typeof day === "number")
          : [];
        const inputs = btydInputs({ purchaseDays }, calibrationEnd);
        if (!inputs) continue;
        rows.push({
          userId: item.userId,
          cust: item.userId.slice(prefix.length),
          x: inputs.x,
          tx: inputs.tx,
          T: inputs.T,
        });
      }
    },
  );
  rows.sort((a, b) => compareUserIds(a.cust, b.cust) || compareUserIds(a.userId, b.userId));
  return { rows: rows.map(({ cust, x, tx, T }) => ({ cust, x, tx, T })), profiles };
}
