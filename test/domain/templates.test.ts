import { describe, expect, it } from "vitest";
import type { Offer } from "../../lambdas/domain/actions/action-record.js";
import { ActionConfigError } from "../../lambdas/domain/actions/config-error.js";
import { applyEvents } from "../../lambdas/domain/features.js";
import { REASON_CODES, type ReasonCode } from "../../lambdas/domain/reasons.js";
import {
  type RetentionMessage,
  retentionMessageFor,
  warningFor,
} from "../../lambdas/domain/retention.js";
import { assessRisk, DEFAULT_TIER_THRESHOLDS } from "../../lambdas/domain/risk.js";
import { smsSegments } from "../../lambdas/domain/sms-segments.js";
import {
  BUILT_IN_TEMPLATE_IDS,
  DEFAULT_TEMPLATE_CATALOGUE,
  formatOffer,
  LOCALES,
  type Locale,
  parseTemplateCatalogue,
  type RenderInput,
  reasonSentence,
  renderRetentionMessage,
  renderTemplate,
  SMS_OPT_OUT,
  TemplateError,
  type TemplateSource,
  templateIds,
  templateVariables,
} from "../../lambdas/domain/templates.js";
import { CHANNELS, type Channel } from "../../lib/topology.js";
import { appOpen } from "../fixtures/events.js";

const warning = warningFor(
  "app",
  "u1",
  assessRisk(
    applyEvents(undefined, "app", "u1", [appOpen("u1", "2026-10-01T00:00:00Z")]),
    "2026-11-01T00:00:00Z",
    "run-1",
    { rules: {}, tiers: DEFAULT_TIER_THRESHOLDS },
  ),
);

const cases: [Channel, Locale][] = [
  ["email", "en"],
  ["email", "zh-CN"],
  ["sms", "en"],
  ["sms", "zh-CN"],
  ["push", "en"],
  ["push", "zh-CN"],
];

/** The widest numbers each rule can put into its sentence. */
const widestParams = {
  days: 3650,
  thresholdDays: 3650,
  dropPercent: 100,
  thresholdPercent: 100,
  hoursSinceSignal: 87600,
  activeDays30: 30,
  slowPercent: 100,
  searches: 10000,
};

type Reasons = RetentionMessage["reasons"];

function topReason(code: ReasonCode, params: Record<string, number> = widestParams): Reasons {
  return [{ code, severity: "high", params }];
}

/** Every top reason with its widest numbers, and no reason at all (the general sentence). */
const REASON_VARIANTS: readonly Reasons[] = [...REASON_CODES.map((code) => topReason(code)), []];

function withTopReason(code: ReasonCode, channel: Channel) {
  return retentionMessageFor(
    { ...warning, reasons: topReason(code) as typeof warning.reasons },
    channel,
    new Date(),
  );
}

/** E-mail and SMS say why we write; push keeps to a short line. */
function reasonOrNot(channel: Channel, locale: Locale, reasons: Reasons): string {
  return channel === "push" ? "" : reasonSentence(locale, { reasons });
}

function allText(rendered: ReturnType<typeof renderTemplate>): string {
  return [rendered.subject, rendered.title, rendered.text, rendered.html].join(" ");
}

