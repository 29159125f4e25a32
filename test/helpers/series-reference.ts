// The series as computed before summaries (two passes over whole day aggregates): kept as
// an independent oracle for src/pipeline/series.ts, which must give the same result.
//
// A report (X) counts once per window and bucket however many days it appears on, as in
// upstream's partition, which unions report-id sets. Doing that exactly without holding
// every day takes two passes over the days:
// - pass 1 reads each day's report ids (8 bytes per report) and finds the ids that appear
//   on more than one day ("repeated"), and the last day each appears on;
// - pass 2 reads the days again in date order and adds each day to every window that
//   contains it. A report seen on one day only is summed per day and added once per window.
//   For a repeated report we remember, per thing it is counted for (the report, a program,
//   a bucket, a stack), the last day it was counted, and count it in a window only if that
//   day lies before the window; after its last day it is forgotten.
// So memory holds one day, the windows' counts and the repeated reports in flight; beyond
// pass 1's 16 bytes per report (ids, and a sorted copy), it does not grow with the days.
//

import { ascending } from "d3-array";
import type {
  AggregationPlan,
  DayAggregate,
  DayBucket,
  DayStack,
  PlannedChart,
} from "../../src/pipeline/aggregate.ts";
import { internString } from "../../src/pipeline/intern.ts";
import { shareOf } from "../../src/pipeline/stats.ts";
import type { Breakdown, ChartRow, Participation, StackRow, Window } from "../../src/pipeline/types.ts";
import { compareGoVersions, goMajorMinor } from "../../src/pipeline/versions.ts";
import {
  bucketOrder,
  computeWindows,
  dayNumber,
  TOP_STACKS,
  type ChartSeries,
  type DayLoader,
  type DetailWindowKind,
  type SeriesResult,
  type Windows,
} from "../../src/pipeline/series.ts";

/**
 * Everything the export needs. `dates` are the days to read (any order, repeats ignored);
 * the range runs from the earliest to the latest. Holds one day at a time.
 */
export async function referenceSeries(
  loadDay: DayLoader,
  dates: readonly string[],
  plan: AggregationPlan,
): Promise<SeriesResult> {
  const days = [...new Set(dates)].sort();
  if (days.length === 0) throw new Error("computeSeries: no dates");
  const load = async (date: string) => {
    const day = await loadDay(date);
    if (day && (day.date !== date || day.plan !== plan.fingerprint)) {
      throw new Error(`computeSeries: the aggregate loaded for ${date} is for ${day.date} or another plan`);
    }
    return day;
  };
  const windows = computeWindows(days[0]!, days[days.length - 1]!);
  const scan = await scanDays(load, days, plan);
  const state = createState(plan, windows, scan);
  const daily: Participation["daily"] = [];
  for (const date of days) {
    const day = await load(date);
    if (!day) continue;
    tallyDay(state, day);
    const programs = new Map(day.programs.map((program) => [program.program, program.reports.length]));
    daily.push({
      date,
      reports: day.xs.length,
      programs: Object.fromEntries(
        state.layout.programs.map((program) => [program, programs.get(program) ?? 0]),
      ),
    });
  }
  return {
    windows,
    charts: plan.charts.map((chart, c) => chartSeries(state, chart, c)),
    participation: { daily, weekly: windows.weeks.map((week) => weeklyParticipation(state, week)) },
    reports: tallyOf(state, windows.all).reports,
  };
}

// ---------------------------------------------------------------------------
// Pass 1: report ids on more than one day, and the observed buckets of unrestricted built-ins.

interface Scan {
  /** Report ids that appear on more than one day, ascending. */
  repeatedIds: Float64Array;
  /** For each of them, the last day (day number) it appears on. */
  lastDay: Int32Array;
  observed: Set<string>[];
}

