// A damaged cache is never trusted: flipped bytes or a truncated file in a raw
// download or a day aggregate make the next run download or recompute that
// entry, and the outputs come out byte-identical.

import { readdir, readFile, truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startTestServer, withEtag, type TestServer } from "./helpers/http-server.ts";
import {
  cacheProblems,
  dataOptions,
  generateDays,
  readTree,
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

async function flipByte(path: string, index: number): Promise<void> {
  const file = await readFile(path);
  const at = index < 0 ? file.length + index : index;
  file[at] = (file[at] ?? 0) ^ 0x01;
  await writeFile(path, file);
}

async function aggregateFiles(cache: string): Promise<string[]> {
  return (await readdir(join(cache, "aggregates"))).sort().map((name) => join(cache, "aggregates", name));
}

describe("day aggregate entries", () => {
  it("recomputes aggregates with a flipped byte, a truncated tail, or nothing left, and writes the same outputs", async () => {
    const reports = join(dir, "reports");
    await writeDays(reports, days);
    const options = dataOptions(dir, { source: reports });
    const first = await run(options);
    const before = await readTree(first.out);
    expect(first.aggregatedDays).toBe(6);

    const [a, b, c, d] = await aggregateFiles(options.cache);
    await flipByte(a!, -1); // in the serialised aggregate
    await flipByte(b!, 80); // in the header or the status line
    await truncate(c!, 100);
    await truncate(d!, 0);

    const second = await run(options);
    expect(second.aggregatedDays).toBe(4);
    expect(second.cachedDays).toBe(2);
    expect(treeDifferences(await readTree(second.out), before)).toEqual([]);
    expect(await cacheProblems(options.cache)).toEqual([]);

    const third = await run(options);
    expect(third.cachedDays).toBe(6);
    expect(treeDifferences(await readTree(third.out), before)).toEqual([]);
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
    // And the aggregate of one intact raw entry.
    const aggregates = await aggregateFiles(options.cache);
    await flipByte(aggregates[0]!, -3);

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
