// Preloaded (`node --import`) into every process the benchmark measures: when
// the process exits, it writes its peak resident memory and CPU time to the
// file named by COUNTERSIGHT_BENCH_USAGE. Both are process-wide, so they
// include worker threads; the main thread alone writes them, last.
// Plain JavaScript: a TypeScript hook would load Node's type stripper into every
// measured process (about 35 MB), which `npm run data` itself does not do.

import { writeFileSync } from "node:fs";
import { isMainThread } from "node:worker_threads";

export const USAGE_FILE_ENV = "COUNTERSIGHT_BENCH_USAGE";

const path = process.env[USAGE_FILE_ENV];
if (path && isMainThread) {
  process.on("exit", () => {
    const usage = process.resourceUsage();
    // ProcessUsage (measure.ts): peak RSS in bytes, user + system CPU seconds.
    const report = {
      maxRssBytes: usage.maxRSS * 1024,
      cpuSeconds: (usage.userCPUTime + usage.systemCPUTime) / 1e6,
    };
    writeFileSync(path, JSON.stringify(report));
  });
}
