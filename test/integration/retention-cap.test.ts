/**
 * The global frequency cap holds under concurrency: warnings for one user planned at once, each
 * routed by the policy to a different channel, so three senders race for the last slots.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ENV } from "../../lambdas/shared/env-names.js";
import { startLocal } from "../../local/index.js";
import {
  granted,
  type Local,
  retentionHarness,
  warningFor,
  zoneWithLocalHour,
} from "../support/retention-local.js";

/** One rule per tier, each with its own channel and campaign; nobody held out. */
const POLICY = {
  experiment: { id: "cap-test", controlShare: 0, variants: [{ id: "A", weight: 1 }] },
  rules: [
    { id: "by-sms", match: { riskTier: ["medium"] }, channels: ["sms"], template: "we_miss_you" },
    { id: "by-push", match: { riskTier: ["high"] }, channels: ["push"], template: "we_miss_you" },
    {
      id: "by-email",
      match: { riskTier: ["critical"] },
      channels: ["email"],
      template: "we_miss_you",
    },
  ],
};

let local: Local;
let dataDir: string;
const h = retentionHarness(() => local);
const previous = process.env[ENV.retentionPolicy];

beforeAll(async () => {
  process.env[ENV.retentionPolicy] = JSON.stringify(POLICY);
  dataDir = await mkdtemp(join(tmpdir(), "churnwatch-cap-"));
  local = await startLocal({ port: 0, dataDir, schedules: false });
});

afterAll(async () => {
  h.destroy();
  await local?.stop();
  await rm(dataDir, { recursive: true, force: true });
  if (previous === undefined) delete process.env[ENV.retentionPolicy];
  else process.env[ENV.retentionPolicy] = previous;
});

describe("global frequency cap", () => {
  it("lets two of three concurrent warnings for one user through (default: 2 per 7 days)", async () => {
    const users = ["cap-1", "cap-2", "cap-3", "cap-4"];
    for (const userId of users) {
      await h.api("PUT", `/v1/users/${userId}/contact`, {
        timezone: zoneWithLocalHour(new Date(), 13),
        channels: {
          email: { address: `${userId}@example.com`, consent: granted },
          sms: { phone: "+8613800000200", consent: granted },
          push: { token: `token-${userId}`, platform: "android", consent: granted },
        },
      });
    }
    await h.warn(
      users.flatMap((userId) => [
        warningFor(userId, { tier: "medium" }),
        warningFor(userId, { tier: "high" }),
        warningFor(userId, { tier: "critical" }),
      ]),
    );
    await local.waitForIdle();
    for (const userId of users) {
      const sent = await h.sentTo(userId);
      expect(sent, userId).toHaveLength(2);
      const outcomes = (await h.deliveries(userId)).map((item) => item.status).sort();
      expect(outcomes, userId).toEqual(["sent", "sent", "suppressed"]);
      const capped = (await h.deliveries(userId)).find((item) => item.status === "suppressed");
      expect(capped?.reason).toBe("frequency_cap");
    }
  });
});
