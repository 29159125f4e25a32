import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  handler,
  hang,
  redirect,
  reply,
  startTestServer,
  truncate,
  type TestServer,
} from "../../test/helpers/http-server.ts";
import {
  dateRange,
  defaultRange,
  fetchAll,
  fetchDay,
  listDirectoryDays,
  parseSource,
  SourceError,
  SourceInputError,
  urlForDate,
  type FetchOptions,
  type FetchResult,
} from "./source.ts";

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

/** Rejects with the SourceError a download fails with. */
async function sourceError(promise: Promise<unknown>): Promise<SourceError> {
  const error = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(error).toBeInstanceOf(SourceError);
  return error as SourceError;
}

describe("parseSource", () => {
  it("reads a path as a directory", () => {
    expect(parseSource("data/reports")).toEqual({ kind: "dir", dir: "data/reports" });
    expect(parseSource("/abs/path")).toEqual({ kind: "dir", dir: "/abs/path" });
    expect(parseSource("C:\\reports")).toEqual({ kind: "dir", dir: "C:\\reports" });
  });

  it("reads an http or https URL with {date} as a template", () => {
    const template = "https://storage.example/merged/{date}.json";
    expect(parseSource(template)).toEqual({ kind: "url", template });
    expect(parseSource("http://127.0.0.1:8080/{date}")).toEqual({
      kind: "url",
      template: "http://127.0.0.1:8080/{date}",
    });
    expect(parseSource("HTTPS://X.example/{date}").kind).toBe("url");
  });

  it("rejects a URL without {date}", () => {
    expect(() => parseSource("https://example.com/data.json")).toThrow(/no \{date\} placeholder/);
  });

  it.each([
    "file:///tmp/{date}.json",
    "javascript:alert(1)//{date}",
    "ftp://example.com/{date}",
    "data:,{date}",
  ])("rejects the scheme of %s", (spec) => {
    expect(() => parseSource(spec)).toThrow(SourceInputError);
    expect(() => parseSource(spec)).toThrow(/unsupported scheme/);
  });

  it("rejects a {date} template without a scheme, an empty spec, credentials and invalid URLs", () => {
    expect(() => parseSource("example.com/{date}.json")).toThrow(/must be an http:\/\/ or https:\/\/ URL/);
    expect(() => parseSource("  ")).toThrow(/empty/);
    expect(() => parseSource("https://user:pw@example.com/{date}")).toThrow(/credentials/);
    expect(() => parseSource("https://exa mple.com/{date}")).toThrow(/not a valid URL/);
  });
});

describe("dates", () => {
  it("lists a range inclusively, across a leap day", () => {
    expect(dateRange("2024-02-27", "2024-03-01")).toEqual([
      "2024-02-27",
      "2024-02-28",
      "2024-02-29",
      "2024-03-01",
    ]);
    expect(dateRange("2024-01-01", "2024-01-01")).toEqual(["2024-01-01"]);
    expect(dateRange("2024-01-02", "2024-01-01")).toEqual([]);
    expect(() => dateRange("2023-02-29", "2023-03-01")).toThrow(/not a YYYY-MM-DD date/);
  });

  it("defaults to the 84 days ending yesterday, UTC", () => {
    const range = defaultRange(new Date("2024-03-10T23:59:59Z"));
    expect(range).toEqual({ from: "2023-12-17", to: "2024-03-09" });
    expect(dateRange(range.from, range.to)).toHaveLength(84);
    expect(defaultRange(new Date("2024-03-10T00:00:00Z")).to).toBe("2024-03-09");
  });

  it("fills every {date} of a template", () => {
    expect(urlForDate("https://x.example/{date}/{date}.json", "2024-05-06")).toBe(
      "https://x.example/2024-05-06/2024-05-06.json",
    );
    expect(() => urlForDate("https://x.example/{date}", "../etc")).toThrow(/not a YYYY-MM-DD date/);
  });
});

