// End to end: `npm run data` on a generated range, checked against an
// independent re-implementation of upstream's counting
// (golang.org/x/telemetry godev/cmd/worker: group, then partition).

import { csvParse } from "d3-dsv";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Generator, type UploadedReport } from "../scripts/generate-lib.ts";
import { readUploadConfig } from "../scripts/generate.ts";
import { upstreamDir } from "./helpers/upstream.ts";
import type {
  ChartFile,
  ChartRow,
  DayStatus,
  Report,
  SiteIndex,
  UploadConfig,
} from "../src/pipeline/types.ts";

const root = new URL("..", import.meta.url).pathname;
const upload: UploadConfig = readUploadConfig(join(root, "data/uploadconfig.json"));
const generator = new Generator({
  end: "2026-11-22",
  days: 24,
  reports: 120,
  seed: 7,
  format: "gzip",
  uploadConfig: upload,
});

const temporary: string[] = [];
function temporaryDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  temporary.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of temporary) rmSync(dir, { recursive: true, force: true });
});

function runCli(args: string[]) {
  return spawnSync(process.execPath, ["scripts/data.mjs", "--progress", "none", ...args], {
    cwd: root,
    encoding: "utf8",
  });
}

function readTree(dir: string, prefix = ""): Map<string, string> {
  const files = new Map<string, string>();
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(prefix, entry.name);
    if (entry.isDirectory()) for (const [p, c] of readTree(join(dir, entry.name), path)) files.set(p, c);
    else files.set(path, readFileSync(join(dir, entry.name), "utf8"));
  }
  return files;
}

// --- The oracle: upstream's group and partition, transcribed, over parsed lines. ---

function goMajorMinor(v: string): string {
  const m = /^(0|[1-9]\d*)\.(0|[1-9]\d*)/.exec(v.slice(2));
  return m ? `go${m[1]}.${m[2]}` : "";
}

