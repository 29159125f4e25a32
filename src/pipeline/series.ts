// Series: day summaries → per-window chart rows, breakdowns, top stacks and participation.
//
// A report (X) counts once per window and bucket however many days it appears on, as in
// upstream's partition, which unions report-id sets. The series gets there in two steps:
// - sum: each day's summary (summary.ts: per bucket, program and stack, the day's distinct
//   reports and summed values) is added to every window containing the day. A report seen
//   on k days of a window is then counted k times;
// - repeats: the report ids of all days, sorted, give the ids seen on more than one day.
//   For each, its contributions on those days (what it was counted for) are fetched, and
//   in every window holding two or more of its days, every contribution after the first
//   for the same thing (report, program, bucket, stack) is taken back out, with its value
//   and breakdown. What remains is the first day's, as a set union gives.
// Memory holds one summary at a time, the windows' counts, 8 bytes per report id (sorted
// at the end) and the repeated reports' contributions. A new day costs its own summary and
// the contributions of its repeated reports; the rest comes from cached summaries.
//
//   const result = await computeSeries(aggregateSource(loadDay, plan), datesOfRange, plan);
//   result.charts[i].rows  // ChartRow[] for plan.charts[i]

import { ascending } from "d3-array";
import type { AggregationPlan, DayAggregate, PlannedChart } from "./aggregate.ts";
import { internString } from "./intern.ts";
import { shareOf } from "./stats.ts";
import type { Breakdown, ChartRow, Participation, StackRow, Window, WindowKind } from "./types.ts";
import { compareGoVersions, compareSemver, normalizeBucket } from "./versions.ts";
import {
  contributionsOf,
  DIMENSIONS,
  programRates,
  summarizeDay,
  type Contribution,
  type DaySummary,
} from "./summary.ts";

// ---------------------------------------------------------------------------
// Windows.

export interface Windows {
  latest7: Window;
  latest28: Window;
  all: Window;
  /** Consecutive 7-day windows ending at the last day, oldest first; the last equals latest7. */
  weeks: Window[];
}

const DAY_MS = 86_400_000;

/** Days since 1970-01-01 of a YYYY-MM-DD date. */
export function dayNumber(date: string): number {
  const time = Date.parse(`${date}T00:00:00Z`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || Number.isNaN(time))
    throw new Error(`not a YYYY-MM-DD date: ${date}`);
  return time / DAY_MS;
}