async function scanDays(load: DayLoader, days: readonly string[], plan: AggregationPlan): Promise<Scan> {
  let ids = new Float64Array(1 << 16);
  let count = 0;
  const dayEnds: [day: number, end: number][] = [];
  const observed = plan.charts.map(() => new Set<string>());
  for (const date of days) {
    const day = await load(date);
    if (!day) continue;
    if (count + day.xs.length > ids.length) {
      const grown = new Float64Array(Math.max(2 * ids.length, count + day.xs.length));
      grown.set(ids.subarray(0, count));
      ids = grown;
    }
    ids.set(day.xs, count);
    count += day.xs.length;
    dayEnds.push([dayNumber(date), count]);
    day.charts.forEach((chart, c) => {
      if (plan.charts[c]!.buckets !== null) return;
      for (const bucket of chart.buckets) observed[c]!.add(bucket.bucket);
    });
  }
  const sorted = ids.slice(0, count).sort();
  const repeated: number[] = [];
  for (let i = 1; i < count; i++) {
    if (sorted[i] === sorted[i - 1] && sorted[i] !== repeated[repeated.length - 1]) repeated.push(sorted[i]!);
  }
  const repeatedIds = Float64Array.from(repeated);
  const lastDay = new Int32Array(repeatedIds.length);
  let i = 0;
  for (const [day, end] of dayEnds) {
    for (; i < end; i++) {
      const r = repeatIndex(repeatedIds, ids[i]!);
      if (r >= 0) lastDay[r] = day;
    }
  }
  return { repeatedIds, lastDay, observed };
}

/** Position of a report id among the repeated ones (ascending), or -1. */
function repeatIndex(repeatedIds: Float64Array, x: number): number {
  // A plain binary search: called for every report of every day, twice.
  let low = 0;
  let high = repeatedIds.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (repeatedIds[middle]! < x) low = middle + 1;
    else high = middle;
  }
  return repeatedIds[low] === x ? low : -1;
}

// ---------------------------------------------------------------------------
// Pass 2: tallies per window.

/** Counts for one window. Slots: see Layout. */
interface Tally {
  start: string;
  end: string;
  startDay: number;
  endDay: number;
  /** Distinct reports. */
  reports: number;
  /** Distinct reports per program slot. */
  programReports: number[];
  /** Distinct reports per eligibility slot (program, rate) with X ≤ rate. */
  eligible: Float64Array;
  /** Distinct reports and summed counter values per bucket slot. */
  bucketReports: Float64Array;
  bucketTotals: Float64Array;
  /** latest7, latest28 and all only: [bucket slot * 3 + dimension][value id] → distinct reports. */
  breakdowns: number[][] | null;
  /** latest7, latest28 and all only: per chart, stack key → distinct reports and summed values. */
  stacks: Map<string, { reports: number; total: number }>[] | null;
}

/** Numbering of what windows count: buckets of all charts, programs, (program, rate) pairs. */
interface Layout {
  buckets: string[][];
  bucketBase: number[];
  bucketIndex: Map<string, number>[];
  programs: string[];
  programSlot: Map<string, number>;
  /** Per program slot: its eligibility slots and rates. */
  rates: { slot: number; rate: number }[][];
  /** Per chart: its eligibility slot. */
  chartEligibility: number[];
}

/**
 * Report ids on more than one day, the last day each appears on, and, from its first to
 * its last day, what it was counted for (a CountKey) and the last day it was.
 */
interface Repeats {
  ids: Float64Array;
  lastDay: Int32Array;
  counted: (Map<CountKey, number> | undefined)[];
}

/** What a report is counted for: the whole (REPORT), a program, a bucket slot, a stack. */
type CountKey = number | string;
const REPORT: CountKey = -1;
const programKey = (slot: number): CountKey => -2 - slot;
const stackKey = (chart: number, key: string): CountKey => `${chart}\n${key}`;

interface State {
  plan: AggregationPlan;
  windows: Windows;
  layout: Layout;
  tallies: Tally[];
  repeats: Repeats;
  /** Breakdown dimension values (GOOS, GOARCH, GoVersion label), interned. */
  values: string[];
  valueIds: Map<string, number>;
  goVersionLabels: Map<string, string>;
}

const DIMENSIONS = ["GOOS", "GOARCH", "GoVersion"] as const;

