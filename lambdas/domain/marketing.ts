/**
 * Notifications for the marketing team on the marketing SNS topic: one digest per scoring run
 * (users by tier, the top reasons, the most urgent high-value users at risk) and an immediate
 * alert when a high-value user enters critical, so a person can step in.
 *
 * Each notification is readable three ways:
 * - `subject` + `body`: an e-mail. SNS e-mail subjects must be printable ASCII, no line breaks,
 *   fewer than 100 characters, so the subject is always English ASCII; the body is in the locale.
 * - `json`: the same data, structured. Published with MessageStructure "json" (see
 *   `snsMessageOf`): e-mail subscribers get the text body, every other protocol (SQS, Lambda,
 *   HTTP/S, email-json) gets this JSON.
 * - `attributes`: SNS MessageAttributes (at most 10; an SQS subscription with raw delivery drops
 *   a message with more). AWS forwards attributes to endpoints only for String-structured
 *   messages, so the JSON body repeats them (`json.attributes`).
 *
 * No personal data: users appear only as the app's pseudonymous userId. Objects are built field
 * by field, never spread, so a caller passing a richer record cannot leak more.
 */
import { featuresAsOf } from "./as-of.js";
import type { UserFeatures } from "./features.js";
import {
  DEFAULT_INDICATOR_OPTIONS,
  deriveIndicators,
  type IndicatorOptions,
  type LifecycleStage,
  type ValueTier,
} from "./indicators.js";
import type { Reason, ReasonCode } from "./reasons.js";
import type { RiskTier } from "./risk-tiers.js";

export type MarketingLocale = "en" | "zh-CN";

/** A high-value user at high or critical risk: what the digest lists and an alert is about. */
export interface HighValueAtRisk {
  readonly appId: string;
  /** The app's pseudonymous ID; never an address, phone number or name. */
  readonly userId: string;
  /** Revenue of the last 365 days, minor units (1/100) of the base currency. */
  readonly valueMinor: number;
  /** The base currency, e.g. `CNY`. */
  readonly currency: string;
  readonly tier: RiskTier;
  readonly score: number;
  readonly reasons: readonly Reason[];
  readonly lifecycleStage: LifecycleStage;
}

export interface AlertSubject extends HighValueAtRisk {
  readonly warningId: string;
  readonly runId: string;
  readonly asOf: string;
}

/** What a digest summarises: a run's totals (see RunSummary in ports.ts). */
export interface DigestRun {
  readonly runId: string;
  readonly asOf: string;
  readonly totals: {
    readonly scored: number;
    readonly atRisk: number;
    readonly warned: number;
    readonly byTier: Readonly<Record<RiskTier, number>>;
    readonly byReason: Readonly<Partial<Record<ReasonCode, number>>>;
    /** All high-value users at high or critical risk, not only the listed top ones. */
    readonly highValueAtRisk?: number;
  };
}

export type MarketingAttributes = Readonly<Record<string, string | number>>;

export interface MarketingNotification {
  readonly kind: "digest" | "alert";
  /** Printable ASCII, at most SNS_SUBJECT_MAX characters. */
  readonly subject: string;
  /** Plain text for an e-mail. */
  readonly body: string;
  /** SNS MessageAttributes: a number becomes DataType Number, a string DataType String. */
  readonly attributes: MarketingAttributes;
  /** The structured message for non-e-mail subscribers. */
  readonly json: DigestJson | AlertJson;
}

export interface ReasonJson {
  readonly code: ReasonCode;
  readonly severity: Reason["severity"];
  readonly params: Readonly<Record<string, number>>;
  readonly text: string;
}

export interface UserJson {
  readonly appId: string;
  readonly userId: string;
  readonly valueMinor: number;
  readonly currency: string;
  readonly tier: RiskTier;
  readonly score: number;
  readonly lifecycleStage: LifecycleStage;
  readonly reasons: readonly ReasonJson[];
}

