// Summary: a day aggregate reduced to its counts, and what single reports were counted for.
//
// The series sums windows from per-day counts instead of re-reading every day's report
// sets, so a new day costs one summary, not a pass over the whole range:
// - summarizeDay: per program, chart bucket and stack, how many of the day's reports have
//   it and their summed values; per bucket, its reports' GOOS, GOARCH and Go version.
//   A few kilobytes a day, cached beside the aggregate.
// - contributionsOf: for some report ids of the day, everything each was counted for.
//   Summing days counts a report seen on several days of a window once per day; the series
//   takes those repeats back out with their contributions (see series.ts).
//
//   const summary = summarizeDay(aggregate, plan);      // cache serializeSummary(summary)
//   const repeats = contributionsOf(aggregate, [x1, x2]);

import type { AggregationPlan, DayAggregate } from "./aggregate.ts";
import { frame, LITTLE_ENDIAN, unframe, type Allocate } from "./framed.ts";
import { internString } from "./intern.ts";
import { goMajorMinor } from "./versions.ts";

/** The breakdown dimensions of partition charts, in this order everywhere. */
export const DIMENSIONS = ["GOOS", "GOARCH", "GoVersion"] as const;

/** Per dimension: [value, reports] pairs. Pairs, not records: values come from reports. */
export type BreakdownCounts = [
  goos: [string, number][],
  goarch: [string, number][],
  goVersion: [string, number][],
];

export interface SummaryProgram {
  program: string;
  /** Reports of the day with an entry for the program. */
  reports: number;
  /** Of those, how many have X ≤ each of programRates(plan).get(program), in that order. */
  eligible: number[];
}

export interface SummaryBucket {
  bucket: string;
  reports: number;
  /** Summed counter values (built-ins: the report count). */
  total: number;
  /** Partition charts: the reports' program entries by dimension; null for stack charts. */
  breakdown: BreakdownCounts | null;
}

export interface SummaryStack {
  key: string;
  reports: number;
  total: number;
}

export interface DaySummary {
  date: string;
  /** AggregationPlan.fingerprint of the plan that built it. */
  plan: string;
  /** The day's distinct report ids, as in the aggregate. */
  xs: Float64Array;
  programs: SummaryProgram[];
  /** Parallel to plan.charts. */
  charts: { buckets: SummaryBucket[]; stacks: SummaryStack[] }[];
}

/**
 * What one report was counted for on one day: its program entries (with their breakdown
 * values), the chart buckets and the stacks it has, with the counter values.
 */
export interface Contribution {
  programs: [program: string, goos: string, goarch: string, goVersion: string][];
  /** dims: the breakdown values, when not those of the report's (first) entry of the program. */
  buckets: [
    chart: number,
    bucket: string,
    value: number,
    dims?: [goos: string, goarch: string, goVersion: string],
  ][];
  stacks: [chart: number, key: string, value: number][];
}

/**
 * Per program, the distinct sampling rates of its charts, in chart order: a program's
 * eligible reports are counted once per rate.
 */
export function programRates(plan: AggregationPlan): Map<string, number[]> {
  const rates = new Map<string, number[]>();
  for (const chart of plan.charts) {
    let list = rates.get(chart.program);
    if (!list) rates.set(chart.program, (list = []));
    if (!list.includes(chart.rate)) list.push(chart.rate);
  }
  return rates;
}

/** The GoVersion breakdown value of a raw Go version: go<major>.<minor>, or "other". */
export function goVersionLabel(goVersion: string): string {
  return goMajorMinor(goVersion) || "other";
}

