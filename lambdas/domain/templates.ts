/**
 * Retention message texts, in the user's locale. The top reason of the warning becomes one plain
 * sentence; every variable is filled from typed data, so a message can never go out with a raw
 * placeholder in it.
 */
import type { Channel } from "../../lib/topology.js";
import type { ReasonCode } from "./reasons.js";
import type { RetentionMessage } from "./retention.js";

export type Locale = "en" | "zh-CN";

export interface RenderedMessage {
  readonly subject?: string;
  readonly text: string;
  readonly html?: string;
}

type ReasonText = (params: Readonly<Record<string, number>>) => string;

/** What the user reads about why we write: friendly, never "you are about to churn". */
const reasonTexts: Readonly<Record<Locale, Readonly<Record<ReasonCode, ReasonText>>>> = {
  en: {
    no_app_open: (p) => `We have not seen you in the app for ${p.days} days.`,
    interaction_drop: () => "You have been visiting less often lately.",
    no_login: (p) => `You have not signed in for ${p.days} days.`,
    uninstall_silence: () => "We would love to have you back in the app.",
    short_term_inactive: (p) => `We have missed you these last ${p.days} days.`,
    long_term_inactive: (p) => `It has been ${p.days} days since your last visit.`,
    cart_abandoned: () => "You left something in your cart.",
    complaint_then_silence: () =>
      "We are sorry about your recent experience and want to make it right.",
    slow_pages_then_decline: () => "Sorry about the slow pages you ran into.",
    search_without_purchase: () => "Still looking? We can help you find it.",
    inactive_for: (p) => `It has been ${p.days} days since we last saw you.`,
    buying_less: () => "You have been shopping with us less lately.",
    fewer_visits: () => "We have seen less of you lately.",
    unlikely_to_return: () => "We would love to see you again.",
    spending_less: () => "We have picked new things you may like.",
    no_repeat_purchase: () => "Thanks for your first order! There is more to discover.",
  },
  "zh-CN": {
    no_app_open: (p) => `您已经${p.days}天没有打开App了。`,
    interaction_drop: () => "最近您来得少了。",
    no_login: (p) => `您已经${p.days}天没有登录了。`,
    uninstall_silence: () => "期待您回到App。",
    short_term_inactive: (p) => `这${p.days}天没见到您，我们很想念。`,
    long_term_inactive: (p) => `距离您上次光临已经${p.days}天了。`,
    cart_abandoned: () => "您的购物车里还有心仪的商品。",
    complaint_then_silence: () => "很抱歉您最近的体验不好，我们想弥补。",
    slow_pages_then_decline: () => "很抱歉您遇到了页面加载慢的问题。",
    search_without_purchase: () => "还在找心仪的商品吗？我们来帮您。",
    inactive_for: (p) => `已经${p.days}天没见到您了。`,
    buying_less: () => "最近您购物少了。",
    fewer_visits: () => "最近您来得少了。",
    unlikely_to_return: () => "期待再次见到您。",
    spending_less: () => "我们为您挑选了新的好物。",
    no_repeat_purchase: () => "感谢您的首单！还有更多好物等您发现。",
  },
};

const texts = {
  en: {
    greeting: (name?: string) => (name ? `Hi ${name},` : "Hi,"),
    fallbackReason: "We have not seen you for a while.",
    invite: "Come back and see what is new for you.",
    subject: "We miss you",
    smsOptOut: "Reply STOP to opt out",
    push: "We miss you! See what is new for you.",
    separator: " ",
  },
  "zh-CN": {
    greeting: (name?: string) => (name ? `${name}，您好：` : "您好："),
    fallbackReason: "好久不见。",
    invite: "回来看看为您准备的新内容吧。",
    subject: "我们想念您",
    smsOptOut: "回复TD退订",
    push: "好久不见！回来看看为您准备的新内容吧。",
    separator: "",
  },
} as const;

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The warning's top reason in the user's words. */
export function reasonSentence(locale: Locale, message: RetentionMessage): string {
  const top = message.reasons[0];
  return top ? reasonTexts[locale][top.code](top.params) : texts[locale].fallbackReason;
}

export function renderRetentionMessage(
  channel: Channel,
  locale: Locale,
  message: RetentionMessage,
  firstName?: string,
): RenderedMessage {
  const t = texts[locale];
  const reason = reasonSentence(locale, message);
  switch (channel) {
    case "email": {
      const lines = [t.greeting(firstName), reason, t.invite];
      return {
        subject: t.subject,
        text: lines.join("\n\n"),
        html: lines.map((line) => `<p>${escapeHtml(line)}</p>`).join(""),
      };
    }
    case "sms":
      return { text: [reason, t.invite, t.smsOptOut].join(t.separator) };
    case "push":
      return { text: t.push };
  }
}
