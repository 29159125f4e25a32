// A damaged cache is never trusted: flipped bytes or a truncated file in a raw
// download, a day summary or a day aggregate make the next run download or
// recompute that entry, and the outputs come out byte-identical.

import { readdir, readFile, truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startTestServer, withEtag, type TestServer } from "./helpers/http-server.ts";
import {
  cacheProblems,
  dataOptions,
  packedEntries,
  generateDays,
  readTree,
  type PackedEntry,
  removeDir,
  run,
  tempDir,
  treeDifferences,
  writeDays,
} from "./helpers/run.ts";

const FROM = "2026-04-01";
const TO = "2026-04-06";

let days: Map<string, Uint8Array>;
let dir: string;
beforeAll(async () => {
  days = await generateDays({ end: TO, days: 6, reports: 80 });
});
beforeEach(async () => {
  dir = await tempDir("corrupt");
});
afterEach(async () => {
  await removeDir(dir);
});

/** A whole file, or a day entry in a pack: a stretch of bytes that can be damaged. */
type Stretch = string | PackedEntry;

async function flipByte(stretch: Stretch, index: number): Promise<void> {
  const { path, offset, length } =
    typeof stretch === "string" ? { path: stretch, offset: 0, length: undefined } : stretch;
  const file = await readFile(path);
  const size = length ?? file.length - offset;
  const at = offset + (index < 0 ? size + index : index);
  file[at] = (file[at] ?? 0) ^ 0x01;
  await writeFile(path, file);
}

/** Cuts a file to `keep` bytes; zeroes a packed entry's bytes after the first `keep`, as a torn write would. */
async function cut(stretch: Stretch, keep: number): Promise<void> {
  if (typeof stretch === "string") return truncate(stretch, keep);
  const file = await readFile(stretch.path);
  file.fill(0, stretch.offset + keep, stretch.offset + stretch.length);
  await writeFile(stretch.path, file);
}

/** The day (date) of each summary entry, read from the status line after its header. */
async function summaryDates(cache: string): Promise<Map<string, PackedEntry>> {
  const dates = new Map<string, PackedEntry>();
  for (const entry of await packedEntries(cache)) {
    if (entry.kind !== "summaries") continue;
    const status = new TextDecoder().decode(entry.bytes).split("\n", 2)[1]!;
    dates.set((JSON.parse(status) as { date: string }).date, entry);
  }
  return dates;
}

describe("computed entries", () => {
  it("recomputes damaged summaries and aggregates, and writes the same outputs", async () => {
    // The second day carries re-uploads of the first day's reports: the series needs
    // both days' aggregates to count them once.
    const [first, second] = [...days.keys()];
    const input = new Map(days);
    const reuploads = gunzipSync(days.get(first!)!).toString("utf8").split("\n").slice(0, 10).join("\n");
    input.set(
      second!,
      gzipSync(Buffer.concat([gunzipSync(days.get(second!)!), Buffer.from(reuploads + "\n")])),
    );
    const reports = join(dir, "reports");
    await writeDays(reports, input);
    const options = dataOptions(dir, { source: reports });
    const firstRun = await run(options);
    const before = await readTree(firstRun.out);
    expect(firstRun.aggregatedDays).toBe(6);

    const summaries = await summaryDates(options.cache);
    const [a, b, c, d, e, f] = [...summaries.keys()].sort();
    await flipByte(summaries.get(c!)!, -1); // in the serialised summary
    await flipByte(summaries.get(d!)!, 80); // in the header or the status line
    await cut(summaries.get(e!)!, 100);
    await cut(summaries.get(f!)!, 0);
    // The days with intact summaries lose their aggregates, and the series its state (which
    // would otherwise answer for the summaries).
    const aggregates = (await packedEntries(options.cache)).filter((entry) => entry.kind === "aggregates");
    const aggregateOf = (date: string) => {
      const found = aggregates.find((entry) => entry.key === summaries.get(date)!.key);
      expect(found).toBeDefined();
      return found!;
    };
    await flipByte(aggregateOf(a!), -1);
    await cut(aggregateOf(b!), 0);
    await removeDir(join(options.cache, "series"));

    const secondRun = await run(options);
    // Four for their summaries; the other two because the series needed their aggregates.
    expect(secondRun.aggregatedDays).toBe(6);
    expect(secondRun.cachedDays).toBe(0);
    expect(treeDifferences(await readTree(secondRun.out), before)).toEqual([]);
    expect(await cacheProblems(options.cache)).toEqual([]);

    const thirdRun = await run(options);
    expect(thirdRun.cachedDays).toBe(6);
    expect(treeDifferences(await readTree(thirdRun.out), before)).toEqual([]);
  });
});