function createState(plan: AggregationPlan, windows: Windows, scan: Scan): State {
  const buckets = plan.charts.map((chart, c) => bucketOrder(chart, scan.observed[c]!));
  const bucketBase: number[] = [];
  let slots = 0;
  for (const list of buckets) {
    bucketBase.push(slots);
    slots += list.length;
  }
  const programs = [...new Set(plan.charts.map((chart) => chart.program))];
  const programSlot = new Map(programs.map((program, slot) => [program, slot]));
  const rates: { slot: number; rate: number }[][] = programs.map(() => []);
  let eligibilitySlots = 0;
  const chartEligibility = plan.charts.map((chart) => {
    const programRates = rates[programSlot.get(chart.program)!]!;
    let entry = programRates.find((r) => r.rate === chart.rate);
    if (!entry) {
      entry = { slot: eligibilitySlots++, rate: chart.rate };
      programRates.push(entry);
    }
    return entry.slot;
  });
  const layout: Layout = {
    buckets,
    bucketBase,
    bucketIndex: buckets.map((list) => new Map(list.map((bucket, i) => [bucket, i]))),
    programs,
    programSlot,
    rates,
    chartEligibility,
  };

  const detailed = new Set([windows.latest7, windows.latest28, windows.all].map(windowKey));
  const tallies = new Map<string, Tally>();
  for (const window of [...windows.weeks, windows.latest7, windows.latest28, windows.all]) {
    const key = windowKey(window);
    if (tallies.has(key)) continue;
    const detail = detailed.has(key);
    tallies.set(key, {
      start: window.start,
      end: window.end,
      startDay: dayNumber(window.start),
      endDay: dayNumber(window.end),
      reports: 0,
      programReports: [],
      eligible: new Float64Array(eligibilitySlots),
      bucketReports: new Float64Array(slots),
      bucketTotals: new Float64Array(slots),
      breakdowns: detail ? [] : null,
      // Every window keeps its stacks: the detail ones and the weeks have top stacks.
      stacks: plan.charts.map(() => new Map()),
    });
  }
  return {
    plan,
    windows,
    layout,
    tallies: [...tallies.values()].sort((a, b) => ascending(a.start, b.start) || ascending(a.end, b.end)),
    repeats: { ids: scan.repeatedIds, lastDay: scan.lastDay, counted: [] },
    values: [],
    valueIds: new Map(),
    goVersionLabels: new Map(),
  };
}

function windowKey(window: { start: string; end: string }): string {
  return `${window.start}/${window.end}`;
}

function tallyOf(state: State, window: Window): Tally {
  return state.tallies.find((t) => t.start === window.start && t.end === window.end)!;
}

/** Never counted: before every window. */
const NEVER = -Infinity;

/** One day being added: the windows containing it, and which of its reports are repeated. */
interface DayTally {
  today: number;
  xs: Float64Array;
  /** For a report id that also appears on other days: what it was counted for, and when. */
  counted: (Map<CountKey, number> | undefined)[];
  tallies: Tally[];
  /** The tallies with breakdowns and stacks. */
  details: Tally[];
  /** Breakdown counts of one bucket's single-day reports: [dimension * values + value id]. */
  scratch: Float64Array;
  scratchValues: number;
  touched: number[];
}

/**
 * Adds one day to every window that contains it. A report seen on one day only is new to
 * every window of the day, so it is summed per day and added once per window. A repeated
 * report is new only to the windows that start after the last day it was counted for the
 * same thing (see lastCounted).
 */
