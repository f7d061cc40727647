/**
 * Retention message templates: which words a user reads, per template, locale and channel.
 *
 * Templates are data. The built-in ones (template-catalogue.ts) and an operator's custom JSON
 * catalogue go through the same parser, which compiles every text once, at start: a placeholder
 * naming an unknown variable, a stray brace, a missing locale or channel or an SMS without the
 * opt-out text is refused there with its exact place, not discovered when a message is sent.
 *
 * Placeholders are `{name}`; `{{` and `}}` stand for a literal brace. Rendering fills from typed
 * data in a single pass (a value is never read as a template) and throws TemplateError when a
 * variable the text needs was not given, so no message can go out with a raw `{offer}` in it.
 */
import { z } from "zod";
import type { Channel } from "../../lib/topology.js";
import type { Offer } from "./actions/action-record.js";
import { ActionConfigError } from "./actions/config-error.js";
import type { ReasonCode } from "./reasons.js";
import type { RetentionMessage } from "./retention.js";
import { smsSegments } from "./sms-segments.js";
import { BUILT_IN_TEMPLATES } from "./template-catalogue.js";

export type { BuiltInTemplateId } from "./template-catalogue.js";
export { BUILT_IN_TEMPLATE_IDS } from "./template-catalogue.js";

export type Locale = "en" | "zh-CN";
export const LOCALES: readonly Locale[] = ["en", "zh-CN"];

export interface RenderedMessage {
  /** E-mail only. */
  readonly subject?: string;
  /** Push only. */
  readonly title?: string;
  /** The plain text: the e-mail's text part, the SMS, the push body. */
  readonly text: string;
  /** E-mail only; every variable in it is HTML-escaped. */
  readonly html?: string;
}

/** A message could not be rendered: an unknown template, a variable not given, a bad offer. */
export class TemplateError extends Error {
  override readonly name = "TemplateError";
}

/** Where a catalogue's errors point: the whole document is `templates`, as in the env name. */
const ROOT = "templates";

/** A catalogue is refused like every retention setting: the message starts with the place. */
function refuse(place: string, reason: string): never {
  throw new ActionConfigError(`${place}: ${reason}`);
}

/** Variables a template may use, in the order errors list them. */
export const TEMPLATE_VARIABLES = ["firstName", "reason", "offer", "greeting"] as const;
export type TemplateVariable = (typeof TEMPLATE_VARIABLES)[number];

/** The opt-out every SMS must carry, per locale; a custom SMS template without it is refused. */
export const SMS_OPT_OUT: Readonly<Record<Locale, string>> = {
  en: "Reply STOP to opt out",
  "zh-CN": "回复TD退订",
};

// ---------------------------------------------------------------------------------------------
// Reasons in plain words

type ReasonText = (params: Readonly<Record<string, number>>) => string | undefined;

/** A whole number of days for a sentence, or undefined when the reason did not carry it. */
function count(params: Readonly<Record<string, number>>, key: string): number | undefined {
  const value = params[key];
  return value !== undefined && Number.isFinite(value) && value >= 0
    ? Math.round(value)
    : undefined;
}

function daysEn(params: Readonly<Record<string, number>>): string | undefined {
  const days = count(params, "days");
  if (days === undefined) return undefined;
  return days === 1 ? "1 day" : `${days} days`;
}

function withDaysZh(
  params: Readonly<Record<string, number>>,
  sentence: (days: number) => string,
): string | undefined {
  const days = count(params, "days");
  return days === undefined ? undefined : sentence(days);
}

/**
 * What the user reads about why we write: friendly, never "you are about to churn". A reason
 * whose number is missing (an older stored warning) falls back to the general sentence rather
 * than saying "undefined days".
 */