export function summarizeDay(day: DayAggregate, plan: AggregationPlan): DaySummary {
  if (day.plan !== plan.fingerprint)
    throw new Error(`summarizeDay: the aggregate of ${day.date} is for another plan`);
  const rates = programRates(plan);
  // Go version labels, numbered; labelOf: string id → label number.
  const labels: string[] = [];
  const labelIds = new Map<string, number>();
  const labelOf = day.strings.map((value) => internString(labels, labelIds, goVersionLabel(value)));
  const goos = new Tally(day.strings.length);
  const goarch = new Tally(day.strings.length);
  const goVersion = new Tally(labels.length);
  const programs = day.programs.map((entry): SummaryProgram => {
    const eligible = (rates.get(entry.program) ?? []).map((rate) => {
      let count = 0;
      for (const index of entry.reports) if (day.xs[index]! <= rate) count++;
      return count;
    });
    return { program: entry.program, reports: entry.reports.length, eligible };
  });
  // Per program: a report index → its position in the program's arrays (-1: no entry).
  const positions = new Map<string, Int32Array>();
  const positionsOf = (program: string) => {
    let position = positions.get(program);
    if (!position) {
      position = new Int32Array(day.xs.length).fill(-1);
      const entry = day.programs.find((p) => p.program === program);
      entry?.reports.forEach((index, i) => (position![index] = i));
      positions.set(program, position);
    }
    return position;
  };
  const charts = day.charts.map((chart, c) => {
    const planned = plan.charts[c]!;
    const entry =
      planned.type === "partition" ? day.programs.find((p) => p.program === planned.program) : undefined;
    const position = entry ? positionsOf(planned.program) : undefined;
    return {
      buckets: chart.buckets.map((bucket): SummaryBucket => {
        let total = 0;
        if (bucket.values === null) total = bucket.reports.length;
        else for (const value of bucket.values) total += value;
        let breakdown: BreakdownCounts | null = null;
        if (planned.type === "partition") {
          const dims = bucket.dims;
          if (dims) {
            for (let k = 0; k < bucket.reports.length; k++) {
              goos.count(dims.goos[k]!);
              goarch.count(dims.goarch[k]!);
              goVersion.count(labelOf[dims.goVersion[k]!]!);
            }
          } else if (entry && position) {
            for (const index of bucket.reports) {
              const at = position[index]!;
              if (at < 0) continue;
              goos.count(entry.goos[at]!);
              goarch.count(entry.goarch[at]!);
              goVersion.count(labelOf[entry.goVersion[at]!]!);
            }
          }
          breakdown = [goos.take(day.strings), goarch.take(day.strings), goVersion.take(labels)];
        }
        return { bucket: bucket.bucket, reports: bucket.reports.length, total, breakdown };
      }),
      stacks: chart.stacks.map((stack): SummaryStack => {
        let total = 0;
        for (const value of stack.values) total += value;
        return { key: stack.key, reports: stack.reports.length, total };
      }),
    };
  });
  return { date: day.date, plan: day.plan, xs: day.xs, programs, charts };
}

