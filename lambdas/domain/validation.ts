import type { z } from "zod";

/** One reason an input was refused, addressed by its dotted path (`properties.amount`). */
export interface FieldError {
  readonly field: string;
  readonly message: string;
}

export function fieldErrors(error: z.ZodError, prefix = ""): FieldError[] {
  return error.issues.map((issue) => {
    const path = issue.path.map(String).join(".");
    const field = [prefix, path].filter((part) => part !== "").join(".");
    return { field: field || "(root)", message: issue.message };
  });
}
