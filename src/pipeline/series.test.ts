import { describe, expect, test } from "vitest";
import { entry, GOPLS, id, report, unrestricted } from "../../test/helpers/reports.ts";
import {
  addReport,
  buildPlan,
  builtinCharts,
  configuredChart,
  createDayAggregate,
  deserializeDay,
  finishDay,
  serializeDay,
  type AggregationPlan,
  type PlannedChart,
} from "./aggregate.ts";
import { splitCounterName } from "./chartconfig.ts";
import {
  addDays,
  aggregateSource,
  computeSeries,
  computeWindows,
  TOP_STACKS,
  type SeriesResult,
  type SeriesSource,
} from "./series.ts";
import { contributionsOf, deserializeSummary, serializeSummary, summarizeDay } from "./summary.ts";
import { shareOf } from "./stats.ts";
import type { ChartRow, ProgramReport, Report, StackRow, UploadConfig, Window } from "./types.ts";
import { normalizeBucket } from "./versions.ts";

/** Days of reports → series, going through the day cache format on the way. */
function series(
  plan: AggregationPlan,
  days: Record<string, Report[]>,
  range?: string[],
): Promise<SeriesResult> {
  const aggregates = new Map<string, Uint8Array>();
  const summaries = new Map<string, Uint8Array>();
  for (const [date, reports] of Object.entries(days)) {
    const day = createDayAggregate(date, plan);
    for (const r of reports) addReport(day, r);
    const aggregate = finishDay(day);
    aggregates.set(date, serializeDay(aggregate));
    summaries.set(date, serializeSummary(summarizeDay(aggregate, plan)));
  }
  const source: SeriesSource = {
    key: (date) => (summaries.has(date) ? date : undefined),
    summary: (date) => deserializeSummary(summaries.get(date)!),
    contributions: (date, _key, xs) => contributionsOf(deserializeDay(aggregates.get(date)!), xs),
  };
  return computeSeries(source, range ?? Object.keys(days), plan);
}

/** "start..end" → bucket → reports, for one chart. */
function reportsByWindow(result: SeriesResult, chart: number): Record<string, Record<string, number>> {
  const byWindow: Record<string, Record<string, number>> = {};
  for (const row of result.charts[chart]!.rows) {
    (byWindow[`${row.window_start}..${row.window_end}`] ??= {})[row.bucket] = row.reports;
  }
  return byWindow;
}

function rowsOf(result: SeriesResult, chart: number, window: Window): ChartRow[] {
  return result.charts[chart]!.rows.filter(
    (r) => r.window_start === window.start && r.window_end === window.end,
  );
}

const clientChart = (rate = 1): PlannedChart =>
  configuredChart(
    { id: "client", program: GOPLS, type: "partition", counter: "gopls/client:{vscode,vim,emacs}", rate },
    ["gopls/client:vscode", "gopls/client:vim", "gopls/client:emacs"],
  );

describe("windows", () => {
  test("a 30-day range: five weeks ending at the last day, the oldest a 2-day partial week", async () => {
    const windows = computeWindows("2024-01-01", "2024-01-30");
    expect(windows.weeks.map((w) => [w.start, w.end])).toEqual([
      ["2024-01-01", "2024-01-02"],
      ["2024-01-03", "2024-01-09"],
      ["2024-01-10", "2024-01-16"],
      ["2024-01-17", "2024-01-23"],
      ["2024-01-24", "2024-01-30"],
    ]);
    expect(windows.latest7).toEqual({ kind: "latest7", start: "2024-01-24", end: "2024-01-30" });
    expect(windows.latest28).toEqual({ kind: "latest28", start: "2024-01-03", end: "2024-01-30" });
    expect(windows.all).toEqual({ kind: "all", start: "2024-01-01", end: "2024-01-30" });
    expect(windows.weeks.every((w) => w.kind === "week")).toBe(true);
  });

  test("a 10-day range: a 3-day partial oldest week, and latest28 clipped to the whole range", async () => {
    const windows = computeWindows("2024-01-01", "2024-01-10");
    expect(windows.weeks.map((w) => [w.start, w.end])).toEqual([
      ["2024-01-01", "2024-01-03"],
      ["2024-01-04", "2024-01-10"],
    ]);
    expect(windows.latest28).toMatchObject({ start: "2024-01-01", end: "2024-01-10" });
  });

  test("a range shorter than a week is one partial week, equal to latest7", async () => {
    const windows = computeWindows("2024-02-28", "2024-03-01");
    expect(windows.weeks).toEqual([{ kind: "week", start: "2024-02-28", end: "2024-03-01" }]);
    expect(windows.latest7).toMatchObject({ start: "2024-02-28", end: "2024-03-01" });
  });

  test("dates are calendar dates in UTC across month ends and leap days", async () => {
    expect(addDays("2024-02-28", 1)).toBe("2024-02-29");
    expect(addDays("2024-03-01", -1)).toBe("2024-02-29");
    expect(addDays("2023-12-31", 1)).toBe("2024-01-01");
  });
});