describe("listDirectoryDays", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "countersight-source-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const touch = (name: string) => writeFile(join(dir, name), "{}\n");

  it("takes only files named strictly by a calendar date and a known extension", async () => {
    for (const name of [
      "2024-01-01.json",
      "2024-01-02.json.gz",
      "2024-01-03",
      "2024-01-04.zip",
      "2024-01-05.ndjson",
      "2024-01-06.ndjson.gz",
      "2024-02-30.json",
      "x2024-01-07.json",
      "2024-01-07.json.bak",
      "2024-01-08.JSON",
      "2024-1-09.json",
      "README.md",
    ]) {
      await touch(name);
    }
    await mkdir(join(dir, "2024-01-10"));
    await symlink("/etc/hostname", join(dir, "2024-01-11.json"));

    const { days, ignored } = await listDirectoryDays(dir);
    expect(days).toEqual([
      { date: "2024-01-01", path: join(dir, "2024-01-01.json") },
      { date: "2024-01-02", path: join(dir, "2024-01-02.json.gz") },
      { date: "2024-01-03", path: join(dir, "2024-01-03") },
      { date: "2024-01-04", path: join(dir, "2024-01-04.zip") },
      { date: "2024-01-05", path: join(dir, "2024-01-05.ndjson") },
      { date: "2024-01-06", path: join(dir, "2024-01-06.ndjson.gz") },
    ]);
    expect(ignored.map((file) => file.name)).toEqual([
      "2024-01-07.json.bak",
      "2024-01-08.JSON",
      "2024-01-10",
      "2024-01-11.json",
      "2024-02-30.json",
      "2024-1-09.json",
      "README.md",
      "x2024-01-07.json",
    ]);
    expect(ignored.find((file) => file.name === "2024-02-30.json")?.reason).toMatch(/not a calendar date/);
    expect(ignored.find((file) => file.name === "2024-01-11.json")?.reason).toMatch(/symbolic link/);
    expect(ignored.find((file) => file.name === "2024-01-10")?.reason).toMatch(/not a regular file/);
  });

  it("keeps only the days within [from, to]", async () => {
    for (const name of ["2024-01-01.json", "2024-01-02.json", "2024-01-03.json", "2024-01-04.json"]) {
      await touch(name);
    }
    const { days } = await listDirectoryDays(dir, "2024-01-02", "2024-01-03");
    expect(days.map((day) => day.date)).toEqual(["2024-01-02", "2024-01-03"]);
    expect((await listDirectoryDays(dir, "2024-01-03")).days.map((day) => day.date)).toEqual([
      "2024-01-03",
      "2024-01-04",
    ]);
    await expect(listDirectoryDays(dir, "2024-13-01")).rejects.toThrow(/not a YYYY-MM-DD date/);
  });

  it("fails naming both files when a date has two", async () => {
    await touch("2024-01-01.json");
    await touch("2024-01-01.json.gz");
    await touch("2024-01-05.json");
    await touch("2024-01-05.zip");
    await expect(listDirectoryDays(dir, "2024-01-01", "2024-01-01")).rejects.toThrow(
      "two files for 2024-01-01: 2024-01-01.json and 2024-01-01.json.gz",
    );
    // Outside the range, a duplicate does not matter.
    expect((await listDirectoryDays(dir, "2024-01-02", "2024-01-04")).days).toEqual([]);
  });

  it("fails clearly when the directory does not exist", async () => {
    await expect(listDirectoryDays(join(dir, "nope"))).rejects.toThrow(/directory not found/);
  });
});

