// Hostile and broken input, end to end: bad lines are rejected with their
// reason and counted while the good lines of the same file still count; a bad
// file fails only its day; --strict fails naming file and line; config errors
// name their line or field; and nothing in --source, file names, configs or
// reports can make the pipeline read or write outside its directories.

import { gzipSync, strToU8, zipSync } from "fflate";
import { mkdir, readFile, symlink, truncate, writeFile } from "node:fs/promises";
import { join, resolve, sep } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { RunError } from "../src/pipeline/run.ts";
import { MAX_DAY_FILE_BYTES } from "../src/pipeline/source.ts";
import type { DayStatus, RejectReason } from "../src/pipeline/types.ts";
import { validateLine } from "../src/pipeline/validate.ts";
import { compileUploadConfig } from "../src/pipeline/uploadconfig.ts";
import {
  CHARTS,
  dataOptions,
  readTree,
  rejection,
  removeDir,
  run,
  runCli,
  sampleUploadConfig,
  tempDir,
  UPLOAD_CONFIG,
} from "./helpers/run.ts";

const FIXTURES = resolve(import.meta.dirname, "fixtures", "bad");
const fixture = (name: string) => join(FIXTURES, name);

/** test/fixtures/bad/lines.ndjson, and what each of its lines must come to. */
const corpus = {
  text: await readFile(fixture("lines.ndjson"), "utf8"),
  expected: JSON.parse(await readFile(fixture("lines.expected.json"), "utf8")) as {
    line: number;
    expect: RejectReason | "accepted" | "blank";
  }[],
};

/** One report line (valid against data/uploadconfig.json) for cmd/go with the given X and mode. */
function reportLine(x: number, mode: "gopath" | "module", invocations = 1): string {
  return JSON.stringify({
    Week: "2026-02-01",
    LastWeek: "",
    X: x,
    Programs: [
      {
        Program: "cmd/go",
        Version: "go1.24.7",
        GoVersion: "go1.24.7",
        GOOS: "linux",
        GOARCH: "amd64",
        Counters: { "go/invocations": invocations, [`go/mode:${mode}`]: invocations },
        Stacks: {},
      },
    ],
    Config: "v0.0.9",
  });
}

const ndjson = (...lines: string[]) => strToU8(lines.join("\n") + "\n");

let dir: string;
beforeEach(async () => {
  dir = await tempDir("bad-input");
});
afterEach(async () => {
  await removeDir(dir);
});

async function writeFiles(files: Record<string, Uint8Array | string>): Promise<string> {
  const reports = join(dir, "reports");
  await mkdir(reports, { recursive: true });
  for (const [name, bytes] of Object.entries(files)) await writeFile(join(reports, name), bytes);
  return reports;
}

async function daysJson(out: string): Promise<DayStatus[]> {
  return JSON.parse(await readFile(join(out, "days.json"), "utf8")) as DayStatus[];
}

/** The rows of a chart's CSV for the whole range, by bucket. */
async function allWindowRows(out: string, chartId: string): Promise<Map<string, Record<string, string>>> {
  const [header, ...rows] = (await readFile(join(out, "charts", `${chartId}.csv`), "utf8"))
    .trim()
    .split("\n");
  const columns = header!.split(",");
  const records = rows.map((row) => Object.fromEntries(row.split(",").map((cell, i) => [columns[i], cell])));
  const index = JSON.parse(await readFile(join(out, "index.json"), "utf8")) as {
    windows: { all: { start: string; end: string } };
  };
  return new Map(
    records
      .filter((r) => r.window_start === index.windows.all.start && r.window_end === index.windows.all.end)
      .map((r) => [r.bucket!, r]),
  );
}

