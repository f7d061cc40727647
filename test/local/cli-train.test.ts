import { describe, expect, it } from "vitest";
import type { CliIo } from "../../local/cli/io.js";
import { runCli } from "../../local/cli/run.js";

function fakeIo() {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { stdout: (text) => out.push(text), stderr: (text) => err.push(text), env: {} };
  return { io, out: () => out.join(""), err: () => err.join("") };
}

describe("churnwatch train: bad flags", () => {
  // Refused before any request: the URL points nowhere, so reaching the server would fail otherwise.
  const base = ["train", "--as-of", "2026-08-24", "--horizon", "30", "--url", "http://127.0.0.1:9"];

  it.each([
    [
      ["--algorithm", "random-forest"],
      /--algorithm must be auto, logistic or boosted-trees, got "random-forest"/,
    ],
    [["--snapshots", "0"], /--snapshots must be 1–24, got "0"/],
    [["--label", "orders"], /--label must be activity or purchase, got "orders"/],
  ])("%j exits 2 naming the flag", async (flags, message) => {
    const { io, err } = fakeIo();
    expect(await runCli([...base, ...flags], io)).toBe(2);
    expect(err()).toMatch(message);
  });

  it("lists --algorithm in its help", async () => {
    const { io, out } = fakeIo();
    expect(await runCli(["train", "--help"], io)).toBe(0);
    expect(out()).toMatch(/--algorithm A\s+auto \(default\), logistic or boosted-trees/);
  });
});