export interface DigestJson {
  readonly v: 1;
  readonly kind: "digest";
  readonly locale: MarketingLocale;
  readonly runId: string;
  readonly asOf: string;
  readonly totals: {
    readonly scored: number;
    readonly atRisk: number;
    readonly warned: number;
    readonly byTier: Readonly<Record<RiskTier, number>>;
    readonly highValueAtRisk: number;
  };
  readonly topReasons: readonly {
    readonly code: ReasonCode;
    readonly users: number;
    readonly text: string;
  }[];
  readonly topHighValue: readonly UserJson[];
  readonly attributes: MarketingAttributes;
}

export interface AlertJson extends UserJson {
  readonly v: 1;
  readonly kind: "alert";
  readonly locale: MarketingLocale;
  readonly warningId: string;
  readonly runId: string;
  readonly asOf: string;
  readonly attributes: MarketingAttributes;
}

/** Users listed in a digest and kept per scoring segment. */
export const TOP_HIGH_VALUE = 20;
/** Reasons listed in a digest. */
export const TOP_REASONS = 10;
/** SNS: subjects must be "less than 100 characters long". */
export const SNS_SUBJECT_MAX = 99;
/** SNS → SQS with raw delivery discards a message with more attributes than this. */
export const SNS_MAX_ATTRIBUTES = 10;
/** SNS message size limit, message and attributes together. */
export const SNS_MAX_BYTES = 262_144;

const TIER_RANK: Readonly<Record<RiskTier, number>> = { low: 0, medium: 1, high: 2, critical: 3 };
const TIERS_DESC: readonly RiskTier[] = ["critical", "high", "medium", "low"];

/** A high-value user at high or critical risk belongs in the digest's list. */
export function isHighValueAtRisk(tier: RiskTier, valueTier: ValueTier | undefined): boolean {
  return valueTier === "high" && TIER_RANK[tier] >= TIER_RANK.high;
}

/**
 * Whether a warning calls for an immediate alert: a high-value user entering critical. Planning
 * sees a warning only when a user enters a higher tier, so a critical warning is an entry.
 */
export function isAlertWorthy(tier: RiskTier, valueTier: ValueTier | undefined): boolean {
  return valueTier === "high" && tier === "critical";
}

/** The entry for one scored user: value and stage from the features as of the scoring moment. */
export function highValueAtRiskFor(
  features: UserFeatures,
  risk: {
    readonly tier: RiskTier;
    readonly score: number;
    readonly reasons: readonly Reason[];
    readonly asOf: string;
  },
  currency: string,
  options: IndicatorOptions = DEFAULT_INDICATOR_OPTIONS,
): HighValueAtRisk {
  const asOf = new Date(risk.asOf);
  const view = featuresAsOf(features, asOf);
  const indicators = view ? deriveIndicators(view, asOf, options) : undefined;
  return {
    appId: features.appId,
    userId: features.userId,
    valueMinor: indicators?.revenue365Minor ?? 0,
    currency,
    tier: risk.tier,
    score: risk.score,
    reasons: risk.reasons.map(copyReason),
    lifecycleStage: indicators?.lifecycleStage ?? "new",
  };
}

function copyReason(reason: Reason): Reason {
  return { code: reason.code, severity: reason.severity, params: { ...reason.params } };
}