describe("bad lines", () => {
  it("rejects every bad line of the corpus with its reason", async () => {
    const policy = { uploadConfig: compileUploadConfig(await sampleUploadConfig(), true) };
    const lines = corpus.text.split("\n");
    for (const { line, expect: expected } of corpus.expected) {
      if (expected === "blank") continue;
      const result = validateLine(lines[line - 1]!, line, policy);
      expect(result.ok ? "accepted" : result.rejection.reason, `line ${line}`).toBe(expected);
      if (!result.ok) {
        expect(result.rejection.line).toBe(line);
        expect(result.rejection.detail.length).toBeGreaterThan(0);
      }
    }
  });

  it("counts the rejected lines by reason in days.json, and still counts the good lines of the file, a repeated X once", async () => {
    const reports = await writeFiles({
      "2026-02-01.json": corpus.text,
      "2026-02-02.json.gz": gzipSync(ndjson(reportLine(0.9, "gopath", 10))),
    });
    const summary = await run(dataOptions(dir, { source: reports }));
    const [bad, good] = await daysJson(summary.out);

    const rejected: Partial<Record<RejectReason, number>> = {};
    for (const { expect: expected } of corpus.expected) {
      if (expected !== "accepted" && expected !== "blank") rejected[expected] = (rejected[expected] ?? 0) + 1;
    }
    expect(bad).toMatchObject({
      date: "2026-02-01",
      status: "ok",
      lines: corpus.expected.length,
      accepted: 3,
      // Lines 1 and 25 carry the same X: one report.
      reports: 2,
      rejected,
    });
    expect(bad!.rejections).toHaveLength(20);
    for (const sample of bad!.rejections) {
      expect(corpus.expected[sample.line - 1]?.expect, `line ${sample.line}`).toBe(sample.reason);
    }
    expect(good).toMatchObject({ date: "2026-02-02", status: "ok", accepted: 1, reports: 1, rejected: {} });

    const mode = await allWindowRows(summary.out, "cmd-go--go-mode");
    expect(mode.get("module")).toMatchObject({ reports: "1", eligible_reports: "3" });
    expect(mode.get("gopath")).toMatchObject({ reports: "2", eligible_reports: "3" });
    // The repeated report counts with its first line's value (3), not both (3 + 5).
    const invocations = await allWindowRows(summary.out, "cmd-go--go-invocations");
    expect(invocations.get("go/invocations")).toMatchObject({
      reports: "3",
      counter_total: String(3 + 1 + 10),
    });
    expect(summary.index.reports).toBe(3);
  });

  it("--strict fails (exit 1) naming the file and line of each rejected line", async () => {
    const reports = await writeFiles({ "2026-02-01.json": corpus.text });
    const args = ["--source", reports, "--charts", CHARTS, "--upload-config", UPLOAD_CONFIG];
    const paths = ["--out", join(dir, "out"), "--cache", join(dir, "cache"), "--progress", "none"];
    const strict = await runCli([...args, ...paths, "--strict"]);
    expect(strict.code).toBe(1);
    const file = join(reports, "2026-02-01.json");
    const rejected = corpus.expected.filter(({ expect }) => expect !== "accepted" && expect !== "blank");
    expect(strict.stderr).toContain(`--strict: ${rejected.length} rejected line(s) or failed day(s)`);
    expect(strict.stderr).toContain(`${file}:2: not-json: not valid JSON`);
    expect(strict.stderr).toContain(`${file}:13: bad-x: X: 0 is outside (0, 1]`);
    expect(await readTree(join(dir, "out"))).toEqual(new Map());
  });
});

