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
  planCharts,
  serializeDay,
  type AggregationPlan,
  type DayAggregate,
  type PlannedChart,
} from "./aggregate.ts";
import type { ChartConfig, Report, UploadConfig } from "./types.ts";
import { isToolchainProgram } from "./versions.ts";

/** A day aggregate with its typed arrays as plain arrays: what it holds, whatever widths it is stored in. */
function plain(value: unknown): unknown {
  if (ArrayBuffer.isView(value)) return Array.from(value as unknown as ArrayLike<number>);
  if (Array.isArray(value)) return value.map(plain);
  if (value && typeof value === "object")
    return Object.fromEntries(Object.entries(value).map(([key, v]) => [key, plain(v)]));
  return value;
}

function aggregate(plan: AggregationPlan, reports: Report[], date = "2024-06-01"): DayAggregate {
  const day = createDayAggregate(date, plan);
  for (const r of reports) addReport(day, r);
  return finishDay(day);
}

/** Bucket → sorted report ids (X) of one chart of a day. */
function bucketsOf(day: DayAggregate, chart: number): Record<string, number[]> {
  return Object.fromEntries(
    day.charts[chart]!.buckets.map((b) => [b.bucket, Array.from(b.reports, (i) => day.xs[i]!).sort()]),
  );
}

/** Bucket → report id → counter value, for one chart of a day. */
function valuesOf(day: DayAggregate, chart: number): Record<string, Record<number, number>> {
  return Object.fromEntries(
    day.charts[chart]!.buckets.map((b) => [
      b.bucket,
      Object.fromEntries(Array.from(b.reports, (i, k) => [day.xs[i]!, b.values ? b.values[k]! : 1])),
    ]),
  );
}

/** An upload config listing only gopls, with these counters. */
const goplsUpload = (Counters: UploadConfig["Programs"][number]["Counters"]): UploadConfig => ({
  ...unrestricted,
  Programs: [{ Name: GOPLS, Versions: [], Counters, Stacks: [] }],
});

const clientChart = (rate = 1): PlannedChart =>
  configuredChart(
    { id: "client", program: GOPLS, type: "partition", counter: "gopls/client:{vscode,vim}", rate },
    ["gopls/client:vscode", "gopls/client:vim"],
  );