function tallyDay(state: State, day: DayAggregate): void {
  const { plan, layout, repeats } = state;
  const today = dayNumber(day.date);
  const tallies = state.tallies.filter((t) => t.startDay <= today && today <= t.endDay);
  const details = tallies.filter((t) => t.breakdowns !== null);
  const counted: DayTally["counted"] = new Array(day.xs.length);
  const lastAppearances: number[] = [];
  if (repeats.ids.length > 0) {
    for (let index = 0; index < day.xs.length; index++) {
      const r = repeatIndex(repeats.ids, day.xs[index]!);
      if (r < 0) continue;
      counted[index] = repeats.counted[r] ??= new Map();
      if (repeats.lastDay[r] === today) lastAppearances.push(r);
    }
  }
  const dimensionsOf = details.length > 0 ? reportDimensions(state, day) : undefined;
  const scratchValues = state.values.length;
  const ctx: DayTally = {
    today,
    xs: day.xs,
    counted,
    tallies,
    details,
    scratch: new Float64Array(DIMENSIONS.length * scratchValues),
    scratchValues,
    touched: [],
  };

  let reports = 0;
  for (let index = 0; index < day.xs.length; index++) {
    if (!counted[index]) {
      reports++;
      continue;
    }
    const last = lastCounted(ctx, REPORT, index);
    for (const tally of tallies) if (last < tally.startDay) tally.reports++;
  }
  for (const tally of tallies) tally.reports += reports;

  for (const program of day.programs)
    tallyProgram(ctx, programSlot(layout, program.program), program.reports, layout);

  day.charts.forEach((chart, c) => {
    const planned = plan.charts[c]!;
    const dimensions = planned.type === "partition" ? dimensionsOf?.(planned.program) : undefined;
    for (const bucket of chart.buckets) {
      const slot = layout.bucketBase[c]! + layout.bucketIndex[c]!.get(bucket.bucket)!;
      const own = dimensions && bucket.dims ? withBucketDims(state, day, dimensions, bucket) : dimensions;
      tallyBucket(ctx, slot, bucket, own);
    }
    for (const stack of chart.stacks) tallyStack(ctx, c, stack);
  });

  // A repeated report seen for the last time is not needed any more.
  for (const r of lastAppearances) repeats.counted[r] = undefined;
}

/**
 * For a repeated report: the last day it was counted for `key` (NEVER if not yet), and
 * records today. It is new to the windows of the day that start after that day.
 */
function lastCounted(ctx: DayTally, key: CountKey, index: number): number {
  const counted = ctx.counted[index]!;
  const last = counted.get(key) ?? NEVER;
  counted.set(key, ctx.today);
  return last;
}

function tallyProgram(ctx: DayTally, slot: number, indices: Iterable<number>, layout: Layout): void {
  const rates = layout.rates[slot] ?? [];
  let reports = 0;
  const eligible = new Float64Array(rates.length);
  for (const index of indices) {
    const x = ctx.xs[index]!;
    if (ctx.counted[index]) {
      const last = lastCounted(ctx, programKey(slot), index);
      for (const tally of ctx.tallies) {
        if (last >= tally.startDay) continue;
        tally.programReports[slot] = (tally.programReports[slot] ?? 0) + 1;
        for (const { slot: eligibility, rate } of rates) if (x <= rate) tally.eligible[eligibility]! += 1;
      }
      continue;
    }
    reports++;
    for (let r = 0; r < rates.length; r++) if (x <= rates[r]!.rate) eligible[r]! += 1;
  }
  for (const tally of ctx.tallies) {
    tally.programReports[slot] = (tally.programReports[slot] ?? 0) + reports;
    rates.forEach(({ slot: eligibility }, r) => (tally.eligible[eligibility]! += eligible[r]!));
  }
}

function tallyBucket(
  ctx: DayTally,
  slot: number,
  bucket: DayBucket,
  dimensions: Int32Array | undefined,
): void {
  const { reports, values } = bucket;
  let singles = 0;
  let total = 0;
  for (let k = 0; k < reports.length; k++) {
    const index = reports[k]!;
    const value = values === null ? 1 : values[k]!;
    if (ctx.counted[index]) {
      const last = lastCounted(ctx, slot, index);
      for (const tally of ctx.tallies) {
        if (last >= tally.startDay) continue;
        tally.bucketReports[slot]! += 1;
        tally.bucketTotals[slot]! += value;
        if (dimensions && tally.breakdowns) addBreakdown(tally.breakdowns, slot, dimensions, index);
      }
      continue;
    }
    singles++;
    total += value;
    if (dimensions) countDimensions(ctx, dimensions, index);
  }
  for (const tally of ctx.tallies) {
    tally.bucketReports[slot]! += singles;
    tally.bucketTotals[slot]! += total;
  }
  if (dimensions) flushDimensions(ctx, slot);
}