/** Only the fields of HighValueAtRisk, whatever else the object carries. */
function pick(user: HighValueAtRisk): HighValueAtRisk {
  return {
    appId: user.appId,
    userId: user.userId,
    valueMinor: user.valueMinor,
    currency: user.currency,
    tier: user.tier,
    score: user.score,
    reasons: user.reasons.map(copyReason),
    lifecycleStage: user.lifecycleStage,
  };
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Most urgent first: tier, then score, then value; app and user ID settle the rest. */
export function compareAtRisk(a: HighValueAtRisk, b: HighValueAtRisk): number {
  return (
    TIER_RANK[b.tier] - TIER_RANK[a.tier] ||
    b.score - a.score ||
    b.valueMinor - a.valueMinor ||
    compareText(a.appId, b.appId) ||
    compareText(a.userId, b.userId)
  );
}

/**
 * The n most urgent of two lists, each user once (their most urgent entry). The order depends
 * only on the entries, never on which list or position they came from.
 */
export function mergeTopHighValue(
  a: readonly HighValueAtRisk[],
  b: readonly HighValueAtRisk[],
  n = TOP_HIGH_VALUE,
): HighValueAtRisk[] {
  const sorted = [...a, ...b].sort(compareAtRisk);
  const seen = new Set<string>();
  const top: HighValueAtRisk[] = [];
  for (const user of sorted) {
    if (top.length >= n) break;
    const key = `${user.appId}\u0000${user.userId}`;
    if (seen.has(key)) continue;
    seen.add(key);
    top.push(pick(user));
  }
  return top;
}

// ---------------------------------------------------------------------------------------------
// Texts: for the marketing team, about the user (not to the user, as templates.ts is).

type Params = Readonly<Record<string, number>>;
type ReasonText = (p: Params) => string;

function num(p: Params, key: string): string | undefined {
  const value = p[key];
  return typeof value === "number" && Number.isFinite(value) ? formatCount(value) : undefined;
}

const reasonTexts: Readonly<Record<MarketingLocale, Readonly<Record<ReasonCode, ReasonText>>>> = {
  en: {
    no_app_open: (p) =>
      num(p, "days") ? `no app open for ${num(p, "days")} days` : "no app open for a while",
    interaction_drop: (p) =>
      num(p, "dropPercent")
        ? `visits down ${num(p, "dropPercent")}% on their usual level`
        : "visits well down on their usual level",
    no_login: (p) =>
      num(p, "days") ? `no sign-in for ${num(p, "days")} days` : "no sign-in for a while",
    uninstall_silence: (p) =>
      num(p, "hoursSinceSignal")
        ? `uninstalled the app, silent for ${num(p, "hoursSinceSignal")} hours since`
        : "uninstalled the app, silent since",
    short_term_inactive: (p) =>
      num(p, "days")
        ? `a regular, away for ${num(p, "days")} days`
        : "a regular, away for some days",
    long_term_inactive: (p) =>
      num(p, "days") ? `away for ${num(p, "days")} days` : "away for a long time",
    cart_abandoned: (p) =>
      num(p, "days")
        ? `left a full cart ${num(p, "days")} days ago, no purchase since`
        : "left a full cart, no purchase since",
    complaint_then_silence: (p) =>
      num(p, "days")
        ? `complained, then silent for ${num(p, "days")} days`
        : "complained, then went silent",
    slow_pages_then_decline: (p) =>
      num(p, "slowPercent") && num(p, "dropPercent")
        ? `met slow pages (${num(p, "slowPercent")}% of loads), then visits down ${num(p, "dropPercent")}%`
        : "met slow pages, then visited less",
    search_without_purchase: (p) =>
      num(p, "searches")
        ? `${num(p, "searches")} searches in 30 days without a purchase`
        : "searches a lot without buying",
    inactive_for: (p) =>
      num(p, "days") ? `not seen for ${num(p, "days")} days` : "not seen for a while",
    buying_less: (p) =>
      num(p, "orders365")
        ? `buying less often (${num(p, "orders365")} orders in 365 days)`
        : "buying less often",
    fewer_visits: (p) =>
      num(p, "activeDays30")
        ? `fewer visits (active on ${num(p, "activeDays30")} of the last 30 days)`
        : "fewer visits",
    unlikely_to_return: () => "unlikely to come back, by the model",
    spending_less: () => "spending less",
    no_repeat_purchase: (p) =>
      num(p, "days")
        ? `no repeat purchase ${num(p, "days")} days after the first visit`
        : "no repeat purchase",
  },
  "zh-CN": {
    no_app_open: (p) => (num(p, "days") ? `${num(p, "days")}天未打开App` : "较长时间未打开App"),
    interaction_drop: (p) =>
      num(p, "dropPercent") ? `访问量比平时下降${num(p, "dropPercent")}%` : "访问量明显下降",
    no_login: (p) => (num(p, "days") ? `${num(p, "days")}天未登录` : "较长时间未登录"),
    uninstall_silence: (p) =>
      num(p, "hoursSinceSignal")
        ? `已卸载App，此后${num(p, "hoursSinceSignal")}小时无活动`
        : "已卸载App，此后无活动",
    short_term_inactive: (p) =>
      num(p, "days") ? `常客，已${num(p, "days")}天未来访` : "常客，近期未来访",
    long_term_inactive: (p) => (num(p, "days") ? `已${num(p, "days")}天未来访` : "长期未来访"),
    cart_abandoned: (p) => (num(p, "days") ? `${num(p, "days")}天前加购后未下单` : "加购后未下单"),
    complaint_then_silence: (p) =>
      num(p, "days") ? `投诉后${num(p, "days")}天无活动` : "投诉后无活动",
    slow_pages_then_decline: (p) =>
      num(p, "slowPercent") && num(p, "dropPercent")
        ? `页面加载慢（占${num(p, "slowPercent")}%）后访问下降${num(p, "dropPercent")}%`
        : "页面加载慢后访问减少",
    search_without_purchase: (p) =>
      num(p, "searches") ? `30天内搜索${num(p, "searches")}次未购买` : "多次搜索未购买",
    inactive_for: (p) => (num(p, "days") ? `${num(p, "days")}天未出现` : "较长时间未出现"),
    buying_less: (p) =>
      num(p, "orders365") ? `购买变少（365天内${num(p, "orders365")}单）` : "购买变少",
    fewer_visits: (p) =>
      num(p, "activeDays30") ? `来访变少（近30天活跃${num(p, "activeDays30")}天）` : "来访变少",
    unlikely_to_return: () => "模型判断回访可能性低",
    spending_less: () => "消费变少",
    no_repeat_purchase: (p) =>
      num(p, "days") ? `首次来访${num(p, "days")}天后仍未复购` : "未复购",
  },
};

/** A reason in plain words for the marketing team; without params, the general wording. */
export function reasonText(locale: MarketingLocale, code: ReasonCode, params: Params = {}): string {
  const text = reasonTexts[locale][code];
  return text ? text(params) : code;
}

const labels = {
  en: {
    tiers: { low: "low", medium: "medium", high: "high", critical: "critical" },
    stages: { new: "new customer", growth: "growing customer", mature: "established customer" },
    colon: ": ",
    digestTitle: "Churn digest",
    run: "Run",
    asOf: "As of",
    overview: (t: DigestJson["totals"]) =>
      `Users scored: ${formatCount(t.scored)} · at risk (medium or above): ${formatCount(
        t.atRisk,
      )} · warned in this run: ${formatCount(t.warned)}`,
    byTier: "Users by risk tier",
    reasons: "Top reasons (users with the reason)",
    none: "  none",
    highValue: (total: number, listed: number) =>
      total === 0
        ? "High-value users at high or critical risk: none"
        : `High-value users at high or critical risk: ${formatCount(total)}${
            total > listed ? ` (the ${listed} most urgent below)` : ""
          }`,
    columns: ["#", "user", "app", "value 365 d", "tier", "score", "stage", "reasons"],
    footer:
      "Users are identified by the app's pseudonymous user ID only; contact details are never included.",
    alertTitle: "A high-value user has entered critical churn risk.",
    user: "User",
    userLine: (u: { appId: string; userId: string }) =>
      `${u.userId} (pseudonymous ID) in app ${u.appId}`,
    value: "Value",
    valueLine: (money: string) => `${money} in the last 365 days`,
    risk: "Risk",
    riskLine: (tier: string, score: string) => `${tier}, score ${score}`,
    stage: "Stage",
    warning: "Warning",
    why: "Why",
    ask: "Please review this customer and decide on a personal win-back step. Look them up by this ID in the shop's own systems.",
  },
  "zh-CN": {
    tiers: { low: "低", medium: "中", high: "高", critical: "严重" },
    stages: { new: "新客户", growth: "成长期客户", mature: "成熟期客户" },
    colon: "：",
    digestTitle: "流失预警汇总",
    run: "运行",
    asOf: "截至",
    overview: (t: DigestJson["totals"]) =>
      `已评分用户：${formatCount(t.scored)} · 有流失风险（中及以上）：${formatCount(
        t.atRisk,
      )} · 本次已预警：${formatCount(t.warned)}`,
    byTier: "各风险等级用户数",
    reasons: "主要原因（涉及用户数）",
    none: "  无",
    highValue: (total: number, listed: number) =>
      total === 0
        ? "高风险或严重风险的高价值用户：无"
        : `高风险或严重风险的高价值用户：${formatCount(total)}${
            total > listed ? `（以下为最紧急的${listed}位）` : ""
          }`,
    columns: ["#", "用户", "应用", "近365天价值", "等级", "分数", "阶段", "原因"],
    footer: "用户仅以应用的假名用户ID标识，从不包含联系方式。",
    alertTitle: "一位高价值用户进入了严重流失风险。",
    user: "用户",
    userLine: (u: { appId: string; userId: string }) => `${u.userId}（假名ID），应用 ${u.appId}`,
    value: "价值",
    valueLine: (money: string) => `近365天 ${money}`,
    risk: "风险",
    riskLine: (tier: string, score: string) => `${tier}，分数 ${score}`,
    stage: "阶段",
    warning: "预警",
    why: "原因",
    ask: "请查看该客户并决定个性化的挽回措施。请凭此ID在店铺自己的系统中查找该客户。",
  },
} as const;

/** 1234567 → "1,234,567". */
export function formatCount(value: number): string {
  const rounded = Math.round(value);
  const sign = rounded < 0 ? "-" : "";
  return sign + String(Math.abs(rounded)).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** Minor units as money: 1234567, "CNY" → "CNY 12,345.67". */
export function formatMoney(valueMinor: number, currency: string): string {
  const minor = Math.round(valueMinor);
  const abs = Math.abs(minor);
  const major = formatCount(Math.floor(abs / 100));
  const cents = String(abs % 100).padStart(2, "0");
  return `${currency} ${minor < 0 ? "-" : ""}${major}.${cents}`;
}

function formatScore(score: number): string {
  return score.toFixed(2);
}

/** Printable ASCII only, one line, at most SNS_SUBJECT_MAX characters. */
export function asciiSubject(text: string): string {
  const clean = text
    .replace(/\s+/g, " ")
    .replace(/[^\x20-\x7E]/g, "?")
    .trim();
  return clean.length <= SNS_SUBJECT_MAX ? clean : `${clean.slice(0, SNS_SUBJECT_MAX - 3)}...`;
}

/** Columns a monospaced font gives the text: CJK and full-width characters take two. */
function displayWidth(text: string): number {
  let width = 0;
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    const wide =
      (code >= 0x1100 && code <= 0x115f) ||
      (code >= 0x2e80 && code <= 0xa4cf) ||
      (code >= 0xac00 && code <= 0xd7a3) ||
      (code >= 0xf900 && code <= 0xfaff) ||
      (code >= 0xfe30 && code <= 0xfe4f) ||
      (code >= 0xff00 && code <= 0xff60) ||
      (code >= 0xffe0 && code <= 0xffe6);
    width += wide ? 2 : 1;
  }
  return width;
}

function padEnd(text: string, width: number): string {
  return text + " ".repeat(Math.max(0, width - displayWidth(text)));
}

function padStart(text: string, width: number): string {
  return " ".repeat(Math.max(0, width - displayWidth(text))) + text;
}

/** Columns padded to their widest cell, for a monospaced font; proportional fonts still read it. */
function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((cell, i) =>
    Math.max(displayWidth(cell), ...rows.map((row) => displayWidth(row[i] ?? ""))),
  );
  const line = (cells: readonly string[]) =>
    `  ${cells
      .map((cell, i) => (i === cells.length - 1 ? cell : padEnd(cell, widths[i] ?? 0)))
      .join(" | ")}`.trimEnd();
  return [line(header), `  ${widths.map((w) => "-".repeat(w)).join("-+-")}`, ...rows.map(line)];
}

