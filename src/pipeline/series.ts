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
// Memory holds one summary at a time, the windows' counts, each day's counts and stacks (a
// stack key once, by id), 8 bytes per report id (sorted at the end) and the repeated reports'
// contributions. A new day costs its own summary and the contributions of its repeated
// reports; the rest comes from the previous run's state and cached summaries.
//
//   const result = await computeSeries(aggregateSource(loadDay, plan), datesOfRange, plan);
//   result.charts[i].rows  // ChartRow[] for plan.charts[i]

import { ascending } from "d3-array";
import type { AggregationPlan, DayAggregate, PlannedChart } from "./aggregate.ts";
import { mergeIds, sortIds, type DayIds, type IdRun } from "./ids.ts";
import { internString } from "./intern.ts";
import { shareOf } from "./stats.ts";
import type {
  Breakdown,
  ChartRow,
  Participation,
  StackRow,
  WeeklyStacks,
  Window,
  WindowKind,
} from "./types.ts";
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
  /** Stack charts: the top stacks of each weekly window, oldest first ([] for partition charts). */
  weeklyStacks: WeeklyStacks[];
}

export interface SeriesResult {
  windows: Windows;
  /** Parallel to plan.charts. */
  charts: ChartSeries[];
  participation: Participation;
  /** Distinct reports over the whole range. */
  reports: number;
}

/** Where the series gets its days; every method may be async (cache reads). */
export interface SeriesSource {
  /**
   * The key of a day's summary, which changes whenever the summary would (the day's file,
   * the config, the code); undefined for a day without data.
   */
  key(date: string): string | undefined | Promise<string | undefined>;
  /**
   * A day's summary. Asked for days of the range, and for days of the previous state
   * that left it (they are subtracted); a failure for the latter only means the previous
   * state is not used.
   */
  summary(date: string, key: string): DaySummary | Promise<DaySummary>;
  /** What each of `xs` was counted for on the day; asked only for reports seen on several days. */
  contributions(
    date: string,
    key: string,
    xs: Float64Array,
  ): Map<number, Contribution> | Promise<Map<number, Contribution>>;
}

/** A day's aggregate, or undefined for a day without data. */
export type DayLoader = (date: string) => DayAggregate | undefined | Promise<DayAggregate | undefined>;

/**
 * A SeriesSource over whole day aggregates, summarised on demand (tests). Keys are the
 * dates, unless `keyOf` gives keys that follow the content (needed with a previous state).
 */