describe("fetchDay", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.close();
  });

  // Small limits so that the failure paths take milliseconds.
  const delays: number[] = [];
  const fast: FetchOptions = {
    timeoutMs: 200,
    retries: 2,
    backoffMs: 1,
    sleep: async (ms) => {
      delays.push(ms);
    },
  };
  beforeEach(() => {
    delays.length = 0;
  });

  it("returns the body and validators of a 200", async () => {
    server.on("/ok", reply(200, "hello", { etag: '"v1"', "last-modified": "Mon, 01 Jan 2024 00:00:00 GMT" }));
    const result = await fetchDay(server.url("/ok"), fast);
    expect(result.status).toBe("ok");
    if (result.status !== "ok") return;
    expect(text(result.bytes)).toBe("hello");
    expect(result.etag).toBe('"v1"');
    expect(result.lastModified).toBe("Mon, 01 Jan 2024 00:00:00 GMT");
    const request = server.requests.at(-1);
    expect(request?.headers["accept-encoding"]).toBe("identity");
    expect(request?.headers["if-none-match"]).toBeUndefined();
  });

  it("reports 404 and 410 as missing, without retrying", async () => {
    server.on("/gone", reply(410));
    expect(await fetchDay(server.url("/absent"), fast)).toEqual({ status: "missing" });
    expect(await fetchDay(server.url("/gone"), fast)).toEqual({ status: "missing" });
    expect(server.hits("/absent")).toBe(1);
    expect(server.hits("/gone")).toBe(1);
  });

  it("retries 5xx until it succeeds", async () => {
    server.on("/flaky", reply(500), reply(503), reply(200, "finally"));
    const result = await fetchDay(server.url("/flaky"), fast);
    expect(result.status === "ok" && text(result.bytes)).toBe("finally");
    expect(server.hits("/flaky")).toBe(3);
  });

  it("backs off exponentially with jitter from the random function", async () => {
    server.on("/backoff", reply(500), reply(500), reply(500), reply(200, "ok"));
    await fetchDay(server.url("/backoff"), { ...fast, retries: 3, backoffMs: 100, random: () => 0.5 });
    // Half of 100·2^k is fixed, the other half scaled by random().
    expect(delays).toEqual([75, 150, 300]);
  });

  it("gives up after the last retry with the URL, the reason and the attempts", async () => {
    server.on("/down", reply(502));
    const error = await sourceError(fetchDay(server.url("/down"), fast));
    expect(error.url).toBe(server.url("/down"));
    expect(error.reason).toBe("HTTP 502");
    expect(error.message).toBe(`GET ${server.url("/down")} failed: HTTP 502 after 3 attempts`);
    expect(server.hits("/down")).toBe(3);
  });

  it("fails at once on other 4xx", async () => {
    server.on("/forbidden", reply(403));
    const error = await sourceError(fetchDay(server.url("/forbidden"), fast));
    expect(error.message).toBe(`GET ${server.url("/forbidden")} failed: HTTP 403 after 1 attempt`);
    expect(server.hits("/forbidden")).toBe(1);
  });

  it("times out a hanging response, retries, then fails naming the URL and the timeout", async () => {
    server.on("/hang", hang());
    const started = performance.now();
    const error = await sourceError(fetchDay(server.url("/hang"), { ...fast, timeoutMs: 100, retries: 1 }));
    expect(error.message).toContain(server.url("/hang"));
    expect(error.reason).toBe("timeout after 100 ms");
    expect(server.hits("/hang")).toBe(2);
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it("applies the timeout to the body too", async () => {
    server.on(
      "/stall",
      handler((_request, response) => {
        response.writeHead(200, { "content-length": "10" });
        response.write("abc");
      }),
    );
    const error = await sourceError(fetchDay(server.url("/stall"), { ...fast, timeoutMs: 100, retries: 0 }));
    expect(error.reason).toBe("timeout after 100 ms");
  });

  it("retries a body shorter than its Content-Length", async () => {
    server.on("/short", truncate("abc", 10), reply(200, "abcdefghij"));
    const result = await fetchDay(server.url("/short"), fast);
    expect(result.status === "ok" && text(result.bytes)).toBe("abcdefghij");
    expect(server.hits("/short")).toBe(2);

    server.on("/always-short", truncate("abc", 10));
    const error = await sourceError(fetchDay(server.url("/always-short"), fast));
    expect(error.reason).toBe("truncated body: got 3 of 10 bytes");
    expect(server.hits("/always-short")).toBe(3);
  });

  it("sends validators and reports 304 as not-modified", async () => {
    server.on(
      "/etag",
      handler((request, response) => {
        if (request.headers["if-none-match"] === '"v7"') {
          response.writeHead(304).end();
        } else {
          response.writeHead(200, { etag: '"v7"' }).end("body");
        }
      }),
    );
    const first = await fetchDay(server.url("/etag"), fast);
    expect(first.status === "ok" && first.etag).toBe('"v7"');
    const etag = first.status === "ok" ? first.etag : undefined;
    expect(await fetchDay(server.url("/etag"), { ...fast, etag })).toEqual({ status: "not-modified" });

    server.on("/since", reply(304));
    const lastModified = "Tue, 02 Jan 2024 00:00:00 GMT";
    expect(await fetchDay(server.url("/since"), { ...fast, lastModified })).toEqual({
      status: "not-modified",
    });
    expect(server.requests.at(-1)?.headers["if-modified-since"]).toBe(lastModified);
  });

  it("does not take a 304 for an unconditional request as not-modified", async () => {
    server.on("/stray-304", reply(304));
    const error = await sourceError(fetchDay(server.url("/stray-304"), fast));
    expect(error.reason).toMatch(/304 to a request without validators/);
  });

  it("follows redirects, relative and absolute", async () => {
    server.on("/moved", redirect("/moved-again", 301));
    server.on("/moved-again", redirect(server.url("/final"), 307));
    server.on("/final", reply(200, "here"));
    const result = await fetchDay(server.url("/moved"), fast);
    expect(result.status === "ok" && text(result.bytes)).toBe("here");
    expect(server.hits("/final")).toBe(1);
  });

  it("fails, without retrying, past the redirect limit", async () => {
    server.on("/loop", redirect("/loop"));
    const error = await sourceError(fetchDay(server.url("/loop"), { ...fast, maxRedirects: 3 }));
    expect(error.reason).toBe("too many redirects (more than 3)");
    expect(error.attempts).toBe(1);
    expect(server.hits("/loop")).toBe(4);
  });

  it.each(["ftp://example.com/x", "file:///etc/passwd", "javascript:alert(1)"])(
    "refuses a redirect to %s",
    async (location) => {
      server.on("/to-elsewhere", redirect(location));
      const error = await sourceError(fetchDay(server.url("/to-elsewhere"), fast));
      expect(error.reason).toMatch(/unsupported scheme/);
      expect(error.attempts).toBe(1);
    },
  );

  it("refuses a URL that is not http or https", async () => {
    const error = await sourceError(fetchDay("file:///etc/passwd", fast));
    expect(error.reason).toMatch(/unsupported scheme "file:"/);
  });

  it("refuses bodies over maxBytes, declared or streamed", async () => {
    server.on("/big", reply(200, "x".repeat(100)));
    const declared = await sourceError(fetchDay(server.url("/big"), { ...fast, maxBytes: 10 }));
    expect(declared.reason).toBe("response larger than 10 bytes");
    expect(server.hits("/big")).toBe(1);

    server.on(
      "/big-chunked",
      handler((_request, response) => {
        response.writeHead(200);
        response.write("x".repeat(8));
        response.end("x".repeat(8));
      }),
    );
    const streamed = await sourceError(fetchDay(server.url("/big-chunked"), { ...fast, maxBytes: 10 }));
    expect(streamed.reason).toBe("response larger than 10 bytes");
    const exact = await fetchDay(server.url("/big-chunked"), { ...fast, maxBytes: 16 });
    expect(exact.status === "ok" && exact.bytes.byteLength).toBe(16);
  });

  it("waits as long as a 429's Retry-After says, up to a cap", async () => {
    server.on("/busy", reply(429, "", { "retry-after": "7" }), reply(200, "ok"));
    expect((await fetchDay(server.url("/busy"), fast)).status).toBe("ok");
    expect(delays).toEqual([7000]);

    delays.length = 0;
    server.on("/busy-long", reply(429, "", { "retry-after": "3600" }), reply(200, "ok"));
    expect((await fetchDay(server.url("/busy-long"), { ...fast, maxRetryAfterMs: 50 })).status).toBe("ok");
    expect(delays).toEqual([50]);
  });

  it("waits for Retry-After for real with the default sleep", async () => {
    server.on("/busy-real", reply(429, "", { "retry-after": "1" }), reply(200, "ok"));
    const started = performance.now();
    const options = { timeoutMs: 500, retries: 1, maxRetryAfterMs: 80 };
    expect((await fetchDay(server.url("/busy-real"), options)).status).toBe("ok");
    expect(performance.now() - started).toBeGreaterThanOrEqual(75);
  });

  it("retries network errors", async () => {
    const closed = await startTestServer();
    const url = closed.url("/x");
    await closed.close();
    const error = await sourceError(fetchDay(url, fast));
    expect(error.reason).toMatch(/^network error: /);
    expect(error.attempts).toBe(3);
  });

  it("stops at once, without retrying, when the caller aborts", async () => {
    server.on("/hang-abort", hang());
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 30);
    const error = await sourceError(
      fetchDay(server.url("/hang-abort"), { ...fast, timeoutMs: 5000, signal: controller.signal }),
    );
    expect(error.reason).toBe("aborted");
    expect(server.hits("/hang-abort")).toBe(1);
  });
});