describe("rows", () => {
  const plan = buildPlan([clientChart()]);

  test("rows cover each distinct window once, sorted by start, end and bucket order", async () => {
    const result = await series(plan, { "2024-01-01": [], "2024-01-10": [] }, ["2024-01-01", "2024-01-10"]);
    const rows = result.charts[0]!.rows.map((r) => `${r.window_start}..${r.window_end} ${r.bucket}`);
    expect(rows).toEqual([
      "2024-01-01..2024-01-03 vscode",
      "2024-01-01..2024-01-03 vim",
      "2024-01-01..2024-01-03 emacs",
      "2024-01-01..2024-01-10 vscode",
      "2024-01-01..2024-01-10 vim",
      "2024-01-01..2024-01-10 emacs",
      "2024-01-04..2024-01-10 vscode",
      "2024-01-04..2024-01-10 vim",
      "2024-01-04..2024-01-10 emacs",
    ]);
  });

  test("a report counts in the windows of its file date, whatever its Week says", async () => {
    const old = { ...report(0.1, entry(GOPLS, { Counters: { "gopls/client:vim": 1 } })), Week: "2023-06-01" };
    const result = await series(plan, { "2024-01-01": [], "2024-01-10": [old] });
    expect(reportsByWindow(result, 0)).toMatchObject({
      "2024-01-01..2024-01-03": { vim: 0 },
      "2024-01-04..2024-01-10": { vim: 1 },
    });
  });

  test("a report uploaded on two days counts once in every window containing both, and its first value counts", async () => {
    const first = report(0.3, entry(GOPLS, { Counters: { "gopls/client:vscode": 5 } }));
    const again = report(0.3, entry(GOPLS, { Counters: { "gopls/client:vscode": 8 } }));
    const result = await series(plan, {
      "2024-01-01": [],
      "2024-01-02": [first],
      "2024-01-09": [again],
      "2024-01-10": [],
    });
    const vscode = result.charts[0]!.rows.filter((r) => r.bucket === "vscode");
    expect(
      vscode.map((r) => [r.window_start, r.window_end, r.reports, r.eligible_reports, r.counter_total]),
    ).toEqual([
      ["2024-01-01", "2024-01-03", 1, 1, 5],
      ["2024-01-01", "2024-01-10", 1, 1, 5],
      ["2024-01-04", "2024-01-10", 1, 1, 8],
    ]);
    expect(result.reports).toBe(1);
  });

  test("only reports with X ≤ the counter's rate are eligible, and the share uses them", async () => {
    const sampled = buildPlan([clientChart(0.5)]);
    const result = await series(sampled, {
      "2024-01-01": [
        report(0.2, entry(GOPLS, { Counters: { "gopls/client:vscode": 1 } })),
        report(0.4, entry(GOPLS)),
        report(0.5, entry(GOPLS)),
        report(0.7, entry(GOPLS)),
        report(0.8, entry("cmd/go")),
      ],
    });
    const [vscode] = rowsOf(result, 0, result.windows.all);
    expect(vscode).toMatchObject({ reports: 1, eligible_reports: 3, share: 1 / 3 });
    expect(vscode).toMatchObject(shareOf(1, 3));
  });

  test("a counter above its rate (bad data) still counts, and the interval is computed on min(reports, eligible)", async () => {
    const sampled = buildPlan([clientChart(0.5)]);
    const result = await series(sampled, {
      "2024-01-01": [
        report(0.2, entry(GOPLS, { Counters: { "gopls/client:vim": 1 } })),
        report(0.9, entry(GOPLS, { Counters: { "gopls/client:vim": 1 } })),
      ],
    });
    const vim = rowsOf(result, 0, result.windows.all).find((r) => r.bucket === "vim");
    expect(vim).toMatchObject({
      reports: 2,
      eligible_reports: 1,
      share: 2,
      share_low: shareOf(1, 1).share_low,
      share_high: 1,
    });
  });

  test("share_low and share_high are the Wilson interval of reports out of eligible reports", async () => {
    const reports = Array.from({ length: 10 }, (_, i) =>
      report((i + 1) / 20, entry(GOPLS, { Counters: i < 5 ? { "gopls/client:vscode": 1 } : {} })),
    );
    const [vscode, vim] = rowsOf(
      await series(plan, { "2024-01-01": reports }),
      0,
      computeWindows("2024-01-01", "2024-01-01").all,
    );
    expect(vscode!.share).toBe(0.5);
    expect(vscode!.share_low).toBeCloseTo(0.2366, 4);
    expect(vscode!.share_high).toBeCloseTo(0.7634, 4);
    expect([vim!.share_low, vim!.share_high.toFixed(4)]).toEqual([0, "0.2775"]);
  });

  test("listed buckets without reports appear with 0; built-in counter_total is the number of reports", async () => {
    const upload = { ...unrestricted, GoVersion: ["go1.22.0", "go1.23.1", "go1.24.0"] };
    const builtins = buildPlan(builtinCharts(upload, "cmd/go", [], id));
    const result = await series(builtins, {
      "2024-01-01": [
        report(0.1, entry("cmd/go")),
        report(0.2, entry("cmd/go")),
        report(0.3, entry("cmd/go", { GoVersion: "go1.21.0" })),
      ],
    });
    const goVersion = rowsOf(result, 2, result.windows.all).map((r) => [
      r.bucket,
      r.reports,
      r.counter_total,
      r.eligible_reports,
    ]);
    expect(goVersion).toEqual([
      ["go1.22", 0, 0, 3],
      ["go1.23", 2, 2, 3],
      ["go1.24", 0, 0, 3],
    ]);
  });

  test("unrestricted built-ins show every observed bucket over the whole range, in upstream order", async () => {
    const builtins = buildPlan(builtinCharts(unrestricted, GOPLS, [], id));
    const result = await series(builtins, {
      "2024-01-01": [report(0.1, entry(GOPLS, { Version: "v0.9.1", GoVersion: "go1.9.2" }))],
      "2024-01-20": [
        report(0.2, entry(GOPLS, { Version: "v0.10.0", GoVersion: "go1.10" })),
        report(0.3, entry(GOPLS, { Version: "devel", GoVersion: "devel go1.24" })),
      ],
    });
    expect(result.charts[0]!.buckets).toEqual(["devel", "v0.9", "v0.10"]);
    expect(result.charts[3]!.buckets).toEqual(["", "go1.9", "go1.10"]);
    expect(reportsByWindow(result, 0)["2024-01-14..2024-01-20"]).toEqual({ devel: 1, "v0.9": 0, "v0.10": 1 });
  });
});

