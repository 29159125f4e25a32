// SIGKILL at any moment must never corrupt the cache or --out: the CLI is
// killed at several points (while downloading, while aggregating, while
// writing), and a rerun to completion must write exactly the files of an
// uninterrupted build.

import { cp, readdir } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, withEtag, type TestServer } from "./helpers/http-server.ts";
import {
  cacheProblems,
  cliArgs,
  dataOptions,
  expectCompleted,
  generateDays,
  readTree,
  rejection,
  removeDir,
  run,
  runCli,
  tempDir,
  treeDifferences,
  writeDays,
  type CliResult,
} from "./helpers/run.ts";

const FROM = "2026-05-22";
const TO = "2026-06-30";
const DAYS = 40;

let root: string;
let days: Map<string, Uint8Array>;

beforeAll(async () => {
  root = await tempDir("kill");
  days = await generateDays({ end: TO, days: DAYS, reports: 200 });
});
afterAll(async () => {
  await removeDir(root);
});

function expectKilled(result: CliResult): void {
  expect(result.killed, `the run finished before the kill:\n${result.stdout}`).toBe(true);
  expect(result.signal).toBe("SIGKILL");
}

/** The directory holding --out holds nothing but the outputs and caches of the test. */
async function leftovers(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((name) => name.endsWith(".staging") || name.endsWith(".previous"));
}

describe("SIGKILL on a directory source", () => {
  let reports: string;
  let expected: Map<string, Buffer>;
  /** A complete earlier build (fewer days) that a killed run must leave in place, or replace whole. */
  let previousOut: string;
  let previous: Map<string, Buffer>;

  beforeAll(async () => {
    reports = join(root, "reports");
    await writeDays(reports, days);
    // Uninterrupted builds run in this process (the same code, without a process start-up).
    expected = await readTree((await run(dataOptions(join(root, "baseline"), { source: reports }))).out);
    const older = await run(dataOptions(join(root, "previous"), { source: reports, to: "2026-06-20" }));
    previousOut = older.out;
    previous = await readTree(previousOut);
    expect(treeDifferences(previous, expected)).not.toEqual([]);
  });

  /** After a kill, --out is the earlier build or the new one, whole; never a mix, never missing. */
  async function expectOutWhole(out: string): Promise<void> {
    const now = await readTree(out);
    const matches = [previous, expected].filter((tree) => treeDifferences(now, tree).length === 0);
    expect(matches, `--out after the kill: ${[...now.keys()].length} files`).toHaveLength(1);
  }

  it.each([
    ["early in aggregation (4 of 40 days)", 4, "2"],
    ["mid-aggregation (20 of 40 days), in the main thread", 20, "0"],
    ["after aggregation, while computing series and writing --out", 40, "2"],
  ])("killed %s, a rerun writes byte-identical outputs", async (_when, killAt, workers) => {
    const dir = await tempDir("kill-dir");
    try {
      const out = join(dir, "out");
      const cache = join(dir, "cache");
      await cp(previousOut, out, { recursive: true });

      const killed = await runCli(cliArgs(reports, out, cache, ["--workers", workers]), {
        killWhen: (stderr) => stderr.includes(` ${killAt}/40 days`),
      });
      expectKilled(killed);
      await expectOutWhole(out);
      expect(await cacheProblems(cache, { allowTemps: true })).toEqual([]);

      expectCompleted(await runCli(cliArgs(reports, out, cache, ["--workers", "2"])));
      expect(treeDifferences(await readTree(out), expected)).toEqual([]);
      expect(await leftovers(dir)).toEqual([]);
      expect(await cacheProblems(cache)).toEqual([]);
    } finally {
      await removeDir(dir);
    }
  });

  it("survives two kills in a row on the same cache, then completes byte-identically", async () => {
    const dir = await tempDir("kill-twice");
    try {
      const out = join(dir, "out");
      const cache = join(dir, "cache");
      const atDays = (n: number) => (stderr: string) => stderr.includes(` ${n}/40 days`);
      const args = cliArgs(reports, out, cache, ["--workers", "0"]);
      expectKilled(await runCli(args, { killWhen: atDays(12) }));
      expect(await cacheProblems(cache, { allowTemps: true })).toEqual([]);
      expectKilled(await runCli(args, { killWhen: atDays(28) }));
      expect(await cacheProblems(cache, { allowTemps: true })).toEqual([]);
      const completed = await runCli(args);
      expectCompleted(completed);
      // Days aggregated before the kills came from the cache.
      expect(completed.stdout).toMatch(/\(\d+ aggregated, [1-9]\d* from cache\)/);
      expect(treeDifferences(await readTree(out), expected)).toEqual([]);
    } finally {
      await removeDir(dir);
    }
  });

  it("puts the previous output back when a run died between moving it aside and renaming the new one in", async () => {
    // The state a kill between writeOutputDir's two renames leaves: no --out, the old one moved aside.
    const dir = await tempDir("kill-rename");
    try {
      const out = join(dir, "out");
      await cp(previousOut, `${out}.previous`, { recursive: true });
      await cp(previousOut, `${out}.staging`, { recursive: true });
      // The next run fails before it writes anything, yet --out is the previous build again.
      const error = await rejection(run(dataOptions(dir, { source: join(dir, "no-such-dir") })));
      expect(error.message).toMatch(/directory not found/);
      expect(treeDifferences(await readTree(out), previous)).toEqual([]);
      expect(await readdir(dir)).not.toContain("out.previous");
    } finally {
      await removeDir(dir);
    }
  });
});