/** What must never reach a user: a placeholder, a brace, an unfilled number. */
const UNFILLED = /[{}]|undefined|NaN|null|\$\{/;

/** A plausible coupon, the widest one the SMS guarantee covers, and one in another currency. */
const OFFERS: readonly Offer[] = [
  { amount: 20, currency: "CNY" },
  { amount: 9999.99, currency: "CNY" },
  { amount: 9999.99, currency: "USD" },
];

/*
 * First names of 20 characters: more than nearly every real first name. For English SMS the
 * guarantee is for names in the GSM-7 alphabet (one outside it turns the whole text into UCS-2,
 * 70 units); for Chinese SMS, which are UCS-2 anyway, for any 20 characters of the BMP.
 */
const LONG_NAME: Readonly<Record<Locale, string>> = {
  en: "Maximilian-Alexander",
  "zh-CN": "欧阳娜娜欧阳娜娜欧阳娜娜欧阳娜娜欧阳娜娜",
};

describe("retention templates (today's wrapper)", () => {
  it.each(cases)(
    "%s in %s has no unfilled placeholder, whatever the top reason",
    (channel, locale) => {
      for (const code of REASON_CODES) {
        const rendered = renderRetentionMessage(
          channel,
          locale,
          withTopReason(code, channel),
          "Ann",
        );
        expect(allText(rendered), code).not.toMatch(UNFILLED);
      }
    },
  );

  it("tells the reason in plain words and greets by first name in e-mail", () => {
    const rendered = renderRetentionMessage(
      "email",
      "en",
      retentionMessageFor(warning, "email", new Date()),
      "Ann",
    );
    expect(rendered.subject).toBe("We miss you");
    expect(rendered.text).toContain("Hi Ann,");
    expect(rendered.text).toContain("We have not seen you in the app for 31 days.");
  });

  it("escapes HTML in e-mail", () => {
    const rendered = renderRetentionMessage(
      "email",
      "en",
      retentionMessageFor(warning, "email", new Date()),
      "<b>Ann</b>",
    );
    expect(rendered.html).not.toContain("<b>Ann</b>");
  });

  it.each([
    ["en", "Reply STOP to opt out", 160],
    ["zh-CN", "回复TD退订", 70],
  ] as const)(
    "SMS in %s carries the opt-out text and fits one segment for every reason",
    (locale, optOut, limit) => {
      for (const code of REASON_CODES) {
        const rendered = renderRetentionMessage("sms", locale, withTopReason(code, "sms"));
        expect(rendered.text, code).toContain(optOut);
        expect(rendered.text, code).not.toMatch(/^[a-z]/);
        expect([...rendered.text].length, code).toBeLessThanOrEqual(limit);
      }
    },
  );

  it("derives the dedupe key from the warning, the channel and the step", () => {
    const a = retentionMessageFor(warning, "sms", new Date("2026-11-01"));
    const b = retentionMessageFor(warning, "sms", new Date("2026-11-02"));
    expect(a.dedupeKey).toBe(b.dedupeKey);
    expect(retentionMessageFor(warning, "email", new Date()).dedupeKey).not.toBe(a.dedupeKey);
  });
});

describe("built-in catalogue", () => {
  it("has the fixed ids the policy names, in order", () => {
    expect(templateIds(DEFAULT_TEMPLATE_CATALOGUE)).toEqual([
      "we_miss_you",
      "coupon_offer",
      "cart_reminder",
      "help_tutorial",
      "service_follow_up",
      "recommendation",
    ]);
    expect(BUILT_IN_TEMPLATE_IDS).toEqual(templateIds(DEFAULT_TEMPLATE_CATALOGUE));
  });

  it("needs an offer only for the coupon", () => {
    for (const id of BUILT_IN_TEMPLATE_IDS) {
      const variables = templateVariables(DEFAULT_TEMPLATE_CATALOGUE, id);
      expect(variables.includes("offer"), id).toBe(id === "coupon_offer");
      expect(variables, id).toContain("greeting");
      // Built-ins never need the name itself: it is optional, and the greeting copes.
      expect(variables, id).not.toContain("firstName");
    }
  });

  /*
   * Every template × locale × channel, with and without each optional variable: either a
   * complete text or a TemplateError, never a raw placeholder.
   */
  it.each(
    BUILT_IN_TEMPLATE_IDS.flatMap((id) =>
      LOCALES.flatMap((locale) => CHANNELS.map((channel) => [id, locale, channel] as const)),
    ),
  )("%s in %s by %s renders completely or throws", (templateId, locale, channel) => {
    const needsOffer = templateVariables(DEFAULT_TEMPLATE_CATALOGUE, templateId).includes("offer");
    for (const reasons of REASON_VARIANTS) {
      for (const firstName of [undefined, "Ann", LONG_NAME[locale]]) {
        for (const offer of [undefined, null, ...OFFERS]) {
          const input: RenderInput = { templateId, channel, locale, reasons, firstName, offer };
          if (!offer && needsOffer) {
            expect(() => renderTemplate(input)).toThrow(TemplateError);
            continue;
          }
          const rendered = renderTemplate(input);
          const label = `${JSON.stringify(reasons[0]?.code)} ${firstName} ${offer?.amount}`;
          expect(allText(rendered), label).not.toMatch(UNFILLED);
          expect(rendered.text.length, label).toBeGreaterThan(0);
          expect(rendered.text, label).toContain(reasonOrNot(channel, locale, reasons));
          if (channel === "email") {
            expect(rendered.subject, label).toBeTruthy();
            expect(rendered.html, label).toMatch(/^<p>.*<\/p>$/s);
            expect(rendered.text, label).toContain(firstName ?? "");
          }
          if (channel === "push") {
            // Short enough for a lock screen without truncation.
            expect(rendered.title?.length ?? 0, label).toBeGreaterThan(0);
            expect(rendered.title?.length ?? 99, label).toBeLessThanOrEqual(30);
            expect(rendered.text.length, label).toBeLessThanOrEqual(60);
          }
        }
      }
    }
  });

  /*
   * The SMS guarantee: every built-in SMS, for every top reason with its widest numbers (and for
   * none), with or without an offer below 10,000 with two decimals in any currency, and with any
   * first name or none, fits ONE segment and carries the opt-out text. A name of up to 20
   * characters (GSM-7 ones in English) is kept; a longer one, or a non-GSM name in an English
   * text, is left out when it would cost a second segment.
   */
  it.each(BUILT_IN_TEMPLATE_IDS.flatMap((id) => LOCALES.map((locale) => [id, locale] as const)))(
    "every %s SMS in %s fits one segment and lets the user opt out",
    (templateId, locale) => {
      const keptNames = [undefined, "Ann", "Jürgen", LONG_NAME[locale]];
      const droppable = ["Łukasz", "李小龙", "👩‍🚀 Ana", "x".repeat(64), "中".repeat(64)];
      for (const reasons of REASON_VARIANTS) {
        for (const offer of OFFERS) {
          for (const firstName of [...keptNames, ...droppable]) {
            const { text } = renderTemplate({
              templateId,
              channel: "sms",
              locale,
              reasons,
              firstName,
              offer,
            });
            const label = `${reasons[0]?.code} ${firstName} ${offer.amount} ${offer.currency}`;
            expect(smsSegments(text).segments, `${label}: ${text}`).toBe(1);
            expect(text, label).toContain(SMS_OPT_OUT[locale]);
            if (keptNames.includes(firstName)) expect(text, label).toContain(firstName ?? "");
          }
        }
      }
    },
  );

  it("keeps English SMS in GSM-7 by leaving out a name outside the alphabet", () => {
    const input = {
      templateId: "we_miss_you",
      channel: "sms",
      locale: "en",
      reasons: topReason("complaint_then_silence"),
    } as const;
    const named = renderTemplate({ ...input, firstName: "Jürgen" });
    expect(named.text).toMatch(/^Hi Jürgen, /);
    expect(smsSegments(named.text).encoding).toBe("GSM-7");
    const nameless = renderTemplate({ ...input, firstName: "李小龙" });
    expect(nameless.text).toMatch(/^Hi, We are sorry/);
    expect(smsSegments(nameless.text).encoding).toBe("GSM-7");
  });

  it("greets by name or without one, in both locales", () => {
    const render = (locale: Locale, firstName?: string) =>
      renderTemplate({
        templateId: "we_miss_you",
        channel: "email",
        locale,
        reasons: [],
        ...(firstName !== undefined ? { firstName } : {}),
      }).text.split("\n")[0];
    expect(render("en", "Ana")).toBe("Hi Ana,");
    expect(render("en")).toBe("Hi,");
    expect(render("zh-CN", "Ana")).toBe("Ana，您好：");
    expect(render("zh-CN")).toBe("您好：");
    // A blank name is no name; control characters never break a line.
    expect(render("en", "  \t ")).toBe("Hi,");
    expect(render("en", " Ana\nBob ")).toBe("Hi Ana Bob,");
  });

  it("puts the offer into every part of the coupon", () => {
    const input = {
      templateId: "coupon_offer",
      locale: "zh-CN",
      reasons: topReason("cart_abandoned"),
      offer: { amount: 20, currency: "CNY" },
    } as const;
    const email = renderTemplate({ ...input, channel: "email" });
    expect(email.subject).toBe("送您一张20元优惠券");
    expect(email.text).toContain("您的购物车里还有心仪的商品。");
    expect(renderTemplate({ ...input, channel: "push" }).text).toContain("20元");
    expect(renderTemplate({ ...input, channel: "sms" }).text).toBe(
      "您好：您的购物车里还有心仪的商品。送您20元优惠券，下单可用。回复TD退订",
    );
    const en = renderTemplate({ ...input, locale: "en", channel: "sms", firstName: "Ana" });
    expect(en.text).toBe(
      "Hi Ana, You left something in your cart. Here is 20 CNY off your next order. Reply STOP to opt out",
    );
  });

  it("refuses to render the coupon without an offer, naming the place", () => {
    expect(() =>
      renderTemplate({ templateId: "coupon_offer", channel: "sms", locale: "en", reasons: [] }),
    ).toThrow("templates.coupon_offer.en.sms: variable {offer} was not given");
  });

  it("refuses an unknown template", () => {
    expect(() =>
      renderTemplate({ templateId: "nope", channel: "sms", locale: "en", reasons: [] }),
    ).toThrow(/^unknown template "nope" \(known: we_miss_you, coupon_offer/);
  });

  it("escapes every variable in HTML and leaves the plain text plain", () => {
    const firstName = `<script>alert("x") & 'y'</script>`;
    const rendered = renderTemplate({
      templateId: "we_miss_you",
      channel: "email",
      locale: "en",
      reasons: topReason("no_app_open", { days: 31 }),
      firstName,
    });
    expect(rendered.text).toContain(`Hi ${firstName},`);
    expect(rendered.html).not.toContain("<script>");
    expect(rendered.html).toContain(
      "<p>Hi &#60;script&#62;alert(&#34;x&#34;) &#38; &#39;y&#39;&#60;/script&#62;,</p>",
    );
    expect(rendered.html).toBe(
      `<p>Hi &#60;script&#62;alert(&#34;x&#34;) &#38; &#39;y&#39;&#60;/script&#62;,</p>` +
        "<p>We have not seen you in the app for 31 days.</p>" +
        "<p>Come back and see what is new for you.</p>",
    );
  });
});

describe("reasonSentence and formatOffer", () => {
  it("says the top reason in plain words", () => {
    expect(reasonSentence("en", { reasons: topReason("no_login", { days: 12 }) })).toBe(
      "You have not signed in for 12 days.",
    );
    expect(reasonSentence("zh-CN", { reasons: topReason("no_login", { days: 12 }) })).toBe(
      "您已经12天没有登录了。",
    );
    expect(reasonSentence("en", { reasons: topReason("no_app_open", { days: 1 }) })).toBe(
      "We have not seen you in the app for 1 day.",
    );
  });

  it("falls back to a general sentence without a reason or without its number", () => {
    expect(reasonSentence("en", { reasons: [] })).toBe("We have not seen you for a while.");
    expect(reasonSentence("zh-CN", { reasons: [] })).toBe("好久不见。");
    for (const locale of LOCALES) {
      for (const code of REASON_CODES) {
        const sentence = reasonSentence(locale, { reasons: topReason(code, {}) });
        expect(sentence, code).not.toMatch(UNFILLED);
        expect(sentence.length, code).toBeGreaterThan(0);
      }
    }
  });

  it.each([
    ["en", { amount: 20, currency: "CNY" }, "20 CNY"],
    ["zh-CN", { amount: 20, currency: "CNY" }, "20元"],
    ["en", { amount: 12.5, currency: "EUR" }, "12.50 EUR"],
    ["zh-CN", { amount: 5, currency: "USD" }, "5 USD"],
  ] as const)("formats an offer in %s: %j", (locale, offer, expected) => {
    expect(formatOffer(locale, offer)).toBe(expected);
  });

  it.each([
    { amount: 0, currency: "CNY" },
    { amount: -5, currency: "CNY" },
    { amount: Number.NaN, currency: "CNY" },
    { amount: 1e21, currency: "CNY" },
    { amount: 20, currency: "yuan" },
  ])("refuses the offer %j", (offer) => {
    expect(() => formatOffer("en", offer)).toThrow(TemplateError);
  });
});

/** A complete custom template; tests spoil one part of it. */
function customTemplate(): TemplateSource & Record<Locale, { sms: string }> {
  return {
    en: {
      email: { subject: "Hello {firstName}", text: "{greeting}\n\n{reason}" },
      sms: "{reason} Reply STOP to opt out",
      push: { title: "Hello", body: "{reason}" },
    },
    "zh-CN": {
      email: { subject: "您好", text: "{greeting}\n\n{reason}" },
      sms: "{reason}回复TD退订",
      push: { title: "您好", body: "{reason}" },
    },
  };
}

function withPart(path: string, value: unknown): unknown {
  const template = customTemplate() as unknown as Record<string, unknown>;
  const keys = path.split(".");
  let node = template;
  for (const key of keys.slice(0, -1)) node = node[key] as Record<string, unknown>;
  const last = keys.at(-1) as string;
  if (value === undefined) delete node[last];
  else node[last] = value;
  return { spring_sale: template };
}

describe("custom catalogues", () => {
  it("adds templates and overrides built-in ones, leaving the defaults alone", () => {
    const override = customTemplate();
    override.en.sms = "Big news, {firstName}! {reason} Reply STOP to opt out";
    const catalogue = parseTemplateCatalogue(
      JSON.stringify({ spring_sale: customTemplate(), we_miss_you: override }),
    );
    expect(templateIds(catalogue)).toEqual([...BUILT_IN_TEMPLATE_IDS, "spring_sale"]);
    const input = {
      templateId: "we_miss_you",
      channel: "sms",
      locale: "en",
      reasons: topReason("no_login", { days: 9 }),
      firstName: "Ana",
    } as const;
    expect(renderTemplate(input, catalogue).text).toBe(
      "Big news, Ana! You have not signed in for 9 days. Reply STOP to opt out",
    );
    expect(renderTemplate(input).text).toMatch(/^Hi Ana, You have not signed in/);
    expect(renderTemplate({ ...input, templateId: "spring_sale" }, catalogue).text).toBe(
      "You have not signed in for 9 days. Reply STOP to opt out",
    );
    expect(() => renderTemplate({ ...input, templateId: "spring_sale" })).toThrow(TemplateError);
  });

  it("accepts the parsed JSON value too, and an empty catalogue is the defaults", () => {
    expect(templateIds(parseTemplateCatalogue({}))).toEqual(BUILT_IN_TEMPLATE_IDS);
  });

  it("throws rather than send a name it does not have", () => {
    const catalogue = parseTemplateCatalogue({ spring_sale: customTemplate() });
    const input = { templateId: "spring_sale", channel: "email", locale: "en", reasons: [] };
    expect(renderTemplate({ ...input, firstName: "Ana" } as RenderInput, catalogue).subject).toBe(
      "Hello Ana",
    );
    expect(() => renderTemplate(input as RenderInput, catalogue)).toThrow(
      "templates.spring_sale.en.email.subject: variable {firstName} was not given",
    );
  });

  it("keeps a name the SMS text needs itself, even when it costs a second segment", () => {
    const template = customTemplate();
    template.en.sms = "{firstName}: {reason} Reply STOP to opt out";
    const catalogue = parseTemplateCatalogue({ spring_sale: template });
    const { text } = renderTemplate(
      { templateId: "spring_sale", channel: "sms", locale: "en", reasons: [], firstName: "李雷" },
      catalogue,
    );
    expect(text).toMatch(/^李雷: /);
  });

  it("writes a literal brace as {{ or }}", () => {
    const template = customTemplate();
    template.en.sms = "{{code}} {reason} }} Reply STOP to opt out";
    const catalogue = parseTemplateCatalogue({ spring_sale: template });
    const { text } = renderTemplate(
      { templateId: "spring_sale", channel: "sms", locale: "en", reasons: [] },
      catalogue,
    );
    expect(text).toBe("{code} We have not seen you for a while. } Reply STOP to opt out");
  });

  it("uses an HTML template with escaped variables when one is given", () => {
    const template = customTemplate();
    template.en.email.html = "<h1>{greeting}</h1><p>{reason}</p>";
    const catalogue = parseTemplateCatalogue({ spring_sale: template });
    const { html } = renderTemplate(
      {
        templateId: "spring_sale",
        channel: "email",
        locale: "en",
        reasons: [],
        firstName: "<i>Ana</i>",
      },
      catalogue,
    );
    expect(html).toBe(
      "<h1>Hi &#60;i&#62;Ana&#60;/i&#62;,</h1><p>We have not seen you for a while.</p>",
    );
  });

  const known = "(known: firstName, reason, offer, greeting)";
  it.each([
    [
      "an unknown variable",
      {
        coupon_offer: (() => {
          const t = customTemplate();
          t["zh-CN"].sms = "{nmae}{reason}回复TD退订";
          return t;
        })(),
      },
      `templates.coupon_offer.zh-CN.sms: unknown variable {nmae} ${known}`,
    ],
    [
      "an unknown variable in a subject",
      withPart("en.email.subject", "Hi {name}"),
      `templates.spring_sale.en.email.subject: unknown variable {name} ${known}`,
    ],
    [
      "a stray opening brace",
      withPart("en.push.body", "Hey {reason"),
      'templates.spring_sale.en.push.body: unmatched "{" at character 5 (write {{ or }} for a literal brace)',
    ],
    [
      "a stray closing brace",
      withPart("zh-CN.push.title", "您好}"),
      'templates.spring_sale.zh-CN.push.title: unmatched "}" at character 3',
    ],
    [
      "a placeholder with spaces",
      withPart("en.push.body", "{ reason }"),
      'templates.spring_sale.en.push.body: "{ reason }" at character 1 is not a placeholder',
    ],
    [
      "an empty placeholder",
      withPart("en.push.body", "x {}"),
      'templates.spring_sale.en.push.body: "{}" at character 3 is not a placeholder',
    ],
    [
      "an SMS without the opt-out text",
      withPart("en.sms", "{reason}"),
      'templates.spring_sale.en.sms: must contain the opt-out text "Reply STOP to opt out"',
    ],
    [
      "an SMS whose opt-out text is the wrong locale's",
      withPart("zh-CN.sms", "{reason} Reply STOP to opt out"),
      'templates.spring_sale.zh-CN.sms: must contain the opt-out text "回复TD退订"',
    ],
    [
      "a missing locale",
      withPart("zh-CN", undefined),
      "templates.spring_sale.zh-CN: is missing: every template needs en and zh-CN",
    ],
    [
      "an unknown locale",
      withPart("fr", {}),
      "templates.spring_sale.fr: is not a known key (known: en, zh-CN)",
    ],
    [
      "a missing channel",
      withPart("en.push", undefined),
      "templates.spring_sale.en.push: is missing: every template needs email, sms and push",
    ],
    [
      "a missing SMS",
      withPart("zh-CN.sms", undefined),
      "templates.spring_sale.zh-CN.sms: is missing",
    ],
    [
      "an unknown channel",
      withPart("en.fax", "x"),
      "templates.spring_sale.en.fax: is not a known key (known: email, sms, push)",
    ],
    [
      "a missing subject",
      withPart("en.email.subject", undefined),
      "templates.spring_sale.en.email.subject: is missing",
    ],
    [
      "an unknown e-mail field",
      withPart("en.email.body", "x"),
      "templates.spring_sale.en.email.body: is not a known key (known: subject, text, html)",
    ],
    [
      "an empty text",
      withPart("en.push.title", ""),
      "templates.spring_sale.en.push.title: must not be empty",
    ],
    [
      "a number for a text",
      withPart("en.push.title", 5),
      "templates.spring_sale.en.push.title: must be a string",
    ],
    [
      "a channel that is not an object",
      withPart("en.email", "x"),
      "templates.spring_sale.en.email: must be an object {subject, text, html}",
    ],
    [
      "an invalid template id",
      { "Spring-Sale": customTemplate() },
      "templates.Spring-Sale: template id must be lower-case letters",
    ],
    [
      "a __proto__ template id",
      JSON.parse(`{"__proto__":${JSON.stringify(customTemplate())}}`),
      "templates.__proto__: template id must be",
    ],
    ["a template that is not an object", { spring_sale: [] }, "templates.spring_sale: must be"],
    ["a list of templates", [], "templates: must be an object of templates by id"],
    ["null", null, "templates: must be an object of templates by id"],
    ["not JSON", "{spring_sale:", "templates: not valid JSON"],
  ])("refuses %s, naming the exact place", (_label, raw, message) => {
    const attempt = () => parseTemplateCatalogue(raw);
    expect(attempt).toThrow(ActionConfigError);
    expect(attempt).toThrow(message);
    try {
      attempt();
    } catch (error) {
      expect((error as Error).message.startsWith(message.split(":")[0] ?? "")).toBe(true);
    }
  });
});
