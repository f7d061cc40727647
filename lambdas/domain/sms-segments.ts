/**
 * How many SMS segments a text costs. Operators pay per segment and long messages arrive split
 * or late on some handsets, so retention SMS are written to fit one: this is the measure the
 * templates are tested against.
 *
 * A text goes out in the GSM 03.38 7-bit alphabet when every character is in it (160 septets in
 * a single segment), otherwise in UCS-2 (70 UTF-16 code units). A longer text is sent as a
 * concatenated message whose segments each give up room to the reassembly header: 153 septets or
 * 67 code units each.
 */

export interface SmsSegmentation {
  readonly encoding: "GSM-7" | "UCS-2";
  /** Septets for GSM-7 (an extension character counts two), UTF-16 code units for UCS-2. */
  readonly units: number;
  readonly segments: number;
}

/** Limits of one segment and of each part of a concatenated message. */
export const SMS_LIMITS = {
  "GSM-7": { single: 160, part: 153 },
  "UCS-2": { single: 70, part: 67 },
} as const;

/*
 * The basic character set in table order (0x00–0x7F); 0x1B is the escape to the extension table
 * and is not a character of its own, so it stands as a NUL here that no text can match usefully.
 * Greek capitals are written as escapes: they look like Latin letters that are not in the set.
 */
const GSM_BASIC =
  "@£$¥èéùìòÇ\nØø\rÅå" +
  "\u0394_\u03a6\u0393\u039b\u03a9\u03a0\u03a8\u03a3\u0398\u039e\u0000ÆæßÉ" +
  " !\"#¤%&'()*+,-./" +
  "0123456789:;<=>?" +
  "¡ABCDEFGHIJKLMNO" +
  "PQRSTUVWXYZÄÖÑÜ§" +
  "¿abcdefghijklmno" +
  "pqrstuvwxyzäöñüà";

/** Characters reached through the escape: each costs the escape septet plus its own. */
const GSM_EXTENSION = "\f^{}\\[~]|€";

const basicSet: ReadonlySet<string> = new Set([...GSM_BASIC].filter((c) => c !== "\u0000"));
const extensionSet: ReadonlySet<string> = new Set(GSM_EXTENSION);

/**
 * Counts the encoding, units and segments of `text` as a gateway would send it. An escape
 * sequence or a surrogate pair is never split between two segments, so a concatenated message
 * can need one segment more than units divided by the part size. An empty text still costs one.
 */
export function smsSegments(text: string): SmsSegmentation {
  // Weights per character: one or two septets, or one or two UTF-16 units (astral code points).
  const gsmWeights: number[] = [];
  let gsm = true;
  for (const char of text) {
    if (basicSet.has(char)) gsmWeights.push(1);
    else if (extensionSet.has(char)) gsmWeights.push(2);
    else {
      gsm = false;
      break;
    }
  }
  const encoding = gsm ? "GSM-7" : "UCS-2";
  const weights = gsm ? gsmWeights : [...text].map((char) => char.length);
  const units = weights.reduce((sum, weight) => sum + weight, 0);
  const limits = SMS_LIMITS[encoding];
  if (units <= limits.single) return { encoding, units, segments: 1 };
  let segments = 1;
  let used = 0;
  for (const weight of weights) {
    if (used + weight > limits.part) {
      segments += 1;
      used = 0;
    }
    used += weight;
  }
  return { encoding, units, segments };
}
