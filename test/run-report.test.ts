// The summary `npm run data` prints: one screen, however many days failed.

import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { formatRunReport } from "../src/pipeline/run-report.ts";
import { dataOptions, generateDays, removeDir, run, tempDir, writeDays } from "./helpers/run.ts";

let dir: string;
beforeEach(async () => {
  dir = await tempDir("run-report");
});
afterEach(() => removeDir(dir));

describe("formatRunReport", () => {
  it("counts days, lines and rejections, and lists at most five failed days and ignored files", async () => {
    const reports = join(dir, "reports");
    const days = await generateDays({ end: "2026-03-14", days: 14, reports: 20 });
    await writeDays(reports, days);
    // Seven days whose file is not gzip at all (truncated to its header), seven ignored files.
    const broken = [...days.keys()].slice(0, 7);
    for (const date of broken)
      await writeFile(join(reports, `${date}.json.gz`), new Uint8Array([0x1f, 0x8b, 8]));
    for (let i = 0; i < 7; i++) await writeFile(join(reports, `notes-${i}.txt`), "");

    const summary = await run(dataOptions(dir, { source: reports }));
    const lines = formatRunReport(summary, 1.25).split("\n");

    expect(lines[0]).toBe(
      "days      14 in 2026-03-01…2026-03-14: 7 ok, 0 missing, 7 failed (14 aggregated, 0 from cache)",
    );
    const accepted = summary.days.reduce((sum, day) => sum + day.accepted, 0);
    expect(lines[1]).toMatch(
      new RegExp(`^input     .+, ${accepted} accepted, ${summary.index.reports} distinct`),
    );
    const rejected = new Map<string, number>();
    for (const day of summary.days)
      for (const [reason, n] of Object.entries(day.rejected))
        rejected.set(reason, (rejected.get(reason) ?? 0) + n!);
    expect(rejected.size).toBeGreaterThan(0); // the generator writes a few malformed lines
    expect(lines[2]).toBe(`rejected  ${[...rejected].map(([reason, n]) => `${reason} ${n}`).join(", ")}`);
    expect(lines).toContain("time      1.3 s");
    const programs = summary.index.programs.length;
    expect(programs).toBeGreaterThan(1);
    expect(lines).toContain(`charts    ${summary.index.charts.length} for ${programs} programs`);
    const one = { ...summary, index: { ...summary.index, programs: summary.index.programs.slice(0, 1) } };
    expect(formatRunReport(one, 1).split("\n")).toContain(
      `charts    ${summary.index.charts.length} for 1 program`,
    );
    // Every file of the output that a reader would look for.
    expect(lines).toContain(
      `output    ${summary.out}/index.json, all.csv, days.json, participation.json, config.json, charts/*.csv|json`,
    );
    const failed = lines.filter((line) => line.startsWith("failed    "));
    expect(failed).toHaveLength(6);
    for (const [i, line] of failed.slice(0, 5).entries()) expect(line).toContain(`${broken[i]}.json.gz`);
    expect(failed[5]).toBe(`failed    … and 2 more days (each in ${summary.out}/days.json)`);
    const ignored = lines.filter((line) => line.startsWith("ignored   "));
    expect(ignored).toHaveLength(1);
    expect(ignored[0]).toMatch(
      /^ignored {3}not a daily file name .+: notes-0.txt, notes-1.txt, .+, notes-4.txt and 2 more$/,
    );
    expect(lines.length).toBeLessThanOrEqual(13);

    // Warnings, then days left out of a default range: at most five of each too.
    const warnings = Array.from({ length: 7 }, (_, i) => `charts.txt:${i + 1}: a warning`);
    const unpublished = ["2026-03-15", "2026-03-16"];
    const more = formatRunReport({ ...summary, warnings, unpublished }, 1).split("\n");
    expect(more.filter((line) => line.startsWith("warning   "))).toEqual([
      ...warnings.slice(0, 5).map((warning) => `warning   ${warning}`),
      "warning   … and 2 more charts with such counters",
    ]);
    expect(more).toContain(
      "left out  2026-03-15, 2026-03-16: not on the server (404) at an end of the default range",
    );
  });
});
