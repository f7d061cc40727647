/**
 * The win-back report of one app (`GET /v1/reports/winback`, `churnwatch report`, the local
 * dashboard): reads the app's action records in the period, the deliveries of those that
 * published a message and the profiles of the users measured, and hands them to the pure
 * aggregation in `domain/winback.ts`.
 */
import type { ActionRecord, DeliveryRecord } from "../domain/actions/action-record.js";
import type { CurrencyTable } from "../domain/currency.js";
import {
  buildWinbackReport,
  type MessageCosts,
  measuredActions,
  type WinbackReport,
} from "../domain/winback.js";
import type { WinbackQuery } from "../domain/winback-config.js";
import type { ActionRecordReader, ProfileReader } from "../winback-ports.js";

export interface WinbackDependencies {
  readonly actions: ActionRecordReader;
  readonly profiles: ProfileReader;
  readonly messageCosts: MessageCosts;
  readonly currency: CurrencyTable;
  readonly now?: () => Date;
}

export interface WinbackReportResult extends WinbackReport {
  readonly appId: string;
  readonly experiment: string | null;
  readonly from: string | null;
  readonly to: string | null;
}

function inPeriod(action: ActionRecord, fromMs: number, toMs: number): boolean {
  const asOf = Date.parse(action.asOf);
  // An unreadable asOf is kept only without a period, so the report can count it.
  if (Number.isNaN(asOf)) return fromMs === -Infinity && toMs === Infinity;
  return asOf >= fromMs && asOf <= toMs;
}

export async function winbackReport(
  appId: string,
  query: WinbackQuery,
  deps: WinbackDependencies,
): Promise<WinbackReportResult> {
  const fromMs = query.from !== undefined ? Date.parse(query.from) : -Infinity;
  const toMs = query.to !== undefined ? Date.parse(query.to) : Infinity;
  const actions: ActionRecord[] = [];
  const filter = query.experiment !== undefined ? { experimentId: query.experiment } : {};
  for await (const page of deps.actions.actionsOf(appId, filter)) {
    for (const action of page) {
      if (action.appId !== appId) continue;
      if (query.experiment !== undefined && action.experimentId !== query.experiment) continue;
      if (inPeriod(action, fromMs, toMs)) actions.push(action);
    }
  }

  const measured = measuredActions(actions);
  // Only a published action can have deliveries; the others need no read.
  const published = measured
    .filter((action) => action.outcome === "published")
    .map(({ userId, warningId }) => ({ appId, userId, warningId }));
  const userIds = [...new Set(measured.map((action) => action.userId))];
  const [deliveries, profiles] = await Promise.all([
    published.length > 0
      ? deps.actions.deliveriesOf(published)
      : Promise.resolve(new Map<string, readonly DeliveryRecord[]>()),
    deps.profiles.profilesOf(appId, userIds),
  ]);

  const report = buildWinbackReport(
    { actions, deliveries, profiles },
    {
      windowDays: query.windowDays,
      winback: query.winback,
      messageCosts: deps.messageCosts,
      currency: deps.currency,
      now: deps.now?.() ?? new Date(),
    },
  );
  return {
    appId,
    experiment: query.experiment ?? null,
    from: query.from ?? null,
    to: query.to ?? null,
    ...report,
  };
}
