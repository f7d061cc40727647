/**
 * One error type for every retention setting (policy, quiet hours, frequency cap), so that a bad
 * deployment stops at start with the exact place to fix instead of misbehaving per message.
 */
import { z } from "zod";

/** Bad retention configuration; the message starts with the exact place, e.g. `policy.rules[2].template: unknown template "x" (known: a, b)`. */
export class ActionConfigError extends Error {
  override readonly name = "ActionConfigError";
}

/** `policy` + `["rules", 2, "match"]` → `policy.rules[2].match`. */
export function placeOf(prefix: string, path: readonly PropertyKey[]): string {
  let place = prefix;
  for (const key of path) {
    place += typeof key === "number" ? `[${key}]` : `.${String(key)}`;
  }
  return place;
}

/** A value as it appears in an error: strings quoted, so `"25:00"` and `25` read apart. */
export function shown(value: unknown): string {
  if (value === undefined) return "undefined";
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  return typeof value === "object" ? "an object" : typeof value;
}

const EXPECTED: Readonly<Record<string, string>> = {
  string: "a string",
  number: "a number",
  boolean: "true or false",
  array: "a list",
  object: "an object",
};

/*
 * Zod's own wording ("Invalid input: expected string, received undefined") reads badly in a
 * start-up error; these are the generic cases, schemas word their own checks.
 */
const errorMap: z.core.$ZodErrorMap = (issue) => {
  if (issue.code === "invalid_type") {
    if (issue.input === undefined) return "is required";
    const expected = EXPECTED[issue.expected] ?? issue.expected;
    return `must be ${expected}, not ${kindOf(issue.input)}`;
  }
  if (issue.code === "unrecognized_keys") return "is not a known key";
  return undefined;
};

/**
 * A strict object whose unknown keys are refused with the keys it does know, so a typo such as
 * `cooldown` for `cooldownDays` says what was meant.
 */
export function strictObject<Shape extends z.ZodRawShape>(shape: Shape) {
  const known = Object.keys(shape).join(", ");
  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === "unrecognized_keys" ? `is not a known key (known: ${known})` : undefined,
  });
}

/**
 * Parses a setting given as JSON text or as an already parsed value.
 * @throws ActionConfigError at the first problem, e.g. `quietHours.sms.start: "25:00" is not a time HH:MM`.
 */
export function parseConfig<T>(schema: z.ZodType<T>, raw: unknown, prefix: string): T {
  let value = raw;
  if (typeof raw === "string") {
    try {
      value = JSON.parse(raw);
    } catch (error) {
      throw new ActionConfigError(`${prefix}: not valid JSON: ${(error as Error).message}`);
    }
  }
  const parsed = schema.safeParse(value, { error: errorMap });
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const path = [
    ...(issue?.path ?? []),
    // The issue sits on the object; the place to fix is the key itself.
    ...(issue?.code === "unrecognized_keys" ? issue.keys.slice(0, 1) : []),
  ];
  throw new ActionConfigError(`${placeOf(prefix, path)}: ${issue?.message ?? "is invalid"}`);
}
