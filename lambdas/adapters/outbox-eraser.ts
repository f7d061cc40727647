import { readFile, rename, writeFile } from "node:fs/promises";

/** Removes a user's lines from the local outbox file; returns how many it removed. */
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
  const kept = lines.filter((line) => {
    try {
      const entry = JSON.parse(line) as { appId?: unknown; userId?: unknown };
      return !(entry.appId === appId && entry.userId === userId);
    } catch {
      return true;
    }
  });
  if (kept.length === lines.length) return 0;
  // Write aside and rename, so a crash never leaves a half-written outbox.
  const temporary = `${path}.erasing`;
  await writeFile(temporary, kept.map((line) => `${line}\n`).join(""), "utf8");
  await rename(temporary, path);
  return lines.length - kept.length;
}