const reasonTexts: Readonly<Record<Locale, Readonly<Record<ReasonCode, ReasonText>>>> = {
  en: {
    no_app_open: (p) => {
      const days = daysEn(p);
      return days && `We have not seen you in the app for ${days}.`;
    },
    interaction_drop: () => "You have been visiting less often lately.",
    no_login: (p) => {
      const days = daysEn(p);
      return days && `You have not signed in for ${days}.`;
    },
    uninstall_silence: () => "We would love to have you back in the app.",
    short_term_inactive: (p) => {
      const days = count(p, "days");
      if (days === undefined) return undefined;
      return days === 1
        ? "We have missed you today."
        : `We have missed you these last ${days} days.`;
    },
    long_term_inactive: (p) => {
      const days = daysEn(p);
      return days && `It has been ${days} since your last visit.`;
    },
    cart_abandoned: () => "You left something in your cart.",
    complaint_then_silence: () =>
      "We are sorry about your recent experience and want to make it right.",
    slow_pages_then_decline: () => "Sorry about the slow pages you ran into.",
    search_without_purchase: () => "Still looking? We can help you find it.",
    inactive_for: (p) => {
      const days = daysEn(p);
      return days && `It has been ${days} since we last saw you.`;
    },
    buying_less: () => "You have been shopping with us less lately.",
    fewer_visits: () => "We have seen less of you lately.",
    unlikely_to_return: () => "We would love to see you again.",
    spending_less: () => "We have picked new things you may like.",
    no_repeat_purchase: () => "Thanks for your first order! There is more to discover.",
  },
  "zh-CN": {
    no_app_open: (p) => withDaysZh(p, (days) => `您已经${days}天没有打开App了。`),
    interaction_drop: () => "最近您来得少了。",
    no_login: (p) => withDaysZh(p, (days) => `您已经${days}天没有登录了。`),
    uninstall_silence: () => "期待您回到App。",
    short_term_inactive: (p) => withDaysZh(p, (days) => `这${days}天没见到您，我们很想念。`),
    long_term_inactive: (p) => withDaysZh(p, (days) => `距离您上次光临已经${days}天了。`),
    cart_abandoned: () => "您的购物车里还有心仪的商品。",
    complaint_then_silence: () => "很抱歉您最近的体验不好，我们想弥补。",
    slow_pages_then_decline: () => "很抱歉您遇到了页面加载慢的问题。",
    search_without_purchase: () => "还在找心仪的商品吗？我们来帮您。",
    inactive_for: (p) => withDaysZh(p, (days) => `已经${days}天没见到您了。`),
    buying_less: () => "最近您购物少了。",
    fewer_visits: () => "最近您来得少了。",
    unlikely_to_return: () => "期待再次见到您。",
    spending_less: () => "我们为您挑选了新的好物。",
    no_repeat_purchase: () => "感谢您的首单！还有更多好物等您发现。",
  },
};

/** Said when the warning carries no reason (or none we can put into words). */
const FALLBACK_REASON: Readonly<Record<Locale, string>> = {
  en: "We have not seen you for a while.",
  "zh-CN": "好久不见。",
};

/** The warning's top reason in the user's words; a general sentence when there is none. */
export function reasonSentence(locale: Locale, message: Pick<RetentionMessage, "reasons">): string {
  const top = message.reasons[0];
  return (top && reasonTexts[locale][top.code](top.params)) || FALLBACK_REASON[locale];
}

/** "Hi Ana," / "Hi," and "Ana，您好：" / "您好：". */
function greeting(locale: Locale, firstName: string | undefined): string {
  if (locale === "en") return firstName ? `Hi ${firstName},` : "Hi,";
  return firstName ? `${firstName}，您好：` : "您好：";
}

const CURRENCY_PATTERN = /^[A-Z]{3}$/;
/** Above this an amount is a mistake (minor units given as major ones), not a coupon. */
const MAX_OFFER_AMOUNT = 1_000_000;

/**
 * An offer as the user reads it: "20 CNY", "12.50 EUR"; in Chinese "20元" for yuan.
 * @throws TemplateError for an amount that is not a plausible positive sum or a bad currency.
 */
export function formatOffer(locale: Locale, offer: Offer): string {
  if (!(Number.isFinite(offer.amount) && offer.amount > 0 && offer.amount < MAX_OFFER_AMOUNT)) {
    throw new TemplateError(`offer: amount ${offer.amount} is not a plausible positive sum`);
  }
  if (!CURRENCY_PATTERN.test(offer.currency)) {
    throw new TemplateError(`offer: currency "${offer.currency}" is not an ISO 4217 code`);
  }
  const amount = Number.isInteger(offer.amount) ? String(offer.amount) : offer.amount.toFixed(2);
  if (locale === "zh-CN" && offer.currency === "CNY") return `${amount}元`;
  return `${amount} ${offer.currency}`;
}

// ---------------------------------------------------------------------------------------------
// Catalogue source (the JSON operators write) and its compiled form