test("upstream parity: group/partition counts of a toy set of reports", async () => {
  // Hand-computed from upstream's group and partition:
  // Version (configured v0.15.0, v0.16.0, v0.16.1, devel): v0.15.4 and v0.16.2 are not listed,
  //   so v0.15 = {} , v0.16 = set(v0.16.0) ∪ set(v0.16.1) = {.22, .11}, devel = {.44}.
  // GoVersion (configured go1.22.1, go1.23.0, go1.23.2): go1.22 = {.33}, go1.23 = {.22, .11};
  //   go1.24.0 and go1.23.5 are not listed.
  // GOOS, GOARCH (no list): every observed value.
  // gopls/client:{vscode,vim,emacs}: vscode = {.11, .44} (.11 uploaded twice), vim = {.22, .55}
  //   (.22 has value 0), emacs = {.44}.
  const upload: UploadConfig = {
    ...unrestricted,
    GoVersion: ["go1.22.1", "go1.23.0", "go1.23.2"],
    Programs: [
      { Name: GOPLS, Versions: ["v0.15.0", "v0.16.0", "v0.16.1", "devel"], Counters: [], Stacks: [] },
    ],
  };
  const plan = buildPlan([...builtinCharts(upload, GOPLS, upload.Programs[0]!.Versions, id), clientChart()]);
  const r1 = report(
    0.11,
    entry(GOPLS, { Version: "v0.16.1", GoVersion: "go1.23.2", Counters: { "gopls/client:vscode": 1 } }),
  );
  const result = await series(plan, {
    "2024-01-01": [
      r1,
      report(
        0.22,
        entry(GOPLS, {
          Version: "v0.16.0",
          GoVersion: "go1.23.0",
          GOOS: "darwin",
          GOARCH: "arm64",
          Counters: { "gopls/client:vim": 0 },
        }),
      ),
      report(0.33, entry(GOPLS, { Version: "v0.15.4", GoVersion: "go1.22.1" }), entry("cmd/go")),
    ],
    "2024-01-02": [
      r1,
      report(
        0.44,
        entry(GOPLS, {
          Version: "devel",
          GoVersion: "go1.24.0",
          GOOS: "windows",
          Counters: { "gopls/client:vscode": 2, "gopls/client:emacs": 1 },
        }),
      ),
    ],
    "2024-01-03": [
      report(
        0.55,
        entry(GOPLS, {
          Version: "v0.16.2",
          GoVersion: "go1.23.5",
          GOARCH: "arm64",
          Counters: { "gopls/client:vim": 3 },
        }),
      ),
    ],
  });
  const all = (chart: number) => reportsByWindow(result, chart)["2024-01-01..2024-01-03"];
  expect(all(0)).toEqual({ devel: 1, "v0.15": 0, "v0.16": 2 });
  expect(result.charts[0]!.buckets).toEqual(["devel", "v0.15", "v0.16"]);
  expect(all(1)).toEqual({ darwin: 1, linux: 3, windows: 1 });
  expect(all(2)).toEqual({ amd64: 3, arm64: 2 });
  expect(all(3)).toEqual({ "go1.22": 1, "go1.23": 2 });
  expect(all(4)).toEqual({ vscode: 2, vim: 2, emacs: 1 });
  const client = rowsOf(result, 4, result.windows.all);
  expect(client.map((r) => [r.bucket, r.eligible_reports, r.counter_total])).toEqual([
    ["vscode", 5, 3],
    ["vim", 5, 3],
    ["emacs", 5, 1],
  ]);
});

