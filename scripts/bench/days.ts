// Between the floor and the full run: every day file through processDay
// (decode → validate → aggregate → serialise) in this thread, and nothing
// else: no cache, no series, no export. The gap to the floor is validation and
// aggregation; the gap to the full run is everything around them.
//
//   node --experimental-strip-types scripts/bench/days.ts DIR FIRST_DATE LAST_DATE
//
// Prints one JSON line: files, and lines accepted.

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { buildPlan, planCharts } from "../../src/pipeline/aggregate.ts";
import { parseChartConfig } from "../../src/pipeline/chartconfig.ts";
import { processDay } from "../../src/pipeline/day.ts";
import { DEFAULT_LIMITS } from "../../src/pipeline/decode.ts";
import { compileUploadConfig, parseUploadConfig } from "../../src/pipeline/uploadconfig.ts";

function main(): void {
  const [dir, first, last] = process.argv.slice(2);
  if (!dir || !first || !last) throw new Error("usage: days.ts DIR FIRST_DATE LAST_DATE");
  const charts = parseChartConfig(readFileSync("data/charts.txt", "utf8"), "data/charts.txt");
  const upload = parseUploadConfig(readFileSync("data/uploadconfig.json", "utf8"), "data/uploadconfig.json");
  if (!charts.ok || !upload.ok) throw new Error("data/charts.txt or data/uploadconfig.json does not parse");
  let charted = 0;
  const plan = buildPlan(
    planCharts({
      upload: upload.config,
      chartConfigs: charts.charts,
      chartId: (program, name) => `${program}--${name}--${charted++}`,
    }),
  );
  const policy = { uploadConfig: compileUploadConfig(upload.config, true) };
  const names = readdirSync(dir)
    .filter((name) => /^\d{4}-\d{2}-\d{2}\.json\.gz$/.test(name))
    .filter((name) => name.slice(0, 10) >= first && name.slice(0, 10) <= last)
    .sort();
  let accepted = 0;
  for (const name of names) {
    const source = join(dir, name);
    const bytes = new Uint8Array(readFileSync(source));
    accepted += processDay({ date: name.slice(0, 10), source, bytes }, plan, policy, DEFAULT_LIMITS).status
      .accepted;
  }
  console.log(JSON.stringify({ files: names.length, accepted }));
}

main();