const MAX_TEMPLATES = 200;
const TEMPLATE_ID_PATTERN = /^[a-z][a-z0-9_]{0,63}$/;

function textField(max: number) {
  return z
    .string({ error: (issue) => (issue.input === undefined ? "is missing" : "must be a string") })
    .min(1, "must not be empty")
    .max(max, `must be at most ${max} characters`);
}

function strictShape<T extends z.ZodRawShape>(shape: T, missing: string) {
  const known = Object.keys(shape).join(", ");
  return z.strictObject(shape, {
    error: (issue) => {
      if (issue.code === "unrecognized_keys") return `is not a known key (known: ${known})`;
      return issue.input === undefined ? missing : `must be an object {${known}}`;
    },
  });
}

const channelsSchema = strictShape(
  {
    email: strictShape(
      { subject: textField(200), text: textField(10_000), html: textField(50_000).optional() },
      "is missing: every template needs email, sms and push",
    ),
    sms: textField(500),
    push: strictShape(
      { title: textField(100), body: textField(500) },
      "is missing: every template needs email, sms and push",
    ),
  },
  "is missing: every template needs en and zh-CN",
);

const templateSchema = strictShape({ en: channelsSchema, "zh-CN": channelsSchema }, "is missing");

const catalogueSourceSchema = z.record(z.string(), templateSchema, {
  error: "must be an object of templates by id",
});

/** One template as written: per locale, the texts of each channel. */
export type TemplateSource = z.input<typeof templateSchema>;

type Part = string | { readonly variable: TemplateVariable };

interface CompiledText {
  /** `templates.<id>.<locale>.<channel>[.<field>]`, for errors at render time. */
  readonly place: string;
  readonly parts: readonly Part[];
}

interface CompiledChannels {
  readonly email: {
    readonly subject: CompiledText;
    readonly text: CompiledText;
    readonly html?: CompiledText;
  };
  readonly sms: CompiledText;
  readonly push: { readonly title: CompiledText; readonly body: CompiledText };
}

interface CompiledTemplate {
  readonly locales: Readonly<Record<Locale, CompiledChannels>>;
  readonly variables: ReadonlySet<TemplateVariable>;
}

declare const catalogueBrand: unique symbol;

/** A validated, compiled set of templates; made only by parseTemplateCatalogue. */
export interface TemplateCatalogue {
  readonly [catalogueBrand]: true;
  readonly templates: ReadonlyMap<string, CompiledTemplate>;
}

const KNOWN_VARIABLES: ReadonlySet<string> = new Set(TEMPLATE_VARIABLES);
/** `{{`, `}}`, a `{…}` without braces inside, or a stray brace. */
const TOKEN = /\{\{|\}\}|\{([^{}]*)\}|[{}]/g;
const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function compileText(source: string, place: string): CompiledText {
  const parts: Part[] = [];
  let literal = "";
  let last = 0;
  for (const match of source.matchAll(TOKEN)) {
    literal += source.slice(last, match.index);
    last = match.index + match[0].length;
    const token = match[0];
    if (token === "{{" || token === "}}") {
      literal += token[0];
      continue;
    }
    const name = match[1];
    const at = `at character ${match.index + 1}`;
    if (name === undefined) {
      refuse(place, `unmatched "${token}" ${at} (write {{ or }} for a literal brace)`);
    }
    if (!VARIABLE_NAME.test(name)) {
      refuse(place, `"${token}" ${at} is not a placeholder (write {{ and }} for literal braces)`);
    }
    if (!KNOWN_VARIABLES.has(name)) {
      refuse(place, `unknown variable {${name}} (known: ${TEMPLATE_VARIABLES.join(", ")})`);
    }
    if (literal) parts.push(literal);
    literal = "";
    parts.push({ variable: name as TemplateVariable });
  }
  literal += source.slice(last);
  if (literal) parts.push(literal);
  return { place, parts };
}

