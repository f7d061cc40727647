import { readFile, rename, writeFile } from "node:fs/promises";

interface OutboxLine {
  readonly appId?: unknown;
  readonly userId?: unknown;
  readonly kind?: unknown;
  readonly body?: unknown;
  readonly attributes?: Record<string, unknown>;
}

/**
 * A digest's table of high-value users (lambdas/domain/marketing.ts `digestFor`): a header, a
 * `---+---` rule, then one row per user, cells joined by " | " — `#`, user, app, … — up to the
 * first blank line. User and app IDs have no spaces, so splitting on " | " is safe. Drops the
 * user's rows and numbers the rest again; returns the body unchanged when no row names the user.
 */
function redactDigestBody(body: string, appId: string, userId: string): string {
  const lines = body.split("\n");
  const rule = lines.findIndex((line) => /^ {2}-+(-\+-+)+$/.test(line));
  if (rule < 1) return body;
  let end = rule + 1;
  while (end < lines.length && (lines[end] ?? "").trim() !== "") end += 1;
  const rows = lines.slice(rule + 1, end);
  const kept = rows.filter((row) => {
    const cells = row.split(" | ").map((cell) => cell.trim());
    return !(cells[1] === userId && cells[2] === appId);
  });
  if (kept.length === rows.length) return body;
  const renumbered = kept.map((row, index) => {
    const match = /^( {2})(\d+)(\s*) \| /.exec(row);
    if (!match) return row;
    const width = (match[2] ?? "").length + (match[3] ?? "").length;
    return `${match[1]}${String(index + 1).padEnd(width)} | ${row.slice(match[0].length)}`;
  });
  return [...lines.slice(0, rule + 1), ...renumbered, ...lines.slice(end)].join("\n");
}

/** The digest's `topUsers` attribute (a JSON list) without the user; unchanged if not listed. */
function redactTopUsers(topUsers: string, appId: string, userId: string): string {
  let users: unknown;
  try {
    users = JSON.parse(topUsers);
  } catch {
    return topUsers;
  }
  if (!Array.isArray(users)) return topUsers;
  const kept = users.filter(
    (user: { appId?: unknown; userId?: unknown } | null) =>
      !(user?.appId === appId && user?.userId === userId),
  );
  return kept.length === users.length ? topUsers : JSON.stringify(kept);
}

/**
 * What becomes of one outbox line: dropped when it is about the user (a message to them, or a
 * marketing alert about them: both carry the user at the top level), rewritten when it is a
 * marketing digest that lists them among other users, kept as it is otherwise.
 */
function eraseFromLine(
  line: string,
  appId: string,
  userId: string,
): { action: "drop" } | { action: "keep" } | { action: "rewrite"; line: string } {
  let entry: OutboxLine;
  try {
    entry = JSON.parse(line) as OutboxLine;
  } catch {
    return { action: "keep" };
  }
  if (entry.appId === appId && entry.userId === userId) return { action: "drop" };
  const attributes = entry.attributes;
  if (entry.kind !== "marketing" || attributes?.kind !== "digest") return { action: "keep" };
  const body = typeof entry.body === "string" ? entry.body : undefined;
  const topUsers = typeof attributes.topUsers === "string" ? attributes.topUsers : undefined;
  const newBody = body === undefined ? undefined : redactDigestBody(body, appId, userId);
  const newTopUsers = topUsers === undefined ? undefined : redactTopUsers(topUsers, appId, userId);
  if (newBody === body && newTopUsers === topUsers) return { action: "keep" };
  const rewritten = {
    ...entry,
    ...(newBody === undefined ? {} : { body: newBody }),
    attributes: { ...attributes, ...(newTopUsers === undefined ? {} : { topUsers: newTopUsers }) },
  };
  return { action: "rewrite", line: JSON.stringify(rewritten) };
}

/**
 * Erases a user from the local outbox file: the lines about the user go (messages sent to them,
 * marketing alerts about them), and marketing digests that list them keep their line without
 * them. Returns how many lines it removed or rewrote.
 */
export async function eraseFromOutbox(
  path: string,
  appId: string,
  userId: string,
): Promise<number> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return 0;
    throw error;
  }
  const lines = text.split("\n").filter((line) => line.trim() !== "");
  const kept: string[] = [];
  let changed = 0;
  for (const line of lines) {
    const outcome = eraseFromLine(line, appId, userId);
    if (outcome.action === "keep") {
      kept.push(line);
    } else {
      changed += 1;
      if (outcome.action === "rewrite") kept.push(outcome.line);
    }
  }
  if (changed === 0) return 0;
  // Write aside and rename, so a crash never leaves a half-written outbox.
  const temporary = `${path}.erasing`;
  await writeFile(temporary, kept.map((line) => `${line}\n`).join(""), "utf8");
  await rename(temporary, path);
  return changed;
}