function tallyStack(ctx: DayTally, chart: number, stack: DayStack): void {
  for (let k = 0; k < stack.reports.length; k++) {
    const index = stack.reports[k]!;
    const last = ctx.counted[index] ? lastCounted(ctx, stackKey(chart, stack.key), index) : NEVER;
    for (const tally of ctx.tallies) {
      const stacks = tally.stacks![chart]!;
      if (last >= tally.startDay) continue;
      let counts = stacks.get(stack.key);
      if (!counts) {
        counts = { reports: 0, total: 0 };
        stacks.set(stack.key, counts);
      }
      counts.reports++;
      counts.total += stack.values[k]!;
    }
  }
}

function programSlot(layout: Layout, program: string): number {
  return internString(layout.programs, layout.programSlot, program);
}

/**
 * Per program of the day: for each report index, the breakdown value ids of its program
 * entry (GOOS, GOARCH, GoVersion label; -1 without an entry), three per report.
 */
function reportDimensions(state: State, day: DayAggregate): (program: string) => Int32Array | undefined {
  const raw = Int32Array.from(day.strings, (value) => valueId(state, value));
  const goVersion = Int32Array.from(day.strings, (value) => valueId(state, goVersionLabel(state, value)));
  const byProgram = new Map<string, Int32Array | undefined>();
  return (program) => {
    if (byProgram.has(program)) return byProgram.get(program);
    const entries = day.programs.find((p) => p.program === program);
    let dimensions: Int32Array | undefined;
    if (entries) {
      dimensions = new Int32Array(DIMENSIONS.length * day.xs.length).fill(-1);
      entries.reports.forEach((index, position) => {
        dimensions![3 * index] = raw[entries.goos[position]!]!;
        dimensions![3 * index + 1] = raw[entries.goarch[position]!]!;
        dimensions![3 * index + 2] = goVersion[entries.goVersion[position]!]!;
      });
    }
    byProgram.set(program, dimensions);
    return dimensions;
  };
}

/**
 * A program's dimensions with, for a bucket's reports, the values of the entry that gave
 * them the bucket (DayBucket.dims, where some differ from the report's first entry).
 */
function withBucketDims(
  state: State,
  day: DayAggregate,
  dimensions: Int32Array,
  bucket: DayBucket,
): Int32Array {
  const own = dimensions.slice();
  const dims = bucket.dims!;
  bucket.reports.forEach((index, k) => {
    own[3 * index] = valueId(state, day.strings[dims.goos[k]!]!);
    own[3 * index + 1] = valueId(state, day.strings[dims.goarch[k]!]!);
    own[3 * index + 2] = valueId(state, goVersionLabel(state, day.strings[dims.goVersion[k]!]!));
  });
  return own;
}

function valueId(state: State, value: string): number {
  return internString(state.values, state.valueIds, value);
}

/** The GoVersion breakdown value: go<major>.<minor>, or "other". */
function goVersionLabel(state: State, goVersion: string): string {
  let label = state.goVersionLabels.get(goVersion);
  if (label === undefined) {
    label = goMajorMinor(goVersion) || "other";
    state.goVersionLabels.set(goVersion, label);
  }
  return label;
}

/** Adds a repeated report's program entry to a window's breakdowns of a bucket. */
function addBreakdown(breakdowns: number[][], slot: number, dimensions: Int32Array, index: number): void {
  for (let d = 0; d < DIMENSIONS.length; d++) {
    const id = dimensions[DIMENSIONS.length * index + d]!;
    if (id < 0) return;
    const counts = (breakdowns[slot * DIMENSIONS.length + d] ??= []);
    counts[id] = (counts[id] ?? 0) + 1;
  }
}

/** Counts a single-day report's program entry in the day's scratch breakdown of one bucket. */
function countDimensions(ctx: DayTally, dimensions: Int32Array, index: number): void {
  for (let d = 0; d < DIMENSIONS.length; d++) {
    const id = dimensions[DIMENSIONS.length * index + d]!;
    if (id < 0) return;
    const position = d * ctx.scratchValues + id;
    if (ctx.scratch[position] === 0) ctx.touched.push(position);
    ctx.scratch[position]! += 1;
  }
}

