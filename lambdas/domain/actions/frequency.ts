/**
 * The frequency cap: how many retention messages one user may receive in a rolling window,
 * counted across every channel — an e-mail and a push on the same day are two interruptions to
 * the same person. The sends a user had are kept as slots next to their other records.
 */
import { z } from "zod";
import { parseConfig, strictObject } from "./config-error.js";

export interface FrequencyCap {
  readonly maxMessages: number;
  readonly windowDays: number;
}

/** Two per week: a reminder and one follow-up, no more. */
export const DEFAULT_FREQUENCY_CAP: FrequencyCap = { maxMessages: 2, windowDays: 7 };
export const MAX_CAP_MESSAGES = 100;
export const MAX_CAP_WINDOW_DAYS = 365;

const DAY_MS = 86_400_000;

const capSchema = strictObject({
  maxMessages: z
    .number()
    .int("must be a whole number")
    .min(1, "must be at least 1 (to send nothing, use a policy without message rules)")
    .max(MAX_CAP_MESSAGES, `must be at most ${MAX_CAP_MESSAGES}`)
    .optional(),
  windowDays: z
    .number()
    .int("must be a whole number of days")
    .min(1, "must be at least 1")
    .max(MAX_CAP_WINDOW_DAYS, `must be at most ${MAX_CAP_WINDOW_DAYS}`)
    .optional(),
}).transform(
  (parsed): FrequencyCap => ({
    maxMessages: parsed.maxMessages ?? DEFAULT_FREQUENCY_CAP.maxMessages,
    windowDays: parsed.windowDays ?? DEFAULT_FREQUENCY_CAP.windowDays,
  }),
);

/**
 * Parses `{"maxMessages": 2, "windowDays": 7}` (JSON text or a value); a key left out keeps its
 * default.
 * @throws ActionConfigError naming the exact place, e.g. `frequencyCap.windowDays: must be at least 1`.
 */
export function parseFrequencyCap(raw: string | unknown): FrequencyCap {
  return parseConfig(capSchema, raw, "frequencyCap");
}

/** One retention message that went out (or holds a send reservation), as kept per user. */
export interface SendSlot {
  readonly dedupeKey: string;
  readonly campaign: string;
  /** When it was sent or reserved (ISO). */
  readonly at: string;
}

/**
 * Whether a slot lies within the last `days` days before `now`: after `now - days` (exclusive),
 * at any time up to and past `now` — a reservation stamped by a sender whose clock runs slightly
 * ahead still counts. A slot whose time cannot be read counts nowhere (no writer makes one).
 */
export function slotWithin(slot: SendSlot, now: Date, days: number): boolean {
  const at = Date.parse(slot.at);
  return Number.isFinite(at) && at > now.getTime() - days * DAY_MS;
}

/**
 * The slots some cap or cooldown may still count: those within the longest window any of them
 * has. The rest are dropped so a user's slot list stays small however long they stay a customer.
 */
export function liveSlots(
  slots: readonly SendSlot[],
  now: Date,
  longestWindowDays: number,
): SendSlot[] {
  return slots.filter((slot) => slotWithin(slot, now, longestWindowDays));
}