function semverMajorMinor(v: string): string {
  const m = /^v(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/.exec(v);
  return m ? `v${m[1]}.${m[2]}` : "";
}

function normalize(chart: string, bucket: string): string {
  if (chart === "Version")
    return bucket === "devel"
      ? bucket
      : bucket.startsWith("go")
        ? goMajorMinor(bucket)
        : semverMajorMinor(bucket);
  if (chart === "GoVersion") return goMajorMinor(bucket);
  return bucket;
}

/** group(): program → chart → raw bucket → set of report X. */
function group(reports: Report[]): Map<string, Map<string, Map<string, Set<number>>>> {
  const data = new Map<string, Map<string, Map<string, Set<number>>>>();
  const write = (program: string, chart: string, bucket: string, x: number) => {
    const charts = data.get(program) ?? data.set(program, new Map()).get(program)!;
    const buckets = charts.get(chart) ?? charts.set(chart, new Map()).get(chart)!;
    (buckets.get(bucket) ?? buckets.set(bucket, new Set()).get(bucket)!).add(x);
  };
  for (const r of reports) {
    for (const p of r.Programs) {
      write(p.Program, "Version", p.Version, r.X);
      write(p.Program, "GOOS", p.GOOS, r.X);
      write(p.Program, "GOARCH", p.GOARCH, r.X);
      write(p.Program, "GoVersion", p.GoVersion, r.X);
      for (const c of Object.keys(p.Counters ?? {})) {
        const i = c.indexOf(":");
        write(p.Program, i < 0 ? c : c.slice(0, i), i < 0 ? c : c.slice(i + 1), r.X);
      }
    }
  }
  return data;
}

/** partition(): normalised bucket → distinct reports, over the configured raw buckets. */
function partition(data: ReturnType<typeof group>, program: string, chart: string, buckets: string[]) {
  const merged = new Map<string, Set<number>>();
  for (const bucket of new Set(buckets)) {
    const normal = normalize(chart, bucket);
    const set = merged.get(normal) ?? merged.set(normal, new Set()).get(normal)!;
    for (const x of data.get(program)?.get(chart)?.get(bucket) ?? []) set.add(x);
  }
  return new Map([...merged].map(([bucket, ids]) => [bucket, ids.size]));
}

/** Lines the pipeline accepts; the generator's few malformed lines are left out as upstream's upload server does. */
function acceptedReports(dates: string[], from: Generator = generator): Report[] {
  const reports: Report[] = [];
  for (const date of dates) {
    for (const line of from.day(date).lines) {
      let report: Report;
      try {
        const parsed = JSON.parse(line) as UploadedReport;
        // A nil slice, as Go reads null: no programs.
        report = { ...parsed, Programs: parsed.Programs ?? [] };
      } catch {
        continue;
      }
      const negative = report.Programs.some((p) => Object.values(p.Counters ?? {}).some((n) => n < 0));
      if (report.X > 0 && report.X <= 1 && !negative) reports.push(report);
    }
  }
  return reports;
}

function expand(expression: string): string[] {
  const m = /^([^{]*)\{(.*)\}$/.exec(expression);
  return m ? m[2]!.split(",").map((b) => m[1] + b.trim()) : [expression];
}

/** The configured buckets of a partition chart's counter, without the chart name. */
function configuredBuckets(chart: ChartFile): string[] {
  return expand(chart.counter).map((c) => (c.includes(":") ? c.slice(c.indexOf(":") + 1) : c));
}

/** A built-in chart's raw buckets under an upload config: its lists of versions and platforms. */
function listedBuckets(config: UploadConfig): (program: string, chart: string) => string[] {
  return (program, chart) =>
    ({
      Version: config.Programs.find((p) => p.Name === program)?.Versions ?? [],
      GOOS: config.GOOS,
      GOARCH: config.GOARCH,
      GoVersion: config.GoVersion,
    })[chart] ?? [];
}

/**
 * Compares every partition chart of an output with the oracle, window by window, and returns
 * how many rows were compared. `builtinBuckets` gives a built-in chart's raw buckets, which
 * come from the upload config.
 */
function comparePartitions(
  out: string,
  index: SiteIndex,
  builtinBuckets: (program: string, chart: string) => string[],
  from: Generator = generator,
): number {
  const windows = [index.windows.latest7, index.windows.latest28, index.windows.all, ...index.windows.weeks];
  let compared = 0;
  for (const window of windows) {
    const dates = from.dates().filter((d) => d >= window.start && d <= window.end);
    const data = group(acceptedReports(dates, from));
    for (const entry of index.charts.filter((c) => c.type === "partition")) {
      const chart = JSON.parse(readFileSync(join(out, entry.json), "utf8")) as ChartFile;
      const buckets = chart.builtin ? builtinBuckets(chart.program, chart.name) : configuredBuckets(chart);
      const expected = partition(data, chart.program, chart.name, buckets);
      const rows = chart.rows.filter((r) => r.window_start === window.start && r.window_end === window.end);
      expect(
        new Map(rows.map((r) => [r.bucket, r.reports])),
        `${entry.id} ${window.start}…${window.end}`,
      ).toEqual(expected);
      compared += rows.length;
    }
  }
  return compared;
}

// --- The run. ---

let source: string;
let out: string;
let index: SiteIndex;

beforeAll(() => {
  source = temporaryDir("cs-run-source-");
  // Every format the pipeline reads, by bytes rather than by name.
  const formats = ["gzip", "plain", "zip"] as const;
  generator.dates().forEach((date, i) => {
    const format = formats[i % 3]!;
    const day = generator.day(date);
    const name = { gzip: `${date}.json.gz`, plain: date, zip: `${date}.zip` }[format];
    const bytes =
      format === "gzip" ? day.bytes : new Generator({ ...generator.options, format }).day(date).bytes;
    writeFileSync(join(source, name), bytes);
  });
  out = temporaryDir("cs-run-out-");
  const cache = temporaryDir("cs-run-cache-");
  const run = runCli(["--source", source, "--out", out, "--cache", cache, "--workers", "2"]);
  expect(run.stderr).toBe("");
  expect(run.status).toBe(0);
  index = JSON.parse(readFileSync(join(out, "index.json"), "utf8")) as SiteIndex;
}, 120_000);

describe("npm run data on a generated range", () => {
  it("reads every day in every format, and counts the malformed lines by reason", () => {
    const days = JSON.parse(readFileSync(join(out, "days.json"), "utf8")) as DayStatus[];
    expect(days.map((d) => d.date)).toEqual(generator.dates());
    expect(days.every((d) => d.status === "ok")).toBe(true);
    for (const day of days) {
      const lines = generator.day(day.date).lines;
      expect(day.lines).toBe(lines.length);
      const rejected = Object.values(day.rejected).reduce((a, b) => a + (b ?? 0), 0);
      expect(day.accepted + rejected).toBe(lines.length);
      expect(day.reports).toBe(new Set(acceptedReports([day.date]).map((r) => r.X)).size);
    }
  });

  it("writes every chart of the index as CSV with the contract's header and as JSON", () => {
    expect(index.charts.length).toBeGreaterThan(20);
    for (const entry of index.charts) {
      const csv = readFileSync(join(out, entry.csv), "utf8");
      expect(csv.split("\n")[0]).toBe(
        "program,chart,bucket,window_start,window_end,reports,eligible_reports,share,share_low,share_high,counter_total",
      );
      const chart = JSON.parse(readFileSync(join(out, entry.json), "utf8")) as ChartFile;
      expect(chart).toMatchObject({
        id: entry.id,
        program: entry.program,
        name: entry.name,
        title: entry.title,
      });
      expect(csvParse(csv).length).toBe(chart.rows.length);
    }
    const all = csvParse(readFileSync(join(out, "all.csv"), "utf8"));
    const perChart = index.charts.reduce(
      (sum, entry) => sum + csvParse(readFileSync(join(out, entry.csv), "utf8")).length,
      0,
    );
    expect(all.length).toBe(perChart);
  });

  it("gives each configured chart its own config record's title and counter", () => {
    const configs = JSON.parse(readFileSync(join(out, "config.json"), "utf8")).chartConfig.parsed as {
      program: string;
      counter: string;
      title: string;
    }[];
    for (const entry of index.charts.filter((c) => !c.builtin)) {
      const chart = JSON.parse(readFileSync(join(out, entry.json), "utf8")) as ChartFile;
      const config = configs.find((c) => c.program === chart.program && c.counter === chart.counter);
      expect(config, `${entry.id} has a config record`).toBeDefined();
      expect(chart.title).toBe(config!.title);
      expect(chart.counter.split(":")[0]).toBe(chart.name);
    }
  });

  it("equals upstream's partition counts for every partition chart, in every window", () => {
    expect(comparePartitions(out, index, listedBuckets(upload))).toBeGreaterThan(1000);
  });

  it("makes shares of eligible reports: the program's reports with X within the counter's rate", () => {
    const chart = JSON.parse(
      readFileSync(join(out, "charts/cmd-go--go-buildcache.json"), "utf8"),
    ) as ChartFile;
    expect(chart.rate).toBeLessThan(1);
    const { start, end } = index.windows.latest7;
    const reports = acceptedReports(generator.dates().filter((d) => d >= start && d <= end));
    const eligible = new Set(
      reports
        .filter((r) => r.X <= chart.rate && r.Programs.some((p) => p.Program === "cmd/go"))
        .map((r) => r.X),
    );
    const row = chart.rows.find(
      (r) => r.window_start === start && r.window_end === end && r.bucket === "hit",
    ) as ChartRow;
    expect(row.eligible_reports).toBe(eligible.size);
    expect(row.share).toBeCloseTo(row.reports / row.eligible_reports, 6);
    expect(row.share_low).toBeLessThanOrEqual(row.share);
    expect(row.share_high).toBeGreaterThanOrEqual(row.share);
  });

  it("is deterministic: a second run with a warm cache writes byte-identical files", () => {
    const again = temporaryDir("cs-run-out2-");
    const cache = temporaryDir("cs-run-cache2-");
    expect(runCli(["--source", source, "--out", again, "--cache", cache, "--workers", "0"]).status).toBe(0);
    const warm = runCli(["--source", source, "--out", again, "--cache", cache]);
    expect(warm.status).toBe(0);
    expect(warm.stdout).toMatch(/0 aggregated, 24 from cache/);
    expect(readTree(again)).toEqual(readTree(out));
  }, 120_000);
});

describe("npm run data with upstream's own chart config", () => {
  const VSCGO = "github.com/golang/vscode-go/vscgo";
  // golang.org/x/telemetry's chartconfig.txt, with the upload config derived from it: the
  // generated reports cover some of its counters (gopls/client, go/invocations, the
  // govulncheck flags…) and none of the others, whose buckets must all be 0.
  let upstreamOut: string;
  let upstreamIndex: SiteIndex;
  beforeAll(() => {
    upstreamOut = temporaryDir("cs-run-upstream-out-");
    const cache = temporaryDir("cs-run-upstream-cache-");
    const charts = join(upstreamDir(), "chartconfig.txt");
    const run = runCli(["--source", source, "--charts", charts, "--out", upstreamOut, "--cache", cache]);
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    upstreamIndex = JSON.parse(readFileSync(join(upstreamOut, "index.json"), "utf8")) as SiteIndex;
  }, 120_000);

  it("equals upstream's partition counts for every partition chart, in every window", () => {
    // Nothing restricts the built-in charts: their buckets are every value seen in the range.
    const seen = group(acceptedReports(generator.dates()));
    const builtinBuckets = (program: string, chart: string) => [
      ...(seen.get(program)?.get(chart)?.keys() ?? []),
    ];
    const configured = upstreamIndex.charts.filter((c) => c.type === "partition" && !c.builtin);
    const records = readFileSync(join(upstreamDir(), "chartconfig.txt"), "utf8").match(
      /^type: *partition\s*$/gm,
    );
    expect(configured.length).toBe(records!.length);
    expect(comparePartitions(upstreamOut, upstreamIndex, builtinBuckets)).toBeGreaterThan(1000);
    // …and the comparison is not only of zeros: the counters both configs know have data.
    const clients = JSON.parse(
      readFileSync(join(upstreamOut, "charts/golang-org-x-tools-gopls--gopls-client.json"), "utf8"),
    ) as ChartFile;
    expect(clients.rows.filter((r) => r.reports > 0).length).toBeGreaterThan(50);
  });

  it("gives no weekly share to a program no report has (vscgo), and one every week to the others", () => {
    for (const entry of upstreamIndex.charts) {
      const shares = entry.sparkline.filter((share) => share !== null).length;
      expect(shares, entry.id).toBe(entry.program === VSCGO ? 0 : upstreamIndex.windows.weeks.length);
    }
    expect(upstreamIndex.charts.filter((c) => c.program === VSCGO).length).toBeGreaterThan(3);
  });

  it("gives a counter the generated reports never have a row of zeros in every window", () => {
    const chart = JSON.parse(
      readFileSync(join(upstreamOut, "charts/cmd-go--go-platform-target-port.json"), "utf8"),
    ) as ChartFile;
    expect(chart.buckets.length).toBeGreaterThan(30);
    expect(chart.rows.length).toBeGreaterThan(0);
    expect(chart.rows.every((r) => r.reports === 0 && r.counter_total === 0)).toBe(true);
  });
});

describe("npm run data with both of upstream's configs", () => {
  // Reports generated as the telemetry client would upload them under upstream's
  // uploadconfig.json, read with it and with upstream's chartconfig.txt: nothing is
  // rejected but the generator's deliberately malformed lines, and the built-in charts'
  // buckets are upstream's lists of platforms and versions.
  const upstreamUpload = readUploadConfig(join(upstreamDir(), "uploadconfig.json"));
  const clientGenerator = new Generator({ ...generator.options, uploadConfig: upstreamUpload });
  let bothOut: string;
  let bothIndex: SiteIndex;
  beforeAll(() => {
    const clientSource = temporaryDir("cs-run-client-source-");
    for (const date of clientGenerator.dates()) {
      writeFileSync(join(clientSource, `${date}.json.gz`), clientGenerator.day(date).bytes);
    }
    bothOut = temporaryDir("cs-run-both-out-");
    const run = runCli([
      ...["--source", clientSource, "--out", bothOut, "--cache", temporaryDir("cs-run-both-cache-")],
      ...["--charts", join(upstreamDir(), "chartconfig.txt")],
      ...["--upload-config", join(upstreamDir(), "uploadconfig.json")],
    ]);
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    bothIndex = JSON.parse(readFileSync(join(bothOut, "index.json"), "utf8")) as SiteIndex;
  }, 120_000);

  it("rejects only the malformed lines", () => {
    const days = JSON.parse(readFileSync(join(bothOut, "days.json"), "utf8")) as DayStatus[];
    const reasons = new Set(days.flatMap((d) => Object.keys(d.rejected)));
    expect([...reasons].sort()).toEqual(["bad-count", "bad-x", "not-json"]);
  });

  it("equals upstream's partition counts for every partition chart, in every window", () => {
    expect(
      comparePartitions(bothOut, bothIndex, listedBuckets(upstreamUpload), clientGenerator),
    ).toBeGreaterThan(1000);
  });
});

describe("npm run data with an upload config that leaves out a chart's counter", () => {
  it("writes its chart with no eligible report (rate 0) and says so, as no client uploads it", () => {
    const dir = temporaryDir("cs-run-unlisted-");
    const gopls = "golang.org/x/tools/gopls";
    const restricted: UploadConfig = {
      ...upload,
      Programs: upload.Programs.map((program) =>
        program.Name !== gopls
          ? program
          : { ...program, Counters: program.Counters.filter((c) => !c.Name.startsWith("gopls/client:")) },
      ),
    };
    writeFileSync(join(dir, "upload.json"), JSON.stringify(restricted));
    const source = join(dir, "source");
    mkdirSync(source);
    const days = new Generator({ ...generator.options, days: 10, uploadConfig: restricted });
    for (const date of days.dates()) {
      writeFileSync(join(source, `${date}.json.gz`), days.day(date).bytes);
    }
    const out = join(dir, "out");
    const run = runCli([
      ...["--source", source, "--out", out, "--cache", join(dir, "cache")],
      ...["--charts", join(root, "data/charts.txt"), "--upload-config", join(dir, "upload.json")],
    ]);
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/gopls: 14 counters not in the upload config .*; none is eligible \(rate 0\)/);
    const index = JSON.parse(readFileSync(join(out, "index.json"), "utf8")) as SiteIndex;
    const client = index.charts.find((c) => c.program === gopls && c.name === "gopls/client");
    const rows = csvParse(readFileSync(join(out, client!.csv), "utf8"));
    expect(rows.length).toBeGreaterThan(14);
    for (const row of rows) {
      expect([row.reports, row.eligible_reports, row.share, row.share_low, row.share_high]).toEqual([
        "0",
        "0",
        "0",
        "0",
        "0",
      ]);
    }
    // The program's other charts still have eligible reports.
    const goos = index.charts.find((c) => c.program === gopls && c.name === "GOOS");
    const goosRows = csvParse(readFileSync(join(out, goos!.csv), "utf8"));
    expect(goosRows.some((row) => Number(row.eligible_reports) > 0)).toBe(true);
  });
});

describe("worker threads", () => {
  it("take days larger than the input buffer each started with, and count them as one thread does", () => {
    // Two workers start with 1 MB input buffers (the first four days are aggregated in the
    // main thread, the next two are small); the last two days are plain NDJSON of over
    // 1 MB each, so both workers' buffers must grow for them.
    const options = { ...generator.options, days: 8, reports: 120 };
    const small = new Generator(options);
    const large = new Generator({ ...options, reports: 3_000, format: "plain" });
    const dates = small.dates();
    const source = temporaryDir("cs-run-large-");
    dates.forEach((date, i) => {
      const bytes = i < 6 ? small.day(date).bytes : large.day(date).bytes;
      if (i >= 6) expect(bytes.length).toBeGreaterThan(1 << 20);
      writeFileSync(join(source, i < 6 ? `${date}.json.gz` : date), bytes);
    });
    const outs = ["2", "0"].map((workers) => {
      const out = temporaryDir(`cs-run-large-out${workers}-`);
      const run = runCli([
        "--source",
        source,
        "--out",
        out,
        "--cache",
        temporaryDir("cs-run-large-cache-"),
        "--workers",
        workers,
      ]);
      expect(run.stderr).toBe("");
      expect(run.status).toBe(0);
      return out;
    });
    const days = JSON.parse(readFileSync(join(outs[0]!, "days.json"), "utf8")) as DayStatus[];
    expect(days.map((day) => day.status)).toEqual(dates.map(() => "ok"));
    expect(days[7]!.accepted).toBeGreaterThan(2_000);
    expect(readTree(outs[0]!)).toEqual(readTree(outs[1]!));
  }, 120_000);
});