function userJson(locale: MarketingLocale, user: HighValueAtRisk): UserJson {
  return {
    appId: user.appId,
    userId: user.userId,
    valueMinor: user.valueMinor,
    currency: user.currency,
    tier: user.tier,
    score: user.score,
    lifecycleStage: user.lifecycleStage,
    reasons: user.reasons.map((reason) => ({
      code: reason.code,
      severity: reason.severity,
      params: { ...reason.params },
      text: reasonText(locale, reason.code, reason.params),
    })),
  };
}

/** The Publish Message for MessageStructure "json": text for e-mail, JSON for the rest. */
export function snsMessageOf(notification: MarketingNotification): string {
  return JSON.stringify({ default: JSON.stringify(notification.json), email: notification.body });
}

function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, "utf8");
}

/** What SNS counts against its size limit: message, subject and every attribute. */
export function publishBytes(notification: MarketingNotification): number {
  let bytes = utf8Bytes(snsMessageOf(notification)) + utf8Bytes(notification.subject);
  for (const [name, value] of Object.entries(notification.attributes)) {
    const dataType = typeof value === "number" ? "Number" : "String";
    bytes += utf8Bytes(name) + utf8Bytes(dataType) + utf8Bytes(String(value));
  }
  return bytes;
}

/** Whether SNS (and an SQS subscriber with raw delivery) accepts the notification as it is. */
export function withinSnsLimits(notification: MarketingNotification): boolean {
  return (
    notification.subject.length <= SNS_SUBJECT_MAX &&
    /^[\x20-\x7E]+$/.test(notification.subject) &&
    Object.keys(notification.attributes).length <= SNS_MAX_ATTRIBUTES &&
    publishBytes(notification) <= SNS_MAX_BYTES
  );
}