describe("the series state", () => {
  it("answers for unchanged days, recomputes damaged summaries it needs, and is ignored when damaged", async () => {
    // Ten days: the latest 7 days are a window of their own, summed from their summaries.
    const ten = await generateDays({ end: TO, days: 10, reports: 40 });
    const reports = join(dir, "reports");
    await writeDays(reports, ten);
    const options = dataOptions(dir, { source: reports });
    const first = await run(options);
    const before = await readTree(first.out);

    const summaries = await summaryDates(options.cache);
    await flipByte(summaries.get(TO)!, -1);
    const second = await run(options);
    expect(second.aggregatedDays).toBe(1); // the damaged summary, needed for the latest 7 days
    expect(treeDifferences(await readTree(second.out), before)).toEqual([]);
    expect(await cacheProblems(options.cache)).toEqual([]);

    const [state] = await readdir(join(options.cache, "series"));
    await flipByte(join(options.cache, "series", state!), -5);
    const third = await run(options);
    expect(third.aggregatedDays).toBe(0);
    expect(treeDifferences(await readTree(third.out), before)).toEqual([]);
    expect(await cacheProblems(options.cache)).toEqual([]);
  });
});

describe("raw download entries", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
    for (const [date, bytes] of days) {
      const etag = `"${date}"`;
      server.on(`/data/${date}`, withEtag(bytes, etag));
    }
  });
  afterAll(async () => {
    await server.close();
  });

  it("downloads damaged raw entries again (no conditional request) and writes the same outputs", async () => {
    const options = dataOptions(dir, { source: server.url("/data/{date}"), from: FROM, to: TO });
    const first = await run(options);
    const before = await readTree(first.out);
    const raw = (name: string) => join(options.cache, "raw", name);

    await flipByte(raw("2026-04-01.bin"), 40);
    await truncate(raw("2026-04-02.bin"), 50);
    await writeFile(raw("2026-04-03.json"), '{"url": "not what was stored"');
    // Metadata that no longer describes its bytes.
    const meta = JSON.parse(await readFile(raw("2026-04-04.json"), "utf8")) as { bytes: number };
    await writeFile(raw("2026-04-04.json"), JSON.stringify({ ...meta, bytes: meta.bytes + 1 }));
    // And the summary of one day (read, with the series state gone).
    const summaries = await summaryDates(options.cache);
    await flipByte(summaries.get("2026-04-05")!, -3);
    await removeDir(join(options.cache, "series"));

    const seen = server.requests.length;
    const second = await run(options);
    const conditional = new Map(
      server.requests.slice(seen).map((request) => [request.path, request.headers["if-none-match"]]),
    );
    expect(conditional).toEqual(
      new Map([
        ["/data/2026-04-01", undefined],
        ["/data/2026-04-02", undefined],
        ["/data/2026-04-03", undefined],
        ["/data/2026-04-04", undefined],
        ["/data/2026-04-05", '"2026-04-05"'],
        ["/data/2026-04-06", '"2026-04-06"'],
      ]),
    );
    // Same bytes again, so the same aggregates: only the damaged one is recomputed.
    expect(second.aggregatedDays).toBe(1);
    expect(treeDifferences(await readTree(second.out), before)).toEqual([]);
    expect(await cacheProblems(options.cache)).toEqual([]);
  });
});
