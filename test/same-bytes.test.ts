// Two days whose files hold the same bytes (two empty days, a day published twice, a file
// renamed to another date) are two days: a day's cache entries belong to its date as well as
// to its content, and reusing one day's for another made the series refuse the run.

import { copyFile, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Participation } from "../src/pipeline/types.ts";
import {
  dataOptions,
  generateDays,
  readTree,
  removeDir,
  run,
  tempDir,
  treeDifferences,
  writeDays,
} from "./helpers/run.ts";

let days: Map<string, Uint8Array>;
let dir: string;
beforeAll(async () => {
  days = await generateDays({ end: "2026-04-06", days: 6, reports: 60 });
});
beforeEach(async () => {
  dir = await tempDir("same-bytes");
});
afterEach(async () => {
  await removeDir(dir);
});

const daily = async (out: string) =>
  (JSON.parse(await readFile(join(out, "participation.json"), "utf8")) as Participation).daily;

describe("days with the same bytes", () => {
  it("are each their own day: two empty files, and one day's file copied to the next date", async () => {
    const source = join(dir, "source");
    await writeDays(source, days);
    await writeFile(join(source, "2026-04-07.json"), "");
    await writeFile(join(source, "2026-04-08.json"), "");
    await copyFile(join(source, "2026-04-06.json.gz"), join(source, "2026-04-09.json.gz"));
    const summary = await run(dataOptions(dir, { source }));
    expect(summary.days.map((day) => [day.date, day.status])).toEqual(
      [...days.keys(), "2026-04-07", "2026-04-08", "2026-04-09"].map((date) => [date, "ok"]),
    );
    const perDay = new Map((await daily(join(dir, "out"))).map((day) => [day.date, day.reports]));
    expect(perDay.get("2026-04-07")).toBe(0);
    expect(perDay.get("2026-04-08")).toBe(0);
    expect(perDay.get("2026-04-09")).toBe(perDay.get("2026-04-06"));
    expect(perDay.get("2026-04-06")).toBeGreaterThan(0);
  });

  it("after a file is renamed to another date, a warm run writes what a cold run writes", async () => {
    const source = join(dir, "source");
    await writeDays(source, days);
    await run(dataOptions(dir, { source }));
    await rename(join(source, "2026-04-01.json.gz"), join(source, "2026-04-07.json.gz"));
    const warm = await run(dataOptions(dir, { source }));
    expect([warm.cachedDays, warm.aggregatedDays]).toEqual([5, 1]);
    const cold = join(dir, "cold");
    await run(dataOptions(cold, { source }));
    expect(treeDifferences(await readTree(join(dir, "out")), await readTree(join(cold, "out")))).toEqual([]);
  });
});
