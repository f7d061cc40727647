import { describe, expect, it } from "vitest";
import type { ActionRecord, DeliveryRecord } from "../../lambdas/domain/actions/action-record.js";
import { DEFAULT_CURRENCY_TABLE } from "../../lambdas/domain/currency.js";
import type { BehaviourEvent } from "../../lambdas/domain/events.js";
import { applyEvents, type UserFeatures } from "../../lambdas/domain/features.js";
import { actionKey, DEFAULT_MESSAGE_COSTS } from "../../lambdas/domain/winback.js";
import { parseWinbackQuery, type WinbackQuery } from "../../lambdas/domain/winback-config.js";
import { winbackReport } from "../../lambdas/use-cases/winback-report.js";
import type {
  ActionFilter,
  ActionRecordReader,
  ActionRef,
  ProfileReader,
} from "../../lambdas/winback-ports.js";

function action(
  appId: string,
  userId: string,
  overrides: Partial<ActionRecord> = {},
): ActionRecord {
  return {
    appId,
    userId,
    warningId: `w-${userId}`,
    runId: "run-1",
    asOf: "2026-10-01T00:00:00.000Z",
    plannedAt: "2026-10-01T00:05:00.000Z",
    tier: "high",
    score: 0.8,
    valueTier: "high",
    lifecycleStage: "active",
    topReason: null,
    ruleId: "r1",
    campaign: "c1",
    experimentId: "exp-1",
    group: "variant",
    variant: "push-first",
    template: "we_miss_you",
    offer: null,
    channel: "push",
    outcome: "published",
    reason: null,
    escalated: false,
    ...overrides,
  } as ActionRecord;
}

function buyer(userId: string, at: string): UserFeatures {
  return applyEvents(undefined, "shop", userId, [
    {
      event: {
        eventId: `${userId}-1`,
        userId,
        type: "app_open",
        occurredAt: "2026-09-01T00:00:00Z",
      } as BehaviourEvent,
    },
    {
      event: {
        eventId: `${userId}-2`,
        userId,
        type: "purchase",
        occurredAt: at,
        properties: { orderId: `${userId}-o`, amount: 88, currency: "CNY" },
      } as BehaviourEvent,
      baseAmountMinor: 8800,
    },
  ]);
}

class FakeActions implements ActionRecordReader {
  readonly filters: ActionFilter[] = [];
  readonly deliveryReads: ActionRef[][] = [];
  constructor(
    private readonly records: ActionRecord[],
    private readonly deliveries: DeliveryRecord[],
  ) {}

  async *actionsOf(appId: string, filter: ActionFilter = {}) {
    this.filters.push(filter);
    const mine = this.records.filter((record) => record.appId === appId);
    // Two pages, as a paginated scan would give them.
    yield mine.slice(0, 2);
    yield mine.slice(2);
  }

  async deliveriesOf(actions: readonly ActionRef[]) {
    this.deliveryReads.push([...actions]);
    const found = new Map<string, DeliveryRecord[]>();
    for (const ref of actions) {
      found.set(
        actionKey(ref.userId, ref.warningId),
        this.deliveries.filter((d) => d.userId === ref.userId && d.warningId === ref.warningId),
      );
    }
    return found;
  }
}

class FakeProfiles implements ProfileReader {
  readonly reads: { appId: string; userIds: string[] }[] = [];
  constructor(private readonly profiles: Map<string, UserFeatures>) {}
  async profilesOf(appId: string, userIds: readonly string[]) {
    this.reads.push({ appId, userIds: [...userIds] });
    return new Map(
      userIds.flatMap((id) => {
        const profile = this.profiles.get(id);
        return profile ? [[id, profile] as const] : [];
      }),
    );
  }
}

const sentPush = (userId: string): DeliveryRecord => ({
  appId: "shop",
  userId,
  dedupeKey: `w-${userId}|push|step1`,
  warningId: `w-${userId}`,
  channel: "push",
  status: "sent",
  completedAt: "2026-10-01T00:06:00.000Z",
  reason: null,
  deferredUntil: null,
});

