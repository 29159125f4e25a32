// Summaries and the series built from them: the result must equal the reference series
// (test/helpers/series-reference.ts: two passes over whole day aggregates, the way the
// series was computed before summaries), on reports re-uploaded across days with changed
// contents, sampled counters, stacks and unrestricted built-ins.

import { createHash } from "node:crypto";
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
  serializeDay,
  type AggregationPlan,
  type DayAggregate,
} from "./aggregate.ts";
import { parseChartConfig } from "./chartconfig.ts";
import { addDays, aggregateSource, computeSeries, computeSeriesState, type SeriesSource } from "./series.ts";
import { deserializeSeriesState, serializeSeriesState } from "./series-state.ts";
import {
  contributionsOf,
  deserializeSummary,
  programRates,
  serializeSummary,
  summarizeDay,
} from "./summary.ts";
import type { Report, UploadConfig } from "./types.ts";
import { concat } from "../../test/helpers/bytes.ts";

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
        const cachedSource: SeriesSource = {
          ...source,
          summary: async (date, key) => deserializeSummary(serializeSummary(await source.summary(date, key))),
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

describe("series from the previous run's state", () => {
  const keyOf = (day: DayAggregate) =>
    `${day.date}:${createHash("sha256").update(serializeDay(day)).digest("hex")}`;

  /** A source over aggregates; summaries also by key, for days that left the range. */
  function sourceOf(
    plan: AggregationPlan,
    current: Map<string, DayAggregate>,
    byKey: Map<string, DayAggregate>,
  ) {
    const source = aggregateSource((date) => current.get(date), plan, keyOf);
    const loads: string[] = [];
    const counted: SeriesSource = {
      ...source,
      summary(date, key) {
        loads.push(date);
        const day = byKey.get(key);
        if (!day) throw new Error(`no summary for ${key}`);
        return deserializeSummary(serializeSummary(summarizeDay(day, plan)));
      },
    };
    return { source: counted, loads };
  }

  const edits = fc.record({
    drop: fc.nat({ max: 30 }),
    append: fc.array(fc.option(dayReports, { freq: 5 }), { maxLength: 10 }),
    change: fc.array(fc.tuple(fc.nat({ max: 40 }), fc.option(dayReports, { freq: 4 })), { maxLength: 3 }),
    forgetDropped: fc.boolean(),
  });

  it("equals the series computed from scratch, after days are dropped, added and changed", async () => {
    await fc.assert(
      fc.asyncProperty(
        range,
        edits,
        fc.boolean(),
        async (firstDays, { drop, append, change, forgetDropped }, sampled) => {
          const plan = testPlan(sampled);
          const first = aggregates(plan, firstDays);
          const firstDates = firstDays.map((_, i) => addDays("2024-03-01", i));
          const byKey = new Map([...first.values()].map((day) => [keyOf(day), day]));
          const before = sourceOf(plan, first, byKey);
          const { state } = await computeSeriesState(before.source, firstDates, plan);

          // The next range: some days dropped at the start, some changed, some added.
          const nextDays = [...firstDays, ...append];
          for (const [at, reports] of change) if (at < nextDays.length) nextDays[at] = reports;
          const start = Math.min(drop, nextDays.length - 1);
          const all = aggregates(plan, nextDays);
          const next = new Map([...all].filter(([date]) => date >= addDays("2024-03-01", start)));
          const nextDates = nextDays.map((_, i) => addDays("2024-03-01", i)).slice(start);
          const keys = new Map(forgetDropped ? [] : byKey);
          for (const day of next.values()) keys.set(keyOf(day), day);
          const after = sourceOf(plan, next, keys);
          const fresh = sourceOf(plan, next, keys);
          const restored = deserializeSeriesState(concat(...serializeSeriesState(state)));
          const incremental = await computeSeriesState(after.source, nextDates, plan, restored);
          const expected = await computeSeries(fresh.source, nextDates, plan);
          expect(incremental.result).toEqual(expected);
          // And the state it leaves carries on: a rerun from it gives the same again.
          const again = deserializeSeriesState(concat(...serializeSeriesState(incremental.state)));
          expect((await computeSeriesState(after.source, nextDates, plan, again)).result).toEqual(expected);
        },
      ),
      { seed: 20261126, numRuns: 200 },
    );
  });

  test("a new day reads its own summary and the latest 28 days' only", async () => {
    const plan = testPlan(false);
    const reports = (i: number) => [report(0.001 + i / 1000, entry("cmd/go")), report(0.5, entry(GOPLS))];
    const days = Array.from({ length: 60 }, (_, i) => reports(i));
    const first = aggregates(plan, days);
    const dates = days.map((_, i) => addDays("2024-03-01", i));
    const byKey = new Map([...first.values()].map((day) => [keyOf(day), day]));
    const { state } = await computeSeriesState(sourceOf(plan, first, byKey).source, dates, plan);
    const next = aggregates(plan, [...days, reports(60)]);
    for (const day of next.values()) byKey.set(keyOf(day), day);
    const after = sourceOf(plan, next, byKey);
    const nextDates = [...dates, addDays("2024-03-01", 60)];
    const { result } = await computeSeriesState(after.source, nextDates, plan, state);
    expect(after.loads.length).toBeLessThanOrEqual(28);
    expect(result).toEqual(await computeSeries(sourceOf(plan, next, byKey).source, nextDates, plan));
    // Report 0.5 is on every day: counted once over the range.
    expect(result.reports).toBe(61 + 1);
  });
});