describe("built-in charts", () => {
  test("a non-toolchain program has Version, GOOS, GOARCH and GoVersion charts", () => {
    expect(builtinCharts(unrestricted, GOPLS, [], id).map((c) => c.name)).toEqual([
      "Version",
      "GOOS",
      "GOARCH",
      "GoVersion",
    ]);
  });

  test("a toolchain program (upstream's rule: a path under cmd/) has no Version chart", () => {
    for (const program of ["cmd/go", "cmd/compile", "cmd/vet", "cmd/cgo"]) {
      expect(isToolchainProgram(program)).toBe(true);
      expect(builtinCharts(unrestricted, program, [], id).map((c) => c.name)).toEqual([
        "GOOS",
        "GOARCH",
        "GoVersion",
      ]);
    }
    for (const program of ["golang.org/x/tools/gopls", "github.com/go-delve/delve/cmd/dlv", "cmdline/tool"])
      expect(isToolchainProgram(program)).toBe(false);
  });

  test("built-in buckets are the upload config's lists, or every observed value when a list is empty", () => {
    const upload = { ...unrestricted, GOOS: ["linux", "darwin"] };
    const charts = builtinCharts(upload, GOPLS, ["v0.16.0"], id);
    expect(charts.map((c) => [c.name, c.buckets, c.rate])).toEqual([
      ["Version", ["v0.16.0"], 1],
      ["GOOS", ["linux", "darwin"], 1],
      ["GOARCH", null, 1],
      ["GoVersion", null, 1],
    ]);
  });

  test("each program entry counts its report in its Version, GOOS, GOARCH and normalised GoVersion", () => {
    const plan = buildPlan(builtinCharts(unrestricted, GOPLS, [], id));
    const day = aggregate(plan, [
      report(0.1, entry(GOPLS, { Version: "v0.16.2", GoVersion: "go1.23.1" })),
      report(
        0.2,
        entry(GOPLS, { Version: "v0.16.0", GoVersion: "go1.23rc1", GOOS: "darwin", GOARCH: "arm64" }),
      ),
      report(0.3, entry(GOPLS, { Version: "devel", GoVersion: "devel go1.24-abc" })),
      report(0.4, entry("cmd/go")),
    ]);
    expect(bucketsOf(day, 0)).toEqual({ "v0.16": [0.1, 0.2], devel: [0.3] });
    expect(bucketsOf(day, 1)).toEqual({ linux: [0.1, 0.3], darwin: [0.2] });
    expect(bucketsOf(day, 2)).toEqual({ amd64: [0.1, 0.3], arm64: [0.2] });
    expect(bucketsOf(day, 3)).toEqual({ "go1.23": [0.1, 0.2], "": [0.3] });
    expect(day.charts[0]!.buckets[0]!.values).toBeNull();
  });

  test("with a restricted list only listed raw values count, merged by their normalised bucket", () => {
    const upload = { ...unrestricted, GoVersion: ["go1.24.1", "go1.24.3", "go1.23.0"] };
    const plan = buildPlan(builtinCharts(upload, "cmd/go", [], id));
    const day = aggregate(plan, [
      report(0.1, entry("cmd/go", { GoVersion: "go1.24.1" })),
      report(0.2, entry("cmd/go", { GoVersion: "go1.24.3" })),
      report(0.3, entry("cmd/go", { GoVersion: "go1.24.2" })),
      report(0.4, entry("cmd/go", { GoVersion: "go1.23.0" })),
    ]);
    expect(bucketsOf(day, 2)).toEqual({ "go1.24": [0.1, 0.2], "go1.23": [0.4] });
  });
});

describe("counters", () => {
  test("a counter counts by presence: a value of 0 still puts the report in the bucket", () => {
    const plan = buildPlan([clientChart()]);
    const day = aggregate(plan, [
      report(0.1, entry(GOPLS, { Counters: { "gopls/client:vscode": 0 } })),
      report(0.2, entry(GOPLS, { Counters: { "gopls/client:vim": 4 } })),
    ]);
    expect(valuesOf(day, 0)).toEqual({ vscode: { 0.1: 0 }, vim: { 0.2: 4 } });
  });

  test("counters no chart asks for, and unlisted buckets, are ignored", () => {
    const plan = buildPlan([clientChart()]);
    const day = aggregate(plan, [
      report(
        0.1,
        entry(GOPLS, { Counters: { "gopls/client:emacs": 1, "gopls/other": 2, "go/x:vscode": 3 } }),
      ),
      report(0.2, entry("cmd/go", { Counters: { "gopls/client:vscode": 1 } })),
    ]);
    expect(day.charts[0]!.buckets).toEqual([]);
  });

  test("a plain counter is its own chart and bucket, as is the same name written chart:chart", () => {
    const chart = configuredChart(
      { id: "c", program: GOPLS, type: "partition", counter: "gopls/restart", rate: 1 },
      ["gopls/restart"],
    );
    const plan = buildPlan([chart]);
    const day = aggregate(plan, [
      report(0.1, entry(GOPLS, { Counters: { "gopls/restart": 2 } })),
      report(0.2, entry(GOPLS, { Counters: { "gopls/restart:gopls/restart": 5 } })),
    ]);
    expect(chart).toMatchObject({ name: "gopls/restart", buckets: ["gopls/restart"] });
    expect(valuesOf(day, 0)).toEqual({ "gopls/restart": { 0.1: 2, 0.2: 5 } });
  });

  test("a program appearing twice in one report counts once, with its values summed", () => {
    const plan = buildPlan([clientChart()]);
    const day = aggregate(plan, [
      report(
        0.1,
        entry(GOPLS, { Counters: { "gopls/client:vscode": 2 } }),
        entry(GOPLS, { GOOS: "darwin", Counters: { "gopls/client:vscode": 3 } }),
      ),
    ]);
    expect(valuesOf(day, 0)).toEqual({ vscode: { 0.1: 5 } });
    const program = day.programs[0]!;
    expect(Array.from(program.reports)).toEqual([0]);
    expect(day.strings[program.goos[0]!]).toBe("linux");
  });
});