describe("stacks", () => {
  const bugChart = configuredChart(
    { id: "bug", program: GOPLS, type: "stack", counter: "gopls/bug:{a,b}", rate: 1 },
    ["gopls/bug:a", "gopls/bug:b"],
  );

  test("top stacks by reports, then summed value, then key; frames split from the counter name", async () => {
    const plan = buildPlan([bugChart]);
    const stacks = (x: number, s: Record<string, number>) => report(x, entry(GOPLS, { Stacks: s }));
    const result = await series(plan, {
      "2024-01-01": [
        stacks(0.1, {
          "gopls/bug:a\nmain.f\nmain.main": 1,
          "gopls/bug:b\nmain.g": 1,
          "gopls/bug:a\nmain.z": 9,
        }),
        stacks(0.2, { "gopls/bug:a\nmain.f\nmain.main": 3, "gopls/bug:b\nmain.g": 1 }),
        stacks(0.3, { "gopls/bug:b\nmain.h": 9 }),
      ],
      "2024-01-02": [stacks(0.1, { "gopls/bug:a\nmain.f\nmain.main": 100 })],
    });
    const top: StackRow[] = [
      { counter: "gopls/bug:a", frames: ["main.f", "main.main"], reports: 2, counter_total: 4 },
      { counter: "gopls/bug:b", frames: ["main.g"], reports: 2, counter_total: 2 },
      { counter: "gopls/bug:a", frames: ["main.z"], reports: 1, counter_total: 9 },
      { counter: "gopls/bug:b", frames: ["main.h"], reports: 1, counter_total: 9 },
    ];
    expect(result.charts[0]!.stacks).toEqual({ latest7: top, latest28: top, all: top });
    expect(reportsByWindow(result, 0)).toEqual({
      "2024-01-01..2024-01-02": { a: 2, b: 3 },
    });
    expect(result.charts[0]!.breakdowns).toEqual([]);
  });

  test("top stacks per weekly window, a report seen on two days of a week counted once", async () => {
    const plan = buildPlan([bugChart]);
    const stack = (x: number, value: number) =>
      report(x, entry(GOPLS, { Stacks: { "gopls/bug:a\nmain.f": value } }));
    // Weeks of 2024-01-01…2024-01-14: 01-01…01-07 and 01-08…01-14.
    const result = await series(plan, {
      "2024-01-01": [stack(0.1, 2)],
      "2024-01-03": [stack(0.1, 5), stack(0.2, 1)],
      "2024-01-09": [stack(0.1, 7)],
      "2024-01-14": [],
    });
    const row = (reports: number, total: number): StackRow[] => [
      { counter: "gopls/bug:a", frames: ["main.f"], reports, counter_total: total },
    ];
    // A re-uploaded report counts once in a window, with the values of its first day there.
    expect(result.charts[0]!.weeklyStacks).toEqual([
      { start: "2024-01-01", end: "2024-01-07", stacks: row(2, 3) },
      { start: "2024-01-08", end: "2024-01-14", stacks: row(1, 7) },
    ]);
    expect(result.charts[0]!.stacks.all).toEqual(row(2, 3));
  });

  test("a stack chart without a depth counts as upstream's partition of the same counter", async () => {
    // Upstream's generator uploads it as a plain counter, and the worker draws a partition.
    const names = ["gopls/mcp-headless:stdio", "gopls/mcp-headless:sse"];
    const chart = (id: string, type: "stack" | "partition") =>
      configuredChart(
        { id, program: GOPLS, type, counter: "gopls/mcp-headless:{stdio,sse}", rate: 1 },
        names,
      );
    const plan = buildPlan([chart("s", "stack"), chart("p", "partition")]);
    const counters = (x: number, c: Record<string, number>) => report(x, entry(GOPLS, { Counters: c }));
    const result = await series(plan, {
      "2024-01-01": [
        counters(0.1, { "gopls/mcp-headless:stdio": 2 }),
        counters(0.2, { "gopls/mcp-headless:sse": 1, "gopls/mcp-headless:stdio": 1 }),
        counters(0.3, { "gopls/mcp-headless:other": 4 }),
      ],
    });
    expect(result.charts[0]!.chart.name).toBe("gopls/mcp-headless");
    expect(result.charts[0]!.buckets).toEqual(["stdio", "sse"]);
    const strip = (rows: ChartRow[]) => rows.map(({ chart: _, ...row }) => row);
    const window = result.windows.all;
    expect(strip(rowsOf(result, 0, window))).toEqual(strip(rowsOf(result, 1, window)));
    expect(reportsByWindow(result, 0)["2024-01-01..2024-01-01"]).toEqual({ stdio: 2, sse: 1 });
  });

  test(`at most ${TOP_STACKS} stacks are kept per window`, async () => {
    const plan = buildPlan([bugChart]);
    const reports = Array.from({ length: 30 }, (_, i) =>
      report(
        (i + 1) / 100,
        entry(GOPLS, { Stacks: { [`gopls/bug:a\nframe${String(i).padStart(2, "0")}`]: 1 } }),
      ),
    );
    const top = (await series(plan, { "2024-01-01": reports })).charts[0]!.stacks.all!;
    expect(top).toHaveLength(TOP_STACKS);
    expect(top[0]!.frames).toEqual(["frame00"]);
  });
});