export function dateOfDay(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

export function addDays(date: string, days: number): string {
  return dateOfDay(dayNumber(date) + days);
}

/**
 * The windows of a range of days (inclusive; `last` is the latest day of data). Weeks end
 * at last, last-7, …, down to the first week ending on or after `first`; that oldest week
 * is clipped to start at `first` (a partial week, kept). latest7 and latest28 are clipped
 * the same way.
 *
 *   computeWindows("2024-01-01", "2024-01-10").weeks
 *   // [{ kind: "week", start: "2024-01-01", end: "2024-01-03" },
 *   //  { kind: "week", start: "2024-01-04", end: "2024-01-10" }]
 */
export function computeWindows(first: string, last: string): Windows {
  const firstDay = dayNumber(first);
  const lastDay = dayNumber(last);
  if (lastDay < firstDay) throw new Error(`computeWindows: ${last} is before ${first}`);
  const window = (kind: WindowKind, start: number, end: number): Window => ({
    kind,
    start: dateOfDay(Math.max(start, firstDay)),
    end: dateOfDay(end),
  });
  const weeks: Window[] = [];
  for (let end = lastDay; end >= firstDay; end -= 7) weeks.unshift(window("week", end - 6, end));
  return {
    latest7: window("latest7", lastDay - 6, lastDay),
    latest28: window("latest28", lastDay - 27, lastDay),
    all: window("all", firstDay, lastDay),
    weeks,
  };
}

// ---------------------------------------------------------------------------
// Buckets.

/**
 * A chart's buckets in display order: configured counter charts keep the config order;
 * built-ins sort like upstream (Version by semver, GoVersion by Go version, others
 * lexically), over the normalised configured values or, with no restriction, every
 * observed bucket.
 */
export function bucketOrder(chart: PlannedChart, observed: Iterable<string>): string[] {
  if (!chart.builtin) return [...new Set(chart.buckets ?? [])];
  const compare =
    chart.normalize === "program-version"
      ? compareSemver
      : chart.normalize === "go-version"
        ? compareGoVersions
        : ascending;
  const buckets =
    chart.buckets === null
      ? new Set(observed)
      : new Set(chart.buckets.map((raw) => normalizeBucket(chart.normalize, raw)));
  return [...buckets].sort(compare);
}

// ---------------------------------------------------------------------------
// Series.

export type DetailWindowKind = "latest7" | "latest28" | "all";

/** How many stacks a stack chart shows per window. */
export const TOP_STACKS = 25;

export interface ChartSeries {
  chart: PlannedChart;
  /** Buckets in display order. */
  buckets: string[];
  /** One row per window (coinciding windows once) and bucket, by window start, end, bucket order. */
  rows: ChartRow[];
  /** Partition charts: GOOS, GOARCH and GoVersion breakdowns for latest7, latest28 and all. */
  breakdowns: Breakdown[];
  /** Stack charts: the top stacks for latest7, latest28 and all. */
  stacks: Partial<Record<DetailWindowKind, StackRow[]>>;
}

export interface SeriesResult {
  windows: Windows;
  /** Parallel to plan.charts. */
  charts: ChartSeries[];
  participation: Participation;
  /** Distinct reports over the whole range. */
  reports: number;
}

/** Where the series gets its days; either method may be async (cache reads). */
export interface SeriesSource {
  /** A day's summary, or undefined for a day without data. Asked once per date, in date order. */
  summary(date: string): DaySummary | undefined | Promise<DaySummary | undefined>;
  /**
   * What each of `xs` was counted for on `date`, a day with a summary. Asked after every
   * summary, in date order, once for each day that holds reports also seen on other days.
   */
  contributions(
    date: string,
    xs: Float64Array,
  ): Map<number, Contribution> | Promise<Map<number, Contribution>>;
}

/** A day's aggregate, or undefined for a day without data. */
export type DayLoader = (date: string) => DayAggregate | undefined | Promise<DayAggregate | undefined>;

/** A SeriesSource over whole day aggregates, summarised on demand (tests, and no cache). */
export function aggregateSource(loadDay: DayLoader, plan: AggregationPlan): SeriesSource {
  return {
    async summary(date) {
      const day = await loadDay(date);
      return day && summarizeDay(day, plan);
    },
    async contributions(date, xs) {
      const day = await loadDay(date);
      if (!day) throw new Error(`aggregateSource: no aggregate for ${date}`);
      return contributionsOf(day, xs);
    },
  };
}

/**
 * Everything the export needs. `dates` are the days to read (any order, repeats ignored);
 * the range runs from the earliest to the latest.
 */
export async function computeSeries(
  source: SeriesSource,
  dates: readonly string[],
  plan: AggregationPlan,
): Promise<SeriesResult> {
  const days = [...new Set(dates)].sort();
  if (days.length === 0) throw new Error("computeSeries: no dates");
  const windows = computeWindows(days[0]!, days[days.length - 1]!);
  const state = createState(plan, windows);
  const ids = new ReportIds();
  const daily: Participation["daily"] = [];
  for (const date of days) {
    const summary = await source.summary(date);
    if (!summary) continue;
    if (summary.date !== date || summary.plan !== plan.fingerprint) {
      throw new Error(`computeSeries: the summary loaded for ${date} is for ${summary.date} or another plan`);
    }
    addSummary(state, summary);
    ids.add(date, summary.xs);
    daily.push({ date, reports: summary.xs.length });
  }
  await takeBackRepeats(state, source, ids);
  return {
    windows,
    charts: plan.charts.map((chart, c) => chartSeries(state, chart, c)),
    participation: { daily, weekly: windows.weeks.map((week) => weeklyParticipation(state, week)) },
    reports: tallyOf(state, windows.all).reports,
  };
}

// ---------------------------------------------------------------------------
// Windows' counts.

/** Counts for one window; slots are numbered by State. */
interface Tally {
  start: string;
  end: string;
  startDay: number;
  endDay: number;
  /** Distinct reports. */
  reports: number;
  /** Per program slot. */
  programReports: number[];
  /** Per eligibility slot (program, rate): reports of the program with X ≤ rate. */
  eligible: number[];
  /** Per bucket slot: reports, summed counter values. */
  bucketReports: number[];
  bucketTotals: number[];
  /** latest7, latest28 and all only: [bucket slot * 3 + dimension] → value → reports. */
  breakdowns: Map<string, number>[] | null;
  /** latest7, latest28 and all only: per chart, stack key → reports and summed values. */
  stacks: Map<string, { reports: number; total: number }>[] | null;
}

interface State {
  plan: AggregationPlan;
  windows: Windows;
  /** By start, then end; windows that coincide (latest7 and the last week) share one. */
  tallies: Tally[];
  programs: string[];
  programSlots: Map<string, number>;
  /** Per program: its rates (programRates) and the eligibility slot of each. */
  rates: Map<string, number[]>;
  eligibilitySlots: Map<string, number[]>;
  /** Per chart: its eligibility slot. */
  chartEligibility: number[];
  /** Per chart: shown bucket → slot, in order of first appearance. */
  bucketSlots: Map<string, number>[];
  bucketCount: number;
}

function createState(plan: AggregationPlan, windows: Windows): State {
  const rates = programRates(plan);
  const eligibilitySlots = new Map<string, number[]>();
  let slots = 0;
  for (const [program, list] of rates)
    eligibilitySlots.set(
      program,
      list.map(() => slots++),
    );
  const programs = [...rates.keys()];
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
      eligible: [],
      bucketReports: [],
      bucketTotals: [],
      breakdowns: detail ? [] : null,
      stacks: detail ? plan.charts.map(() => new Map()) : null,
    });
  }
  return {
    plan,
    windows,
    tallies: [...tallies.values()].sort((a, b) => ascending(a.start, b.start) || ascending(a.end, b.end)),
    programs,
    programSlots: new Map(programs.map((program, slot) => [program, slot])),
    rates,
    eligibilitySlots,
    chartEligibility: plan.charts.map(
      (chart) => eligibilitySlots.get(chart.program)![rates.get(chart.program)!.indexOf(chart.rate)]!,
    ),
    bucketSlots: plan.charts.map(() => new Map()),
    bucketCount: 0,
  };
}