describe("fetchAll", () => {
  let server: TestServer;
  beforeEach(async () => {
    server = await startTestServer();
  });
  afterEach(async () => {
    await server.close();
  });

  it("keeps at most `concurrency` downloads in flight and returns results in input order", async () => {
    const dates = dateRange("2024-01-01", "2024-01-10");
    // Later days answer sooner, so completion order differs from input order.
    dates.forEach((date, index) =>
      server.on(`/${date}`, reply(200, date, {}, { delayMs: 10 + 8 * (10 - index) })),
    );
    const items = dates.map((date) => ({ date, url: server.url(`/${date}`) }));
    const progress: string[] = [];
    const results = await fetchAll(items, {
      concurrency: 3,
      timeoutMs: 2000,
      onProgress: ({ done, total, day }) => progress.push(`${done}/${total} ${day.date}`),
    });
    expect(results.map((day) => day.date)).toEqual(dates);
    expect(results.map((day) => day.result.status === "ok" && text(day.result.bytes))).toEqual(dates);
    expect(server.maxConcurrent).toBe(3);
    expect(progress).toHaveLength(10);
    expect(progress.at(-1)).toMatch(/^10\/10 /);
    expect(progress.map((line) => line.split(" ")[1])).not.toEqual(dates);
  });

  it("sends each day's own validators", async () => {
    server.on("/2024-01-01", reply(304));
    server.on("/2024-01-02", reply(404));
    const results = await fetchAll(
      [
        { date: "2024-01-01", url: server.url("/2024-01-01"), etag: '"a"' },
        { date: "2024-01-02", url: server.url("/2024-01-02") },
      ],
      { timeoutMs: 1000 },
    );
    expect(results.map((day) => day.result)).toEqual([{ status: "not-modified" }, { status: "missing" }]);
    const headers = (path: string) => server.requests.find((request) => request.path === path)?.headers;
    expect(headers("/2024-01-01")?.["if-none-match"]).toBe('"a"');
    expect(headers("/2024-01-02")?.["if-none-match"]).toBeUndefined();
  });

  it("rejects with the first failure after aborting the downloads in flight", async () => {
    const dates = dateRange("2024-01-01", "2024-01-08");
    for (const date of dates) server.on(`/${date}`, hang());
    server.on("/2024-01-02", reply(403, "", {}, { delayMs: 20 }));
    const items = dates.map((date) => ({ date, url: server.url(`/${date}`) }));
    let active = 0;
    const settled: string[] = [];
    const tracked = async (url: string, options: FetchOptions): Promise<FetchResult> => {
      active++;
      try {
        return await fetchDay(url, options);
      } finally {
        active--;
        settled.push(url);
      }
    };
    const started = performance.now();
    const error = await sourceError(fetchAll(items, { concurrency: 3, timeoutMs: 10_000 }, tracked));
    expect(error.reason).toBe("HTTP 403");
    expect(active).toBe(0);
    expect(settled).toHaveLength(3);
    expect(performance.now() - started).toBeLessThan(2000);
    // Nothing after the first three was started.
    expect(server.requests.map((request) => request.path).sort()).toEqual([
      "/2024-01-01",
      "/2024-01-02",
      "/2024-01-03",
    ]);
  });

  it("returns nothing for no items and refuses a bad concurrency", async () => {
    expect(await fetchAll([])).toEqual([]);
    await expect(fetchAll([], { concurrency: 0 })).rejects.toThrow(/concurrency/);
  });
});