/** The compact list of top users for the `topUsers` attribute: codes only, no texts. */
function compactTopUsers(users: readonly HighValueAtRisk[]): string {
  return JSON.stringify(
    users.map((user) => ({
      appId: user.appId,
      userId: user.userId,
      valueMinor: user.valueMinor,
      currency: user.currency,
      tier: user.tier,
      score: user.score,
      reasons: user.reasons.map((reason) => reason.code),
    })),
  );
}

/**
 * The run's digest. `topHighValue` is cut to TOP_HIGH_VALUE and sorted most urgent first; the
 * `topUsers` attribute is left out (the list stays in the body and JSON) if it would take the
 * message over the SNS size limit.
 */
export function digestFor(
  summary: DigestRun,
  topHighValue: readonly HighValueAtRisk[],
  locale: MarketingLocale = "en",
): MarketingNotification {
  const l = labels[locale];
  const users = mergeTopHighValue(topHighValue, [], TOP_HIGH_VALUE);
  const t = summary.totals;
  const totals: DigestJson["totals"] = {
    scored: t.scored,
    atRisk: t.atRisk,
    warned: t.warned,
    byTier: {
      low: t.byTier.low ?? 0,
      medium: t.byTier.medium ?? 0,
      high: t.byTier.high ?? 0,
      critical: t.byTier.critical ?? 0,
    },
    highValueAtRisk: Math.max(t.highValueAtRisk ?? 0, users.length),
  };
  const topReasons = (Object.entries(t.byReason) as [ReasonCode, number][])
    .filter(([, users]) => users > 0)
    .sort((a, b) => b[1] - a[1] || compareText(a[0], b[0]))
    .slice(0, TOP_REASONS)
    .map(([code, users]) => ({ code, users, text: reasonText(locale, code) }));

  const tierWidth = Math.max(...TIERS_DESC.map((tier) => displayWidth(l.tiers[tier])));
  const countWidth = Math.max(...TIERS_DESC.map((tier) => formatCount(totals.byTier[tier]).length));
  const body = [
    l.digestTitle,
    `${l.run}${l.colon}${summary.runId}`,
    `${l.asOf}${l.colon}${summary.asOf}`,
    "",
    l.overview(totals),
    "",
    l.byTier,
    ...TIERS_DESC.map(
      (tier) =>
        `  ${padEnd(l.tiers[tier], tierWidth)}  ${padStart(formatCount(totals.byTier[tier]), countWidth)}`,
    ),
    "",
    l.reasons,
    ...(topReasons.length === 0
      ? [l.none]
      : topReasons.map(
          (reason, i) =>
            `  ${i + 1}. ${reason.text} [${reason.code}]: ${formatCount(reason.users)}`,
        )),
    "",
    l.highValue(totals.highValueAtRisk, users.length),
    ...(users.length === 0
      ? []
      : table(
          l.columns,
          users.map((user, i) => [
            String(i + 1),
            user.userId,
            user.appId,
            formatMoney(user.valueMinor, user.currency),
            l.tiers[user.tier],
            formatScore(user.score),
            l.stages[user.lifecycleStage],
            user.reasons.map((reason) => reason.code).join(", ") || "-",
          ]),
        )),
    "",
    l.footer,
    "",
  ].join("\n");

  const subject = asciiSubject(
    `churnwatch digest ${summary.asOf.slice(0, 10)}: ${totals.byTier.critical} critical, ${
      totals.byTier.high
    } high, ${totals.highValueAtRisk} high-value at risk`,
  );
  const base: Record<string, string | number> = {
    kind: "digest",
    runId: summary.runId,
    asOf: summary.asOf,
    scored: totals.scored,
    atRisk: totals.atRisk,
    medium: totals.byTier.medium,
    high: totals.byTier.high,
    critical: totals.byTier.critical,
    highValueAtRisk: totals.highValueAtRisk,
  };
  const listed = users.map((user) => userJson(locale, user));
  const build = (
    attributes: MarketingAttributes,
    topHighValue: readonly UserJson[] = listed,
  ): MarketingNotification => ({
    kind: "digest",
    subject,
    body,
    attributes,
    json: {
      v: 1,
      kind: "digest",
      locale,
      runId: summary.runId,
      asOf: summary.asOf,
      totals,
      topReasons,
      topHighValue,
      attributes,
    },
  });
  if (users.length > 0) {
    const withUsers = build({ ...base, topUsers: compactTopUsers(users) });
    if (publishBytes(withUsers) <= SNS_MAX_BYTES) return withUsers;
  }
  const withoutUsers = build(base);
  if (publishBytes(withoutUsers) <= SNS_MAX_BYTES) return withoutUsers;
  // Only reasons with outsized params get here: their texts stay, the raw params go.
  return build(
    base,
    listed.map((user) => ({
      ...user,
      reasons: user.reasons.map((reason) => ({ ...reason, params: {} })),
    })),
  );
}