describe("report ids within a day", () => {
  test("a report id on several lines is one report; its value comes from the first line", () => {
    const plan = buildPlan([clientChart(), ...builtinCharts(unrestricted, GOPLS, [], id)]);
    const day = aggregate(plan, [
      report(0.5, entry(GOPLS, { Counters: { "gopls/client:vscode": 7 } })),
      report(0.25, entry(GOPLS, { Counters: { "gopls/client:vscode": 1 } })),
      report(0.5, entry(GOPLS, { GOOS: "windows", Counters: { "gopls/client:vscode": 9 } })),
    ]);
    expect(Array.from(day.xs)).toEqual([0.5, 0.25]);
    expect(valuesOf(day, 0)).toEqual({ vscode: { 0.5: 7, 0.25: 1 } });
    expect(day.programs[0]!.reports.length).toBe(2);
    expect(day.strings[day.programs[0]!.goos[0]!]).toBe("linux");
  });

  test("a bucket that only a later line of the same report has still counts (upstream's set union)", () => {
    const plan = buildPlan([clientChart(), ...builtinCharts(unrestricted, GOPLS, [], id)]);
    const day = aggregate(plan, [
      report(0.5, entry(GOPLS, { Counters: { "gopls/client:vscode": 1 } })),
      report(0.5, entry(GOPLS, { GOOS: "windows", Counters: { "gopls/client:vim": 1 } })),
    ]);
    expect(bucketsOf(day, 0)).toEqual({ vscode: [0.5], vim: [0.5] });
    expect(bucketsOf(day, 2)).toEqual({ linux: [0.5], windows: [0.5] });
  });

  test("a bucket keeps the GOOS, GOARCH and Go version of the entry that gave it, where that is not the first", () => {
    const plan = buildPlan([clientChart(), ...builtinCharts(unrestricted, GOPLS, [], id)]);
    const dimsOf = (day: DayAggregate, chart: number) =>
      Object.fromEntries(
        day.charts[chart]!.buckets.map((b) => [
          b.bucket,
          b.dims &&
            [...b.dims.goos].map((id, k) => `${day.strings[id]} ${day.strings[b.dims!.goVersion[k]!]}`),
        ]),
      );
    const vim = { "gopls/client:vim": 1 };
    const later = entry(GOPLS, { GOOS: "windows", GoVersion: "go1.24.0", Counters: vim });
    const day = aggregate(plan, [
      report(0.1, entry(GOPLS, { Counters: { "gopls/client:vscode": 1 } }), later),
      report(0.2, entry(GOPLS)),
      report(0.2, later),
      report(0.3, entry(GOPLS, { Counters: vim })),
    ]);
    expect(Array.from(day.programs[0]!.goos, (id) => day.strings[id])).toEqual(["linux", "linux", "linux"]);
    expect(dimsOf(day, 0)).toEqual({
      vscode: null,
      vim: ["windows go1.24.0", "windows go1.24.0", "linux go1.23.1"],
    });
    expect(dimsOf(day, 2)).toEqual({ linux: null, windows: ["windows go1.24.0", "windows go1.24.0"] });
    expect(plain(deserializeDay(serializeDay(day)))).toEqual(plain(day));
    // The same entries alone, or a second entry with the first's values, need no dims of their own.
    const plainDay = aggregate(plan, [
      report(0.1, entry(GOPLS, { Counters: vim })),
      report(0.2, entry(GOPLS), entry(GOPLS, { Counters: vim })),
    ]);
    expect(plainDay.charts.flatMap((c) => c.buckets).every((b) => b.dims === null)).toBe(true);
  });

  test("a day of many reports, some on several lines, lists each report once", () => {
    const plan = buildPlan([clientChart(), ...builtinCharts(unrestricted, GOPLS, [], id)]);
    // More distinct ids than the index of ids starts with room for; every 7th comes back.
    const xs = Array.from({ length: 6000 }, (_, i) => (i + 1) / 6001);
    const lines = [...xs, ...xs.filter((_, i) => i % 7 === 0).reverse()];
    const day = aggregate(
      plan,
      lines.map((x) => report(x, entry(GOPLS, { Counters: { "gopls/client:vscode": 1 } }))),
    );
    expect(Array.from(day.xs)).toEqual(xs);
    expect(day.programs[0]!.reports.length).toBe(xs.length);
    expect(new Set(day.programs[0]!.reports).size).toBe(xs.length);
    expect(bucketsOf(day, 0).vscode).toEqual([...xs].sort());
  });
});

