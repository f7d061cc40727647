import { describe, expect, it } from "vitest";
import {
  type ContactRecord,
  chooseChannel,
  consentSummary,
  contactRequestSchema,
  isDeliverable,
  keepUndeliverableMarks,
  parseChannelPreference,
  toContactRecord,
} from "../../lambdas/domain/contact.js";

const now = new Date("2026-11-01T00:00:00Z");

function record(body: unknown) {
  return toContactRecord("app", "u1", contactRequestSchema.parse(body), now);
}

describe("contact and consent", () => {
  it("chooses the first consented channel in preference order", () => {
    const contact = record({
      channels: {
        sms: { phone: "+8613800138000", consent: { granted: true } },
        email: { address: "a@example.com", consent: { granted: false } },
      },
    });
    expect(chooseChannel(contact, ["email", "push", "sms"])).toBe("sms");
    expect(chooseChannel(contact, ["email", "push"])).toBeUndefined();
    expect(chooseChannel(undefined, ["email"])).toBeUndefined();
  });

  it("stamps consent with the request time and source when the client gives none", () => {
    const contact = record({
      channels: { email: { address: "a@example.com", consent: { granted: true } } },
    });
    expect(contact.email?.consent).toEqual({ granted: true, at: now.toISOString(), source: "api" });
  });

  it.each([
    ["a bad time zone", { timezone: "Mars/Olympus", channels: {} }, "timezone"],
    [
      "a local phone number",
      { channels: { sms: { phone: "13800138000", consent: { granted: true } } } },
      "channels.sms.phone",
    ],
    ["an unknown channel", { channels: { fax: {} } }, "channels"],
    [
      "consent that is not a boolean",
      { channels: { email: { address: "a@example.com", consent: { granted: "yes" } } } },
      "channels.email.consent.granted",
    ],
  ])("refuses %s", (_, body, field) => {
    const parsed = contactRequestSchema.safeParse(body);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((i) => i.path.join("."))).toContain(field);
  });

  it("never shows addresses in the consent summary", () => {
    const summary = consentSummary(
      record({
        channels: { email: { address: "secret@example.com", consent: { granted: true } } },
      }),
    );
    expect(JSON.stringify(summary)).not.toContain("secret@example.com");
    expect(summary.email).toEqual(expect.objectContaining({ reachable: true }));
    expect(summary.sms).toEqual({ reachable: false, consent: null });
  });

  it("refuses a preference naming an unknown channel", () => {
    expect(parseChannelPreference("email, sms")).toEqual(["email", "sms"]);
    expect(() => parseChannelPreference("email,fax")).toThrow(/fax/);
  });

  describe("undeliverable marks", () => {
    const bounced = { reason: "bounce", at: "2026-11-02T00:00:00.000Z" } as const;
    const base = record({
      channels: {
        email: { address: "a@example.com", consent: { granted: true } },
        sms: { phone: "+8613800138000", consent: { granted: true } },
        push: { token: "tok", platform: "ios", consent: { granted: true } },
      },
    });
    const marked: ContactRecord = {
      ...base,
      email: { ...(base.email as NonNullable<ContactRecord["email"]>), undeliverable: bounced },
    };

    it("a PUT never carries a mark: a new address starts deliverable", () => {
      expect(base.email).not.toHaveProperty("undeliverable");
      expect(base.sms).not.toHaveProperty("undeliverable");
      expect(base.push).not.toHaveProperty("undeliverable");
      expect(isDeliverable(base, "email")).toBe(true);
    });

    it("a marked channel is not deliverable; the others still are", () => {
      expect(isDeliverable(marked, "email")).toBe(false);
      expect(isDeliverable(marked, "sms")).toBe(true);
      expect(isDeliverable(marked, "push")).toBe(true);
      expect(isDeliverable(undefined, "email")).toBe(false);
      expect(isDeliverable(record({ channels: {} }), "sms")).toBe(false);
    });

    it("the summary shows the mark, still without the address", () => {
      const summary = consentSummary(marked);
      expect(summary.email).toEqual({
        reachable: false,
        consent: base.email?.consent,
        undeliverable: bounced,
      });
      expect(summary.sms).toEqual({ reachable: true, consent: base.sms?.consent });
      expect(JSON.stringify(summary)).not.toContain("a@example.com");
    });

    it("keeps a mark across a PUT of the same address, not of a new one", () => {
      const same = record({
        channels: { email: { address: "a@example.com", consent: { granted: true } } },
      });
      const changed = record({
        channels: { email: { address: "b@example.com", consent: { granted: true } } },
      });
      expect(keepUndeliverableMarks(marked, same).email?.undeliverable).toEqual(bounced);
      expect(keepUndeliverableMarks(marked, changed).email).not.toHaveProperty("undeliverable");
      expect(keepUndeliverableMarks(undefined, same)).toBe(same);
    });
  });
});