/** The immediate alert for one high-value user who entered critical: their summary and reasons. */
export function alertFor(
  user: AlertSubject,
  locale: MarketingLocale = "en",
): MarketingNotification {
  const l = labels[locale];
  const entry = pick(user);
  const data = userJson(locale, entry);
  const body = [
    l.alertTitle,
    "",
    `${l.user}${l.colon}${l.userLine(entry)}`,
    `${l.value}${l.colon}${l.valueLine(formatMoney(entry.valueMinor, entry.currency))}`,
    `${l.risk}${l.colon}${l.riskLine(l.tiers[entry.tier], formatScore(entry.score))}`,
    `${l.stage}${l.colon}${l.stages[entry.lifecycleStage]}`,
    `${l.run}${l.colon}${user.runId} · ${l.asOf} ${user.asOf}`,
    `${l.warning}${l.colon}${user.warningId}`,
    "",
    `${l.why}${l.colon.trimEnd()}`,
    ...(data.reasons.length === 0
      ? [l.none]
      : data.reasons.map((reason) => `  - ${reason.text} [${reason.code}]`)),
    "",
    l.ask,
    "",
    l.footer,
    "",
  ].join("\n");
  const attributes: MarketingAttributes = {
    kind: "alert",
    appId: entry.appId,
    userId: entry.userId,
    warningId: user.warningId,
    runId: user.runId,
    asOf: user.asOf,
    tier: entry.tier,
    score: entry.score,
    valueMinor: entry.valueMinor,
    currency: entry.currency,
  };
  return {
    kind: "alert",
    subject: asciiSubject(
      `churnwatch alert: high-value user ${entry.tier} - ${entry.appId}/${entry.userId}`,
    ),
    body,
    attributes,
    json: {
      v: 1,
      kind: "alert",
      locale,
      warningId: user.warningId,
      runId: user.runId,
      asOf: user.asOf,
      ...data,
      attributes,
    },
  };
}