test("participation: distinct reports per day and per week, each also per program", async () => {
  const plan = buildPlan([clientChart()]);
  const result = await series(
    plan,
    {
      "2024-01-01": [report(0.1, entry(GOPLS)), report(0.2, entry("cmd/go"))],
      "2024-01-05": [
        report(0.1, entry(GOPLS)),
        report(0.3, entry(GOPLS), entry("cmd/go")),
        report(0.3, entry(GOPLS)),
      ],
      "2024-01-08": [report(0.1, entry(GOPLS))],
    },
    ["2024-01-01", "2024-01-05", "2024-01-08"],
  );
  // The repeat of 0.3 on 2024-01-05 counts once, for both its programs.
  expect(result.participation.daily).toEqual([
    { date: "2024-01-01", reports: 2, programs: { [GOPLS]: 1, "cmd/go": 1 } },
    { date: "2024-01-05", reports: 2, programs: { [GOPLS]: 2, "cmd/go": 1 } },
    { date: "2024-01-08", reports: 1, programs: { [GOPLS]: 1, "cmd/go": 0 } },
  ]);
  expect(result.participation.weekly).toEqual([
    { start: "2024-01-01", end: "2024-01-01", reports: 2, programs: { [GOPLS]: 1, "cmd/go": 1 } },
    { start: "2024-01-02", end: "2024-01-08", reports: 2, programs: { [GOPLS]: 2, "cmd/go": 1 } },
  ]);
  expect(result.reports).toBe(3);
});

test("breakdowns: per bucket, distinct reports by the program entry's GOOS, GOARCH and Go major.minor", async () => {
  const plan = buildPlan([clientChart()]);
  const vscode = { "gopls/client:vscode": 1 };
  const result = await series(plan, {
    "2024-01-01": [
      report(0.1, entry(GOPLS, { GOOS: "darwin", GOARCH: "arm64", GoVersion: "go1.23.1", Counters: vscode })),
      report(
        0.2,
        entry(GOPLS, { GoVersion: "devel go1.24-abc", Counters: vscode }),
        entry("cmd/go", { GOOS: "plan9" }),
      ),
    ],
    "2024-01-20": [
      report(0.1, entry(GOPLS, { GOOS: "darwin", GOARCH: "arm64", GoVersion: "go1.23.1", Counters: vscode })),
      report(0.3, entry(GOPLS, { GoVersion: "go1.22.9", Counters: vscode })),
    ],
  });
  const breakdowns = result.charts[0]!.breakdowns;
  expect(breakdowns.map((b) => [b.window.kind, b.dimension])).toEqual([
    ["latest7", "GOOS"],
    ["latest7", "GOARCH"],
    ["latest7", "GoVersion"],
    ["latest28", "GOOS"],
    ["latest28", "GOARCH"],
    ["latest28", "GoVersion"],
    ["all", "GOOS"],
    ["all", "GOARCH"],
    ["all", "GoVersion"],
  ]);
  const counts = (kind: string, dimension: string) =>
    breakdowns.find((b) => b.window.kind === kind && b.dimension === dimension)!.counts;
  expect(counts("all", "GOOS")).toEqual({ vscode: { darwin: 1, linux: 2 }, vim: {}, emacs: {} });
  expect(counts("all", "GOARCH").vscode).toEqual({ amd64: 2, arm64: 1 });
  expect(Object.entries(counts("all", "GoVersion").vscode!)).toEqual([
    ["go1.22", 1],
    ["go1.23", 1],
    ["other", 1],
  ]);
  expect(counts("latest7", "GOOS").vscode).toEqual({ darwin: 1, linux: 1 });
});