function query(parameters: Record<string, string>): WinbackQuery {
  const parsed = parseWinbackQuery(parameters);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return parsed.value;
}

function setup() {
  const records = [
    action("shop", "a"),
    action("shop", "b", { outcome: "suppressed", channel: null }),
    action("shop", "c", { group: "control", variant: null, outcome: "control", channel: null }),
    action("shop", "d", { group: "control", variant: null, outcome: "control", channel: null }),
    action("shop", "late", { asOf: "2026-12-01T00:00:00.000Z" }),
    action("shop", "other-exp", { experimentId: "exp-2" }),
    action("other-app", "a"),
  ];
  const actions = new FakeActions(records, [sentPush("a"), sentPush("late")]);
  const profiles = new FakeProfiles(
    new Map([
      ["a", buyer("a", "2026-10-04T10:00:00Z")],
      ["c", buyer("c", "2026-10-20T10:00:00Z")],
      ["d", buyer("d", "2026-09-20T10:00:00Z")],
    ]),
  );
  const deps = {
    actions,
    profiles,
    messageCosts: DEFAULT_MESSAGE_COSTS,
    currency: DEFAULT_CURRENCY_TABLE,
    now: () => new Date("2027-02-01T00:00:00Z"),
  };
  return { actions, profiles, deps };
}

describe("winbackReport", () => {
  it("reads one app's actions in the period, the deliveries of published ones and the profiles once", async () => {
    const { actions, profiles, deps } = setup();
    const report = await winbackReport(
      "shop",
      query({ experiment: "exp-1", from: "2026-09-15", to: "2026-10-31" }),
      deps,
    );
    expect(actions.filters).toEqual([{ experimentId: "exp-1" }]);
    // Only "a" was published in the period: "b" was suppressed, c and d are control.
    expect(actions.deliveryReads).toEqual([[{ appId: "shop", userId: "a", warningId: "w-a" }]]);
    expect(profiles.reads).toEqual([{ appId: "shop", userIds: ["a", "b", "c", "d"] }]);
    expect(report).toMatchObject({
      appId: "shop",
      experiment: "exp-1",
      from: "2026-09-15T00:00:00.000Z",
      to: "2026-10-31T23:59:59.999Z",
      windowDays: 30,
      winback: "purchase",
    });
    expect(report.experiments).toHaveLength(1);
    const [experiment] = report.experiments;
    expect(experiment?.control).toMatchObject({ targeted: 2, wonBack: 1, rate: 0.5 });
    expect(experiment?.variants).toMatchObject([
      {
        arm: "push-first",
        targeted: 2,
        sent: 1,
        delivered: 1,
        // Nobody in this app reports push opens: unknown, not 0.
        opened: null,
        wonBack: 1,
        revenueWonBack: 88,
        cost: { messagesByChannel: { email: 0, push: 1, sms: 0 }, total: 0 },
        uplift: { difference: 0, test: "fisher-exact", pValue: 1, incrementalWonBack: 0 },
      },
    ]);
  });

  it("without filters reports every experiment of the app and nothing of other apps", async () => {
    const { deps } = setup();
    const report = await winbackReport("shop", query({ windowDays: "90" }), deps);
    expect(report.experiments.map((e) => e.experimentId)).toEqual(["exp-1", "exp-2"]);
    expect(report.experiments[0]?.variants[0]).toMatchObject({ targeted: 3, delivered: 2 });
    expect(report).toMatchObject({ experiment: null, from: null, to: null, windowDays: 90 });
  });

  it("reads no deliveries when nothing was published", async () => {
    const { actions, deps } = setup();
    const report = await winbackReport("nobody", query({}), deps);
    expect(actions.deliveryReads).toEqual([]);
    expect(report.experiments).toEqual([]);
  });
});