/** Adds the scratch breakdown of a bucket to the day's detail windows, and clears it. */
function flushDimensions(ctx: DayTally, slot: number): void {
  for (const position of ctx.touched) {
    const d = Math.floor(position / ctx.scratchValues);
    const id = position - d * ctx.scratchValues;
    const count = ctx.scratch[position]!;
    for (const tally of ctx.details) {
      const counts = (tally.breakdowns![slot * DIMENSIONS.length + d] ??= []);
      counts[id] = (counts[id] ?? 0) + count;
    }
    ctx.scratch[position] = 0;
  }
  ctx.touched.length = 0;
}

// ---------------------------------------------------------------------------
// Output.

function chartSeries(state: State, chart: PlannedChart, c: number): ChartSeries {
  const { layout, tallies } = state;
  const buckets = layout.buckets[c]!;
  const base = layout.bucketBase[c]!;
  const eligibility = layout.chartEligibility[c]!;
  const rows: ChartRow[] = [];
  for (const tally of tallies) {
    const eligible = tally.eligible[eligibility]!;
    buckets.forEach((bucket, i) => {
      const reports = tally.bucketReports[base + i]!;
      rows.push({
        program: chart.program,
        chart: chart.name,
        bucket,
        window_start: tally.start,
        window_end: tally.end,
        reports,
        eligible_reports: eligible,
        ...shareOf(reports, eligible),
        counter_total: tally.bucketTotals[base + i]!,
      });
    });
  }
  const windows = detailWindows(state);
  return {
    chart,
    buckets,
    rows,
    breakdowns:
      chart.type === "partition"
        ? windows.flatMap(([, window]) => breakdownsOf(state, tallyOf(state, window), window, buckets, base))
        : [],
    stacks:
      chart.type === "stack"
        ? Object.fromEntries(
            windows.map(([kind, window]) => [kind, topStacks(tallyOf(state, window).stacks![c]!)]),
          )
        : {},
    weeklyStacks:
      chart.type === "stack"
        ? state.windows.weeks.map((week) => ({
            start: week.start,
            end: week.end,
            stacks: topStacks(tallyOf(state, week).stacks![c]!),
          }))
        : [],
  };
}

function detailWindows(state: State): [DetailWindowKind, Window][] {
  const { latest7, latest28, all } = state.windows;
  return [
    ["latest7", latest7],
    ["latest28", latest28],
    ["all", all],
  ];
}

function breakdownsOf(
  state: State,
  tally: Tally,
  window: Window,
  buckets: string[],
  base: number,
): Breakdown[] {
  // Buckets and values come from reports: build the records with fromEntries, which
  // defines keys such as "__proto__" as plain properties.
  return DIMENSIONS.map((dimension, d) => {
    const counts = buckets.map((bucket, i) => {
      const byValue = tally.breakdowns![(base + i) * DIMENSIONS.length + d] ?? [];
      const values: [string, number][] = [];
      byValue.forEach((reports, id) => {
        if (reports > 0) values.push([state.values[id]!, reports]);
      });
      values.sort(([a], [b]) => (dimension === "GoVersion" ? compareGoVersionLabels(a, b) : ascending(a, b)));
      return [bucket, Object.fromEntries(values)] as const;
    });
    return { dimension, window, counts: Object.fromEntries(counts) };
  });
}

function compareGoVersionLabels(a: string, b: string): number {
  return ascending(a === "other", b === "other") || compareGoVersions(a, b);
}

/** Most reports first; ties by summed value (descending), then by key. */
function topStacks(stacks: Map<string, { reports: number; total: number }>): StackRow[] {
  return [...stacks]
    .sort(([keyA, a], [keyB, b]) => b.reports - a.reports || b.total - a.total || ascending(keyA, keyB))
    .slice(0, TOP_STACKS)
    .map(([key, { reports, total }]) => {
      const [counter, ...frames] = key.split("\n");
      return { counter: counter!, frames, reports, counter_total: total };
    });
}

function weeklyParticipation(state: State, week: Window): Participation["weekly"][number] {
  const tally = tallyOf(state, week);
  return {
    start: week.start,
    end: week.end,
    reports: tally.reports,
    programs: Object.fromEntries(
      state.layout.programs.map((program, slot) => [program, tally.programReports[slot] ?? 0]),
    ),
  };
}
