// `npm run data`: daily report files → the aggregates the site reads.
// The edge of the pipeline: it parses options, prints progress and a summary,
// and turns errors into messages and exit codes (0 ok, 1 failed run, 2 usage).

import { cpus } from "node:os";
import { parseDataOptions, USAGE, UsageError } from "../src/pipeline/options.ts";
import { createProgress } from "../src/pipeline/progress.ts";
import { RunError, runData } from "../src/pipeline/run.ts";
import { formatRunReport } from "../src/pipeline/run-report.ts";

async function main(): Promise<number> {
  let options;
  try {
    options = parseDataOptions(process.argv.slice(2), Boolean(process.stderr.isTTY), cpus().length);
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`${error.message}\n\n${USAGE}`);
      return 2;
    }
    throw error;
  }
  if (options === "help") {
    console.log(USAGE);
    return 0;
  }
  const started = performance.now();
  try {
    const summary = await runData(options, {
      progress: createProgress(options.progress, process.stderr),
      now: new Date(),
    });
    console.log(formatRunReport(summary, (performance.now() - started) / 1000));
    return 0;
  } catch (error) {
    if (error instanceof RunError) {
      console.error(`npm run data: ${error.message}`);
      return 1;
    }
    throw error;
  }
}

process.exitCode = await main();