test("a Go version breakdown lists versions in version order, not text order, and other last", async () => {
  const plan = buildPlan([clientChart()]);
  const vscode = { "gopls/client:vscode": 1 };
  const result = await series(plan, {
    "2024-01-01": ["go1.10.1", "devel +abc", "go1.9.7", "go1.21rc2", "go1.2.2"].map((GoVersion, i) =>
      report(0.1 * (i + 1), entry(GOPLS, { GoVersion, Counters: vscode })),
    ),
  });
  const goVersion = result.charts[0]!.breakdowns.find(
    (b) => b.window.kind === "all" && b.dimension === "GoVersion",
  )!;
  expect(Object.keys(goVersion.counts.vscode!)).toEqual(["go1.2", "go1.9", "go1.10", "go1.21", "other"]);
});

test("breakdowns take the values of the program entry that has the bucket, not of the report's first", async () => {
  // A report with two entries of one program (two versions in one week), the bucket only in
  // the later one: on one line, on two lines of one day, and on two days of one window.
  const plan = buildPlan([clientChart(), ...builtinCharts(unrestricted, GOPLS, [], id)]);
  const goosChart = plan.charts.findIndex((c) => c.name === "GOOS");
  const vscode = { "gopls/client:vscode": 1 };
  const old = entry(GOPLS, { GOOS: "linux", GoVersion: "go1.23.1" });
  const upgraded = entry(GOPLS, { GOOS: "darwin", GoVersion: "go1.24.0", Counters: vscode });
  const result = await series(plan, {
    "2024-01-01": [report(0.1, entry(GOPLS, { GOOS: "linux", GoVersion: "go1.23.1", Counters: vscode }))],
    "2024-01-20": [
      report(0.2, old, upgraded),
      report(0.3, old),
      report(0.3, upgraded),
      // Seen on 2024-01-01 with the bucket from a linux entry: that first copy counts.
      report(0.1, old, upgraded),
    ],
  });
  const counts = (chart: number, kind: string, dimension: string) =>
    result.charts[chart]!.breakdowns.find((b) => b.window.kind === kind && b.dimension === dimension)!.counts;
  expect(counts(0, "latest7", "GOOS").vscode).toEqual({ darwin: 3 });
  expect(counts(0, "latest7", "GoVersion").vscode).toEqual({ "go1.24": 3 });
  expect(counts(0, "all", "GOOS").vscode).toEqual({ darwin: 2, linux: 1 });
  expect(counts(0, "all", "GoVersion").vscode).toEqual({ "go1.23": 1, "go1.24": 2 });
  // A built-in chart's bucket is broken down by its own value.
  expect(counts(goosChart, "latest7", "GOOS")).toEqual({ darwin: { darwin: 3 }, linux: { linux: 3 } });
  expect(counts(goosChart, "all", "GOOS")).toEqual({ darwin: { darwin: 3 }, linux: { linux: 3 } });
});

test("bucket and dimension values from reports, such as __proto__, stay plain keys", async () => {
  const plan = buildPlan(builtinCharts(unrestricted, "cmd/go", [], id));
  const result = await series(plan, {
    "2024-01-01": [report(0.1, entry("cmd/go", { GOOS: "__proto__", GOARCH: "constructor" }))],
  });
  expect(result.charts[0]!.buckets).toEqual(["__proto__"]);
  const goarch = result.charts[0]!.breakdowns.find(
    (b) => b.window.kind === "all" && b.dimension === "GOARCH",
  )!;
  expect(Object.entries(goarch.counts)).toEqual([["__proto__", { constructor: 1 }]]);
  expect(Object.getPrototypeOf(goarch.counts)).toBe(Object.prototype);
});

test("an aggregate built with another plan is refused", async () => {
  const plan = buildPlan([clientChart()]);
  const other = buildPlan([clientChart(0.5)]);
  const day = createDayAggregate("2024-01-01", other);
  await expect(
    computeSeries(
      aggregateSource(() => finishDay(day), plan),
      ["2024-01-01"],
      plan,
    ),
  ).rejects.toThrow(/another plan/);
});

