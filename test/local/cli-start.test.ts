/** `churnwatch start` as a user runs it: a real process, stopped by a signal or killed outright. */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../local/paths.js";

// A working directory of its own: the default data directory (.churnwatch) lives under it, and
// the repository's must not be emptied by a test while someone runs `npm start` there.
const workDir = mkdtempSync(join(tmpdir(), "churnwatch-cli-"));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

function childrenOf(pid: number | undefined, name?: string): number[] {
  if (pid === undefined) return [];
  try {
    return execFileSync("pgrep", ["-P", String(pid), ...(name ? ["-x", name] : [])], {
      encoding: "utf8",
    })
      .split("\n")
      .filter(Boolean)
      .map(Number);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

/** Running, not a zombie (a container's pid 1 may never reap what it inherits). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

async function startCli(): Promise<{
  child: ChildProcess;
  banner: () => string;
  stderr: () => string;
}> {
  const child = spawn(process.execPath, [join(REPO_ROOT, "local/cli.js"), "start", "--port", "0"], {
    cwd: workDir,
    env: { ...process.env, CHURNWATCH_API_KEY: "", PORT: "" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout?.on("data", (chunk) => {
    out += chunk;
  });
  child.stderr?.on("data", (chunk) => {
    err += chunk;
  });
  const deadline = Date.now() + 30_000;
  while (!out.includes("Press Ctrl-C to stop.")) {
    if (Date.now() > deadline || child.exitCode !== null)
      throw new Error(`not ready: ${out}${err}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { child, banner: () => out, stderr: () => err };
}

function exited(child: ChildProcess): Promise<number | null> {
  return child.exitCode !== null
    ? Promise.resolve(child.exitCode)
    : new Promise((resolve) => child.once("exit", (code) => resolve(code)));
}

describe("churnwatch start", () => {
  it("prints where it listens, serves, and stops cleanly on SIGTERM with exit code 0", async () => {
    const { child, banner, stderr } = await startCli();
    const url = /API\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(banner())?.[1];
    expect(banner()).toMatch(/ready in \d+\.\d s/);
    expect(banner()).toContain("curl -s -X POST");
    const health = await fetch(`${url}/health`);
    expect(health.status).toBe(200);
    const watchdogs = childrenOf(child.pid, "sh");
    const jvms = watchdogs.flatMap((pid) => childrenOf(pid, "java"));
    expect(jvms.length).toBeGreaterThan(0);

    child.kill("SIGTERM");
    expect(await exited(child)).toBe(0);
    expect(stderr()).toContain("stopped");
    expect([...watchdogs, ...jvms].filter(alive)).toEqual([]);
  });

  it("leaves no JVM behind even when it is killed without a chance to stop", async () => {
    const { child } = await startCli();
    const jvms = childrenOf(child.pid, "sh").flatMap((pid) => childrenOf(pid, "java"));
    expect(jvms.length).toBeGreaterThan(0);
    child.kill("SIGKILL");
    await exited(child);
    const deadline = Date.now() + 5_000;
    while (jvms.some(alive) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(jvms.filter(alive)).toEqual([]);
  });
});
