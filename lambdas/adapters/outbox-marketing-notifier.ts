import { randomUUID } from "node:crypto";
import { appendFile, mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import type { MarketingAttributes, MarketingNotification } from "../domain/marketing.js";
import type { MarketingNotifier } from "../marketing-ports.js";

/**
 * One marketing line of the local outbox. It shares the file with the channel senders' lines
 * (OutboxEntry in providers/outbox-provider.ts), which have a `channel` and no `kind`.
 */
export interface MarketingOutboxEntry {
  readonly id: string;
  readonly at: string;
  readonly kind: "marketing";
  /** An alert's user, at the top level like the senders' lines, so erasing the user drops it. */
  readonly appId?: string;
  readonly userId?: string;
  readonly subject: string;
  readonly body: string;
  readonly attributes: MarketingAttributes;
}

/** Local mode's stand-in for the marketing topic: appends a JSON line to the outbox file. */
export class OutboxMarketingNotifier implements MarketingNotifier {
  constructor(
    private readonly path: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async notify(notification: MarketingNotification): Promise<void> {
    const entry: MarketingOutboxEntry = {
      id: randomUUID(),
      at: this.now().toISOString(),
      kind: "marketing",
      ...(notification.json.kind === "alert"
        ? { appId: notification.json.appId, userId: notification.json.userId }
        : {}),
      subject: notification.subject,
      body: notification.body,
      attributes: notification.attributes,
    };
    await mkdir(dirname(this.path), { recursive: true });
    await appendFile(this.path, `${JSON.stringify(entry)}\n`, "utf8");
  }
}
