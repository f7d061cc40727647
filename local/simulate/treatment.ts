/**
 * The local-mode steps of `churnwatch simulate --treatment-effect`, each through the same
 * endpoints any client or command uses:
 * - every simulated user gets a contact record with e-mail consent (`PUT /v1/users/{id}/contact`),
 *   so retention messages really go out through the plan step and the e-mail sender;
 * - a scoring run as of the treatment day (`POST /_local/schedules/scoring/run`), then waiting
 *   until its warnings, plans and messages have gone through (`GET /_local/idle`);
 * - reading back who was targeted and in which arm (`GET /_local/actions`).
 */
import type { ActionRecord } from "../../lambdas/domain/actions/action-record.js";
import type { SimShop, SimUser } from "../../lambdas/domain/simulation/shop.js";
import type { ArmAssignment } from "../../lambdas/domain/simulation/winback.js";
import { measuredActions } from "../../lambdas/domain/winback.js";
import { callLocalMode, type LocalAnswer } from "../cli/local-client.js";
import { LocalModeError } from "../errors.js";
import { LOCAL_ACTIONS_PATH } from "../http/actions-route.js";
import type { IdleReport } from "../idle.js";

export interface TreatmentTarget {
  readonly url: string;
  readonly apiKey: string;
  readonly fetch: typeof fetch;
  readonly sleep: (ms: number) => Promise<void>;
  readonly now: () => number;
  readonly signal?: AbortSignal;
}

const DAY_MS = 86_400_000;
/** Contact requests in flight at once. */
const CONTACT_CONCURRENCY = 16;
const MAX_ATTEMPTS = 8;
const REQUEST_TIMEOUT_MS = 120_000;
/** Zones whose simulated users read Chinese; the others get English. */
const CHINESE_ZONES: ReadonlySet<string> = new Set([
  "Asia/Shanghai",
  "Asia/Hong_Kong",
  "Asia/Taipei",
]);

type Answer = LocalAnswer;

function call(
  target: TreatmentTarget,
  method: "GET" | "POST" | "PUT",
  path: string,
  body?: unknown,
): Promise<Answer> {
  return callLocalMode(target, method, path, body, REQUEST_TIMEOUT_MS);
}

function messageOf(body: unknown): string {
  if (typeof body === "object" && body !== null) {
    const { message } = body as { message?: unknown };
    if (typeof message === "string") return message;
  }
  return typeof body === "string" ? body.slice(0, 200) : "";
}

/** The contact record a simulated user gets: e-mail consent, their own time zone and language. */
export function simulatedContact(user: SimUser) {
  return {
    locale: CHINESE_ZONES.has(user.timezone) ? "zh-CN" : "en",
    timezone: user.timezone,
    channels: {
      email: {
        address: `${user.userId}@sim.churnwatch.example`,
        consent: { granted: true, source: "simulate" },
      },
    },
  };
}

/** PUT with retries for 429 (after Retry-After), 5xx and lost connections. */
async function putContact(target: TreatmentTarget, user: SimUser): Promise<void> {
  const path = `/v1/users/${encodeURIComponent(user.userId)}/contact`;
  for (let attempt = 1; ; attempt += 1) {
    let answer: Answer | undefined;
    let failure: unknown;
    try {
      answer = await call(target, "PUT", path, simulatedContact(user));
    } catch (error) {
      if (error instanceof LocalModeError && /API key/.test(error.message)) throw error;
      failure = error;
    }
    if (answer && answer.status >= 200 && answer.status < 300) return;
    const retryable = answer === undefined || answer.status === 429 || answer.status >= 500;
    if (!retryable || attempt >= MAX_ATTEMPTS) {
      if (answer === undefined) throw failure;
      throw new LocalModeError(
        `churnwatch simulate: PUT ${path} failed with ${answer.status}${
          messageOf(answer.body) ? `: ${messageOf(answer.body)}` : ""
        }`,
        1,
      );
    }
    const seconds = Number(answer?.retryAfter);
    const waitMs =
      Number.isFinite(seconds) && seconds > 0
        ? seconds * 1000
        : Math.min(10_000, 250 * 2 ** (attempt - 1));
    await target.sleep(waitMs);
  }
}

/** Gives every simulated user their contact record, a few at a time. */
export async function putContacts(
  shop: SimShop,
  target: TreatmentTarget,
  onProgress?: (done: number) => void,
): Promise<number> {
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < shop.users.length) {
      if (target.signal?.aborted) {
        throw new LocalModeError("churnwatch simulate: interrupted while adding contacts", 130);
      }
      const user = shop.users[next] as SimUser;
      next += 1;
      await putContact(target, user);
      done += 1;
      onProgress?.(done);
    }
  };
  await Promise.all(Array.from({ length: CONTACT_CONCURRENCY }, worker));
  return done;
}

function queuedWork(report: IdleReport): number {
  return Object.values(report.queues).reduce(
    (sum, queue) => sum + queue.visible + queue.inFlight + queue.delayed,
    0,
  );
}