describe("bad files", () => {
  const good = (x: number) => gzipSync(ndjson(reportLine(x, "module")));
  const limits = { maxDecompressedBytes: 2 * 1024 ** 2 };

  /** A malformed line, then a good one, then a CRC-32 that does not match: read to the end, then failed. */
  function badCrc(): Uint8Array {
    const bytes = gzipSync(ndjson("not json", reportLine(0.33, "module")));
    bytes[bytes.length - 8] = bytes[bytes.length - 8]! ^ 0xff;
    return bytes;
  }

  /** A stored zip with one byte of its report changed: nothing but the CRC-32 can tell. */
  function damagedZip(): Uint8Array {
    const bytes = zipSync({ "day.json": ndjson(reportLine(0.44, "module")) }, { level: 0 });
    const at = bytes.indexOf(0x34, 30 + "day.json".length); // a "4" of X 0.44, in the stored data
    bytes[at] = 0x35;
    return bytes;
  }

  const files: Record<string, Uint8Array> = {
    "2026-02-01.json.gz": good(0.11),
    "2026-02-02.json.gz": badCrc(),
    "2026-02-03.zip": zipSync({ "a.json": ndjson(reportLine(0.21, "module")), "b.json": ndjson("{}") }),
    "2026-02-11.zip": damagedZip(),
    // 16 MiB of zeros in 16 KiB: a bomb, against a limit lowered to 2 MiB for the test.
    "2026-02-04.json.gz": gzipSync(new Uint8Array(16 * 1024 ** 2), { level: 9 }),
    "2026-02-05.zip": zipSync({ "2026-02-05.json": new Uint8Array(16 * 1024 ** 2) }, { level: 9 }),
    "2026-02-06.json": new Uint8Array(0),
    // A line over the 1 MiB line limit between two good ones.
    "2026-02-07.json": ndjson(
      reportLine(0.71, "module"),
      `{"Week":"${"x".repeat(1024 ** 2)}"}`,
      reportLine(0.72, "gopath"),
    ),
    // A line that is not UTF-8 between two good ones: a malformed line, not a broken file.
    "2026-02-08.json": new Uint8Array([
      ...strToU8(reportLine(0.81, "module")),
      0x0a,
      ...strToU8(reportLine(0.82, "module")).map((byte, i) => (i === 30 ? 0xff : byte)),
      0x0a,
      ...strToU8(reportLine(0.83, "gopath")),
      0x0a,
    ]),
    "2026-02-09.json.gz": good(0.91).subarray(0, 20),
    "2026-02-10.json.gz": good(0.12),
    // An error page served as a day, and a binary file: no line of either is JSON.
    "2026-02-12.json": strToU8("<!DOCTYPE html>\n<html><body>502 Bad Gateway</body></html>\n"),
    "2026-02-13.json.gz": gzipSync(Uint8Array.from({ length: 4096 }, (_, i) => (i * 7919) % 251)),
  };

  it("fails only the day of an unreadable file, naming the file, and counts the other days", async () => {
    const reports = await writeFiles(files);
    const summary = await run(dataOptions(dir, { source: reports }), { limits });
    const days = await daysJson(summary.out);
    const byDate = new Map(days.map((day) => [day.date, day]));
    const failed = (date: string, message: RegExp) => {
      const day = byDate.get(date)!;
      expect(day.status, date).toBe("failed");
      expect(day.error).toContain(day.source);
      expect(day.error).toMatch(message);
      // Lines read before the failure are not counted either way: they cannot be trusted.
      expect(day).toMatchObject({ lines: 0, accepted: 0, reports: 0, rejected: {}, rejections: [] });
    };
    failed("2026-02-02", /gzip data is corrupt or truncated \(CRC-32 mismatch\)/);
    failed("2026-02-03", /zip holds 2 files \("a.json", "b.json"\); expected exactly one NDJSON file/);
    failed("2026-02-04", /holds more than 2097152 bytes of text/);
    failed("2026-02-05", /holds more than 2097152 bytes of text/);
    failed("2026-02-09", /gzip data is corrupt or truncated/);
    failed("2026-02-11", /zip entry "day.json" is corrupt \(CRC-32 mismatch\)/);
    failed(
      "2026-02-12",
      /: not a file of reports: none of its 2 lines is a JSON object \(line 1 starts "<!DOCTYPE html>"\)$/,
    );
    failed("2026-02-13", /: not a file of reports: none of its \d+ lines is UTF-8 text \(line 1 starts "/);
    expect(byDate.get("2026-02-06")).toMatchObject({ status: "ok", lines: 0, accepted: 0, bytes: 0 });
    expect(byDate.get("2026-02-08")).toMatchObject({
      status: "ok",
      lines: 3,
      accepted: 2,
      reports: 2,
      rejected: { "not-json": 1 },
      rejections: [{ reason: "not-json", line: 2, detail: "not valid JSON (its bytes are not UTF-8)" }],
    });
    expect(byDate.get("2026-02-07")).toMatchObject({
      status: "ok",
      lines: 3,
      accepted: 2,
      reports: 2,
      rejected: { "too-long": 1 },
      rejections: [{ reason: "too-long", line: 2 }],
    });
    for (const date of ["2026-02-01", "2026-02-10"]) {
      expect(byDate.get(date)).toMatchObject({ status: "ok", accepted: 1, reports: 1 });
    }
    expect(summary.index.days).toBe(5);
    expect(summary.index.reports).toBe(6);
  });

  it("fails only the day of a file larger than a day file may be, without reading it", async () => {
    const reports = await writeFiles({
      "2026-02-01.json.gz": good(0.1),
      "2026-02-02.json": new Uint8Array(0),
    });
    const huge = join(reports, "2026-02-02.json");
    await truncate(huge, MAX_DAY_FILE_BYTES + 1); // sparse: nothing is written
    const summary = await run(dataOptions(dir, { source: reports }));
    const byDate = new Map((await daysJson(summary.out)).map((day) => [day.date, day]));
    expect(byDate.get("2026-02-02")).toMatchObject({ status: "failed", accepted: 0 });
    expect(byDate.get("2026-02-02")!.error).toBe(
      `${huge}: cannot read: ${MAX_DAY_FILE_BYTES + 1} bytes, more than the ${MAX_DAY_FILE_BYTES} a day file may hold`,
    );
    expect(byDate.get("2026-02-01")).toMatchObject({ status: "ok", accepted: 1 });
  });

  it("fails only the day of a file that cannot be read at all (an I/O error), naming it and the reason", async () => {
    const reports = await writeFiles({
      "2026-02-01.json.gz": good(0.1),
      "2026-02-02.json.gz": good(0.2),
      "2026-02-03.json.gz": good(0.3),
    });
    const broken = join(reports, "2026-02-02.json.gz");
    const failingRead = async (path: string) => {
      if (path === broken) throw Object.assign(new Error("EIO: i/o error, read"), { code: "EIO" });
      return new Uint8Array(await readFile(path));
    };
    const options = dataOptions(dir, { source: reports });
    const summary = await run(options, { readFile: failingRead });
    const byDate = new Map((await daysJson(summary.out)).map((day) => [day.date, day]));
    expect(byDate.get("2026-02-02")).toMatchObject({ status: "failed", accepted: 0 });
    expect(byDate.get("2026-02-02")!.error).toBe(`${broken}: cannot read: EIO: i/o error, read`);
    expect(byDate.get("2026-02-01")).toMatchObject({ status: "ok", accepted: 1 });
    expect(byDate.get("2026-02-03")).toMatchObject({ status: "ok", accepted: 1 });
    expect(summary.index.reports).toBe(2);
    const strict = await rejection(run({ ...options, strict: true }, { readFile: failingRead }));
    expect(strict.message).toContain(`${broken}: cannot read: EIO`);
  });

  it("--strict fails (exit 1) naming the unreadable file", async () => {
    const reports = await writeFiles({
      "2026-02-01.json.gz": files["2026-02-01.json.gz"]!,
      "2026-02-02.json.gz": files["2026-02-02.json.gz"]!,
    });
    const args = [
      "--source",
      reports,
      "--charts",
      CHARTS,
      "--upload-config",
      UPLOAD_CONFIG,
      "--progress",
      "none",
    ];
    const paths = ["--out", join(dir, "out"), "--cache", join(dir, "cache")];
    const file = join(reports, "2026-02-02.json.gz");
    const strict = await runCli([...args, ...paths, "--strict"]);
    expect(strict.code).toBe(1);
    expect(strict.stderr).toContain(`${file}: gzip data is corrupt or truncated (CRC-32 mismatch)`);
    expect(await readTree(join(dir, "out"))).toEqual(new Map());
  });
});

describe("config errors", () => {
  const cli = (...args: string[]) =>
    runCli([
      "--source",
      join(import.meta.dirname, "..", "data", "reports"),
      "--out",
      join(dir, "out"),
      "--cache",
      join(dir, "cache"),
      "--progress",
      "none",
      ...args,
    ]);

  it("names the file and line of each chart config error (exit 1)", async () => {
    const result = await cli("--charts", fixture("charts.txt"));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`charts.txt:11: unknown chart type "pie"`);
    expect(result.stderr).toContain(`charts.txt:14: unknown key "colour"`);
  });

  it("refuses a chart config that holds no chart, naming it", async () => {
    const source = join(import.meta.dirname, "..", "data", "reports");
    for (const text of ["", "# only a comment\n", "---\n---\n"]) {
      const charts = join(dir, "empty.txt");
      await writeFile(charts, text);
      const error = await rejection(run(dataOptions(dir, { source, charts, uploadConfig: null })));
      expect(error).toBeInstanceOf(RunError);
      expect(error.message).toBe(
        `${charts}: the chart config holds no chart (a record needs at least a counter)`,
      );
    }
  });

  it("names the line of an upload config that is not JSON, and the field of one with the wrong shape", async () => {
    const source = join(import.meta.dirname, "..", "data", "reports");
    const notJson = await rejection(
      run(dataOptions(dir, { source, uploadConfig: fixture("uploadconfig-not-json.json") })),
    );
    expect(notJson).toBeInstanceOf(RunError);
    expect(notJson.message).toContain("uploadconfig-not-json.json:2: not valid JSON");
    const wrongShape = await rejection(
      run(dataOptions(dir, { source, uploadConfig: fixture("uploadconfig-wrong-shape.json") })),
    );
    expect(wrongShape).toBeInstanceOf(RunError);
    expect(wrongShape.message).toContain(
      'uploadconfig-wrong-shape.json: Programs[0].Counters[0].Rate: expected a number in [0, 1], got "often"',
    );
  });
});

describe("--out safety", () => {
  it("refuses a second run on an --out that another run is writing, and the other completes", async () => {
    const source = join(import.meta.dirname, "..", "data", "reports");
    // Separate caches: only --out is shared (runs sharing a cache are fine).
    const [a, b] = await Promise.allSettled([
      run(dataOptions(dir, { source, cache: join(dir, "cache-a") })),
      run(dataOptions(dir, { source, cache: join(dir, "cache-b") })),
    ]);
    const refused = [a, b].filter((r) => r.status === "rejected");
    expect(refused).toHaveLength(1);
    const reason = (refused[0] as PromiseRejectedResult).reason as Error;
    expect(reason).toBeInstanceOf(RunError);
    expect(reason.message).toContain(`--out ${join(dir, "out")} is being written by another run`);
    const index = JSON.parse(await readFile(join(dir, "out", "index.json"), "utf8"));
    for (const chart of index.charts) await readFile(join(dir, "out", chart.csv));
    // Released: the next run goes ahead.
    await run(dataOptions(dir, { source, cache: join(dir, "cache-a") }));
  });

  it("refuses an --out that would replace the source, or files a run does not write, and touches nothing", async () => {
    const reports = join(dir, "reports");
    await mkdir(reports);
    await writeFile(join(reports, "2026-02-01.json"), ndjson(reportLine(0.5, "module")));
    const before = await readTree(dir);
    const onSource = await runCli([
      "--source",
      reports,
      "--out",
      reports,
      "--cache",
      join(dir, "cache"),
      "--progress",
      "none",
    ]);
    expect(onSource.code).toBe(1);
    expect(onSource.stderr).toContain(
      `npm run data: --out ${reports} would replace the --source directory ${reports}`,
    );
    const onParent = await rejection(run(dataOptions(dir, { source: reports, out: dir })));
    expect(onParent).toBeInstanceOf(RunError);
    expect(onParent.message).toContain("would replace the --source directory");
    const mine = join(dir, "mine");
    await mkdir(mine);
    await writeFile(join(mine, "notes.txt"), "precious");
    const onMine = await rejection(run(dataOptions(dir, { source: reports, out: mine })));
    expect(onMine.message).toContain(`--out ${mine} holds files a run does not write (notes.txt)`);
    const after = await readTree(dir);
    after.delete(join("mine", "notes.txt"));
    expect(after).toEqual(before);
  });
});

describe("source safety", () => {
  it("accepts only http, https and local paths as --source", async () => {
    const cli = await runCli([
      "--source",
      "file:///etc/{date}",
      "--out",
      join(dir, "out"),
      "--progress",
      "none",
    ]);
    expect(cli.code).toBe(1);
    expect(cli.stderr).toContain('--source "file:///etc/{date}": unsupported scheme "file:"');
    for (const [source, scheme] of [
      ["javascript:alert(1)", "javascript:"],
      ["ftp://example.com/{date}", "ftp:"],
      ["data:text/plain,{date}", "data:"],
    ]) {
      const error = await rejection(run(dataOptions(dir, { source: source! })));
      expect(error).toBeInstanceOf(RunError);
      expect(error.message).toContain(`unsupported scheme "${scheme}"`);
    }
    expect(await readTree(join(dir, "out"))).toEqual(new Map());
  });

  it("names a --source directory that is missing or not a directory once, with the reason", async () => {
    const missing = join(dir, "no-such-dir");
    const cli = await runCli(["--source", missing, "--out", join(dir, "out"), "--progress", "none"]);
    expect(cli.code).toBe(1);
    expect(cli.stderr).toContain(`--source ${JSON.stringify(missing)}: directory not found`);
    expect(cli.stderr.split("--source").length - 1).toBe(1);
    const file = join(dir, "a-file");
    await writeFile(file, "not a directory");
    const error = await rejection(run(dataOptions(dir, { source: file })));
    expect(error).toBeInstanceOf(RunError);
    expect(error.message).toBe(`--source ${JSON.stringify(file)}: not a directory`);
    expect(await readTree(join(dir, "out"))).toEqual(new Map());
  });

  it("reads only files named exactly YYYY-MM-DD[.ext] directly in the source directory", async () => {
    const line = (x: number) => ndjson(reportLine(x, "module"));
    const reports = await writeFiles({
      "2024-01-01.json.gz.evil": gzipSync(line(0.1)),
      "2024-01-02.json": line(0.2),
      "2024-01-05.json~": line(0.5),
    });
    await writeFile(join(dir, "2024-01-01.json"), line(0.11));
    await writeFile(join(dir, "outside.json"), line(0.3));
    await symlink(join(dir, "outside.json"), join(reports, "2024-01-03.json"));
    await mkdir(join(reports, "2024-01-04.json"));
    await writeFile(join(reports, "2024-01-04.json", "2024-01-04.json"), line(0.4));

    const summary = await run(dataOptions(dir, { source: reports, from: "2024-01-01", to: "2024-01-05" }));
    expect(summary.days.map((day) => [day.date, day.status])).toEqual([
      ["2024-01-01", "missing"],
      ["2024-01-02", "ok"],
      ["2024-01-03", "missing"],
      ["2024-01-04", "missing"],
      ["2024-01-05", "missing"],
    ]);
    expect(summary.index.reports).toBe(1);
    expect(summary.ignoredFiles.map((file) => file.name)).toEqual([
      "2024-01-01.json.gz.evil",
      "2024-01-03.json",
      "2024-01-04.json",
      "2024-01-05.json~",
    ]);
  });

  it("writes only inside --out and --cache, whatever the configs and reports name", async () => {
    const escape = "../../../../../../../../tmp/countersight-pwned";
    const charts = join(dir, "work", "charts.txt");
    await mkdir(join(dir, "work"), { recursive: true });
    await writeFile(
      charts,
      [
        "title: <script>alert(1)</script>",
        `counter: ../../x:{${escape},a}`,
        "type: partition",
        "issue: https://go.dev/issue/1",
        `program: ${escape}`,
        "---",
        "title: stacks",
        "counter: /etc/passwd",
        "type: stack",
        "depth: 2",
        "issue: https://go.dev/issue/2",
        "program: ..\\..\\windows\\system32",
      ].join("\n") + "\n",
    );
    const report = (x: number) =>
      JSON.stringify({
        Week: "2026-02-01",
        X: x,
        Programs: [
          {
            Program: escape,
            Version: "../../v1",
            GoVersion: "go1.24.7",
            GOOS: "../../../etc",
            GOARCH: "/dev/null",
            Counters: { [`../../x:${escape}`]: 1, "../../x:a": 2 },
          },
          {
            Program: "..\\..\\windows\\system32",
            Version: "v1",
            GoVersion: "go1.24.7",
            GOOS: "linux",
            GOARCH: "amd64",
            Stacks: { "/etc/passwd\n../../frame": 1 },
          },
        ],
      });
    const reports = await writeFiles({ "2026-02-01.json": ndjson(report(0.5), report(0.6)) });
    const before = new Set((await readTree(dir)).keys());

    const out = join(dir, "work", "out");
    const cache = join(dir, "work", "cache");
    const summary = await run({
      ...dataOptions(dir, { source: reports }),
      charts,
      uploadConfig: null,
      out,
      cache,
    });
    expect(summary.index.reports).toBe(2);

    for (const name of (await readTree(dir)).keys()) {
      if (before.has(name)) continue;
      expect(name.startsWith(`work${sep}out${sep}`) || name.startsWith(`work${sep}cache${sep}`), name).toBe(
        true,
      );
    }
    for (const chart of summary.index.charts) {
      expect(chart.id).toMatch(/^[a-z0-9]+(-{1,2}[a-z0-9]+)*(-\d+)?$/);
      for (const file of [chart.csv, chart.json]) {
        expect(resolve(out, file).startsWith(join(out, "charts") + sep), file).toBe(true);
      }
    }
    expect(summary.index.charts.map((chart) => chart.id)).toContain("tmp-countersight-pwned--x");
    expect(summary.index.charts.map((chart) => chart.id)).toContain("windows-system32--etc-passwd");
  });
});