export function aggregateSource(
  loadDay: DayLoader,
  plan: AggregationPlan,
  keyOf: (day: DayAggregate) => string = (day) => day.date,
): SeriesSource {
  const load = async (date: string) => {
    const day = await loadDay(date);
    if (!day) throw new Error(`aggregateSource: no aggregate for ${date}`);
    return day;
  };
  return {
    async key(date) {
      const day = await loadDay(date);
      return day && keyOf(day);
    },
    summary: async (date) => summarizeDay(await load(date), plan),
    contributions: async (date, _key, xs) => contributionsOf(await load(date), xs),
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
  return (await computeSeriesState(source, dates, plan)).result;
}

/**
 * computeSeries, also returning what the next run needs to go faster (SeriesState), and
 * using the previous run's state when given: its days' counts are reused, days that left
 * the range are subtracted and new days added, so a daily rebuild reads the new day's
 * summary and the summaries of the latest 28 days only. The result is the same with or
 * without a state (a property test holds it).
 */
export async function computeSeriesState(
  source: SeriesSource,
  dates: readonly string[],
  plan: AggregationPlan,
  previous?: SeriesState,
): Promise<{ result: SeriesResult; state: SeriesState }> {
  const all = [...new Set(dates)].sort();
  if (all.length === 0) throw new Error("computeSeries: no dates");
  const present: PresentDay[] = [];
  for (const date of all) {
    const key = await source.key(date);
    if (key !== undefined) present.push({ date, key, day: dayNumber(date) });
  }
  if (previous && previous.plan === plan.fingerprint) {
    try {
      return await seriesOf(source, all, present, plan, previous);
    } catch (error) {
      if (!(error instanceof StateUnusable)) throw error;
    }
  }
  return seriesOf(source, all, present, plan, undefined);
}

interface PresentDay {
  date: string;
  key: string;
  day: number;
}

const dayId = (day: { date: string; key: string }) => `${day.date}\n${day.key}`;

/** The previous state needs a summary that cannot be had: compute without it. */
class StateUnusable extends Error {}

/**
 * What a run keeps for the next (see computeSeriesState): per day, its counts; over all
 * its days, breakdowns and stacks; every report id with its day; what the reports seen on
 * several days were counted for. All of it is sums and sets of the days' summaries, so it
 * stays valid for any later range: a day is identified by its date and key.
 */
export interface SeriesState {
  plan: string;
  days: { date: string; key: string }[];
  programs: string[];
  /** Bucket slots: [chart, shown bucket], in slot order. */
  buckets: [chart: number, bucket: string][];
  /** Eligibility slots (fixed by the plan). */
  eligibility: number;
  /** Per day: reports, per program slot, per eligibility slot, per bucket slot reports, then totals. */
  rows: Float64Array[];
  /** Summed over the days (not distinct): [bucket slot, dimension, value, reports]. */
  breakdowns: [slot: number, dimension: number, value: string, reports: number][];
  stacks: [chart: number, key: string, reports: number, total: number][];
  /** The stack keys dayStacks names, each once (a key is hundreds of bytes of frames). */
  stackKeys: string[];
  /** Per day (index into days), its stacks: what the weekly windows' top stacks are summed from. */
  dayStacks: [day: number, chart: number, key: number, reports: number, total: number][];
  /** Every report id of the days, ascending, and the day (index into days) of each. */
  ids: Float64Array;
  idDays: Uint32Array;
  /** For report ids on several days: [day index, report id, what it was counted for]. */
  contributions: [day: number, x: number, contribution: Contribution][];
}

/** One day's counts, in this run's slots (arrays may be shorter than the slots: zeros). */
interface DayRow {
  reports: number;
  programs: ArrayLike<number>;
  eligible: ArrayLike<number>;
  bucketReports: ArrayLike<number>;
  bucketTotals: ArrayLike<number>;
  /** The day's stacks, not distinct across days (a chart's, by plan index). */
  stacks: DayStackCount[];
}

/** A stack of a day: its key is an id of State.stackKeys. */
type DayStackCount = [chart: number, key: number, reports: number, total: number];

/** Breakdowns and stacks summed over days (not distinct). */
interface Detail {
  breakdowns: Map<string, number>[];
  stacks: Map<string, { reports: number; total: number }>[];
}

async function seriesOf(
  source: SeriesSource,
  dates: readonly string[],
  present: readonly PresentDay[],
  plan: AggregationPlan,
  previous: SeriesState | undefined,
): Promise<{ result: SeriesResult; state: SeriesState }> {
  const windows = computeWindows(dates[0]!, dates[dates.length - 1]!);
  const state = createState(plan, windows);
  if (previous) {
    for (const program of previous.programs) programSlot(state, program);
    for (const [chart, bucket] of previous.buckets) bucketSlot(state, chart, bucket);
  }
  const previousAt = new Map(previous?.days.map((day, i) => [dayId(day), i]));
  const fromPrevious = present.map((day) => previousAt.get(dayId(day)) ?? -1);
  const load = async (day: PresentDay) => {
    const summary = await source.summary(day.date, day.key);
    if (summary.date !== day.date || summary.plan !== plan.fingerprint) {
      throw new Error(
        `computeSeries: the summary loaded for ${day.date} is for ${summary.date} or another plan`,
      );
    }
    return summary;
  };

  // The windows with breakdowns and stacks other than "all" (latest7, latest28) are summed
  // from their days' summaries; "all" from the running sums.
  const allTally = tallyOf(state, windows.all);
  const recent = state.tallies.filter((t) => t.breakdowns !== null && t !== allTally);
  const inRecent = (day: number) => recent.some((t) => t.startDay <= day && day <= t.endDay);
  const addRecent = (summary: DaySummary, day: number) => {
    for (const tally of recent)
      if (tally.startDay <= day && day <= tally.endDay) addDetail(state, tally, summary, 1);
  };

  const allSum: Detail = previous ? detailOfState(state, previous) : emptyDetail(plan);
  const previousStacks = previous ? stacksByDay(state, previous) : [];
  const rows: DayRow[] = [];
  const newIds: DayIds[] = [];
  // One summary at a time: the cache reads them synchronously, so reading ahead overlapped
  // nothing and only kept more of them alive (the cold run's peak rose by 20-30 MB).
  for (let i = 0; i < present.length; i++) {
    const day = present[i]!;
    const p = fromPrevious[i]!;
    if (p >= 0) {
      rows.push(rowOfState(previous!, p, previousStacks[p] ?? []));
      if (inRecent(day.day)) addRecent(await load(day), day.day);
      continue;
    }
    const summary = await load(day);
    rows.push(rowOf(state, summary));
    addDetail(state, allSum, summary, 1);
    addRecent(summary, day.day);
    // A copy: a view would keep the whole summary entry alive until the ids are sorted.
    newIds.push({ ids: summary.xs.slice(), day: i });
  }
  if (previous) {
    // Days of the previous state that left the range (or whose content changed).
    const kept = new Set(fromPrevious);
    for (let p = 0; p < previous.days.length; p++) {
      if (kept.has(p)) continue;
      let summary: DaySummary;
      try {
        summary = await source.summary(previous.days[p]!.date, previous.days[p]!.key);
      } catch {
        throw new StateUnusable();
      }
      addDetail(state, allSum, summary, -1);
    }
  }

  // Sums, then the repeated reports taken back out.
  for (const tally of state.tallies) {
    present.forEach((day, i) => {
      if (tally.startDay <= day.day && day.day <= tally.endDay) addRow(tally, rows[i]!, state.stackKeys);
    });
  }
  allTally.breakdowns = allSum.breakdowns.map((counts) => counts && new Map(counts));
  allTally.stacks = allSum.stacks.map((stacks) => new Map([...stacks].map(([key, c]) => [key, { ...c }])));
  const sortedNew = sortIds(newIds);
  newIds.length = 0;
  const ids = previous ? mergeIds(idsOfState(previous, fromPrevious), sortedNew) : sortedNew;
  const contributions = await takeBackRepeats(state, source, present, ids, previous, fromPrevious);

  const programs = participatingPrograms(state);
  const daily = present.map((day, i) => ({
    date: day.date,
    reports: rows[i]!.reports,
    programs: Object.fromEntries(
      programs.map((slot) => [state.programs[slot]!, rows[i]!.programs[slot] ?? 0]),
    ),
  }));
  const result: SeriesResult = {
    windows,
    charts: plan.charts.map((chart, c) => chartSeries(state, chart, c)),
    participation: { daily, weekly: windows.weeks.map((week) => weeklyParticipation(state, week)) },
    reports: allTally.reports,
  };
  return { result, state: stateOf(state, present, rows, allSum, ids, contributions) };
}

/** A day's counts in this run's slots. */
function rowOf(state: State, summary: DaySummary): DayRow {
  const programs: number[] = [];
  const eligible: number[] = [];
  for (const p of summary.programs) {
    programs[programSlot(state, p.program)] = p.reports;
    (state.eligibilitySlots.get(p.program) ?? []).forEach((slot, r) => (eligible[slot] = p.eligible[r] ?? 0));
  }
  const bucketReports: number[] = [];
  const bucketTotals: number[] = [];
  const stacks: DayStackCount[] = [];
  summary.charts.forEach((chart, c) => {
    for (const bucket of chart.buckets) {
      const slot = bucketSlot(state, c, bucket.bucket);
      bucketReports[slot] = bucket.reports;
      bucketTotals[slot] = bucket.total;
    }
    for (const stack of chart.stacks)
      stacks.push([c, stackKeyId(state, stack.key), stack.reports, stack.total]);
  });
  return { reports: summary.xs.length, programs, eligible, bucketReports, bucketTotals, stacks };
}

function addRow(tally: Tally, row: DayRow, stackKeys: readonly string[]): void {
  tally.reports += row.reports;
  const sum = (into: number[], from: ArrayLike<number>) => {
    for (let slot = 0; slot < from.length; slot++) {
      const n = from[slot];
      if (n) into[slot] = (into[slot] ?? 0) + n;
    }
  };
  sum(tally.programReports, row.programs);
  sum(tally.eligible, row.eligible);
  sum(tally.bucketReports, row.bucketReports);
  sum(tally.bucketTotals, row.bucketTotals);
  // A weekly window's stacks come from the rows; the detail windows' from the summaries.
  if (tally.stacks === null || tally.breakdowns !== null) return;
  for (const [chart, id, reports, total] of row.stacks)
    addStack(tally.stacks[chart]!, stackKeys[id]!, reports, total);
}

function emptyDetail(plan: AggregationPlan): Detail {
  return { breakdowns: [], stacks: plan.charts.map(() => new Map()) };
}

/** Adds (sign 1) or subtracts (-1) a day's breakdowns and stacks (to a Detail, or a detail Tally). */
function addDetail(
  state: State,
  detail: { breakdowns: Detail["breakdowns"] | null; stacks: Detail["stacks"] | null },
  summary: DaySummary,
  sign: 1 | -1,
): void {
  summary.charts.forEach((chart, c) => {
    for (const bucket of chart.buckets) {
      if (!bucket.breakdown) continue;
      const slot = bucketSlot(state, c, bucket.bucket);
      bucket.breakdown.forEach((pairs, d) => {
        const counts = (detail.breakdowns![slot * DIMENSIONS.length + d] ??= new Map());
        for (const [value, n] of pairs) addValue(counts, value, sign * n);
      });
    }
    const stacks = detail.stacks![c]!;
    for (const stack of chart.stacks) addStack(stacks, stack.key, sign * stack.reports, sign * stack.total);
  });
}

/** Adds reports and a value to a stack's counts; a stack left with no reports is dropped. */
function addStack(
  stacks: Map<string, { reports: number; total: number }>,
  key: string,
  reports: number,
  total: number,
): void {
  const counts = stacks.get(key);
  if (!counts) {
    stacks.set(key, { reports, total });
    return;
  }
  counts.reports += reports;
  counts.total += total;
  if (counts.reports === 0) stacks.delete(key);
}

// ---------------------------------------------------------------------------
// Report ids, sorted with their days; the ones on several days.

interface Occurrence {
  day: number;
  contribution: Contribution;
  resolved?: Resolved;
}

/**
 * Finds the report ids on several days (neighbours in the sorted ids), gets what they were
 * counted for on each (from the previous state, else from the source) and takes the later
 * days back out of every window. Returns the contributions used, for the next state.
 */
async function takeBackRepeats(
  state: State,
  source: SeriesSource,
  present: readonly PresentDay[],
  ids: IdRun,
  previous: SeriesState | undefined,
  fromPrevious: readonly number[],
): Promise<SeriesState["contributions"]> {
  // Repeated id → the (present) day indices it is on, ascending.
  const repeats: { x: number; days: number[] }[] = [];
  for (let i = 0; i < ids.ids.length;) {
    let j = i + 1;
    while (j < ids.ids.length && ids.ids[j] === ids.ids[i]) j++;
    if (j - i > 1)
      repeats.push({ x: ids.ids[i]!, days: Array.from(ids.days.subarray(i, j)).sort((a, b) => a - b) });
    i = j;
  }
  // Per present day index: report id → contribution.
  const known = new Map<number, Map<number, Contribution>>();
  const knownOn = (i: number) => {
    let found = known.get(i);
    if (!found) known.set(i, (found = new Map()));
    return found;
  };
  if (previous) {
    const presentOf = new Map(fromPrevious.map((p, i) => [p, i]));
    for (const [p, x, contribution] of previous.contributions) {
      const i = p >= 0 ? presentOf.get(p) : undefined;
      if (i !== undefined) knownOn(i).set(x, contribution);
    }
  }
  const wanted = new Map<number, number[]>();
  for (const { x, days } of repeats) {
    for (const i of days) {
      if (known.get(i)?.has(x)) continue;
      let xs = wanted.get(i);
      if (!xs) wanted.set(i, (xs = []));
      xs.push(x);
    }
  }
  const wantedDays = [...wanted.keys()].sort((a, b) => a - b);
  for (const i of wantedDays) {
    const day = present[i]!;
    const xs = wanted.get(i)!;
    const found = await source.contributions(day.date, day.key, Float64Array.from(xs));
    for (const x of xs) {
      const contribution = found.get(x);
      if (!contribution) throw new Error(`computeSeries: no contribution of report ${x} on ${day.date}`);
      knownOn(i).set(x, contribution);
    }
  }
  // Per present day: the windows that contain it. A window counted a report more than
  // once if and only if it holds one of its days and the next (windows are spans of days).
  const containing = present.map((day) =>
    state.tallies.filter((t) => t.startDay <= day.day && day.day <= t.endDay),
  );
  const done = new Set<Tally>();
  const used: SeriesState["contributions"] = [];
  for (const { x, days } of repeats) {
    const occurrences: Occurrence[] = days.map((i) => {
      const contribution = known.get(i)!.get(x)!;
      used.push([i, x, contribution]);
      return { day: present[i]!.day, contribution };
    });
    done.clear();
    // Most windows that hold two of its days hold the same ones (all of them, for a report
    // seen on two days): what they take back is worked out once per set of days.
    const worked: { first: number; last: number; takeBack: TakeBack }[] = [];
    for (let k = 0; k + 1 < days.length; k++) {
      const next = occurrences[k + 1]!.day;
      for (const tally of containing[days[k]!]!) {
        if (tally.endDay < next || done.has(tally)) continue;
        done.add(tally);
        // The window's first occurrence is k (it would have been met at k - 1 otherwise).
        const first = k;
        let last = k + 1;
        while (last + 1 < occurrences.length && occurrences[last + 1]!.day <= tally.endDay) last++;
        let found = worked.find((w) => w.first === first && w.last === last);
        if (!found) {
          found = { first, last, takeBack: takeBackOf(state, x, occurrences.slice(first, last + 1)) };
          worked.push(found);
        }
        applyTakeBack(tally, found.takeBack);
      }
    }
  }
  return used;
}

// ---------------------------------------------------------------------------
// The state kept between runs.

/** A day's row of the previous state, in this run's slots (which start with the state's). */
function rowOfState(previous: SeriesState, p: number, stacks: DayStackCount[]): DayRow {
  const row = previous.rows[p]!;
  const programs = previous.programs.length;
  const buckets = previous.buckets.length;
  let at = 1;
  const take = (n: number) => row.subarray(at, (at += n));
  return {
    reports: row[0]!,
    programs: take(programs),
    eligible: take(previous.eligibility),
    bucketReports: take(buckets),
    bucketTotals: take(buckets),
    stacks,
  };
}

/** The previous state's day stacks, by day index, with their keys in this run's ids. */
function stacksByDay(state: State, previous: SeriesState): DayStackCount[][] {
  const ids = previous.stackKeys.map((key) => stackKeyId(state, key));
  const byDay: DayStackCount[][] = [];
  for (const [day, chart, key, reports, total] of previous.dayStacks)
    (byDay[day] ??= []).push([chart, ids[key]!, reports, total]);
  return byDay;
}

function detailOfState(state: State, previous: SeriesState): Detail {
  const detail = emptyDetail(state.plan);
  for (const [slot, d, value, reports] of previous.breakdowns) {
    addValue((detail.breakdowns[slot * DIMENSIONS.length + d] ??= new Map()), value, reports);
  }
  for (const [chart, key, reports, total] of previous.stacks)
    detail.stacks[chart]!.set(key, { reports, total });
  return detail;
}

/** The previous state's ids of days still in the range, with their present day indices. */
function idsOfState(previous: SeriesState, fromPrevious: readonly number[]): IdRun {
  const presentOf = new Int32Array(previous.days.length).fill(-1);
  fromPrevious.forEach((p, i) => {
    if (p >= 0) presentOf[p] = i;
  });
  // The usual daily rebuild: the same first day, so every day keeps its index.
  if (presentOf.every((i, p) => i === p)) return { ids: previous.ids, days: previous.idDays };
  let kept = 0;
  for (let k = 0; k < previous.idDays.length; k++) if (presentOf[previous.idDays[k]!]! >= 0) kept++;
  const ids = new Float64Array(kept);
  const days = new Uint32Array(kept);
  let n = 0;
  for (let k = 0; k < previous.idDays.length; k++) {
    const i = presentOf[previous.idDays[k]!]!;
    if (i < 0) continue;
    ids[n] = previous.ids[k]!;
    days[n++] = i;
  }
  return { ids, days };
}

function stateOf(
  state: State,
  present: readonly PresentDay[],
  rows: readonly DayRow[],
  allSum: Detail,
  ids: IdRun,
  contributions: SeriesState["contributions"],
): SeriesState {
  const programs = state.programs.length;
  const eligibility = [...state.eligibilitySlots.values()].reduce((n, slots) => n + slots.length, 0);
  const buckets: [number, string][] = [];
  state.bucketSlots.forEach((slots, chart) => {
    for (const [bucket, slot] of slots) buckets[slot] = [chart, bucket];
  });
  const width = 1 + programs + eligibility + 2 * buckets.length;
  const stateRows = rows.map((row) => {
    const out = new Float64Array(width);
    out[0] = row.reports;
    let at = 1;
    for (const [from, n] of [
      [row.programs, programs],
      [row.eligible, eligibility],
      [row.bucketReports, buckets.length],
      [row.bucketTotals, buckets.length],
    ] as const) {
      for (let slot = 0; slot < Math.min(from.length, n); slot++) out[at + slot] = from[slot] ?? 0;
      at += n;
    }
    return out;
  });
  const breakdowns: SeriesState["breakdowns"] = [];
  allSum.breakdowns.forEach((counts, index) => {
    for (const [value, reports] of counts ?? []) {
      if (reports !== 0)
        breakdowns.push([Math.floor(index / DIMENSIONS.length), index % DIMENSIONS.length, value, reports]);
    }
  });
  const stacks: SeriesState["stacks"] = [];
  allSum.stacks.forEach((map, chart) => {
    for (const [key, { reports, total }] of map) stacks.push([chart, key, reports, total]);
  });
  // Only the keys of the days kept: keys of days that left the range are not carried on.
  const dayStacks: SeriesState["dayStacks"] = [];
  const stackKeys: string[] = [];
  const stackKeyIds = new Map<string, number>();
  rows.forEach((row, day) => {
    for (const [chart, key, reports, total] of row.stacks) {
      const id = internString(stackKeys, stackKeyIds, state.stackKeys[key]!);
      dayStacks.push([day, chart, id, reports, total]);
    }
  });
  return {
    plan: state.plan.fingerprint,
    days: present.map(({ date, key }) => ({ date, key })),
    programs: [...state.programs],
    buckets,
    eligibility,
    rows: stateRows,
    breakdowns,
    stacks,
    stackKeys,
    dayStacks,
    ids: ids.ids,
    idDays: ids.days,
    contributions,
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
  /** Detail windows, and weekly ones when the plan has stack charts: per chart, stack key → reports and summed values. */
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
  /** Stack keys of the day rows, each once: rows name them by id. */
  stackKeys: string[];
  stackKeyIds: Map<string, number>;
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
  // Weekly windows keep stacks too when some chart has them, summed from the day rows.
  const hasStacks = plan.charts.some((chart) => chart.type === "stack");
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
      stacks: detail || hasStacks ? plan.charts.map(() => new Map()) : null,
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
    stackKeys: [],
    stackKeyIds: new Map(),
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

function stackKeyId(state: State, key: string): number {
  return internString(state.stackKeys, state.stackKeyIds, key);
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
// Taking a repeated report back out.

/** An occurrence's contribution in this run's slots, resolved once for all windows. */
interface Resolved {
  /** Per program entry: its slot, and the eligibility slots the report counts in (X ≤ rate). */
  programs: { slot: number; eligible: number[] }[];
  /** Per bucket: its slot, value, and the breakdown values (partition charts) or null. */
  buckets: { slot: number; value: number; values: readonly string[] | null }[];
  stacks: { chart: number; key: string; value: number }[];
}

function resolve(state: State, x: number, occurrence: Occurrence): Resolved {
  if (occurrence.resolved) return occurrence.resolved;
  const { contribution } = occurrence;
  // Per program: the breakdown values of its (first) entry.
  const valuesOf = new Map<string, readonly string[]>();
  for (const entry of contribution.programs)
    if (!valuesOf.has(entry[0])) valuesOf.set(entry[0], entry.slice(1));
  const programs = contribution.programs.map(([program]) => {
    const rates = state.rates.get(program) ?? [];
    const slots = state.eligibilitySlots.get(program) ?? [];
    return { slot: programSlot(state, program), eligible: slots.filter((_, r) => x <= rates[r]!) };
  });
  const buckets = contribution.buckets.map(([c, bucket, value, dims]) => {
    const chart = state.plan.charts[c]!;
    const values = chart.type === "partition" ? (dims ?? valuesOf.get(chart.program) ?? null) : null;
    return { slot: bucketSlot(state, c, bucket), value, values };
  });
  const stacks = contribution.stacks.map(([chart, key, value]) => ({ chart, key, value }));
  return (occurrence.resolved = { programs, buckets, stacks });
}

/**
 * What a window holding these occurrences (and no others) of a repeated report takes back:
 * it keeps the first day for each thing the report counts for, and subtracts the later
 * days, which the summed summaries counted again. The subtractions are listed in the order
 * they are made, so that every window's sums are the same, bit for bit, however they are
 * shared.
 */
interface TakeBack {
  /** Occurrences less one. */
  reports: number;
  programs: { slot: number; eligible: number[] }[];
  buckets: { slot: number; value: number; values: readonly string[] | null }[];
  stacks: { chart: number; key: string; value: number }[];
}

function takeBackOf(state: State, x: number, occurrences: readonly Occurrence[]): TakeBack {
  const taken: TakeBack = { reports: occurrences.length - 1, programs: [], buckets: [], stacks: [] };
  const programsSeen = new Set<number>();
  const bucketsSeen = new Set<number>();
  const stacksSeen = new Set<string>();
  for (const occurrence of occurrences) {
    const { programs, buckets, stacks } = resolve(state, x, occurrence);
    for (const program of programs) {
      if (programsSeen.has(program.slot)) taken.programs.push(program);
      else programsSeen.add(program.slot);
    }
    for (const bucket of buckets) {
      if (bucketsSeen.has(bucket.slot)) taken.buckets.push(bucket);
      else bucketsSeen.add(bucket.slot);
    }
    for (const stack of stacks) {
      const seenKey = `${stack.chart}\n${stack.key}`;
      if (stacksSeen.has(seenKey)) taken.stacks.push(stack);
      else stacksSeen.add(seenKey);
    }
  }
  return taken;
}

/** Subtracts a TakeBack from a window (breakdowns and stacks only where the window keeps them). */
function applyTakeBack(tally: Tally, taken: TakeBack): void {
  tally.reports -= taken.reports;
  for (const { slot, eligible } of taken.programs) {
    add(tally.programReports, slot, -1);
    for (const e of eligible) add(tally.eligible, e, -1);
  }
  for (const { slot, value, values } of taken.buckets) {
    add(tally.bucketReports, slot, -1);
    add(tally.bucketTotals, slot, -value);
    if (!tally.breakdowns || !values) continue;
    for (let d = 0; d < DIMENSIONS.length; d++) {
      addValue((tally.breakdowns[slot * DIMENSIONS.length + d] ??= new Map()), values[d]!, -1);
    }
  }
  if (!tally.stacks) return;
  for (const { chart, key, value } of taken.stacks) {
    const counts = tally.stacks[chart]!.get(key)!;
    counts.reports -= 1;
    counts.total -= value;
  }
}

// ---------------------------------------------------------------------------
// Output.

function chartSeries(state: State, chart: PlannedChart, c: number): ChartSeries {
  const slots = state.bucketSlots[c]!;
  // Observed: in some day of the range (a previous state may know buckets of days gone).
  const all = tallyOf(state, state.windows.all);
  const observed = [...slots]
    .filter(([, slot]) => (all.bucketReports[slot] ?? 0) > 0)
    .map(([bucket]) => bucket);
  const buckets = bucketOrder(chart, observed);
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
  tally: Tally,
  window: Window,
  buckets: string[],
  slots: ReadonlyMap<string, number>,
): Breakdown[] {
  // Buckets and values come from reports: build the records with fromEntries, which
  // defines keys such as "__proto__" as plain properties.
  return DIMENSIONS.map((dimension, d) => {
    const lists = buckets.map((bucket) => {
      const slot = slots.get(bucket);
      const byValue = slot === undefined ? undefined : tally.breakdowns![slot * DIMENSIONS.length + d];
      return [...(byValue ?? [])].filter(([, reports]) => reports > 0);
    });
    // Go version labels are ranked once: parsing them in every comparison was a tenth of a
    // warm run's series.
    const rank = dimension === "GoVersion" ? goVersionRanks(lists) : undefined;
    const counts = lists.map((values, b) => {
      values.sort(rank ? ([a], [b]) => rank.get(a)! - rank.get(b)! : ([a], [b]) => ascending(a, b));
      return [buckets[b]!, Object.fromEntries(values)] as const;
    });
    return { dimension, window, counts: Object.fromEntries(counts) };
  });
}

/** Each Go version label of the lists, by its place in version order ("other" last). */
function goVersionRanks(lists: readonly (readonly [string, number])[][]): Map<string, number> {
  const labels = [...new Set(lists.flatMap((values) => values.map(([label]) => label)))];
  labels.sort((a, b) => ascending(a === "other", b === "other") || compareGoVersions(a, b));
  return new Map(labels.map((label, i) => [label, i]));
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

/**
 * Program slots shown in participation: the plan's programs, then any other program with
 * reports in the range, by name (a previous state may know programs of days gone).
 */
function participatingPrograms(state: State): number[] {
  const all = tallyOf(state, state.windows.all);
  const planned = new Set(state.plan.charts.map((chart) => chart.program));
  const slots = state.programs.map((_, slot) => slot);
  const others = slots
    .filter((slot) => !planned.has(state.programs[slot]!) && (all.programReports[slot] ?? 0) > 0)
    .sort((a, b) => ascending(state.programs[a], state.programs[b]));
  return [...slots.filter((slot) => planned.has(state.programs[slot]!)), ...others];
}

function weeklyParticipation(state: State, week: Window): Participation["weekly"][number] {
  const tally = tallyOf(state, week);
  return {
    start: week.start,
    end: week.end,
    reports: tally.reports,
    programs: Object.fromEntries(
      participatingPrograms(state).map((slot) => [state.programs[slot]!, tally.programReports[slot] ?? 0]),
    ),
  };
}