/**
 * Waits for two idle readings in a row; gives up when the queued work has not shrunk for
 * `stallMs`. Resolves whether it settled.
 */
export async function waitUntilIdle(
  target: TreatmentTarget,
  stallMs: number,
  pollMs = 250,
): Promise<boolean> {
  let quiet = 0;
  let least = Number.POSITIVE_INFINITY;
  let lastProgressAt = target.now();
  for (;;) {
    const answer = await call(target, "GET", "/_local/idle");
    const report = answer.body as IdleReport;
    if (answer.status !== 200 || typeof report?.idle !== "boolean") {
      throw new LocalModeError(
        `${target.url} has no /_local/idle: simulate --treatment-effect needs churnwatch local mode (\`npm start\`)`,
        1,
      );
    }
    quiet = report.idle ? quiet + 1 : 0;
    if (quiet >= 2) return true;
    const work = queuedWork(report);
    if (work < least) {
      least = work;
      lastProgressAt = target.now();
    } else if (target.now() - lastProgressAt > stallMs) {
      return false;
    }
    await target.sleep(pollMs);
  }
}

export interface ScoringOutcome {
  /** What the scoring schedule's target answered (run ID, segments). */
  readonly run: unknown;
  readonly settled: boolean;
}

/** Runs scoring as of `asOf` and waits until warnings, plans and messages are through. */
export async function scoreAsOf(
  target: TreatmentTarget,
  asOf: Date,
  stallMs: number,
): Promise<ScoringOutcome> {
  const answer = await call(target, "POST", "/_local/schedules/scoring/run", {
    asOf: asOf.toISOString(),
  });
  if (answer.status !== 200) {
    throw new LocalModeError(
      `churnwatch simulate: the scoring run as of ${asOf.toISOString()} failed with ${answer.status}${
        messageOf(answer.body) ? `: ${messageOf(answer.body)}` : ""
      }`,
      1,
    );
  }
  return { run: answer.body, settled: await waitUntilIdle(target, stallMs) };
}

/** Every action record of the key's app (`GET /_local/actions`). */
export async function fetchActions(target: TreatmentTarget): Promise<ActionRecord[]> {
  const answer = await call(target, "GET", LOCAL_ACTIONS_PATH);
  if (answer.status === 404) {
    throw new LocalModeError(
      `${target.url} has no ${LOCAL_ACTIONS_PATH}: simulate --treatment-effect needs churnwatch local mode (\`npm start\`)`,
      1,
    );
  }
  const body = answer.body as { actions?: unknown } | null;
  if (answer.status !== 200 || !Array.isArray(body?.actions)) {
    throw new LocalModeError(
      `churnwatch simulate: GET ${LOCAL_ACTIONS_PATH} failed with ${answer.status}${
        messageOf(answer.body) ? `: ${messageOf(answer.body)}` : ""
      }`,
      1,
    );
  }
  return body.actions as ActionRecord[];
}

export interface Assignments {
  /** One per targeted user of the run, as the report counts them. */
  readonly assigned: readonly ArmAssignment[];
  /** Actions of the run the policy took no action on (`no_action`: not targeted). */
  readonly noAction: number;
  /** Actions of the run outside any experiment or without an arm: not measured against control. */
  readonly unassigned: number;
  /** Actions of other runs with an as-of on the same UTC day, which the report counts too. */
  readonly otherRunsThatDay: number;
  /** Outcomes of the run's targeted users: published, escalated, suppressed (and control). */
  readonly outcomes: Readonly<Record<string, number>>;
}

/**
 * The targeted users of the run as of `asOf` and their arms, measured as the report does: per
 * experiment and user the first action, `no_action` not targeted, control or a variant.
 */
export function assignmentsOf(actions: readonly ActionRecord[], asOf: Date): Assignments {
  const asOfMs = asOf.getTime();
  const dayStart = Math.floor(asOfMs / DAY_MS) * DAY_MS;
  const ofRun = actions.filter((action) => Date.parse(action.asOf) === asOfMs);
  const otherRunsThatDay = actions.filter((action) => {
    const at = Date.parse(action.asOf);
    return at !== asOfMs && at >= dayStart && at < dayStart + DAY_MS;
  }).length;
  const noAction = ofRun.filter((action) => action.outcome === "no_action").length;
  const assigned: ArmAssignment[] = [];
  const outcomes: Record<string, number> = {};
  let unassigned = 0;
  for (const action of measuredActions(ofRun)) {
    const variant =
      action.group === "variant" || (action.group === null && action.variant !== null);
    if (action.experimentId === null || (action.group !== "control" && !variant)) {
      unassigned += 1;
      continue;
    }
    outcomes[action.outcome] = (outcomes[action.outcome] ?? 0) + 1;
    assigned.push({
      userId: action.userId,
      experimentId: action.experimentId,
      group: action.group === "control" ? "control" : "variant",
      arm: action.group === "control" ? "control" : (action.variant ?? "variant"),
    });
  }
  assigned.sort((a, b) => (a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0));
  return { assigned, noAction, unassigned, otherRunsThatDay, outcomes };
}
