// Two builds sharing one --cache at the same time (a daily job that overran into the next,
// two deploys at once): each must write what a build alone writes, and leave a cache the
// next run trusts whole, also when one of them merges the packs the other has indexed and
// is reading (packs.ts).

import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_SMALL_PACKS } from "../src/pipeline/packs.ts";
import {
  cacheProblems,
  cliArgs,
  dataOptions,
  expectCompleted,
  generateDays,
  readTree,
  removeDir,
  run,
  runCli,
  tempDir,
  treeDifferences,
  writeDays,
} from "./helpers/run.ts";

const TO = "2026-06-30";
// Enough days for a small pack per day to reach the merge threshold, and three more.
const DAYS = MAX_SMALL_PACKS + 3;

let root: string;
let reports: string;
let dates: string[];
let expected: Map<string, Buffer>;

beforeAll(async () => {
  root = await tempDir("shared-cache");
  reports = join(root, "reports");
  const days = await generateDays({ end: TO, days: DAYS, reports: 60 });
  dates = [...days.keys()].sort();
  await writeDays(reports, days);
  expected = await readTree((await run(dataOptions(join(root, "alone"), { source: reports }))).out);
});
afterAll(async () => {
  await removeDir(root);
});

/** Two CLI runs of every day at once on `cache`, into dir/a and dir/b: each writes what a run alone writes. */
async function runTwoAtOnce(dir: string, cache: string, workers: [string, string]): Promise<void> {
  const outs = [join(dir, "a"), join(dir, "b")];
  const results = await Promise.all(
    outs.map((out, i) => runCli(cliArgs(reports, out, cache, ["--workers", workers[i]!]))),
  );
  for (const result of results) expectCompleted(result);
  for (const out of outs) expect(treeDifferences(await readTree(out), expected)).toEqual([]);
}

const packCount = async (cache: string) =>
  (await readdir(join(cache, "packs"))).filter((name) => name.endsWith(".pack")).length;

describe("two runs sharing one cache at the same time", () => {
  it("both write the outputs of a run alone, and the next run takes every day from the cache", async () => {
    const dir = join(root, "cold");
    const cache = join(dir, "cache");
    await runTwoAtOnce(dir, cache, ["0", "2"]);
    expect(await cacheProblems(cache)).toEqual([]);
    const next = await run(dataOptions(dir, { source: reports, cache, out: join(dir, "next") }));
    expect(next.cachedDays).toBe(DAYS);
    expect(treeDifferences(await readTree(next.out), expected)).toEqual([]);
  });

  it("are undisturbed when one merges the small packs the other is reading", async () => {
    const dir = join(root, "daily");
    const cache = join(dir, "cache");
    // Daily rebuilds, a day more each: one small pack a day, up to the threshold.
    for (const date of dates.slice(0, MAX_SMALL_PACKS))
      await run(dataOptions(dir, { source: reports, cache, to: date, out: join(dir, "daily") }));
    expect(await packCount(cache)).toBe(MAX_SMALL_PACKS);
    // Each adds the last three days in a small pack of its own; flushing it, each finds
    // more small packs than the threshold and merges the ones it knows, the other's too.
    await runTwoAtOnce(dir, cache, ["0", "0"]);
    expect(await packCount(cache)).toBeLessThan(MAX_SMALL_PACKS);
    expect(await cacheProblems(cache)).toEqual([]);
    const next = await run(dataOptions(dir, { source: reports, cache, out: join(dir, "next") }));
    expect(next.cachedDays + next.aggregatedDays).toBe(DAYS);
    expect(treeDifferences(await readTree(next.out), expected)).toEqual([]);
  });
});