describe("stacks", () => {
  const crashChart = configuredChart(
    { id: "crash", program: GOPLS, type: "stack", counter: "gopls/bug", rate: 1 },
    ["gopls/bug"],
  );

  test("a stack chart collects stacks under its counter names, and their reports per name", () => {
    const plan = buildPlan([crashChart]);
    const day = aggregate(plan, [
      report(
        0.1,
        entry(GOPLS, { Stacks: { "gopls/bug\nf1\nf2": 2, "gopls/bug\nf3": 0, "other/bug\nf1": 5 } }),
      ),
      report(0.2, entry(GOPLS, { Stacks: { "gopls/bug\nf1\nf2": 1 } })),
    ]);
    expect(valuesOf(day, 0)).toEqual({ "gopls/bug": { 0.1: 2, 0.2: 1 } });
    const stacks = day.charts[0]!.stacks.map((s) => [
      s.key,
      Array.from(s.reports, (i) => day.xs[i]),
      Array.from(s.values),
    ]);
    expect(stacks).toEqual([
      ["gopls/bug\nf1\nf2", [0.1, 0.2], [2, 1]],
      ["gopls/bug\nf3", [0.1], [0]],
    ]);
  });

  test("a stack chart also counts its counter when uploaded as a plain counter (no depth)", () => {
    const plan = buildPlan([crashChart]);
    const day = aggregate(plan, [report(0.1, entry(GOPLS, { Counters: { "gopls/bug": 3 } }))]);
    expect(valuesOf(day, 0)).toEqual({ "gopls/bug": { 0.1: 3 } });
    expect(day.charts[0]!.stacks).toEqual([]);
  });
});

