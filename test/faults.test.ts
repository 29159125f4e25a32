// Network faults on a URL source: a real HTTP server on 127.0.0.1 misbehaves
// in scripted ways, and the whole data run must either count each day exactly
// once or fail naming the URL, leaving --out and the cache as they were.

import { readdir } from "node:fs/promises";
import { brotliCompressSync, gzipSync } from "node:zlib";
import { dirname, join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { RunError, type DownloadSettings } from "../src/pipeline/run.ts";
import { formatRunReport } from "../src/pipeline/run-report.ts";
import type { DayStatus } from "../src/pipeline/types.ts";
import {
  handler,
  hang,
  redirect,
  reply,
  startTestServer,
  truncate,
  withEtag,
  type TestServer,
} from "./helpers/http-server.ts";
import {
  cacheProblems,
  dataOptions,
  generateDays,
  readTree,
  rejection,
  removeDir,
  run,
  tempDir,
  treeDifferences,
  writeDays,
} from "./helpers/run.ts";

/** Short enough for tests, with room for a loaded machine. */
const FAST: DownloadSettings = { timeoutMs: 2_000, retries: 3, backoffMs: 5, maxBackoffMs: 20 };
const FROM = "2026-03-01";
const TO = "2026-03-05";

let days: Map<string, Uint8Array>;
let root: string;
/** The outputs of a directory-source run over the same day files. */
let expected: Map<string, Buffer>;
let expectedDays: DayStatus[];

beforeAll(async () => {
  days = await generateDays({ end: TO, days: 5, reports: 60 });
  root = await tempDir("faults");
  const reports = join(root, "reports");
  await writeDays(reports, days);
  const summary = await run(dataOptions(join(root, "dir-run"), { source: reports }));
  expected = await readTree(summary.out);
  expectedDays = summary.days;
});
afterAll(async () => {
  await removeDir(root);
});

let server: TestServer;
let dir: string;
beforeEach(async () => {
  server = await startTestServer();
  dir = await tempDir("faults-run");
});
afterEach(async () => {
  await server.close();
  await removeDir(dir);
});

const path = (date: string) => `/data/${date}`;
const bytesOf = (date: string) => days.get(date)!;

/** Every day answers 200 with its file, unless a test scripts it otherwise. */
function serveAll(): void {
  for (const [date, bytes] of days) server.on(path(date), reply(200, bytes));
}

function urlOptions(overrides: { out?: string; cache?: string } = {}) {
  return dataOptions(dir, { source: server.url("/data/{date}"), from: FROM, to: TO, ...overrides });
}

/** days.json without the source column, which names a URL here and a file in the directory run. */
function withoutSource(statuses: readonly DayStatus[]) {
  return statuses.map((day) => ({ ...day, source: "" }));
}

/** --out equals the directory run's, except days.json's sources, which are URLs. */
function expectSameAsDirectoryRun(actual: Map<string, Buffer>, statuses: readonly DayStatus[]): void {
  const withoutDays = (tree: Map<string, Buffer>) =>
    new Map([...tree].filter(([name]) => name !== "days.json"));
  expect(treeDifferences(withoutDays(actual), withoutDays(expected))).toEqual([]);
  expect(withoutSource(statuses)).toEqual(withoutSource(expectedDays));
  const written = JSON.parse(actual.get("days.json")!.toString()) as DayStatus[];
  expect(withoutSource(written)).toEqual(withoutSource(expectedDays));
}

/** Names in --out's parent directory: staging or previous copies must not linger. */
async function siblingsOfOut(): Promise<string[]> {
  return (await readdir(dirname(urlOptions().out))).sort();
}

describe("retries", () => {
  it("retries a day that answers 500 twice, then counts it once", async () => {
    serveAll();
    server.on(path("2026-03-03"), reply(500), reply(500), reply(200, bytesOf("2026-03-03")));
    const summary = await run(urlOptions(), { fetch: FAST });
    expect(server.hits(path("2026-03-03"))).toBe(3);
    expect(server.hits(path("2026-03-02"))).toBe(1);
    expectSameAsDirectoryRun(await readTree(summary.out), summary.days);
    expect(summary.index.reports).toBe(JSON.parse(expected.get("index.json")!.toString()).reports);
  });

  it("ends the progress line before failing on a day that answers 503 every time", async () => {
    serveAll();
    server.on(path("2026-03-03"), reply(503));
    const calls: string[] = [];
    const progress = { update: () => void calls.push("update"), done: () => void calls.push("done") };
    const error = await rejection(run(urlOptions(), { fetch: FAST, progress }));
    expect(error.message).toMatch(/2026-03-03 failed: HTTP 503 after 4 attempts/);
    expect(calls).toContain("update");
    expect(calls.filter((call) => call === "done")).toEqual(["done"]);
    expect(calls.at(-1)).toBe("done");
  });
});

describe("timeouts", () => {
  it("stops the downloads in flight when a day fails for good, instead of waiting out their timeouts", async () => {
    serveAll();
    const failing = "2026-03-01";
    server.on(path(failing), reply(503, "down"));
    server.on(path("2026-03-03"), hang());
    const started = performance.now();
    const error = await rejection(run(urlOptions(), { fetch: { ...FAST, timeoutMs: 60_000 } }));
    expect(error).toBeInstanceOf(RunError);
    expect(error.message).toBe(`GET ${server.url(path(failing))} failed: HTTP 503 after 4 attempts`);
    // The hanging day would hold the run for a minute per attempt.
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(await siblingsOfOut()).toEqual(["cache"]); // no --out, nothing half-written
  });

  it("times out a day that hangs, retries it, then fails naming the URL, leaving --out and the cache intact", async () => {
    serveAll();
    const first = await run(urlOptions(), { fetch: FAST });
    const before = await readTree(first.out);

    const hanging = "2026-03-02";
    const stalled = "2026-03-04";
    server.on(path(hanging), hang());
    // Headers and half the body, then nothing: the timeout covers the body too.
    server.on(
      path(stalled),
      handler((_request, response) => {
        const bytes = bytesOf(stalled);
        response.writeHead(200, { "content-length": String(bytes.length), etag: '"stalled"' });
        response.write(bytes.subarray(0, bytes.length >> 1));
      }),
    );
    const started = performance.now();
    const error = await rejection(run(urlOptions(), { fetch: { ...FAST, timeoutMs: 300, retries: 1 } }));
    expect(error).toBeInstanceOf(RunError);
    expect(error.message).toMatch(/timeout/);
    expect(error.message).toMatch(new RegExp(`${server.url(path(hanging))}|${server.url(path(stalled))}`));
    expect(error.message).toMatch(/after 2 attempts/);
    // One timeout per attempt, not the 30 s default.
    expect(performance.now() - started).toBeLessThan(5_000);
    const failedPath = error.message.includes(hanging) ? path(hanging) : path(stalled);
    expect(server.hits(failedPath)).toBe(3);

    expect(treeDifferences(await readTree(first.out), before)).toEqual([]);
    expect(await siblingsOfOut()).toEqual(["cache", "out"]);
    expect(await cacheProblems(urlOptions().cache)).toEqual([]);
  });
});

describe("cut-off responses", () => {
  it("never aggregates a body shorter than its Content-Length: it retries, then fails", async () => {
    serveAll();
    const bytes = bytesOf("2026-03-03");
    server.on(path("2026-03-03"), truncate(bytes.subarray(0, 100), bytes.length));
    const error = await rejection(run(urlOptions(), { fetch: FAST }));
    expect(error).toBeInstanceOf(RunError);
    expect(error.message).toContain(server.url(path("2026-03-03")));
    expect(error.message).toMatch(/truncated body: got 100 of \d+ bytes after 4 attempts/);
    expect(await readTree(urlOptions().out)).toEqual(new Map());
    expect(await cacheProblems(urlOptions().cache)).toEqual([]);
  });

  it("counts a day whose first response was cut short once, from the complete retry", async () => {
    serveAll();
    const bytes = bytesOf("2026-03-03");
    server.on(path("2026-03-03"), truncate(bytes.subarray(0, 100), bytes.length), reply(200, bytes));
    const summary = await run(urlOptions(), { fetch: FAST });
    expect(server.hits(path("2026-03-03"))).toBe(2);
    expectSameAsDirectoryRun(await readTree(summary.out), summary.days);
  });

  it("decodes a content coding a server applies unasked, and retries one whose stream ends early", async () => {
    serveAll();
    const date = "2026-03-03";
    const encoded = gzipSync(bytesOf(date));
    // A complete chunked message whose gzip stream is cut short, as a truncating proxy sends it.
    const cutShort = handler((_request, response) => {
      response.writeHead(200, { "content-encoding": "gzip" });
      response.end(encoded.subarray(0, encoded.length >> 1));
    });
    server.on(path(date), cutShort, reply(200, encoded, { "content-encoding": "gzip" }));
    server.on(
      path("2026-03-04"),
      reply(200, brotliCompressSync(bytesOf("2026-03-04")), { "content-encoding": "br" }),
    );
    const summary = await run(urlOptions(), { fetch: FAST });
    expect(server.hits(path(date))).toBe(2);
    expectSameAsDirectoryRun(await readTree(summary.out), summary.days);

    // Cut short every time: the run fails naming the URL, and a next run is not fooled either.
    server.on(path(date), cutShort);
    const error = await rejection(
      run(urlOptions({ cache: join(dir, "cache-2"), out: join(dir, "out-2") }), { fetch: FAST }),
    );
    expect(error.message).toBe(
      `GET ${server.url(path(date))} failed: truncated body: its gzip encoding ends early or is damaged after 4 attempts`,
    );
  });

  it("refuses a content coding it cannot decode, at once", async () => {
    serveAll();
    server.on(path("2026-03-02"), reply(200, bytesOf("2026-03-02"), { "content-encoding": "zstd" }));
    const error = await rejection(run(urlOptions(), { fetch: FAST }));
    expect(error.message).toBe(
      `GET ${server.url(path("2026-03-02"))} failed: unsupported Content-Encoding "zstd" after 1 attempt`,
    );
    expect(server.hits(path("2026-03-02"))).toBe(1);
  });

  it("retries a chunked body whose connection drops mid-body", async () => {
    serveAll();
    const bytes = bytesOf("2026-03-03");
    server.on(
      path("2026-03-03"),
      handler((_request, response) => {
        response.writeHead(200);
        response.write(bytes.subarray(0, 100), () => response.socket?.destroy());
      }),
      reply(200, bytes),
    );
    const summary = await run(urlOptions(), { fetch: FAST });
    expect(server.hits(path("2026-03-03"))).toBe(2);
    expectSameAsDirectoryRun(await readTree(summary.out), summary.days);
  });

  it("fails only the day when a body without a length ends early, and downloads it afresh next run", async () => {
    serveAll();
    const date = "2026-03-03";
    const bytes = bytesOf(date);
    // HTTP/1.1 lets a body end when the connection closes; a body cut there
    // looks complete to the client. Only the gzip check can tell.
    const closeDelimited = handler((request, _response) => {
      request.socket.write('HTTP/1.1 200 OK\r\nETag: "v1"\r\nConnection: close\r\n\r\n');
      request.socket.end(bytes.subarray(0, bytes.length - 20));
    });
    const conditional = handler((request, response) => {
      if (request.headers["if-none-match"] === '"v1"') {
        response.writeHead(304, { etag: '"v1"' });
        response.end();
        return;
      }
      response.writeHead(200, { etag: '"v1"', "content-length": String(bytes.length) });
      response.end(bytes);
    });
    server.on(path(date), closeDelimited, conditional);
    const first = await run(urlOptions(), { fetch: FAST });
    const failed = first.days.find((day) => day.date === date)!;
    expect(failed.status).toBe("failed");
    expect(failed.error).toContain(server.url(path(date)));
    expect(failed.error).toMatch(/gzip data is corrupt or truncated/);
    expect(failed.accepted).toBe(0);
    expect(first.days.filter((day) => day.status === "ok")).toHaveLength(4);
    const written = JSON.parse((await readTree(first.out)).get("days.json")!.toString()) as DayStatus[];
    expect(written.find((day) => day.date === date)?.status).toBe("failed");

    // The server is healthy again: the cut copy must not be confirmed by a 304.
    const second = await run(urlOptions(), { fetch: FAST });
    const unconditional = server.requests.filter((request) => request.path === path(date)).at(-1)!;
    expect(unconditional.headers["if-none-match"]).toBeUndefined();
    expectSameAsDirectoryRun(await readTree(second.out), second.days);
  });
});

describe("size limit", () => {
  it("refuses a response over the size limit at once, declared or streamed, without retrying", async () => {
    serveAll();
    const big = new Uint8Array(64 * 1024);
    server.on(path("2026-03-02"), reply(200, big));
    const declared = await rejection(run(urlOptions(), { fetch: { ...FAST, maxBytes: 32 * 1024 } }));
    expect(declared.message).toContain(server.url(path("2026-03-02")));
    expect(declared.message).toMatch(/response larger than 32768 bytes after 1 attempt$/);

    server.on(
      path("2026-03-02"),
      handler((_request, response) => {
        response.writeHead(200);
        response.end(big);
      }),
    );
    const streamed = await rejection(run(urlOptions(), { fetch: { ...FAST, maxBytes: 32 * 1024 } }));
    expect(streamed.message).toMatch(/response larger than 32768 bytes after 1 attempt$/);
    expect(server.hits(path("2026-03-02"))).toBe(2);
    expect(await readTree(urlOptions().out)).toEqual(new Map());
  });
});

describe("missing days", () => {
  it("records a 404 as a missing day and counts the others", async () => {
    serveAll();
    server.on(path("2026-03-02"), reply(404, "not found"));
    const summary = await run(urlOptions(), { fetch: FAST });
    expect(server.hits(path("2026-03-02"))).toBe(1);
    const written = JSON.parse((await readTree(summary.out)).get("days.json")!.toString()) as DayStatus[];
    expect(written.map((day) => [day.date, day.status])).toEqual([
      ["2026-03-01", "ok"],
      ["2026-03-02", "missing"],
      ["2026-03-03", "ok"],
      ["2026-03-04", "ok"],
      ["2026-03-05", "ok"],
    ]);
    expect(summary.index.days).toBe(4);
    const others = withoutSource(written.filter((day) => day.date !== "2026-03-02"));
    expect(others).toEqual(withoutSource(expectedDays.filter((day) => day.date !== "2026-03-02")));
  });

  it("ends a default range at the last day the server has, and keeps a --to given as given", async () => {
    // NOW is 2026-12-01: the default range is 2026-09-08…2026-11-30. The server has five
    // days up to 2026-11-28; the two after it and the weeks before it answer 404.
    const recent = await generateDays({ end: "2026-11-28", days: 5, reports: 40 });
    for (const [date, bytes] of recent) server.on(path(date), reply(200, bytes));
    const reports = join(dir, "reports");
    await writeDays(reports, recent);
    const byDirectory = await run(dataOptions(join(dir, "dir-run"), { source: reports }));

    const source = server.url("/data/{date}");
    const summary = await run(dataOptions(dir, { source }), { fetch: FAST });
    expect(server.hits(path("2026-11-30"))).toBe(1);
    expect(server.hits(path("2026-09-08"))).toBe(1);
    expect(summary.index.range).toEqual({ start: "2026-11-24", end: "2026-11-28" });
    expect(summary.days.map((day) => day.date)).toEqual([...recent.keys()]);
    expect(summary.unpublished).toHaveLength(84 - 5);
    expect(summary.unpublished.slice(-2)).toEqual(["2026-11-29", "2026-11-30"]);
    expect(formatRunReport(summary, 1).split("\n")).toContain(
      "left out  2026-09-08, 2026-09-09, 2026-09-10, 2026-09-11, 2026-09-12 and 74 more: not on the server (404) at an end of the default range",
    );
    // The same files, so the same numbers as a directory holding them (days.json names URLs).
    const actual = await readTree(summary.out);
    const expectedTree = await readTree(byDirectory.out);
    const withoutDays = (tree: Map<string, Buffer>) =>
      new Map([...tree].filter(([name]) => name !== "days.json"));
    expect(treeDifferences(withoutDays(actual), withoutDays(expectedTree))).toEqual([]);

    // Given ends are kept: the latest week then holds a day without data.
    const given = await run(
      dataOptions(join(dir, "given"), { source, from: "2026-11-24", to: "2026-11-30" }),
      {
        fetch: FAST,
      },
    );
    expect(given.index.range).toEqual({ start: "2026-11-24", end: "2026-11-30" });
    expect(given.unpublished).toEqual([]);
    expect(given.days.filter((day) => day.status === "missing").map((day) => day.date)).toEqual([
      "2026-11-29",
      "2026-11-30",
    ]);
  });

  it("fails naming the range when the server has none of its days", async () => {
    const error = await rejection(run(urlOptions(), { fetch: FAST }));
    expect(error).toBeInstanceOf(RunError);
    expect(error.message).toBe(`no day could be read in ${FROM}…${TO}`);
    expect(await siblingsOfOut()).toEqual(["cache"]); // no --out, not even a staging copy
  });

  it("refuses a --from after yesterday without --to, naming both days, and asks the server nothing", async () => {
    // NOW is 2026-12-01: the default last day is 2026-11-30.
    const options = { ...urlOptions(), from: "2026-12-01", to: null };
    const error = await rejection(run(options, { fetch: FAST }));
    expect(error).toBeInstanceOf(RunError);
    expect(error.message).toBe(
      "--from 2026-12-01 is after 2026-11-30, the last day of a URL source without --to (yesterday, UTC)",
    );
    expect(server.hits(path("2026-12-01"))).toBe(0);
  });
});

describe("redirects", () => {
  it("follows a redirect to another file", async () => {
    serveAll();
    server.on(path("2026-03-03"), redirect("/files/2026-03-03.json.gz"));
    server.on("/files/2026-03-03.json.gz", reply(200, bytesOf("2026-03-03")));
    const summary = await run(urlOptions(), { fetch: FAST });
    expect(server.hits("/files/2026-03-03.json.gz")).toBe(1);
    expectSameAsDirectoryRun(await readTree(summary.out), summary.days);
  });

  it("fails on a redirect loop or a redirect to file:, naming the URL", async () => {
    serveAll();
    server.on(path("2026-03-03"), redirect(path("2026-03-03")));
    const loop = await rejection(run(urlOptions(), { fetch: { ...FAST, maxRedirects: 3 } }));
    expect(loop).toBeInstanceOf(RunError);
    expect(loop.message).toContain(server.url(path("2026-03-03")));
    expect(loop.message).toMatch(/too many redirects \(more than 3\) after 1 attempt/);

    server.on(path("2026-03-03"), redirect("file:///etc/passwd"));
    const file = await rejection(run(urlOptions(), { fetch: FAST }));
    expect(file.message).toMatch(/unsupported scheme "file:"/);
    expect(await readTree(urlOptions().out)).toEqual(new Map());
  });
});

describe("conditional requests", () => {
  it("sends If-None-Match on the next run, takes the 304 and writes byte-identical outputs", async () => {
    for (const [date, bytes] of days) {
      const etag = `"${date}-v1"`;
      server.on(path(date), withEtag(bytes, etag));
    }
    const first = await run(urlOptions(), { fetch: FAST });
    const before = await readTree(first.out);
    const firstRequests = server.requests.length;

    const second = await run(urlOptions(), { fetch: FAST });
    const again = server.requests.slice(firstRequests);
    expect(again).toHaveLength(days.size);
    for (const request of again)
      expect(request.headers["if-none-match"]).toBe(`"${request.path.slice(6)}-v1"`);
    expect(second.cachedDays).toBe(days.size);
    expect(second.aggregatedDays).toBe(0);
    expect(treeDifferences(await readTree(second.out), before)).toEqual([]);
    expectSameAsDirectoryRun(before, first.days);
  });
});
