// Runs one measured child process: its wall time (spawn to exit, as seen from
// here, so Node's own start-up counts), and the peak memory and CPU time it
// reports about itself through usage.mjs.

import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { USAGE_FILE_ENV } from "./usage.mjs";

/** What a measured process reports about itself (usage.mjs). */
export interface ProcessUsage {
  /** Peak resident set size (getrusage ru_maxrss), in bytes. */
  maxRssBytes: number;
  /** User plus system CPU time of all threads, in seconds. */
  cpuSeconds: number;
}

export interface Measurement extends ProcessUsage {
  wallSeconds: number;
  stdout: string;
}

const USAGE_MODULE = new URL("./usage.mjs", import.meta.url).href;

/**
 * Runs `node <args>` with this Node (the project's Node 22 under npm) and
 * usage.mjs preloaded. Rejects, with the child's stderr, when it exits non-zero.
 */
export async function measure(args: readonly string[], cwd: string): Promise<Measurement> {
  const dir = mkdtempSync(join(tmpdir(), "countersight-usage-"));
  const usageFile = join(dir, "usage.json");
  try {
    const started = performance.now();
    const child = spawn(process.execPath, ["--import", USAGE_MODULE, ...args], {
      cwd,
      env: { ...process.env, [USAGE_FILE_ENV]: usageFile },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (text: string) => (stdout += text));
    child.stderr.setEncoding("utf8").on("data", (text: string) => (stderr += text));
    const code = await new Promise<number | null>((resolve, reject) => {
      child.on("error", reject);
      child.on("close", resolve);
    });
    const wallSeconds = (performance.now() - started) / 1000;
    if (code !== 0) {
      throw new Error(`node ${args.join(" ")} exited with ${code}:\n${stderr.trim()}`);
    }
    const usage = JSON.parse(readFileSync(usageFile, "utf8")) as ProcessUsage;
    return { ...usage, wallSeconds, stdout };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