describe("plan", () => {
  const chartConfig = (fields: Partial<ChartConfig>): ChartConfig => ({
    title: "t",
    description: "",
    issues: [],
    type: "partition",
    program: GOPLS,
    module: "",
    counter: "",
    depth: 0,
    error: 0,
    version: "",
    line: 1,
    ...fields,
  });

  test("planCharts lists built-ins then configured charts per program, with the upload config's rates", () => {
    const upload: UploadConfig = {
      ...unrestricted,
      Programs: [
        {
          Name: "cmd/go",
          Versions: [],
          Counters: [{ Name: "go/invocations", Rate: 1 }],
          Stacks: [],
        },
        {
          Name: GOPLS,
          Versions: ["v0.16.0"],
          Counters: [{ Name: "gopls/client:{vscode,vim}", Rate: 0.5 }],
          Stacks: [{ Name: "gopls/bug", Rate: 0.25, Depth: 16 }],
        },
      ],
    };
    const charts = planCharts({
      upload,
      chartConfigs: [
        chartConfig({ counter: "gopls/client:{vscode,vim}" }),
        chartConfig({ type: "stack", counter: "gopls/bug", depth: 16 }),
        chartConfig({ program: "cmd/go", counter: "go/invocations" }),
      ],
      chartId: id,
    });
    expect(charts.map((c) => [c.id, c.type, c.builtin, c.buckets, c.rate])).toEqual([
      ["cmd/go:GOOS", "partition", true, null, 1],
      ["cmd/go:GOARCH", "partition", true, null, 1],
      ["cmd/go:GoVersion", "partition", true, null, 1],
      ["cmd/go:go/invocations", "partition", false, ["go/invocations"], 1],
      [`${GOPLS}:Version`, "partition", true, ["v0.16.0"], 1],
      [`${GOPLS}:GOOS`, "partition", true, null, 1],
      [`${GOPLS}:GOARCH`, "partition", true, null, 1],
      [`${GOPLS}:GoVersion`, "partition", true, null, 1],
      [`${GOPLS}:gopls/client`, "partition", false, ["vscode", "vim"], 0.5],
      [`${GOPLS}:gopls/bug`, "stack", false, ["gopls/bug"], 0.25],
    ]);
  });

  test("a counter the upload config does not list has rate 0; one partly listed takes a listed name's rate", () => {
    const upload = goplsUpload([{ Name: "gopls/client:vim", Rate: 0.5 }]);
    const charts = planCharts({
      upload,
      chartConfigs: [
        chartConfig({ counter: "gopls/client:{vscode,vim}" }),
        chartConfig({ counter: "gopls/restart" }),
        chartConfig({ type: "stack", counter: "gopls/bug", depth: 16 }),
      ],
      chartId: id,
    });
    expect(charts.filter((c) => !c.builtin).map((c) => [c.id, c.rate])).toEqual([
      [`${GOPLS}:gopls/client`, 0.5],
      [`${GOPLS}:gopls/restart`, 0],
      [`${GOPLS}:gopls/bug`, 0],
    ]);
  });

  test("a counter listed under its other spelling (c for c:c, c:c for c) takes that rate", () => {
    const upload = goplsUpload([
      { Name: "gopls/restart:gopls/restart", Rate: 0.25 },
      { Name: "gopls/open", Rate: 0.5 },
    ]);
    const charts = planCharts({
      upload,
      chartConfigs: [
        chartConfig({ counter: "gopls/restart" }),
        chartConfig({ counter: "gopls/open:gopls/open" }),
        chartConfig({ counter: "gopls/close:gopls/close" }),
      ],
      chartId: id,
    });
    expect(charts.filter((c) => !c.builtin).map((c) => [c.id, c.rate])).toEqual([
      [`${GOPLS}:gopls/restart`, 0.25],
      [`${GOPLS}:gopls/open`, 0.5],
      [`${GOPLS}:gopls/close`, 0],
    ]);
  });

  test("chart ids must be unique", () => {
    expect(() => buildPlan([clientChart(), clientChart()])).toThrow(/not unique/);
  });

  test("the plan fingerprint changes with any chart setting", () => {
    const fingerprint = buildPlan([clientChart()]).fingerprint;
    expect(buildPlan([clientChart()]).fingerprint).toBe(fingerprint);
    expect(buildPlan([clientChart(0.5)]).fingerprint).not.toBe(fingerprint);
  });
});

