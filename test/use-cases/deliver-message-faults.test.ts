import { describe, expect, it } from "vitest";
import type { ContactRecord } from "../../lambdas/domain/contact.js";
import type { RetentionMessage } from "../../lambdas/domain/retention.js";
import type {
  ChannelProvider,
  ContactStore,
  DeliveryLedger,
  DeliveryOutcome,
  ErasureRegistry,
  OutboundMessage,
} from "../../lambdas/ports.js";
import { deliverMessage } from "../../lambdas/use-cases/deliver-message.js";
import { InMemoryActionLedger, PERMISSIVE_SEND_RULES } from "../support/action-fakes.js";
import { seededRandom, withFaults } from "../support/faults.js";

/** The DynamoDB ledger's claim semantics, in memory. */
class InMemoryLedger implements DeliveryLedger {
  readonly entries = new Map<string, { status: string; leaseUntil: number }>();
  history: string[] = [];
  constructor(private readonly now: () => number) {}
  async claim(message: RetentionMessage, leaseMs: number) {
    const entry = this.entries.get(message.dedupeKey);
    const free =
      !entry ||
      entry.status === "failed" ||
      (entry.status === "sending" && entry.leaseUntil < this.now());
    if (!free) return entry.status === "sending" ? ("in-progress" as const) : ("done" as const);
    this.entries.set(message.dedupeKey, { status: "sending", leaseUntil: this.now() + leaseMs });
    return "claimed" as const;
  }
  async record(message: RetentionMessage, outcome: DeliveryOutcome) {
    const entry = this.entries.get(message.dedupeKey);
    this.entries.set(message.dedupeKey, {
      status: outcome.status,
      leaseUntil: entry?.leaseUntil ?? 0,
    });
    this.history.push(`${message.dedupeKey}:${outcome.status}`);
  }
}

class CountingProvider implements ChannelProvider {
  readonly sent = new Map<string, number>();
  async send(message: OutboundMessage) {
    this.sent.set(message.dedupeKey, (this.sent.get(message.dedupeKey) ?? 0) + 1);
    return { providerMessageId: `p-${message.dedupeKey}` };
  }
}

const contact: ContactRecord = {
  appId: "shop",
  userId: "u",
  locale: "en",
  email: {
    address: "u@example.com",
    consent: { granted: true, at: "2026-01-01T00:00:00Z", source: "api" },
  },
  updatedAt: "2026-01-01T00:00:00Z",
};
const contacts: ContactStore = {
  get: async () => contact,
  put: async () => {},
  markUndeliverable: async () => true,
};
const noErasures: ErasureRegistry = {
  recordErasure: async () => {},
  erasedAt: async () => new Map(),
};

function message(index: number): RetentionMessage {
  return {
    v: 1,
    warningId: `w${index}`,
    appId: "shop",
    userId: `u${index}`,
    channel: "email",
    dedupeKey: `w${index}|email|step1`,
    reasons: [{ code: "no_login", severity: "high", params: { days: 31, thresholdDays: 30 } }],
    plannedAt: "2026-11-01T00:00:00Z",
  };
}

describe("deliverMessage under injected faults", () => {
  it.each([1, 2, 3, 4, 5, 6, 7, 8])(
    "sends every message, and twice only where the send could not be recorded (seed %i)",
    async (seed) => {
      const random = seededRandom(seed);
      let clock = 0;
      const ledger = new InMemoryLedger(() => clock);
      const provider = new CountingProvider();
      const unrecorded = new Set<string>();
      const deps = {
        contacts: withFaults(contacts, { get: 0.1 }, random),
        ledger: withFaults(ledger as DeliveryLedger, { claim: 0.1, record: 0.25 }, random),
        provider: withFaults(provider as ChannelProvider, { send: 0.3 }, random),
        erasures: noErasures,
        slots: new InMemoryActionLedger(),
        deferred: new InMemoryActionLedger(),
        rules: PERMISSIVE_SEND_RULES,
        now: () => new Date(Date.UTC(2026, 10, 1, 12) + clock),
        leaseMs: 25_000,
        onRecordFailure: (m: RetentionMessage) => unrecorded.add(m.dedupeKey),
      };
      const messages = Array.from({ length: 40 }, (_, i) => message(i));
      let pending = [...messages];
      for (let round = 0; round < 40 && pending.length > 0; round += 1) {
        const failed: RetentionMessage[] = [];
        // SQS redelivers what failed, and now and then something that already succeeded.
        const delivered = messages.filter((m) => !pending.includes(m));
        const redelivered = delivered.filter(() => random() < 0.2);
        for (const m of [...pending, ...redelivered]) {
          try {
            await deliverMessage(m, deps);
          } catch {
            if (pending.includes(m)) failed.push(m);
          }
        }
        pending = failed;
        // Failed messages come back after the visibility timeout (180 s), past any lease.
        clock += 180_000;
      }
      expect(pending).toEqual([]);
      for (const m of messages) {
        const sends = provider.sent.get(m.dedupeKey) ?? 0;
        expect(sends, m.dedupeKey).toBeGreaterThanOrEqual(1);
        if (sends > 1) expect(unrecorded.has(m.dedupeKey), m.dedupeKey).toBe(true);
      }
      expect(ledger.history.some((h) => h.endsWith(":failed"))).toBe(true);
    },
  );
});