function windowKey(window: { start: string; end: string }): string {
  return `${window.start}/${window.end}`;
}

function tallyOf(state: State, window: Window): Tally {
  return state.tallies.find((t) => t.start === window.start && t.end === window.end)!;
}

function programSlot(state: State, program: string): number {
  return internString(state.programs, state.programSlots, program);
}

function bucketSlot(state: State, chart: number, bucket: string): number {
  const slots = state.bucketSlots[chart]!;
  let slot = slots.get(bucket);
  if (slot === undefined) {
    slot = state.bucketCount++;
    slots.set(bucket, slot);
  }
  return slot;
}

function add(counts: number[], slot: number, n: number): void {
  counts[slot] = (counts[slot] ?? 0) + n;
}

function addValue(counts: Map<string, number>, value: string, n: number): void {
  counts.set(value, (counts.get(value) ?? 0) + n);
}

// ---------------------------------------------------------------------------
// Step 1: every day's summary, added to the windows that contain the day.

function addSummary(state: State, summary: DaySummary): void {
  const today = dayNumber(summary.date);
  const tallies = state.tallies.filter((t) => t.startDay <= today && today <= t.endDay);
  const programs = summary.programs.map((p) => ({
    slot: programSlot(state, p.program),
    eligibility: state.eligibilitySlots.get(p.program) ?? [],
    ...p,
  }));
  const slots = summary.charts.map((chart, c) => chart.buckets.map((b) => bucketSlot(state, c, b.bucket)));
  for (const tally of tallies) {
    tally.reports += summary.xs.length;
    for (const program of programs) {
      add(tally.programReports, program.slot, program.reports);
      program.eligibility.forEach((slot, r) => add(tally.eligible, slot, program.eligible[r] ?? 0));
    }
    summary.charts.forEach((chart, c) => {
      chart.buckets.forEach((bucket, i) => {
        const slot = slots[c]![i]!;
        add(tally.bucketReports, slot, bucket.reports);
        add(tally.bucketTotals, slot, bucket.total);
        if (!tally.breakdowns || !bucket.breakdown) return;
        bucket.breakdown.forEach((pairs, d) => {
          const counts = (tally.breakdowns![slot * DIMENSIONS.length + d] ??= new Map());
          for (const [value, n] of pairs) addValue(counts, value, n);
        });
      });
      if (!tally.stacks) return;
      const stacks = tally.stacks[c]!;
      for (const stack of chart.stacks) {
        const counts = stacks.get(stack.key);
        if (counts) {
          counts.reports += stack.reports;
          counts.total += stack.total;
        } else stacks.set(stack.key, { reports: stack.reports, total: stack.total });
      }
    });
  }
}