describe("SIGKILL on a URL source", () => {
  let server: TestServer;
  let template: string;
  let expected: Map<string, Buffer>;
  /** Called on each request the server receives; tests set it to kill at the nth download. */
  let onRequest: (count: number) => void = () => {};
  let requests = 0;

  beforeAll(async () => {
    server = await startTestServer();
    template = server.url("/data/{date}");
    // Each answer is held a little, so a kill lands while downloads are in flight.
    for (const [date, bytes] of days) {
      const etag = `"${date}"`;
      server.on(
        `/data/${date}`,
        withEtag(bytes, etag, { delayMs: 15, onRequest: () => onRequest(++requests) }),
      );
    }
    const baseline = await run(
      dataOptions(join(root, "url-baseline"), { source: template, from: FROM, to: TO }),
    );
    expected = await readTree(baseline.out);
  });
  afterAll(async () => {
    await server.close();
  });

  it.each([
    ["at the 5th request", { request: 5, days: undefined }],
    ["at the 20th request", { request: 20, days: undefined }],
    ["when 32 of 40 days are done", { request: undefined, days: 32 }],
  ])("killed %s, a rerun writes byte-identical outputs", async (_when, at) => {
    const dir = await tempDir("kill-url");
    try {
      const out = join(dir, "out");
      const cache = join(dir, "cache");
      const args = cliArgs(template, out, cache, ["--from", FROM, "--to", TO, "--workers", "2"]);
      requests = 0;
      const killed = await runCli(args, {
        onSpawn: (kill) => {
          onRequest = (count) => {
            if (count === at.request) kill();
          };
        },
        killWhen: (stderr) => at.days !== undefined && stderr.includes(` ${at.days}/40 days`),
      });
      onRequest = () => {};
      expectKilled(killed);
      const now = await readTree(out);
      expect(now.size === 0 || treeDifferences(now, expected).length === 0).toBe(true);
      expect(await cacheProblems(cache, { allowTemps: true })).toEqual([]);

      expectCompleted(await runCli(args));
      expect(treeDifferences(await readTree(out), expected)).toEqual([]);
      expect(await leftovers(dir)).toEqual([]);
      expect(await cacheProblems(cache)).toEqual([]);
    } finally {
      await removeDir(dir);
    }
  });
});