describe("against a direct computation of the contract", () => {
  // A straightforward, all-in-memory implementation of the row contract: per window, the
  // set of report ids per bucket, with the first occurrence (by date, then line) giving the value.
  function expectedRows(
    plan: AggregationPlan,
    days: Record<string, Report[]>,
    windows: Window[],
  ): ChartRow[][] {
    const unique = [...new Map(windows.map((w) => [`${w.start}/${w.end}`, w])).values()].sort(
      (a, b) => a.start.localeCompare(b.start) || a.end.localeCompare(b.end),
    );
    return plan.charts.map((chart) => {
      const occurrences = (w: Window) =>
        Object.keys(days)
          .sort()
          .filter((date) => date >= w.start && date <= w.end)
          .flatMap((date) => days[date]!);
      const buckets = expectedBuckets(chart, Object.values(days).flat());
      return unique.flatMap((w) => {
        const values = new Map<string, Map<number, number>>();
        const eligible = new Set<number>();
        for (const r of occurrences(w)) {
          const line = new Map<string, number>();
          for (const p of r.Programs) {
            if (p.Program !== chart.program) continue;
            if (r.X <= chart.rate) eligible.add(r.X);
            for (const [bucket, value] of bucketsOfEntry(chart, p))
              line.set(bucket, (line.get(bucket) ?? 0) + value);
          }
          for (const [bucket, value] of line) {
            const reports = values.get(bucket) ?? new Map<number, number>();
            values.set(bucket, reports);
            if (!reports.has(r.X)) reports.set(r.X, value);
          }
        }
        return buckets.map((bucket) => {
          const reports = values.get(bucket) ?? new Map<number, number>();
          const total = [...reports.values()].reduce((a, b) => a + b, 0);
          return {
            program: chart.program,
            chart: chart.name,
            bucket,
            window_start: w.start,
            window_end: w.end,
            reports: reports.size,
            eligible_reports: eligible.size,
            ...shareOf(reports.size, eligible.size),
            counter_total: chart.builtin ? reports.size : total,
          };
        });
      });
    });
  }

  /** The (shown bucket, value) pairs one program entry contributes to a chart. */
  function bucketsOfEntry(chart: PlannedChart, p: ProgramReport): [string, number][] {
    if (chart.builtin) {
      const raw = p[chart.name as "GOOS"];
      return chart.buckets === null || chart.buckets.includes(raw)
        ? [[normalizeBucket(chart.normalize, raw), 1]]
        : [];
    }
    const out: [string, number][] = [];
    // A stack chart's counter is in Counters (uploaded without a depth) or before a stack's frames.
    const names = [
      ...Object.entries(p.Counters),
      ...(chart.type === "stack"
        ? Object.entries(p.Stacks).map(([key, value]) => [key.split("\n")[0]!, value] as const)
        : []),
    ];
    for (const [name, value] of names) {
      const { chart: chartName, bucket } = splitCounterName(name);
      if (chartName === chart.name && chart.buckets!.includes(bucket)) out.push([bucket, value]);
    }
    return out;
  }

  /** A chart's buckets (any order): configured ones, or for unrestricted built-ins the observed ones. */
  function expectedBuckets(chart: PlannedChart, reports: Report[]): string[] {
    if (chart.buckets !== null)
      return [...new Set(chart.buckets.map((b) => normalizeBucket(chart.normalize, b)))];
    const observed = new Set<string>();
    for (const r of reports) {
      for (const p of r.Programs) {
        if (p.Program === chart.program)
          for (const [bucket] of bucketsOfEntry(chart, p)) observed.add(bucket);
      }
    }
    return [...observed];
  }

  function expectedTopStacks(chart: PlannedChart, days: Record<string, Report[]>, w: Window): StackRow[] {
    const stacks = new Map<string, Map<number, number>>();
    for (const date of Object.keys(days).sort()) {
      if (date < w.start || date > w.end) continue;
      for (const r of days[date]!) {
        const line = new Map<string, number>();
        for (const p of r.Programs) {
          if (p.Program !== chart.program) continue;
          for (const [key, value] of Object.entries(p.Stacks)) {
            const name = splitCounterName(key.split("\n")[0]!);
            if (name.chart === chart.name && chart.buckets!.includes(name.bucket))
              line.set(key, (line.get(key) ?? 0) + value);
          }
        }
        for (const [key, value] of line) {
          const reports = stacks.get(key) ?? new Map<number, number>();
          stacks.set(key, reports);
          if (!reports.has(r.X)) reports.set(r.X, value);
        }
      }
    }
    return [...stacks]
      .map(([key, reports]) => {
        const [counter, ...frames] = key.split("\n");
        const total = [...reports.values()].reduce((a, b) => a + b, 0);
        return { key, row: { counter: counter!, frames, reports: reports.size, counter_total: total } };
      })
      .sort(
        (a, b) =>
          b.row.reports - a.row.reports ||
          b.row.counter_total - a.row.counter_total ||
          (a.key < b.key ? -1 : 1),
      )
      .slice(0, TOP_STACKS)
      .map((s) => s.row);
  }

  function random(seed: number): () => number {
    return () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  /** 40 days (some missing) of reports drawn from a small pool of ids, so that many repeat. */
  function generate(seed: number): Record<string, Report[]> {
    const rand = random(seed);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)]!;
    const pool = Array.from({ length: 150 }, () => rand() || 1);
    const programEntry = (program: string): ProgramReport => {
      const counters: Record<string, number> = {};
      for (const name of [
        "gopls/client:vscode",
        "gopls/client:vim",
        "gopls/client:emacs",
        "gopls/client:other",
        "gopls/x",
      ]) {
        if (rand() < 0.4) counters[name] = Math.floor(rand() * 4);
      }
      const stacks: Record<string, number> = {};
      for (let i = 0; i < 2; i++)
        if (rand() < 0.5)
          stacks[`gopls/bug:${pick(["a", "b", "c"])}\nf${Math.floor(rand() * 40)}`] = Math.floor(rand() * 3);
      return entry(program, {
        Version: pick(["v0.16.0", "v0.16.2", "v0.15.1", "devel", "(devel)"]),
        GoVersion: pick(["go1.22.1", "go1.23.0", "go1.23.4", "devel go1.24"]),
        GOOS: pick(["linux", "darwin", "windows"]),
        GOARCH: pick(["amd64", "arm64"]),
        Counters: counters,
        Stacks: stacks,
      });
    };
    const canonical = new Map(pool.map((x) => [x, report(x, programEntry(GOPLS), programEntry("cmd/go"))]));
    const days: Record<string, Report[]> = {};
    for (let d = 0; d < 40; d++) {
      if (rand() < 0.15) continue;
      const reports: Report[] = [];
      for (let i = 0; i < 15; i++) {
        const x = pick(pool);
        // Mostly exact re-uploads; sometimes the same id with other content.
        reports.push(rand() < 0.8 ? canonical.get(x)! : report(x, programEntry(pick([GOPLS, "cmd/go"]))));
      }
      days[addDays("2024-01-01", d)] = reports;
    }
    return days;
  }

  const upload: UploadConfig = { ...unrestricted, GoVersion: ["go1.22.1", "go1.23.0"], GOARCH: ["arm64"] };
  const plan = buildPlan([
    ...builtinCharts(upload, GOPLS, ["v0.16.0", "v0.16.2", "devel"], id),
    ...builtinCharts(upload, "cmd/go", [], id),
    clientChart(0.5),
    configuredChart({ id: "bug", program: GOPLS, type: "stack", counter: "gopls/bug:{a,b}", rate: 0.7 }, [
      "gopls/bug:a",
      "gopls/bug:b",
    ]),
  ]);

  test.each([1, 2, 3, 4, 5])("random days (seed %i): rows, stacks and participation match", async (seed) => {
    const days = generate(seed);
    const dates = Array.from({ length: 40 }, (_, d) => addDays("2024-01-01", d));
    const result = await series(plan, days, dates);
    const { weeks, latest7, latest28, all } = result.windows;
    const expected = expectedRows(plan, days, [...weeks, latest7, latest28, all]);
    result.charts.forEach((chart, c) => {
      const sortedBuckets = (rows: ChartRow[]) =>
        [...rows].sort(
          (a, b) =>
            a.window_start.localeCompare(b.window_start) ||
            a.window_end.localeCompare(b.window_end) ||
            a.bucket.localeCompare(b.bucket),
        );
      expect(sortedBuckets(chart.rows)).toEqual(sortedBuckets(expected[c]!));
    });
    const stackChart = plan.charts.length - 1;
    for (const w of [latest7, latest28, all]) {
      expect(result.charts[stackChart]!.stacks[w.kind as "all"]).toEqual(
        expectedTopStacks(plan.charts[stackChart]!, days, w),
      );
    }
    for (const [i, week] of weeks.entries()) {
      const inWeek = Object.entries(days).filter(([date]) => date >= week.start && date <= week.end);
      const ids = (program?: string) =>
        new Set(
          inWeek.flatMap(([, reports]) =>
            reports.filter((r) => !program || r.Programs.some((p) => p.Program === program)).map((r) => r.X),
          ),
        ).size;
      expect(result.participation.weekly[i]).toEqual({
        start: week.start,
        end: week.end,
        reports: ids(),
        programs: { [GOPLS]: ids(GOPLS), "cmd/go": ids("cmd/go") },
      });
    }
  });
});