// ---------------------------------------------------------------------------
// Step 2: reports seen on several days of a window, taken back out but once.

/** Every day's report ids, one after the other (8 bytes a report). */
class ReportIds {
  ids = new Float64Array(1 << 16);
  count = 0;
  /** Per day with reports: its date, day number and where its ids end. */
  days: { date: string; day: number; end: number }[] = [];

  add(date: string, xs: Float64Array): void {
    if (this.count + xs.length > this.ids.length) {
      const grown = new Float64Array(Math.max(2 * this.ids.length, this.count + xs.length));
      grown.set(this.ids.subarray(0, this.count));
      this.ids = grown;
    }
    this.ids.set(xs, this.count);
    this.count += xs.length;
    this.days.push({ date, day: dayNumber(date), end: this.count });
  }

  /**
   * For each id (by position), whether it is on more than one day: -1 for an id seen once,
   * otherwise a number shared by all positions of that id. (A day's ids are distinct.)
   * Memory-bound work, so first a bitmap of hashes (2 bytes an id; it stays in the CPU's
   * caches where a hash table would not) marks the few ids whose hash was seen before;
   * only those are compared exactly.
   */
  repeats(): { repeated: number; of: Int32Array } {
    const { ids, count } = this;
    const words = new Uint32Array(ids.buffer, ids.byteOffset, 2 * count);
    let bits = 10;
    while (1 << bits < 16 * count && bits < 30) bits++;
    const hash = (i: number) => Math.imul(words[2 * i]! ^ words[2 * i + 1]!, 0x9e3779b1) >>> (32 - bits);
    const seen = new Uint32Array(1 << (bits - 5));
    const flagged = new Uint32Array(1 << (bits - 5));
    // A repeated id's second position always finds its hash seen.
    for (let i = 0; i < count; i++) {
      const h = hash(i);
      const bit = 1 << (h & 31);
      if (seen[h >>> 5]! & bit) flagged[h >>> 5]! |= bit;
      else seen[h >>> 5]! |= bit;
    }
    // Positions whose hash is flagged: each id seen twice, and a few others.
    const positions: number[] = [];
    const days = new Map<number, number>();
    for (let i = 0; i < count; i++) {
      const h = hash(i);
      if ((flagged[h >>> 5]! & (1 << (h & 31))) === 0) continue;
      positions.push(i);
      days.set(ids[i]!, (days.get(ids[i]!) ?? 0) + 1);
    }
    const of = new Int32Array(count).fill(-1);
    const numbers = new Map<number, number>();
    for (const i of positions) {
      const x = ids[i]!;
      if (days.get(x)! < 2) continue;
      let n = numbers.get(x);
      if (n === undefined) numbers.set(x, (n = numbers.size));
      of[i] = n;
    }
    return { repeated: numbers.size, of };
  }
}

interface Occurrence {
  day: number;
  contribution: Contribution;
}

async function takeBackRepeats(state: State, source: SeriesSource, ids: ReportIds): Promise<void> {
  const { repeated, of } = ids.repeats();
  if (repeated === 0) return;
  const occurrences: Occurrence[][] = Array.from({ length: repeated }, () => []);
  const xOf = new Float64Array(repeated);
  let i = 0;
  for (const { date, day, end } of ids.days) {
    const xs: number[] = [];
    const positions: number[] = [];
    for (; i < end; i++) {
      const r = of[i]!;
      if (r < 0) continue;
      xs.push(ids.ids[i]!);
      positions.push(r);
      xOf[r] = ids.ids[i]!;
    }
    if (xs.length === 0) continue;
    const found = await source.contributions(date, Float64Array.from(xs));
    xs.forEach((x, k) => {
      const contribution = found.get(x);
      if (!contribution) throw new Error(`computeSeries: no contribution of report ${x} on ${date}`);
      occurrences[positions[k]!]!.push({ day, contribution });
    });
  }
  occurrences.forEach((list, r) => {
    for (const tally of state.tallies) takeBack(state, tally, xOf[r]!, list);
  });
}

