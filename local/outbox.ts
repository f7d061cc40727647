/**
 * The local stand-in for SMS, e-mail and push providers: the sender handlers append one JSON line
 * per message to OUTBOX_PATH. Local mode only prepares and reads the file.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname } from "node:path";

import type { OutboxEntry } from "../lambdas/adapters/providers/outbox-provider.js";

export type { OutboxEntry };

/** A marketing notification as local mode's outbox holds it (digest or alert). */
export interface MarketingLine {
  readonly at: string;
  readonly kind: string;
  readonly subject: string;
}

export interface OutboxSummary {
  readonly total: number;
  readonly byChannel: Readonly<Record<string, number>>;
  /** Newest first. */
  readonly recent: readonly OutboxEntry[];
  readonly marketing: { readonly total: number; readonly recent: readonly MarketingLine[] };
}

function asMarketingLine(line: string): MarketingLine | undefined {
  try {
    const value = JSON.parse(line) as {
      kind?: unknown;
      at?: unknown;
      subject?: unknown;
      attributes?: { kind?: unknown };
    } | null;
    if (value?.kind !== "marketing") return undefined;
    return {
      at: String(value.at ?? ""),
      kind: String(value.attributes?.kind ?? "marketing"),
      subject: String(value.subject ?? ""),
    };
  } catch {
    return undefined;
  }
}

/**
 * Creates the file; `fresh` empties it. Without --data-dir the database lives in memory, so sends
 * left from an earlier run would describe users that no longer exist.
 */
export function prepareOutbox(path: string, fresh: boolean): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, "", { flag: fresh ? "w" : "a" });
}

function asEntry(line: string): OutboxEntry | undefined {
  try {
    const value = JSON.parse(line) as Partial<OutboxEntry> | null;
    if (!value || typeof value !== "object" || typeof value.channel !== "string") return undefined;
    return {
      id: String(value.id ?? ""),
      at: String(value.at ?? ""),
      channel: value.channel,
      appId: String(value.appId ?? ""),
      userId: String(value.userId ?? ""),
      to: String(value.to ?? ""),
      ...(typeof value.subject === "string" ? { subject: value.subject } : {}),
      body: String(value.body ?? ""),
      dedupeKey: String(value.dedupeKey ?? ""),
    };
  } catch {
    return undefined; // a line being appended right now, or hand-edited: skip it
  }
}

export async function readOutbox(path: string, recentLimit = 20): Promise<OutboxSummary> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") {
      return { total: 0, byChannel: {}, recent: [], marketing: { total: 0, recent: [] } };
    }
    throw error;
  }
  const lines = text.split("\n").filter((line) => line.trim() !== "");
  const entries = lines.map(asEntry).filter((entry): entry is OutboxEntry => entry !== undefined);
  const marketing = lines
    .map(asMarketingLine)
    .filter((line): line is MarketingLine => line !== undefined);
  const byChannel: Record<string, number> = {};
  for (const entry of entries) byChannel[entry.channel] = (byChannel[entry.channel] ?? 0) + 1;
  return {
    total: entries.length,
    byChannel,
    recent: entries.slice(-recentLimit).reverse(),
    marketing: { total: marketing.length, recent: marketing.slice(-recentLimit).reverse() },
  };
}