function compileTemplate(id: string, source: z.output<typeof templateSchema>): CompiledTemplate {
  const variables = new Set<TemplateVariable>();
  const compile = (text: string, place: string) => {
    const compiled = compileText(text, place);
    for (const part of compiled.parts) if (typeof part !== "string") variables.add(part.variable);
    return compiled;
  };
  const locales = {} as Record<Locale, CompiledChannels>;
  for (const locale of LOCALES) {
    const texts = source[locale];
    const at = `${ROOT}.${id}.${locale}`;
    const sms = compile(texts.sms, `${at}.sms`);
    const optOut = SMS_OPT_OUT[locale];
    // In a literal part, so no variable value can stand in for it or split it.
    if (!sms.parts.some((part) => typeof part === "string" && part.includes(optOut))) {
      refuse(`${at}.sms`, `must contain the opt-out text "${optOut}"`);
    }
    locales[locale] = {
      email: {
        subject: compile(texts.email.subject, `${at}.email.subject`),
        text: compile(texts.email.text, `${at}.email.text`),
        ...(texts.email.html !== undefined
          ? { html: compile(texts.email.html, `${at}.email.html`) }
          : {}),
      },
      sms,
      push: {
        title: compile(texts.push.title, `${at}.push.title`),
        body: compile(texts.push.body, `${at}.push.body`),
      },
    };
  }
  return { locales, variables };
}

function parseJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch (error) {
    refuse(ROOT, `not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function checkTemplateIds(value: unknown): void {
  if (typeof value !== "object" || value === null) return;
  // Own keys of the raw object, before the schema: a "__proto__" key must be refused, not lost.
  const ids = Object.keys(value);
  if (ids.length > MAX_TEMPLATES) refuse(ROOT, `at most ${MAX_TEMPLATES} templates`);
  for (const id of ids) {
    if (!TEMPLATE_ID_PATTERN.test(id)) {
      refuse(
        `${ROOT}.${id}`,
        "template id must be lower-case letters, digits and _, starting with a letter (at most 64)",
      );
    }
  }
}

function compileCatalogue(
  value: unknown,
  base: ReadonlyMap<string, CompiledTemplate>,
): TemplateCatalogue {
  checkTemplateIds(value);
  const parsed = catalogueSourceSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    // An unknown key is named itself, not just the object that holds it.
    const path = [
      ...(issue?.path ?? []),
      ...(issue?.code === "unrecognized_keys" ? issue.keys.slice(0, 1) : []),
    ];
    refuse([ROOT, ...path].join("."), issue?.message ?? "is invalid");
  }
  const templates = new Map(base);
  for (const [id, source] of Object.entries(parsed.data)) {
    templates.set(id, compileTemplate(id, source));
  }
  // The brand exists only for the type checker: nothing else can claim to be validated.
  return { templates } as unknown as TemplateCatalogue;
}

/** The built-in templates; the policy refers to their ids. */
export const DEFAULT_TEMPLATE_CATALOGUE: TemplateCatalogue = compileCatalogue(
  BUILT_IN_TEMPLATES,
  new Map(),
);

/**
 * Parses an operator's catalogue, `{"<id>": {"en": {…}, "zh-CN": {…}}, …}`, over
 * the built-in one: a template with a built-in id replaces it as a whole, any other id adds one.
 * Every template needs both locales and, in each, `email` `{subject, text, html?}` (without
 * `html`, the HTML part is made from the text, paragraph by paragraph), `sms` (containing the
 * opt-out text) and `push` `{title, body}`.
 * @param raw the JSON text, or the value it parses to.
 * @throws ActionConfigError whose message starts with the exact place, e.g.
 *   `templates.coupon_offer.zh-CN.sms: unknown variable {nmae} (known: …)`.
 */
export function parseTemplateCatalogue(raw: string | unknown): TemplateCatalogue {
  const value = typeof raw === "string" ? parseJson(raw) : raw;
  return compileCatalogue(value, DEFAULT_TEMPLATE_CATALOGUE.templates);
}

/** The ids a policy may name: the built-in ones first, then custom additions. */
export function templateIds(catalogue: TemplateCatalogue): string[] {
  return [...catalogue.templates.keys()];
}

/**
 * The variables a template uses in any locale or channel, so a policy can be checked at start:
 * a rule sending a template that uses `offer` must come with an offer.
 * @throws TemplateError for an unknown template.
 */
export function templateVariables(
  catalogue: TemplateCatalogue,
  templateId: string,
): TemplateVariable[] {
  const variables = templateFor(catalogue, templateId).variables;
  return TEMPLATE_VARIABLES.filter((variable) => variables.has(variable));
}

// ---------------------------------------------------------------------------------------------
// Rendering

export interface RenderInput {
  readonly templateId: string;
  readonly channel: Channel;
  readonly locale: Locale;
  /** The warning's reasons, most important first; the first becomes `{reason}`. */
  readonly reasons: RetentionMessage["reasons"];
  /** As the user gave it; absent or blank, `{greeting}` has no name and `{firstName}` throws. */
  readonly firstName?: string;
  /** Required by templates that use `{offer}`. */
  readonly offer?: Offer | null;
}

type Values = Partial<Record<TemplateVariable, string>>;

function templateFor(catalogue: TemplateCatalogue, templateId: string): CompiledTemplate {
  const template = catalogue.templates.get(templateId);
  if (!template) {
    throw new TemplateError(
      `unknown template "${templateId}" (known: ${templateIds(catalogue).join(", ")})`,
    );
  }
  return template;
}

function fill(text: CompiledText, values: Values, encode?: (value: string) => string): string {
  let out = "";
  for (const part of text.parts) {
    if (typeof part === "string") {
      out += part;
      continue;
    }
    const value = values[part.variable];
    if (value === undefined) {
      throw new TemplateError(`${text.place}: variable {${part.variable}} was not given`);
    }
    out += encode ? encode(value) : value;
  }
  return out;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The HTML part made from a plain text: a paragraph per blank-line block, `<br>` per line. */
function htmlFromText(text: string): string {
  return text
    .split(/\n{2,}/)
    .map((paragraph) => `<p>${escapeHtml(paragraph).replace(/\n/g, "<br>")}</p>`)
    .join("");
}

/** A name fit for one line: control characters and runs of spaces made one space, trimmed. */
function cleanName(name: string | undefined): string | undefined {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
  const cleaned = name?.replace(/[\s\u0000-\u001f\u007f]+/g, " ").trim();
  return cleaned || undefined;
}

function renderWith(channels: CompiledChannels, channel: Channel, values: Values): RenderedMessage {
  switch (channel) {
    case "email": {
      const text = fill(channels.email.text, values);
      return {
        subject: fill(channels.email.subject, values),
        text,
        html: channels.email.html
          ? fill(channels.email.html, values, escapeHtml)
          : htmlFromText(text),
      };
    }
    case "sms":
      return { text: fill(channels.sms, values) };
    case "push":
      return { title: fill(channels.push.title, values), text: fill(channels.push.body, values) };
  }
}

/**
 * Renders one message. `{reason}` is the top reason in plain words, `{greeting}` greets by first
 * name when there is one, `{offer}` is the formatted offer.
 *
 * An SMS that would take more than one segment with the first name in it (a long name, or one
 * outside the GSM-7 alphabet in an English text, which forces UCS-2) is rendered without the
 * name when that saves a segment: a greeting is not worth paying a message twice.
 * @throws TemplateError for an unknown template, a variable the text uses but the input lacks
 *   (`{offer}` without an offer, `{firstName}` without a name) or an implausible offer.
 */
export function renderTemplate(
  input: RenderInput,
  catalogue: TemplateCatalogue = DEFAULT_TEMPLATE_CATALOGUE,
): RenderedMessage {
  const channels = templateFor(catalogue, input.templateId).locales[input.locale];
  const firstName = cleanName(input.firstName);
  const values = (name: string | undefined): Values => ({
    firstName: name,
    greeting: greeting(input.locale, name),
    reason: reasonSentence(input.locale, input),
    offer: input.offer ? formatOffer(input.locale, input.offer) : undefined,
  });
  const rendered = renderWith(channels, input.channel, values(firstName));
  if (input.channel !== "sms" || firstName === undefined) return rendered;
  const segments = smsSegments(rendered.text).segments;
  if (segments === 1) return rendered;
  let nameless: RenderedMessage;
  try {
    nameless = renderWith(channels, input.channel, values(undefined));
  } catch {
    // The text needs {firstName} itself: the name stays, whatever it costs.
    return rendered;
  }
  return smsSegments(nameless.text).segments < segments ? nameless : rendered;
}

/**
 * Today's message for every warning: the "we miss you" template. Kept for the callers that do
 * not choose a template yet.
 */
export function renderRetentionMessage(
  channel: Channel,
  locale: Locale,
  message: RetentionMessage,
  firstName?: string,
): RenderedMessage {
  return renderTemplate({
    templateId: "we_miss_you",
    channel,
    locale,
    reasons: message.reasons,
    ...(firstName !== undefined ? { firstName } : {}),
  });
}