/** What a report is counted for: a program, a bucket slot, a stack. */
type CountKey = number | string;
const programKey = (slot: number): CountKey => -1 - slot;
const stackKey = (chart: number, key: string): CountKey => `${chart}\n${key}`;

/**
 * In one window, keeps a repeated report's first day for each thing it counts for and
 * subtracts the later days, which the summed summaries counted again.
 */
function takeBack(state: State, tally: Tally, x: number, occurrences: readonly Occurrence[]): void {
  let count = 0;
  for (const { day } of occurrences) if (tally.startDay <= day && day <= tally.endDay) count++;
  if (count < 2) return;
  const inside = occurrences.filter((o) => tally.startDay <= o.day && o.day <= tally.endDay);
  const { plan } = state;
  tally.reports -= inside.length - 1;
  const seen = new Set<CountKey>();
  const firstTime = (key: CountKey) => {
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  };
  for (const { contribution } of inside) {
    for (const [program] of contribution.programs) {
      const slot = programSlot(state, program);
      if (firstTime(programKey(slot))) continue;
      add(tally.programReports, slot, -1);
      const rates = state.rates.get(program) ?? [];
      const eligibility = state.eligibilitySlots.get(program) ?? [];
      rates.forEach((rate, r) => {
        if (x <= rate) add(tally.eligible, eligibility[r]!, -1);
      });
    }
    for (const [c, bucket, value] of contribution.buckets) {
      const slot = bucketSlot(state, c, bucket);
      if (firstTime(slot)) continue;
      add(tally.bucketReports, slot, -1);
      add(tally.bucketTotals, slot, -value);
      const chart = plan.charts[c]!;
      if (!tally.breakdowns || chart.type !== "partition") continue;
      const entry = contribution.programs.find(([program]) => program === chart.program);
      if (!entry) continue;
      for (let d = 0; d < DIMENSIONS.length; d++) {
        addValue((tally.breakdowns[slot * DIMENSIONS.length + d] ??= new Map()), entry[d + 1]!, -1);
      }
    }
    if (!tally.stacks) continue;
    for (const [c, key, value] of contribution.stacks) {
      if (firstTime(stackKey(c, key))) continue;
      const counts = tally.stacks[c]!.get(key)!;
      counts.reports -= 1;
      counts.total -= value;
    }
  }
}

// ---------------------------------------------------------------------------
// Output.

function chartSeries(state: State, chart: PlannedChart, c: number): ChartSeries {
  const slots = state.bucketSlots[c]!;
  const buckets = bucketOrder(chart, slots.keys());
  const eligibility = state.chartEligibility[c]!;
  const rows: ChartRow[] = [];
  for (const tally of state.tallies) {
    const eligible = tally.eligible[eligibility] ?? 0;
    for (const bucket of buckets) {
      const slot = slots.get(bucket);
      const reports = slot === undefined ? 0 : (tally.bucketReports[slot] ?? 0);
      rows.push({
        program: chart.program,
        chart: chart.name,
        bucket,
        window_start: tally.start,
        window_end: tally.end,
        reports,
        eligible_reports: eligible,
        ...shareOf(reports, eligible),
        counter_total: slot === undefined ? 0 : (tally.bucketTotals[slot] ?? 0),
      });
    }
  }
  const windows = detailWindows(state);
  return {
    chart,
    buckets,
    rows,
    breakdowns:
      chart.type === "partition"
        ? windows.flatMap(([, window]) => breakdownsOf(tallyOf(state, window), window, buckets, slots))
        : [],
    stacks:
      chart.type === "stack"
        ? Object.fromEntries(
            windows.map(([kind, window]) => [kind, topStacks(tallyOf(state, window).stacks![c]!)]),
          )
        : {},
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
  tally: Tally,
  window: Window,
  buckets: string[],
  slots: ReadonlyMap<string, number>,
): Breakdown[] {
  // Buckets and values come from reports: build the records with fromEntries, which
  // defines keys such as "__proto__" as plain properties.
  return DIMENSIONS.map((dimension, d) => {
    const counts = buckets.map((bucket) => {
      const slot = slots.get(bucket);
      const byValue = slot === undefined ? undefined : tally.breakdowns![slot * DIMENSIONS.length + d];
      const values = [...(byValue ?? [])].filter(([, reports]) => reports > 0);
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
      state.programs.map((program, slot) => [program, tally.programReports[slot] ?? 0]),
    ),
  };
}