describe("serialisation", () => {
  test("a day aggregate survives serializeDay/deserializeDay exactly, report ids bit for bit", () => {
    const plan = buildPlan([
      ...builtinCharts(unrestricted, GOPLS, [], id),
      clientChart(),
      configuredChart({ id: "bug", program: GOPLS, type: "stack", counter: "gopls/bug", rate: 1 }, [
        "gopls/bug",
      ]),
    ]);
    const xs = [0.1 + 0.2, Number.MIN_VALUE, 1e-300, 0.9999999999999999, 1, 0.12345678901234568];
    const day = aggregate(
      plan,
      xs.map((x, i) =>
        report(
          x,
          entry(GOPLS, {
            GOOS: i % 2 ? "linux" : "darwin",
            Counters: { "gopls/client:vscode": i * 1e15 + 0.5 },
            Stacks: { [`gopls/bug\nframe ${i % 3}`]: i },
          }),
        ),
      ),
    );
    const bytes = serializeDay(day);
    const copy = deserializeDay(bytes);
    expect(plain(copy)).toEqual(plain(day));
    expect(Array.from(copy.xs)).toEqual(xs);
    expect(copy.xs).toBeInstanceOf(Float64Array);
    // A few reports: 16-bit indices. Values with fractions stay doubles; whole ones are 32-bit.
    expect(copy.programs[0]!.reports).toBeInstanceOf(Uint16Array);
    expect(copy.charts[3]!.buckets[0]!.values).toBeNull();
    expect(copy.charts[4]!.buckets[0]!.values).toBeInstanceOf(Float64Array);
    expect(copy.charts[5]!.stacks[0]!.values).toBeInstanceOf(Uint32Array);
    // A file read into a Buffer may start at any offset of its memory.
    const unaligned = new Uint8Array(bytes.length + 1).subarray(1);
    unaligned.set(bytes);
    expect(plain(deserializeDay(unaligned))).toEqual(plain(day));
  });

  test("values a 32-bit integer cannot hold exactly stay doubles; a day of many reports keeps 32-bit indices", () => {
    const reports = 70_000; // more than 16 bits can index
    const day: DayAggregate = {
      date: "2024-06-01",
      plan: "p",
      xs: Float64Array.from({ length: reports }, (_, i) => (i + 1) / reports),
      strings: ["linux", "amd64", "go1.23.1"],
      programs: [
        {
          program: GOPLS,
          reports: Uint32Array.of(0, 65_536, reports - 1),
          goos: Uint32Array.of(0, 0, 0),
          goarch: Uint32Array.of(1, 1, 1),
          goVersion: Uint32Array.of(2, 2, 2),
        },
      ],
      charts: [
        {
          buckets: [
            {
              bucket: "whole",
              reports: Uint32Array.of(1, 65_537),
              values: Float64Array.of(0, 2 ** 32 - 1),
              dims: {
                goos: Uint32Array.of(0, 1),
                goarch: Uint32Array.of(1, 1),
                goVersion: Uint32Array.of(2, 0),
              },
            },
            { bucket: "big", reports: Uint32Array.of(2), values: Float64Array.of(2 ** 32), dims: null },
            { bucket: "negative zero", reports: Uint32Array.of(3), values: Float64Array.of(-0), dims: null },
            { bucket: "built-in", reports: Uint32Array.of(4, 69_999), values: null, dims: null },
          ],
          stacks: [{ key: "s\nf", reports: Uint32Array.of(5), values: Float64Array.of(2.5) }],
        },
      ],
    };
    const copy = deserializeDay(serializeDay(day));
    expect(plain(copy)).toEqual(plain(day));
    expect(copy.programs[0]!.reports).toBeInstanceOf(Uint32Array);
    const [whole, big, negativeZero] = copy.charts[0]!.buckets;
    expect(whole!.values).toBeInstanceOf(Uint32Array);
    expect(big!.values).toBeInstanceOf(Float64Array);
    expect(Object.is(negativeZero!.values![0], -0)).toBe(true);
    expect(copy.charts[0]!.stacks[0]!.values).toBeInstanceOf(Float64Array);
  });

  test("an entry of another format, or a truncated one, is rejected", () => {
    const bytes = serializeDay(aggregate(buildPlan([clientChart()]), [report(0.5, entry(GOPLS))]));
    const otherFormat = bytes.slice();
    otherFormat[new TextDecoder().decode(bytes.subarray(0, 64)).indexOf('"format":') + 9] = "0".charCodeAt(0);
    expect(() => deserializeDay(otherFormat)).toThrow(/format/);
    expect(() => deserializeDay(bytes.subarray(0, bytes.length - 4))).toThrow(/does not match/);
  });
});
