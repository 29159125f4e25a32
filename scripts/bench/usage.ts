// Preloaded (`node --import`) into every process the benchmark measures: when
// the process exits, it writes its peak resident memory and CPU time to the
// file named by COUNTERSIGHT_BENCH_USAGE. Both are process-wide, so they
// include worker threads; the main thread alone writes them, last.

import { writeFileSync } from "node:fs";
import { isMainThread } from "node:worker_threads";

/** What a measured process reports about itself. */
export interface ProcessUsage {
  /** Peak resident set size (getrusage ru_maxrss), in bytes. */
  maxRssBytes: number;
  /** User plus system CPU time of all threads, in seconds. */
  cpuSeconds: number;
}

export const USAGE_FILE_ENV = "COUNTERSIGHT_BENCH_USAGE";

const path = process.env[USAGE_FILE_ENV];
if (path && isMainThread) {
  process.on("exit", () => {
    const usage = process.resourceUsage();
    const report: ProcessUsage = {
      maxRssBytes: usage.maxRSS * 1024,
      cpuSeconds: (usage.userCPUTime + usage.systemCPUTime) / 1e6,
    };
    writeFileSync(path, JSON.stringify(report));
  });
}