describe("fetchDay on raw sockets", () => {
  /** A server that answers every request with `reply`, as raw bytes. */
  async function rawServer(reply: string): Promise<{ url: string; close: () => void }> {
    const { createServer } = await import("node:net");
    const server = createServer((socket) => socket.once("data", () => socket.write(reply)));
    await new Promise<void>((listening) => server.listen(0, "127.0.0.1", listening));
    const { port } = server.address() as { port: number };
    return { url: `http://127.0.0.1:${port}/2024-01-01`, close: () => server.close() };
  }

  it("fails a 101 at once instead of hanging (the client only closes the socket)", async () => {
    const server = await rawServer(
      "HTTP/1.1 101 Switching Protocols\r\nupgrade: x\r\nconnection: upgrade\r\n\r\n",
    );
    try {
      await expect(fetchDay(server.url, { retries: 2, timeoutMs: 60_000 })).rejects.toThrow(
        `GET ${server.url} failed: HTTP 101 (an upgrade) to a GET of a file after 1 attempt`,
      );
    } finally {
      server.close();
    }
  });
});

describe("fetchDay over TLS", () => {
  // A self-signed certificate for localhost (test/fixtures/tls), which no client trusts.
  async function tlsServer(): Promise<{ port: number; close: () => void }> {
    const { readFile } = await import("node:fs/promises");
    const { createServer } = await import("node:https");
    const fixture = (name: string) => readFile(new URL(`../../test/fixtures/tls/${name}`, import.meta.url));
    const server = createServer(
      { key: await fixture("key.pem"), cert: await fixture("cert.pem") },
      (_, res) => res.end("{}\n"),
    );
    await new Promise<void>((listening) => server.listen(0, "127.0.0.1", listening));
    return { port: (server.address() as { port: number }).port, close: () => server.close() };
  }
  const retrying: FetchOptions = { retries: 3, backoffMs: 1, sleep: async () => {} };

  it("fails at once, without retrying, on a certificate it cannot trust", async () => {
    const server = await tlsServer();
    try {
      const url = `https://127.0.0.1:${server.port}/2024-01-01`;
      const error = await sourceError(fetchDay(url, retrying));
      expect(error.reason).toBe(
        "TLS certificate refused: self-signed certificate (DEPTH_ZERO_SELF_SIGNED_CERT)",
      );
      expect(error.attempts).toBe(1);
    } finally {
      server.close();
    }
  });

  it("fails at once on https:// to a port that speaks plain HTTP", async () => {
    const server = await startTestServer();
    try {
      const url = server.url("/2024-01-01").replace("http:", "https:");
      const error = await sourceError(fetchDay(url, retrying));
      expect(error.reason).toMatch(/^TLS handshake failed: the server does not speak TLS/);
      expect(error.attempts).toBe(1);
    } finally {
      await server.close();
    }
  });
});
