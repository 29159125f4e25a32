// Summaries and the series built from them: the result must equal the reference series
// (test/helpers/series-reference.ts: two passes over whole day aggregates, the way the
// series was computed before summaries), on reports re-uploaded across days with changed
// contents, sampled counters, stacks and unrestricted built-ins.

import fc from "fast-check";
import { describe, expect, it, test } from "vitest";
import { entry, GOPLS, id, report, unrestricted } from "../../test/helpers/reports.ts";
import { referenceSeries } from "../../test/helpers/series-reference.ts";
import {
  addReport,
  buildPlan,
  configuredChart,
  createDayAggregate,
  finishDay,
  planCharts,
  type AggregationPlan,
  type DayAggregate,
} from "./aggregate.ts";
import { parseChartConfig } from "./chartconfig.ts";
import { addDays, aggregateSource, computeSeries } from "./series.ts";
import {
  contributionsOf,
  deserializeSummary,
  programRates,
  serializeSummary,
  summarizeDay,
} from "./summary.ts";
import type { Report, UploadConfig } from "./types.ts";

const CHARTS = `
title: Editors
counter: gopls/client:{vscode,vim,emacs}
type: partition
issue: https://go.dev/issue/1
program: ${GOPLS}
---
title: Build modes
counter: cmd/go/buildmode:{default,shared,pie}
type: partition
issue: https://go.dev/issue/1
program: cmd/go
---
title: Bugs
counter: gopls/bug
type: stack
issue: https://go.dev/issue/1
program: ${GOPLS}
depth: 8
`;

function testPlan(sampled: boolean): AggregationPlan {
  const parsed = parseChartConfig(CHARTS, "charts.txt");
  if (!parsed.ok) throw new Error("test chart config");
  const upload: UploadConfig = {
    ...unrestricted,
    GOOS: ["linux", "darwin"],
    Programs: [
      {
        Name: GOPLS,
        Versions: [],
        Counters: [{ Name: `gopls/client:{vscode,vim,emacs}`, Rate: sampled ? 0.5 : 1 }],
        Stacks: [{ Name: `gopls/bug`, Rate: 1, Depth: 8 }],
      },
      {
        Name: "cmd/go",
        Versions: [],
        Counters: [{ Name: "cmd/go/buildmode:{default,shared,pie}", Rate: 1 }],
        Stacks: [],
      },
    ],
  };
  return buildPlan(planCharts({ upload, chartConfigs: parsed.charts, chartId: id }));
}

// Few distinct ids, so that reports come back on other days (and on the same day).
const x = fc.constantFrom(0.05, 0.2, 0.3, 0.45, 0.5, 0.6, 0.75, 0.9, 1, 0.125, 0.375, 0.625);
const goplsEntry = fc
  .record({
    client: fc.subarray(["vscode", "vim", "emacs", "other"]),
    bug: fc.subarray(["a", "b", "c"]),
    value: fc.nat({ max: 5 }),
    goos: fc.constantFrom("linux", "darwin", "windows"),
    goVersion: fc.constantFrom("go1.23.1", "go1.24rc1", "devel", "go1.22"),
    version: fc.constantFrom("v0.16.2", "v0.17.0", "devel"),
  })
  .map(({ client, bug, value, goos, goVersion, version }) =>
    entry(GOPLS, {
      GOOS: goos,
      GoVersion: goVersion,
      Version: version,
      Counters: Object.fromEntries(client.map((c) => [`gopls/client:${c}`, value])),
      Stacks: Object.fromEntries(bug.map((b) => [`gopls/bug\nframe.${b}:+1`, value + 1])),
    }),
  );
const goEntry = fc
  .record({
    modes: fc.subarray(["default", "shared", "pie"]),
    value: fc.nat({ max: 3 }),
    goarch: fc.constantFrom("amd64", "arm64"),
  })
  .map(({ modes, value, goarch }) =>
    entry("cmd/go", {
      GOARCH: goarch,
      GoVersion: "go1.24.2",
      Counters: Object.fromEntries(modes.map((m) => [`cmd/go/buildmode:${m}`, value])),
    }),
  );
const dayReports = fc.array(
  fc
    .tuple(x, fc.subarray([0, 1]), goplsEntry, goEntry)
    .map(([id, which, gopls, go]) => report(id, ...which.map((w) => (w === 0 ? gopls : go)))),
  { maxLength: 8 },
);
// Up to 24 days, some without a file: several weeks, and latest7/latest28 windows.
const range = fc.array(fc.option(dayReports, { freq: 5 }), { minLength: 1, maxLength: 24 });