/** Counts by small integer id, emptied by take(): one bucket's breakdown at a time. */
class Tally {
  readonly #counts: Int32Array;
  readonly #touched: number[] = [];
  constructor(size: number) {
    this.#counts = new Int32Array(size);
  }
  count(id: number): void {
    if (this.#counts[id]!++ === 0) this.#touched.push(id);
  }
  /** [name, count] in order of first count, and resets. */
  take(names: readonly string[]): [string, number][] {
    const pairs = this.#touched.map((id): [string, number] => [names[id]!, this.#counts[id]!]);
    for (const id of this.#touched) this.#counts[id] = 0;
    this.#touched.length = 0;
    return pairs;
  }
}

/** What each of `xs` (report ids of the day; others are ignored) was counted for on the day. */
export function contributionsOf(day: DayAggregate, xs: Iterable<number>): Map<number, Contribution> {
  const wanted = new Set(xs);
  const found = new Map<number, Contribution>();
  // Report index → its position in `contributions`, or -1 when it is not wanted. Every list
  // of the day is walked once, so this is a typed-array test per element, nothing more.
  const slotOf = new Int32Array(day.xs.length).fill(-1);
  const contributions: Contribution[] = [];
  for (let index = 0; index < day.xs.length; index++) {
    const x = day.xs[index]!;
    if (!wanted.has(x)) continue;
    const contribution: Contribution = { programs: [], buckets: [], stacks: [] };
    slotOf[index] = contributions.length;
    contributions.push(contribution);
    found.set(x, contribution);
  }
  if (found.size === 0) return found;
  for (const entry of day.programs) {
    const reports = entry.reports;
    for (let at = 0; at < reports.length; at++) {
      const slot = slotOf[reports[at]!]!;
      if (slot < 0) continue;
      contributions[slot]!.programs.push([
        entry.program,
        day.strings[entry.goos[at]!]!,
        day.strings[entry.goarch[at]!]!,
        goVersionLabel(day.strings[entry.goVersion[at]!]!),
      ]);
    }
  }
  day.charts.forEach((chart, c) => {
    for (const bucket of chart.buckets) {
      const { reports, values, dims } = bucket;
      for (let k = 0; k < reports.length; k++) {
        const slot = slotOf[reports[k]!]!;
        if (slot < 0) continue;
        const value = values === null ? 1 : values[k]!;
        contributions[slot]!.buckets.push(
          dims
            ? [
                c,
                bucket.bucket,
                value,
                [
                  day.strings[dims.goos[k]!]!,
                  day.strings[dims.goarch[k]!]!,
                  goVersionLabel(day.strings[dims.goVersion[k]!]!),
                ],
              ]
            : [c, bucket.bucket, value],
        );
      }
    }
    for (const stack of chart.stacks) {
      const { reports, values } = stack;
      for (let k = 0; k < reports.length; k++) {
        const slot = slotOf[reports[k]!]!;
        if (slot >= 0) contributions[slot]!.stacks.push([c, stack.key, values[k]!]);
      }
    }
  });
  return found;
}

// ---------------------------------------------------------------------------
// Serialisation: the per-day summary cache entry, read back on every run for every day.
//
// Strings go once into a JSON table; everything else is numbers, read back from typed
// arrays (several times faster than JSON for the breakdown and stack lists). Framed as in
// framed.ts; body: Float64: xs, then every bucket and stack total in order |
//   Uint32: the structure, counts and string ids, in the order serializeSummary writes them.
// Arrays are in the machine's byte order, recorded in the header.

/** Version of the summary layout; bump it when the layout or the counting changes. */
const SUMMARY_FORMAT = 2;

interface SummaryHeader {
  format: number;
  littleEndian: boolean;
  date: string;
  plan: string;
  reports: number;
  floats: number;
  ints: number;
  strings: string[];
}

export function serializeSummary(summary: DaySummary, allocate?: Allocate): Uint8Array {
  const strings: string[] = [];
  const stringIds = new Map<string, number>();
  const id = (value: string) => internString(strings, stringIds, value);
  const ints: number[] = [];
  const totals: number[] = [];
  ints.push(summary.programs.length);
  for (const p of summary.programs) ints.push(id(p.program), p.reports, p.eligible.length, ...p.eligible);
  ints.push(summary.charts.length);
  for (const chart of summary.charts) {
    ints.push(chart.buckets.length);
    for (const b of chart.buckets) {
      ints.push(id(b.bucket), b.reports, b.breakdown ? 1 : 0);
      totals.push(b.total);
      for (const pairs of b.breakdown ?? []) {
        ints.push(pairs.length);
        for (const [value, count] of pairs) ints.push(id(value), count);
      }
    }
    ints.push(chart.stacks.length);
    for (const stack of chart.stacks) {
      ints.push(id(stack.key), stack.reports);
      totals.push(stack.total);
    }
  }
  const header: SummaryHeader = {
    format: SUMMARY_FORMAT,
    littleEndian: LITTLE_ENDIAN,
    date: summary.date,
    plan: summary.plan,
    reports: summary.xs.length,
    floats: summary.xs.length + totals.length,
    ints: ints.length,
    strings,
  };
  const { bytes, body } = frame(header, 8 * header.floats + 4 * ints.length, allocate);
  const floats = new Float64Array(body.buffer, body.byteOffset, header.floats);
  floats.set(summary.xs);
  floats.set(totals, summary.xs.length);
  new Uint32Array(body.buffer, body.byteOffset + 8 * header.floats, ints.length).set(ints);
  return bytes;
}

/** The inverse of serializeSummary. Throws on another format or byte order, or a size mismatch. */
export function deserializeSummary(bytes: Uint8Array): DaySummary {
  const { header, body } = unframe<SummaryHeader>(bytes, "day summary");
  if (header.format !== SUMMARY_FORMAT || header.littleEndian !== LITTLE_ENDIAN) {
    throw new Error(`day summary format ${header.format}, expected ${SUMMARY_FORMAT} in this byte order`);
  }
  if (8 * header.floats + 4 * header.ints !== body.byteLength) {
    throw new Error(`day summary of ${bytes.byteLength} bytes does not match its header`);
  }
  const floats = new Float64Array(body.buffer, body.byteOffset, header.floats);
  const ints = new Uint32Array(body.buffer, body.byteOffset + 8 * header.floats, header.ints);
  const { strings } = header;
  let i = 0;
  let f = header.reports;
  const int = () => {
    if (i >= ints.length) throw new Error("day summary: structure runs past its end");
    return ints[i++]!;
  };
  const string = () => {
    const value = strings[int()];
    if (value === undefined) throw new Error("day summary: string id out of range");
    return value;
  };
  const programs: SummaryProgram[] = [];
  for (let n = int(); n > 0; n--) {
    const program = string();
    const reports = int();
    const eligible: number[] = [];
    for (let k = int(); k > 0; k--) eligible.push(int());
    programs.push({ program, reports, eligible });
  }
  const pairs = () => {
    const list: [string, number][] = [];
    for (let n = int(); n > 0; n--) list.push([string(), int()]);
    return list;
  };
  const charts: DaySummary["charts"] = [];
  for (let c = int(); c > 0; c--) {
    const buckets: SummaryBucket[] = [];
    for (let n = int(); n > 0; n--) {
      const bucket = string();
      const reports = int();
      const total = floats[f++]!;
      const breakdown: BreakdownCounts | null = int() === 1 ? [pairs(), pairs(), pairs()] : null;
      buckets.push({ bucket, reports, total, breakdown });
    }
    const stacks: SummaryStack[] = [];
    for (let n = int(); n > 0; n--) stacks.push({ key: string(), reports: int(), total: floats[f++]! });
    charts.push({ buckets, stacks });
  }
  if (i !== ints.length || f !== floats.length) throw new Error("day summary: structure and sizes disagree");
  return { date: header.date, plan: header.plan, xs: floats.subarray(0, header.reports), programs, charts };
}
