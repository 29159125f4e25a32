// `npm run data`: daily report files → the aggregates the site reads.
// The edge of the pipeline: it parses options, prints progress and a summary,
// and turns errors into messages and exit codes (0 ok, 1 failed run, 2 usage).

import { cpus } from "node:os";
import { parseDataOptions, USAGE, UsageError } from "../src/pipeline/options.ts";
import { createProgress } from "../src/pipeline/progress.ts";
import { formatBytes } from "../src/pipeline/units.ts";
import { RunError, runData, type RunSummary } from "../src/pipeline/run.ts";

function summarize(summary: RunSummary, seconds: number): string {
  const { days, index } = summary;
  const count = (status: string) => days.filter((day) => day.status === status).length;
  const rejected = new Map<string, number>();
  let lines = 0;
  let accepted = 0;
  let bytes = 0;
  for (const day of days) {
    lines += day.lines;
    accepted += day.accepted;
    bytes += day.bytes;
    for (const [reason, n] of Object.entries(day.rejected))
      rejected.set(reason, (rejected.get(reason) ?? 0) + (n ?? 0));
  }
  const out = [
    `days      ${days.length} in ${index.range.start}…${index.range.end}: ${count("ok")} ok, ${count("missing")} missing, ${count("failed")} failed` +
      ` (${summary.aggregatedDays} aggregated, ${summary.cachedDays} from cache)`,
    `input     ${formatBytes(bytes)}, ${lines} lines, ${accepted} accepted, ${index.reports} distinct reports`,
    `rejected  ${rejected.size === 0 ? "none" : [...rejected].map(([reason, n]) => `${reason} ${n}`).join(", ")}`,
    `charts    ${index.charts.length} for ${index.programs.length} programs`,
    `output    ${summary.out}/index.json, all.csv, days.json, charts/*.csv|json`,
    `time      ${seconds.toFixed(1)} s`,
  ];
  for (const day of days.filter((d) => d.status === "failed")) out.push(`failed    ${day.error}`);
  if (summary.ignoredFiles.length > 0) {
    out.push(
      `ignored   ${summary.ignoredFiles
        .slice(0, 5)
        .map((file) => `${file.name} (${file.reason})`)
        .join(", ")}${summary.ignoredFiles.length > 5 ? ", …" : ""}`,
    );
  }
  return out.join("\n");
}

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
    console.log(summarize(summary, (performance.now() - started) / 1000));
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
