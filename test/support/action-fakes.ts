/** In-memory stand-ins of the actions path's ports, with the DynamoDB adapters' semantics. */
import type {
  ActionRecords,
  AlertClaims,
  DeferredMessage,
  DeferredMessages,
  SendSlots,
  SlotState,
} from "../../lambdas/action-ports.js";
import type { ActionRecord } from "../../lambdas/domain/actions/action-record.js";
import type { SendSlot } from "../../lambdas/domain/actions/frequency.js";
import type { QuietHoursConfig } from "../../lambdas/domain/actions/quiet-hours.js";
import type { RetentionMessage } from "../../lambdas/domain/retention.js";
import { DEFAULT_TEMPLATE_CATALOGUE } from "../../lambdas/domain/templates.js";
import type { SendRules } from "../../lambdas/use-cases/deliver-message.js";

export class InMemoryActionLedger
  implements ActionRecords, SendSlots, DeferredMessages, AlertClaims
{
  readonly actions = new Map<string, ActionRecord>();
  readonly slotStates = new Map<string, SlotState>();
  readonly holds = new Map<string, DeferredMessage>();
  readonly alerts = new Set<string>();

  async hasAction(appId: string, userId: string, warningId: string) {
    return this.actions.has(`${appId}|${userId}|${warningId}`);
  }
  async putAction(record: ActionRecord) {
    const key = `${record.appId}|${record.userId}|${record.warningId}`;
    if (this.actions.has(key)) return false;
    this.actions.set(key, record);
    return true;
  }
  async read(appId: string, userId: string) {
    return this.slotStates.get(`${appId}|${userId}`) ?? { slots: [], version: 0 };
  }
  async write(appId: string, userId: string, expected: SlotState, slots: readonly SendSlot[]) {
    const key = `${appId}|${userId}`;
    if ((this.slotStates.get(key)?.version ?? 0) !== expected.version) return false;
    this.slotStates.set(key, { slots: [...slots], version: expected.version + 1 });
    return true;
  }
  async defer(message: RetentionMessage, until: Date) {
    this.holds.set(`${until.toISOString()}#${message.dedupeKey}`, { message, until });
  }
  async due(now: Date, limit: number) {
    return [...this.holds.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([, held]) => held)
      .filter((held) => held.until <= now)
      .slice(0, limit);
  }
  async release(held: DeferredMessage) {
    this.holds.delete(`${held.until.toISOString()}#${held.message.dedupeKey}`);
  }
  async claim(appId: string, userId: string, warningId: string) {
    const key = `${appId}|${userId}|${warningId}`;
    if (this.alerts.has(key)) return false;
    this.alerts.add(key);
    return true;
  }
  async unclaim(appId: string, userId: string, warningId: string) {
    this.alerts.delete(`${appId}|${userId}|${warningId}`);
  }
}

/** No quiet hours on any channel: for tests about something else. */
export const NO_QUIET_HOURS: QuietHoursConfig = {
  byChannel: {
    email: { start: "00:00", end: "00:00" },
    sms: { start: "00:00", end: "00:00" },
    push: { start: "00:00", end: "00:00" },
  },
  defaultTimeZone: "UTC",
};

/** Send rules that let everything through: no quiet hours, a cap nobody reaches. */
export const PERMISSIVE_SEND_RULES: SendRules = {
  quietHours: NO_QUIET_HOURS,
  frequencyCap: { maxMessages: 1_000_000, windowDays: 7 },
  templates: DEFAULT_TEMPLATE_CATALOGUE,
};
