import { describe, expect, it } from "vitest";
import { smsSegments } from "../../lambdas/domain/sms-segments.js";

const a = (n: number) => "a".repeat(n);
const zh = (n: number) => "中".repeat(n);
const emoji = (n: number) => "😀".repeat(n);

describe("smsSegments", () => {
  it.each([
    ["empty text", "", "GSM-7", 0, 1],
    ["160 septets", a(160), "GSM-7", 160, 1],
    ["161 septets", a(161), "GSM-7", 161, 2],
    ["two full parts", a(306), "GSM-7", 306, 2],
    ["one septet past two parts", a(307), "GSM-7", 307, 3],
    ["basic-set accents and symbols", "@£$¥èéùìòÇØøÅåÆæßÉÄÖÑÜ§¿äöñüà¡¤", "GSM-7", 31, 1],
    [
      "Greek capitals of the basic set",
      "\u0394\u03a6\u0393\u039b\u03a9\u03a0\u03a8\u03a3\u0398\u039e",
      "GSM-7",
      10,
      1,
    ],
    ["line breaks", "a\nb\r\n", "GSM-7", 5, 1],
    ["€ counts two septets", "€", "GSM-7", 2, 1],
    ["every extension character counts two", "\f^{}\\[~]|€", "GSM-7", 20, 1],
    ["80 € fill one segment", "€".repeat(80), "GSM-7", 160, 1],
    ["80 € and a letter take two", `${"€".repeat(80)}a`, "GSM-7", 161, 2],
    // 152 + 2 does not fit a 153-septet part: the escape sequence moves whole to the next one.
    ["an escape sequence is not split", `${a(152)}€${a(152)}`, "GSM-7", 306, 3],
    ["70 UCS-2 units", zh(70), "UCS-2", 70, 1],
    ["71 UCS-2 units", zh(71), "UCS-2", 71, 2],
    ["two full UCS-2 parts", zh(134), "UCS-2", 134, 2],
    ["one unit past two UCS-2 parts", zh(135), "UCS-2", 135, 3],
    ["one Chinese character forces UCS-2", `${a(69)}中`, "UCS-2", 70, 1],
    ["GSM text past 70 units once UCS-2", `${a(159)}中`, "UCS-2", 160, 3],
    ["an emoji is a surrogate pair", "😀", "UCS-2", 2, 1],
    ["35 emoji fill one segment", emoji(35), "UCS-2", 70, 1],
    ["36 emoji take two", emoji(36), "UCS-2", 72, 2],
    // 66 + 2 does not fit a 67-unit part: the pair moves whole to the next one.
    ["a surrogate pair is not split", `${zh(66)}${emoji(34)}`, "UCS-2", 134, 3],
    ["lower-case ç is not in the basic set", "ç", "UCS-2", 1, 1],
    ["á is not in the basic set", "á", "UCS-2", 1, 1],
    ["ë is not in the basic set (ä ö ü are)", "Zoë", "UCS-2", 3, 1],
    ["a backtick is not in the basic set", "`", "UCS-2", 1, 1],
    ["a NUL is not the escape code", "\u0000", "UCS-2", 1, 1],
    ["full-width punctuation", "回复TD退订。", "UCS-2", 7, 1],
  ] as const)("%s", (_label, text, encoding, units, segments) => {
    expect(smsSegments(text)).toEqual({ encoding, units, segments });
  });
});
