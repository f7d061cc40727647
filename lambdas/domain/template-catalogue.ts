/**
 * The built-in retention templates. Their ids are an API: the retention policy names them, and
 * an operator's catalogue replaces one by using its id.
 *
 * Written to be friendly (never "you are about to churn") and short: every SMS here fits one
 * segment for every reason, with or without an offer (see test/domain/templates.test.ts for the
 * exact guarantee). `{greeting}` greets by first name when there is one; `{reason}` is the
 * warning's top reason as a sentence; `{offer}` the formatted offer.
 */
import type { TemplateSource } from "./templates.js";

export const BUILT_IN_TEMPLATE_IDS = [
  "we_miss_you",
  "coupon_offer",
  "cart_reminder",
  "help_tutorial",
  "service_follow_up",
  "recommendation",
] as const;
export type BuiltInTemplateId = (typeof BUILT_IN_TEMPLATE_IDS)[number];

export const BUILT_IN_TEMPLATES: Readonly<Record<BuiltInTemplateId, TemplateSource>> = {
  /** A care message for anyone drifting away. */
  we_miss_you: {
    en: {
      email: {
        subject: "We miss you",
        text: "{greeting}\n\n{reason}\n\nCome back and see what is new for you.",
      },
      sms: "{greeting} {reason} Come back and see what is new. Reply STOP to opt out",
      push: { title: "We miss you", body: "Come back and see what is new for you." },
    },
    "zh-CN": {
      email: {
        subject: "我们想念您",
        text: "{greeting}\n\n{reason}\n\n回来看看为您准备的新内容吧。",
      },
      sms: "{greeting}{reason}回来看看为您准备的新内容吧。回复TD退订",
      push: { title: "我们想念您", body: "好久不见！回来看看为您准备的新内容吧。" },
    },
  },
  /** A coupon or discount; needs an offer. */
  coupon_offer: {
    en: {
      email: {
        subject: "A {offer} coupon for you",
        text: "{greeting}\n\n{reason}\n\nHere is a {offer} coupon for your next order. Enjoy!",
      },
      sms: "{greeting} {reason} Here is {offer} off your next order. Reply STOP to opt out",
      push: { title: "A gift for you", body: "Here is {offer} off your next order." },
    },
    "zh-CN": {
      email: {
        subject: "送您一张{offer}优惠券",
        text: "{greeting}\n\n{reason}\n\n送您一张{offer}优惠券，下次购物即可使用。",
      },
      sms: "{greeting}{reason}送您{offer}优惠券，下单可用。回复TD退订",
      push: { title: "送您一份礼物", body: "送您{offer}优惠券，下单即可用。" },
    },
  },
  /** For a cart left behind. */
  cart_reminder: {
    en: {
      email: {
        subject: "Your cart is waiting",
        text: "{greeting}\n\n{reason}\n\nWe have saved your cart, so you can pick up where you left off.",
      },
      sms: "{greeting} {reason} Your cart is saved for you. Reply STOP to opt out",
      push: { title: "Your cart is waiting", body: "Pick up where you left off." },
    },
    "zh-CN": {
      email: {
        subject: "您的购物车在等您",
        text: "{greeting}\n\n{reason}\n\n购物车已为您保存，随时回来继续选购。",
      },
      sms: "{greeting}{reason}购物车已为您保存。回复TD退订",
      push: { title: "购物车在等您", body: "购物车已为您保存，随时回来继续选购。" },
    },
  },
  /** Help for users who struggle to find their way. */
  help_tutorial: {
    en: {
      email: {
        subject: "A few tips for you",
        text: "{greeting}\n\n{reason}\n\nOur short guide in the app shows how to search, save favourites and check out in a few taps.",
      },
      sms: "{greeting} {reason} Our in-app guide shows you around. Reply STOP to opt out",
      push: { title: "A few tips for you", body: "Find what you need in a few taps." },
    },
    "zh-CN": {
      email: {
        subject: "几个实用小技巧",
        text: "{greeting}\n\n{reason}\n\nApp里的新手指南教您几步就能搜索、收藏和下单。",
      },
      sms: "{greeting}{reason}App里的新手指南帮您快速上手。回复TD退订",
      push: { title: "实用小技巧", body: "几步找到您想要的商品。" },
    },
  },
  /** A customer-service follow-up for users who complained. */
  service_follow_up: {
    en: {
      email: {
        subject: "How can we make it right?",
        text: "{greeting}\n\n{reason}\n\nOur customer service team is here for you: contact us in the app and we will follow up personally.",
      },
      sms: "{greeting} {reason} Our service team is here to help. Reply STOP to opt out",
      push: { title: "We are here to help", body: "Contact our service team in the app." },
    },
    "zh-CN": {
      email: {
        subject: "我们想听听您的意见",
        text: "{greeting}\n\n{reason}\n\n我们的客服团队随时为您服务，在App内联系我们，我们会专人跟进。",
      },
      sms: "{greeting}{reason}客服随时为您服务，App内即可联系。回复TD退订",
      push: { title: "我们随时为您服务", body: "在App内联系客服，我们会专人跟进。" },
    },
  },
  /** Personalised recommendations. */
  recommendation: {
    en: {
      email: {
        subject: "Picked for you",
        text: "{greeting}\n\n{reason}\n\nWe have picked a few things we think you will love. Take a look in the app.",
      },
      sms: "{greeting} {reason} We picked a few things you may love. Reply STOP to opt out",
      push: { title: "Picked for you", body: "New finds we think you will love." },
    },
    "zh-CN": {
      email: {
        subject: "为您精选",
        text: "{greeting}\n\n{reason}\n\n我们为您精选了几件可能喜欢的好物，快来App看看吧。",
      },
      sms: "{greeting}{reason}为您精选了几件好物，快来看看。回复TD退订",
      push: { title: "为您精选", body: "我们挑了几件您可能喜欢的好物。" },
    },
  },
};
