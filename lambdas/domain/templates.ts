/**
 * Retention message texts, in the user's locale. Every variable is filled from typed data, so a
 * message can never go out with a raw placeholder in it.
 */
import type { Channel } from "../../lib/topology.js";
import type { RetentionMessage } from "./retention.js";

export type Locale = "en" | "zh-CN";

export interface RenderedMessage {
  readonly subject?: string;
  readonly text: string;
  readonly html?: string;
}

function inactiveDays(message: RetentionMessage): number | undefined {
  const reason = message.reasons.find((r) => r.code === "inactive_days");
  const days = reason?.params.days;
  return typeof days === "number" ? days : undefined;
}

function sentenceCase(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const texts = {
  en: {
    greeting: (name?: string) => (name ? `Hi ${name},` : "Hi,"),
    missed: (days?: number) =>
      days === undefined
        ? "we have not seen you for a while."
        : `we have not seen you for ${days} days.`,
    invite: "Come back and see what is new for you.",
    subject: "We miss you",
    smsOptOut: "Reply STOP to opt out",
    push: "We miss you! See what is new for you.",
  },
  "zh-CN": {
    greeting: (name?: string) => (name ? `${name}，您好：` : "您好："),
    missed: (days?: number) => (days === undefined ? "好久不见。" : `已经${days}天没见到您了。`),
    invite: "回来看看为您准备的新内容吧。",
    subject: "我们想念您",
    smsOptOut: "回复TD退订",
    push: "好久不见！回来看看为您准备的新内容吧。",
  },
} as const;

export function renderRetentionMessage(
  channel: Channel,
  locale: Locale,
  message: RetentionMessage,
  firstName?: string,
): RenderedMessage {
  const t = texts[locale];
  const days = inactiveDays(message);
  const separator = locale === "en" ? " " : "";
  switch (channel) {
    case "email": {
      const lines = [t.greeting(firstName), sentenceCase(t.missed(days)), t.invite];
      return {
        subject: t.subject,
        text: lines.join("\n\n"),
        html: lines.map((line) => `<p>${escapeHtml(line)}</p>`).join(""),
      };
    }
    case "sms":
      return { text: [sentenceCase(t.missed(days)), t.invite, t.smsOptOut].join(separator) };
    case "push":
      return { text: t.push };
  }
}