function aggregates(plan: AggregationPlan, days: (Report[] | null)[]): Map<string, DayAggregate> {
  const byDate = new Map<string, DayAggregate>();
  days.forEach((reports, i) => {
    if (reports === null) return;
    const date = addDays("2024-03-01", i);
    const day = createDayAggregate(date, plan);
    for (const r of reports) addReport(day, r);
    byDate.set(date, finishDay(day));
  });
  return byDate;
}

describe("series from summaries", () => {
  it("equals the reference series on random ranges with re-uploaded reports", async () => {
    await fc.assert(
      fc.asyncProperty(range, fc.boolean(), async (days, sampled) => {
        const plan = testPlan(sampled);
        const byDate = aggregates(plan, days);
        const dates = days.map((_, i) => addDays("2024-03-01", i));
        // Summaries go through their cache format.
        const source = aggregateSource((date) => byDate.get(date), plan);
        const cachedSource = {
          async summary(date: string) {
            const summary = await source.summary(date);
            return summary && deserializeSummary(serializeSummary(summary));
          },
          contributions: source.contributions,
        };
        const load = (date: string) => byDate.get(date);
        const expected = await referenceSeries(load, dates, plan);
        expect(await computeSeries(cachedSource, dates, plan)).toEqual(expected);
      }),
      { seed: 20261125, numRuns: 300 },
    );
  });
});

test("a summary counts the day's distinct reports per bucket, with values and breakdowns", () => {
  const plan = buildPlan([
    configuredChart(
      { id: "c", program: GOPLS, type: "partition", counter: `gopls/client:{vscode,vim}`, rate: 0.5 },
      [`gopls/client:vscode`, `gopls/client:vim`],
    ),
  ]);
  const day = createDayAggregate("2024-01-01", plan);
  addReport(day, report(0.25, entry(GOPLS, { Counters: { [`gopls/client:vscode`]: 3 } })));
  addReport(day, report(0.75, entry(GOPLS, { GOOS: "darwin", Counters: { [`gopls/client:vscode`]: 4 } })));
  // The same report again: one report, its first line's value.
  addReport(day, report(0.25, entry(GOPLS, { Counters: { [`gopls/client:vscode`]: 9 } })));
  const summary = summarizeDay(finishDay(day), plan);
  expect([...summary.xs]).toEqual([0.25, 0.75]);
  expect(summary.programs).toEqual([{ program: GOPLS, reports: 2, eligible: [1] }]);
  expect(summary.charts[0]!.buckets).toEqual([
    {
      bucket: "vscode",
      reports: 2,
      total: 7,
      breakdown: [
        [
          ["linux", 1],
          ["darwin", 1],
        ],
        [["amd64", 2]],
        [["go1.23", 2]],
      ],
    },
  ]);
  expect(programRates(plan)).toEqual(new Map([[GOPLS, [0.5]]]));
});

test("contributions name what each asked-for report was counted for, and nothing for the others", () => {
  const plan = testPlan(false);
  const day = createDayAggregate("2024-01-01", plan);
  addReport(
    day,
    report(
      0.5,
      entry(GOPLS, {
        GoVersion: "go1.24rc1",
        Counters: { [`gopls/client:vim`]: 2 },
        Stacks: { [`gopls/bug\nf:+1`]: 1 },
      }),
    ),
  );
  addReport(day, report(0.7, entry("cmd/go")));
  const found = contributionsOf(finishDay(day), [0.5, 0.9]);
  expect([...found.keys()]).toEqual([0.5]);
  const contribution = found.get(0.5)!;
  expect(contribution.programs).toEqual([[GOPLS, "linux", "amd64", "go1.24"]]);
  const charts = plan.charts.map((c) => c.name);
  expect(contribution.buckets.map(([c, bucket, value]) => [charts[c], bucket, value])).toEqual([
    ["Version", "v0.16", 1],
    ["GOOS", "linux", 1],
    ["GOARCH", "amd64", 1],
    ["GoVersion", "go1.24", 1],
    ["gopls/client", "vim", 2],
    ["gopls/bug", `gopls/bug`, 1],
  ]);
  expect(contribution.stacks.map(([c, key, value]) => [charts[c], key, value])).toEqual([
    ["gopls/bug", `gopls/bug\nf:+1`, 1],
  ]);
});

test("a summary entry of another format or a wrong size is refused", () => {
  const plan = testPlan(false);
  const day = createDayAggregate("2024-01-01", plan);
  addReport(day, report(0.5, entry("cmd/go")));
  const bytes = serializeSummary(summarizeDay(finishDay(day), plan));
  expect(deserializeSummary(bytes).xs[0]).toBe(0.5);
  expect(() => deserializeSummary(bytes.subarray(0, bytes.length - 8))).toThrow(/does not match/);
});
