import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { CliIo } from "../../local/cli/io.js";
import { runCli } from "../../local/cli/run.js";
import { cdnowDir } from "../domain/models/cdnow.js";

function fakeIo() {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { stdout: (text) => out.push(text), stderr: (text) => err.push(text), env: {} };
  return { io, out: () => out.join(""), err: () => err.join("") };
}

describe("churnwatch fit", () => {
  it("fits the purchase models and Gamma-Gamma on a cbs CSV and says they converged", async () => {
    const { io, out } = fakeIo();
    const file = join(cdnowDir(), "cdnow_customers_summary_with_transactions.csv");
    expect(await runCli(["fit", "--cbs", file, "--json"], io)).toBe(0);
    const fits = JSON.parse(out()) as {
      model: string;
      fit: { params: Record<string, number>; converged: boolean };
    }[];
    expect(fits.map((f) => f.model)).toEqual(["bg-nbd", "mbg-nbd", "pareto-nbd", "gamma-gamma"]);
    expect(fits.every((f) => f.fit.converged)).toBe(true);
    expect(fits[0]?.fit.params.r).toBeCloseTo(0.2426, 3);
    expect(fits[3]?.fit.params.p).toBeCloseTo(6.25, 1);
  });

  it("exits 1 and says why when a model cannot be fitted", async () => {
    const dir = await mkdtemp(join(tmpdir(), "churnwatch-fit-"));
    try {
      const file = join(dir, "nobody-returns.csv");
      await writeFile(file, "cust,x,t_x,T\n1,0,0,10\n2,0,0,20\n3,0,0,30\n");
      const { io, out } = fakeIo();
      expect(await runCli(["fit", "--cbs", file], io)).toBe(1);
      expect(out()).toMatch(/NOT converged: /);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it.each([
    [["fit", "--cbs", ""], /--cbs needs a file/, 2],
    [["fit", "--calibration-end", "1997-02-30"], /--calibration-end: .*not a calendar date/, 2],
    [
      ["fit", "--cbs", "x.csv", "--user-prefix", "a"],
      /--user-prefix is for fitting on the store/,
      2,
    ],
    [["fit", "--cbs", "/no/such/file.csv"], /cannot read \/no\/such\/file.csv/, 1],
  ] as const)("%j fails with a clear message", async (argv, message, code) => {
    const { io, err } = fakeIo();
    expect(await runCli([...argv], io)).toBe(code);
    expect(err()).toMatch(message);
  });
});
