import { randomUUID } from "node:crypto";
import { appendFile, mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import type { ChannelProvider, OutboundMessage } from "../../ports.js";

/** One line of the local outbox: what a real provider would have been asked to send. */
export interface OutboxEntry {
  readonly id: string;
  readonly at: string;
  readonly channel: OutboundMessage["channel"];
  readonly appId: string;
  readonly userId: string;
  readonly to: string;
  readonly subject?: string;
  readonly body: string;
  readonly dedupeKey: string;
}

/** Local mode's stand-in for SMS, e-mail and push: appends JSON lines to a file. */
export class OutboxProvider implements ChannelProvider {
  constructor(
    private readonly path: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async send(message: OutboundMessage) {
    const entry: OutboxEntry = {
      id: randomUUID(),
      at: this.now().toISOString(),
      channel: message.channel,
      appId: message.appId,
      userId: message.userId,
      to: message.to,
      ...(message.content.subject ? { subject: message.content.subject } : {}),
      body: message.content.text,
      dedupeKey: message.dedupeKey,
    };
    await mkdir(dirname(this.path), { recursive: true });
    await appendFile(this.path, `${JSON.stringify(entry)}\n`, "utf8");
    return { providerMessageId: entry.id };
  }
}
