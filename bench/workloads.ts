/**
 * The benchmark's event streams, as the events queue would carry them (TrackedEvent), already cut
 * into SQS batches: (a) a synthetic mix of event types over a few users, and (b) the CDNOW
 * purchase log in file order.
 */
import { readFileSync } from "node:fs";
import type { BehaviourEvent, TrackedEvent } from "../lambdas/domain/events.js";

export type Batch = readonly TrackedEvent[];

/** Fixed so two runs send identical events (the measurements must not depend on the clock). */
const RECEIVED_AT = "2026-11-23T12:00:00.000Z";
const SYNTHETIC_START_MS = Date.parse("2026-09-01T00:00:00Z");
/** USD → CNY, the base currency, as ingest would convert it (the rate the brief fixes for CDNOW). */
export const CDNOW_USD_TO_CNY = 7.1;

/** Small deterministic PRNG (mulberry32): the same seed gives the same workload. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

interface SyntheticEvent {
  readonly event: BehaviourEvent;
  readonly baseAmountMinor?: number;
}

/** One event of a type drawn from a mix that looks like an app's traffic. */
function syntheticEvent(
  next: () => number,
  eventId: string,
  userId: string,
  occurredAt: string,
): SyntheticEvent {
  const context = { platform: "ios" as const, timezone: "Asia/Shanghai" };
  // `properties` is part of every event's type, absent (undefined) for types that take none.
  const base = { eventId, userId, occurredAt, context, properties: undefined };
  const pick = Math.floor(next() * 14);
  const amountMinor = 1_000 + Math.floor(next() * 50_000);
  switch (pick) {
    case 0:
      return { event: { ...base, type: "app_open" } };
    case 1:
      return { event: { ...base, type: "login" } };
    case 2:
      return {
        event: {
          ...base,
          type: "session",
          properties: { durationSec: 30 + Math.floor(next() * 900) },
        },
      };
    case 3:
      return { event: { ...base, type: "page_view", properties: { page: "/home" } } };
    case 4:
      return {
        event: { ...base, type: "page_load", properties: { ms: Math.floor(next() * 6_000) } },
      };
    case 5:
      return {
        event: {
          ...base,
          type: "search",
          properties: { query: "shoes", resultCount: Math.floor(next() * 3) },
        },
      };
    case 6:
      return { event: { ...base, type: "product_view", properties: { productId: "p-1" } } };
    case 7:
      return { event: { ...base, type: "add_to_cart", properties: { productId: "p-1" } } };
    case 8:
      return { event: { ...base, type: "cart_abandon" } };
    case 9:
      return { event: { ...base, type: "checkout_start" } };
    case 10:
      return {
        event: {
          ...base,
          type: "purchase",
          properties: { orderId: `o-${eventId}`, amount: amountMinor / 100, currency: "CNY" },
        },
        baseAmountMinor: amountMinor,
      };
    case 11:
      return {
        event: {
          ...base,
          type: "refund",
          properties: { orderId: `o-${eventId}`, amount: amountMinor / 100, currency: "CNY" },
        },
        baseAmountMinor: amountMinor,
      };
    case 12:
      return {
        event: { ...base, type: "review", properties: { rating: 1 + Math.floor(next() * 5) } },
      };
    default:
      return { event: { ...base, type: "push_opened" } };
  }
}

export interface SyntheticOptions {
  readonly appId: string;
  readonly batches: number;
  readonly eventsPerBatch: number;
  readonly users: number;
  readonly seed: number;
}

/** Every batch spreads its events round-robin over all users, so each batch touches each user. */
export function syntheticBatches(options: SyntheticOptions): {
  readonly batches: Batch[];
  readonly userIds: string[];
} {
  const next = random(options.seed);
  const userIds = Array.from({ length: options.users }, (_, index) => `u-${index}`);
  const batches: Batch[] = [];
  for (let b = 0; b < options.batches; b += 1) {
    const batch: TrackedEvent[] = [];
    for (let i = 0; i < options.eventsPerBatch; i += 1) {
      const userId = userIds[(b + i) % options.users] as string;
      // Mostly in order, some a few hours late, as mobile clients deliver them.
      const occurredMs =
        SYNTHETIC_START_MS +
        (b * options.eventsPerBatch + i) * 60_000 -
        Math.floor(next() * 3) * 3_600_000;
      const generated = syntheticEvent(
        next,
        `${options.appId}-b${b}-e${i}`,
        userId,
        new Date(occurredMs).toISOString(),
      );
      batch.push({ appId: options.appId, receivedAt: RECEIVED_AT, ...generated });
    }
    batches.push(batch);
  }
  return { batches, userIds };
}

export interface CdnowRow {
  /** 1-based line number in the file (the header is line 1). */
  readonly line: number;
  readonly customerId: string;
  readonly date: string;
  readonly cds: number;
  readonly dollars: number;
}

/** CDNOW_master.txt: a header, then `customer_id date(YYYYMMDD) number_of_cds dollar_value`. */
export function parseCdnow(path: string): CdnowRow[] {
  const lines = readFileSync(path, "utf8").split("\n");
  const header = (lines[0] ?? "").trim();
  if (!header.startsWith("customer_id")) {
    throw new Error(`${path}: expected a customer_id header, found "${header.slice(0, 40)}"`);
  }
  const rows: CdnowRow[] = [];
  for (let index = 1; index < lines.length; index += 1) {
    const text = (lines[index] as string).trim();
    if (text === "") continue;
    const fields = text.split(/\s+/);
    const [customerId, date, cds, dollars] = fields;
    const line = index + 1;
    if (
      fields.length !== 4 ||
      !customerId ||
      !/^\d+$/.test(customerId) ||
      !date ||
      !/^\d{8}$/.test(date) ||
      !Number.isFinite(Number(cds)) ||
      !Number.isFinite(Number(dollars))
    ) {
      throw new Error(`${path}:${line}: not a CDNOW row: "${text.slice(0, 60)}"`);
    }
    rows.push({ line, customerId, date, cds: Number(cds), dollars: Number(dollars) });
  }
  return rows;
}

export function cdnowEvent(appId: string, row: CdnowRow): TrackedEvent {
  // The row's line number makes the ID: the same file always gives the same IDs, and two
  // identical rows (same customer, day and amount) stay two purchases.
  const eventId = `cdnow-${row.customerId}-${row.date}-l${row.line}`;
  const occurredAt = `${row.date.slice(0, 4)}-${row.date.slice(4, 6)}-${row.date.slice(6, 8)}T12:00:00Z`;
  return {
    appId,
    receivedAt: RECEIVED_AT,
    event: {
      eventId,
      userId: `cdnow-${row.customerId}`,
      type: "purchase",
      occurredAt,
      properties: { orderId: eventId, amount: row.dollars, currency: "USD" },
    },
    baseAmountMinor: Math.round(row.dollars * CDNOW_USD_TO_CNY * 100),
  };
}

export function inBatches<T>(items: readonly T[], size: number): T[][] {
  const batches: T[][] = [];
  for (let start = 0; start < items.length; start += size) {
    batches.push(items.slice(start, start + size));
  }
  return batches;
}
