// Aggregate: one day's reports → a compact, serialisable DayAggregate.
//
// The numbers follow golang.org/x/telemetry godev/cmd/worker (group, partition): a report
// is identified by its random X, and a chart bucket is the SET of report ids whose program
// entry has that bucket, so a report uploaded twice counts once. A DayAggregate keeps those
// sets per day as indices into the day's distinct report ids; series.ts unions them across
// the days of a window.
//
//   const plan = buildPlan(planCharts({ upload, chartConfigs, chartId }));
//   const day = createDayAggregate("2024-06-01", plan);
//   for (const report of reports) addReport(day, report);
//   const aggregate = finishDay(day);          // cache serializeDay(aggregate)

import { counterSpellings, expandCounter, splitCounterName } from "./chartconfig.ts";
import type {
  BuiltinChart,
  ChartConfig,
  ChartType,
  CounterConfig,
  FlatProgram,
  FlatReport,
  Report,
  UploadConfig,
} from "./types.ts";
import { flatProgram } from "./types.ts";
import { frame, LITTLE_ENDIAN, unframe, type Allocate } from "./framed.ts";
import { internString, stringTable, type StringTable } from "./intern.ts";
import { isToolchainProgram, normalizeBucket, type BucketNormalization } from "./versions.ts";

// ---------------------------------------------------------------------------
// Plan: which charts exist and where each report field, counter and stack goes.

/** A chart to aggregate, with everything needed to fill its buckets. Plain data. */
export interface PlannedChart {
  /** Unique among the plan's charts (the index.json chart id). */
  id: string;
  program: string;
  /** A built-in chart name, or the counter's part before ":". */
  name: string;
  type: ChartType;
  builtin: boolean;
  /**
   * Raw buckets, in the order configured.
   * - partition: the values that count (a raw value not listed does not count); `null`
   *   for a built-in with no restriction in the upload config: every observed value counts.
   * - stack: the same, for the stack counter names (the expansion of the counter
   *   expression); a stack counts in the bucket of the name before its frames.
   */
  buckets: string[] | null;
  /** How raw buckets become shown buckets (built-in Version and GoVersion only). */
  normalize: BucketNormalization;
  /** Sampling rate: only reports with X ≤ rate are eligible (1 for built-ins). */
  rate: number;
}

/**
 * The built-in charts of a program, from report metadata: Version (not for toolchain
 * programs), GOOS, GOARCH, GoVersion. Their buckets are the upload config's lists;
 * an empty list means every observed value.
 */
export function builtinCharts(
  upload: UploadConfig,
  program: string,
  versions: readonly string[],
  chartId: (program: string, name: string) => string,
): PlannedChart[] {
  const charts: [BuiltinChart, readonly string[], BucketNormalization][] = [];
  if (!isToolchainProgram(program)) charts.push(["Version", versions, "program-version"]);
  charts.push(
    ["GOOS", upload.GOOS, "none"],
    ["GOARCH", upload.GOARCH, "none"],
    ["GoVersion", upload.GoVersion, "go-version"],
  );
  return charts.map(([name, values, normalize]) => ({
    id: chartId(program, name),
    program,
    name,
    type: "partition",
    builtin: true,
    buckets: values.length > 0 ? [...values] : null,
    normalize,
    rate: 1,
  }));
}

/**
 * A configured chart. `names` is the expansion of its counter expression
 * ("gopls/client:{vscode,vim}" → ["gopls/client:vscode", "gopls/client:vim"]).
 */
export function configuredChart(
  chart: { id: string; program: string; type: ChartType; counter: string; rate: number },
  names: readonly string[],
): PlannedChart {
  return {
    id: chart.id,
    program: chart.program,
    name: splitCounterName(chart.counter).chart,
    type: chart.type,
    builtin: false,
    // As upstream charts a counter: the part after ":" (a stack chart without a depth is
    // uploaded as a plain counter, and upstream draws it as a partition of these buckets).
    buckets: names.map((name) => splitCounterName(name).bucket),
    normalize: "none",
    rate: chart.rate,
  };
}

/**
 * The upload config's sampling rate for a chart's counter names: a partition chart's from
 * the program's Counters; a stack chart's from its Stacks, or its Counters (a stack chart
 * without a depth is uploaded as a plain counter); a name "c" also under its spelling "c:c"
 * and the other way round (both are bucket c of chart c). 0 when the upload config does not list
 * it: clients do not upload such a counter (and a report carrying one is rejected), so no
 * report is eligible for it. (A config derived from the chart config lists every counter.)
 */
export function counterRate(
  upload: UploadConfig,
  program: string,
  type: ChartType,
  names: readonly string[],
): number {
  const config = upload.Programs.find((p) => p.Name === program);
  const lists = type === "stack" ? [config?.Stacks, config?.Counters] : [config?.Counters];
  // The first of the chart's names that the config lists: with only some of them listed,
  // those are the ones reports can carry.
  for (const name of names) {
    for (const list of lists) {
      for (const spelling of counterSpellings(name)) {
        const rate = rateOf(list ?? [], spelling);
        if (rate !== undefined) return rate;
      }
    }
  }
  return 0;
}

/** Rate of the last counter expression that expands to `name` (as validation reads it). */
function rateOf(counters: readonly CounterConfig[], name: string): number | undefined {
  let rate: number | undefined;
  for (const counter of counters) if (expandCounter(counter.Name).includes(name)) rate = counter.Rate;
  return rate;
}

/**
 * Every chart of the site, in index order: per program (upload config order, then
 * programs only the chart config names), its built-in charts, then its configured charts
 * in chart config order.
 */
export function planCharts(options: {
  upload: UploadConfig;
  chartConfigs: readonly ChartConfig[];
  /** A unique, URL-safe chart id; `config` is given for configured charts. */
  chartId: (program: string, name: string, config?: ChartConfig) => string;
}): PlannedChart[] {
  const { upload, chartConfigs, chartId } = options;
  const programs = [
    ...new Set([...upload.Programs.map((p) => p.Name), ...chartConfigs.map((c) => c.program)]),
  ];
  return programs.flatMap((program) => [
    ...builtinCharts(
      upload,
      program,
      upload.Programs.find((p) => p.Name === program)?.Versions ?? [],
      chartId,
    ),
    ...chartConfigs
      .filter((config) => config.program === program)
      .map((config) => {
        const names = expandCounter(config.counter);
        const chart = {
          id: chartId(program, splitCounterName(config.counter).chart, config),
          program,
          type: config.type,
          counter: config.counter,
          rate: counterRate(upload, program, config.type, names),
        };
        return configuredChart(chart, names);
      }),
  ]);
}

/** Where a report field (built-in chart) goes. */
interface FieldTarget {
  chart: number;
  field: BuiltinChart;
  normalize: BucketNormalization;
  /** Configured raw value → shown bucket; null: every value counts. */
  bucketOf: ReadonlyMap<string, string> | null;
}

/** A (chart, shown bucket) that a counter or stack counter name counts in. */
interface BucketTarget {
  chart: number;
  bucket: string;
}

/** Per program: what a program entry of a report contributes to. */
export interface ProgramPlan {
  readonly fields: readonly FieldTarget[];
  /** Full counter name ("chart:bucket", or "chart" when bucket = chart) → targets. */
  readonly counters: ReadonlyMap<string, readonly BucketTarget[]>;
  /** Stack counter name (first line of a stack key) → targets. */
  readonly stacks: ReadonlyMap<string, readonly BucketTarget[]>;
}

/**
 * The charts, precomputed into lookups so that adding a report costs a few Map lookups
 * per program entry and counter. Build it once per process (it holds Maps: pass the
 * PlannedChart[] to workers, not the plan).
 */
export interface AggregationPlan {
  readonly charts: readonly PlannedChart[];
  /** Identifies the charts and the aggregate format: part of a day cache key. */
  readonly fingerprint: string;
  readonly programs: ReadonlyMap<string, ProgramPlan>;
}

const BUILTIN_NAMES: readonly string[] = ["Version", "GOOS", "GOARCH", "GoVersion"] satisfies BuiltinChart[];

/** Version of the DayAggregate layout; bump it when the layout or the counting changes. */
const DAY_FORMAT = 3;

export function buildPlan(charts: readonly PlannedChart[]): AggregationPlan {
  const programs = new Map<
    string,
    { fields: FieldTarget[]; counters: Map<string, BucketTarget[]>; stacks: Map<string, BucketTarget[]> }
  >();
  const ids = new Set<string>();
  charts.forEach((chart, index) => {
    if (ids.has(chart.id)) throw new Error(`buildPlan: chart id ${JSON.stringify(chart.id)} is not unique`);
    ids.add(chart.id);
    let program = programs.get(chart.program);
    if (!program) {
      program = { fields: [], counters: new Map(), stacks: new Map() };
      programs.set(chart.program, program);
    }
    const buckets = chart.buckets === null ? null : [...new Set(chart.buckets)];
    if (chart.builtin) {
      if (!BUILTIN_NAMES.includes(chart.name) || chart.type !== "partition") {
        throw new Error(
          `buildPlan: ${chart.id}: ${JSON.stringify(chart.name)} is not a built-in partition chart`,
        );
      }
      program.fields.push({
        chart: index,
        field: chart.name as BuiltinChart,
        normalize: chart.normalize,
        bucketOf: buckets && new Map(buckets.map((raw) => [raw, normalizeBucket(chart.normalize, raw)])),
      });
      return;
    }
    if (buckets === null) throw new Error(`buildPlan: ${chart.id}: a configured chart needs its buckets`);
    for (const raw of buckets) {
      const target = { chart: index, bucket: normalizeBucket(chart.normalize, raw) };
      // Upstream splits a counter name at its first ":"; "c" and "c:c" are both bucket c of chart c.
      // Reports carry a stack counter in Stacks, or, when uploaded without a depth, in Counters.
      const lists = chart.type === "stack" ? [program.counters, program.stacks] : [program.counters];
      for (const targets of lists) {
        addTarget(targets, `${chart.name}:${raw}`, target);
        if (raw === chart.name) addTarget(targets, raw, target);
      }
    }
  });
  return { charts, fingerprint: fingerprintOf(charts), programs };
}

function addTarget(targets: Map<string, BucketTarget[]>, name: string, target: BucketTarget): void {
  const list = targets.get(name);
  if (list) list.push(target);
  else targets.set(name, [target]);
}

function fingerprintOf(charts: readonly PlannedChart[]): string {
  const text = JSON.stringify([
    DAY_FORMAT,
    charts.map((c) => [c.id, c.program, c.name, c.type, c.builtin, c.buckets, c.normalize, c.rate]),
  ]);
  // cyrb53: a fast 53-bit string hash; collisions only cost a stale cache entry being reused,
  // and with 53 bits over a handful of configs that does not happen.
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ code, 2654435761);
    h2 = Math.imul(h2 ^ code, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(36);
}

// ---------------------------------------------------------------------------
// The day aggregate.

/**
 * Report indices and string ids. Read back from the cache they are 16-bit when the day
 * allows it (fewer than 65,537 reports and strings), which most days do.
 */
export type Indices = Uint32Array | Uint16Array;

/** Counter values. Read back from the cache they are 32-bit integers when all of a list's are. */
export type Values = Float64Array | Uint32Array;

/** One program's entries in the day's reports. Arrays are parallel. */
export interface DayProgram {
  program: string;
  /** Indices into DayAggregate.xs of the reports that contain the program. */
  reports: Indices;
  /** The program entry's GOOS, GOARCH and raw GoVersion, as indices into DayAggregate.strings. */
  goos: Indices;
  goarch: Indices;
  goVersion: Indices;
}

/** One bucket of one chart: the reports that have it. */
export interface DayBucket {
  /** The shown (normalised) bucket. */
  bucket: string;
  /** Indices into DayAggregate.xs, each once. */
  reports: Indices;
  /** The counter's value in each report (parallel to reports); null for built-ins (always 1). */
  values: Values | null;
  /**
   * Partition charts: the GOOS, GOARCH and GoVersion of the program entry that gave each
   * report the bucket (parallel to reports), when for some report it is not the entry
   * DayProgram holds: a report with two entries of the program (two versions in one
   * week), the bucket only in the later one. Null when DayProgram's are right for all.
   */
  dims: BucketDims | null;
}

/** String ids into DayAggregate.strings, parallel to a bucket's reports. */
export interface BucketDims {
  goos: Indices;
  goarch: Indices;
  goVersion: Indices;
}

/** One stack (full key "counter\nframe…") of a stack chart: the reports that have it. */
export interface DayStack {
  key: string;
  reports: Indices;
  values: Values;
}

export interface DayChart {
  /** Buckets with at least one report. */
  buckets: DayBucket[];
  /** Stack charts only. */
  stacks: DayStack[];
}

/**
 * One day of reports, reduced to what the charts need. Report ids are stored once; every
 * set is a list of indices into them. A report id that appears on several lines of the day
 * is one report: it has a bucket if any of its lines has it (upstream's set union), and a
 * value or program entry comes from the first line that has it.
 */
export interface DayAggregate {
  date: string;
  /** AggregationPlan.fingerprint of the plan that built it. */
  plan: string;
  /** Distinct report ids (X), in order of first appearance. */
  xs: Float64Array;
  /** Interned GOOS / GOARCH / GoVersion values. */
  strings: string[];
  programs: DayProgram[];
  /** Parallel to plan.charts. */
  charts: DayChart[];
}

/**
 * One bucket or stack being counted. Its reports are not kept here but in the day's
 * membership log (MembershipLog), which finishDay sorts into one list per entry.
 */
interface Entry {
  /** Its index in DayBuilder.entries. */
  id: number;
  /** The shown bucket, or the stack key. */
  name: string;
  /** False for built-ins, which count presence only. */
  withValues: boolean;
  /** Records in the log. */
  count: number;
  /** The line that last added a report, and where in the log it went. */
  lastLine: number;
  lastRecord: number;
}

/**
 * Every (entry, report, value) the day recorded, in line order, in typed arrays: one
 * growing log instead of a JS array per bucket, so that aggregating a day leaves the
 * garbage collector little to copy.
 */
interface MembershipLog {
  entries: Uint32Array;
  reports: Uint32Array;
  values: Float64Array;
  length: number;
  /**
   * Where finishDay sorts the log into per-entry lists (the finished day's lists are views
   * of these): kept with the log, so that a thread aggregating day after day allocates
   * them once, not some 300 KB a day left for the collector.
   */
  sortedReports: Uint32Array;
  sortedValues: Float64Array;
}

interface ProgramEntry {
  /** The first `count` are the reports; dims holds three string ids per report: GOOS, GOARCH, GoVersion. */
  reports: Uint32Array;
  dims: Uint32Array;
  count: number;
  lastLine: number;
  /** A report that came back on a later line has an entry here: only then may it be listed twice. */
  repeats: boolean;
}

interface ChartBuilder {
  /** Shown bucket → entry. */
  buckets: Map<string, Entry>;
  /** Built-ins: raw value → entry, or null when the value does not count. */
  fieldEntries: Map<string, Entry | null>;
  stacks: Map<string, Entry>;
}

/**
 * What one program's entries resolve to, found the first time a name is seen in the day
 * and then reused by every line: lists indexed by the id of a name in the day's table.
 */
interface ProgramSlot {
  entry: ProgramEntry;
  plan: ProgramPlan | undefined;
  /** Per built-in target of the plan, by value id: its bucket entry, null if it does not count. */
  fieldEntries: (Entry | null | undefined)[][];
  /** By counter name id: the bucket entries it counts in, null when none. */
  counterEntries: (Entry[] | null | undefined)[];
}

const idBits = new Float64Array(1);
const idWords = new Uint32Array(idBits.buffer);

/**
 * A day's report ids (X, in (0, 1]) → report index: open addressing on the id's bits. A Map
 * keyed by doubles boxes each key and hashes it more slowly: its lookups were 40 ms of 180
 * days of processDay in CPU profiles, these are 9-15 ms.
 */
class ReportIndex {
  private keys: Float64Array;
  private indexes: Int32Array;
  private size = 0;

  constructor(capacity = 4096) {
    this.keys = new Float64Array(capacity);
    this.indexes = new Int32Array(capacity).fill(-1);
  }

  clear(): void {
    this.indexes.fill(-1);
    this.size = 0;
  }

  /** The index of report `x`, or -1. */
  get(x: number): number {
    return this.indexes[this.slot(x)]!;
  }

  /** Adds report `x` (not yet in) at `index`. */
  set(x: number, index: number): void {
    if (2 * (this.size + 1) > this.keys.length) this.grow();
    const slot = this.slot(x);
    this.keys[slot] = x;
    this.indexes[slot] = index;
    this.size++;
  }

  private slot(x: number): number {
    idBits[0] = x;
    let hash = Math.imul(idWords[0]! ^ Math.imul(idWords[1]!, 0x9e3779b1), 0x85ebca6b);
    hash ^= hash >>> 15;
    const mask = this.keys.length - 1;
    let slot = hash & mask;
    while (this.indexes[slot] !== -1 && this.keys[slot] !== x) slot = (slot + 1) & mask;
    return slot;
  }

  private grow(): void {
    const { keys, indexes } = this;
    this.keys = new Float64Array(Math.max(4096, 2 * keys.length));
    this.indexes = new Int32Array(this.keys.length).fill(-1);
    this.size = 0;
    for (let slot = 0; slot < keys.length; slot++)
      if (indexes[slot]! >= 0) this.set(keys[slot]!, indexes[slot]!);
  }
}

/** A day being aggregated; add reports in line order, then finishDay. */
export interface DayBuilder {
  readonly date: string;
  readonly plan: AggregationPlan;
  /** The day's names and values; FlatReport ids are ids in it. */
  readonly names: StringTable;
  lines: number;
  xs: number[];
  reportOf: ReportIndex;
  /** Reports whose X came back on a later line (each time it did). */
  repeated: number[];
  /** GOOS, GOARCH and GoVersion values, as the aggregate stores them; and by name id. */
  strings: string[];
  stringIds: Map<string, number>;
  stringOfName: number[];
  programs: Map<string, ProgramEntry>;
  /** By program name id. */
  programSlots: (ProgramSlot | undefined)[];
  charts: ChartBuilder[];
  /** Every bucket and stack entry, by id. */
  entries: Entry[];
  log: MembershipLog;
  /**
   * While a line's program entry other than the report's first of that program is added:
   * its GOOS, GOARCH and GoVersion (aggregate string ids); null otherwise.
   */
  secondary: [goos: number, goarch: number, goVersion: number] | null;
  /** The log records such entries made: [entry id, position in its list, goos, goarch, goVersion] each. */
  secondaryRecords: number[];
}

export function createDayAggregate(date: string, plan: AggregationPlan): DayBuilder {
  return {
    date,
    plan,
    names: stringTable(),
    lines: 0,
    xs: [],
    reportOf: spareIndexes.pop() ?? new ReportIndex(),
    repeated: [],
    strings: [],
    stringIds: new Map(),
    stringOfName: [],
    programs: new Map(),
    programSlots: [],
    charts: plan.charts.map(() => ({ buckets: new Map(), fieldEntries: new Map(), stacks: new Map() })),
    entries: [],
    log: spareLogs.pop() ?? emptyLog(),
    secondary: null,
    secondaryRecords: [],
  };
}

function emptyLog(): MembershipLog {
  return {
    entries: new Uint32Array(1024),
    reports: new Uint32Array(1024),
    values: new Float64Array(1024),
    length: 0,
    sortedReports: new Uint32Array(0),
    sortedValues: new Float64Array(0),
  };
}

/**
 * Hands a finished day's log to the next day created in this thread (processDay does,
 * once the day is serialised and summarised). Neither the builder nor the aggregate
 * finished from it may be used after: the aggregate's lists are views of the log's arrays.
 */
export function recycleDay(day: DayBuilder): void {
  day.log.length = 0;
  spareLogs.push(day.log);
  day.log = emptyLog();
  day.secondaryRecords.length = 0;
  day.reportOf.clear();
  spareIndexes.push(day.reportOf);
  day.reportOf = new ReportIndex(16);
}

/**
 * Adds one validated report (the next line of the day). Counts presence: a counter or
 * stack key present with value 0 still puts the report in its bucket. What a program,
 * value or counter name counts in is looked up once a day (by its id in day.names), not
 * once a line.
 */
export function addReport(day: DayBuilder, report: Report): void {
  addFlatReport(day, flatten(report, day.names, scratch));
}

const scratch: FlatReport = { X: 0, entries: [], entryCount: 0 };

/** `report` written into `into`, whose lists are reused, with its strings' ids in `names`. */
function flatten(report: Report, names: StringTable, into: FlatReport): FlatReport {
  const id = (text: string) => internString(names.values, names.ids, text);
  into.X = report.X;
  into.entryCount = report.Programs.length;
  report.Programs.forEach((entry, i) => {
    const flat = (into.entries[i] ??= flatProgram());
    flat.Program = entry.Program;
    flat.Version = entry.Version;
    flat.GoVersion = entry.GoVersion;
    flat.GOOS = entry.GOOS;
    flat.GOARCH = entry.GOARCH;
    flat.programId = id(entry.Program);
    flat.versionId = id(entry.Version);
    flat.goVersionId = id(entry.GoVersion);
    flat.goosId = id(entry.GOOS);
    flat.goarchId = id(entry.GOARCH);
    flat.counterCount = 0;
    for (const name in entry.Counters) {
      flat.counterNames[flat.counterCount] = name;
      flat.counterIds[flat.counterCount] = id(name);
      flat.counterValues[flat.counterCount++] = entry.Counters[name]!;
    }
    flat.stackCount = 0;
    for (const key in entry.Stacks) {
      flat.stackNames[flat.stackCount] = key;
      flat.stackValues[flat.stackCount++] = entry.Stacks[key]!;
    }
  });
  return into;
}

/** addReport, for a report already in the aggregator's flat form, with ids in day.names. */
export function addFlatReport(day: DayBuilder, report: FlatReport): void {
  const line = day.lines++;
  let index = day.reportOf.get(report.X);
  const repeat = index >= 0;
  if (index < 0) {
    index = day.xs.length;
    day.xs.push(report.X);
    day.reportOf.set(report.X, index);
  } else day.repeated.push(index);
  for (let e = 0; e < report.entryCount; e++) {
    const entry = report.entries[e]!;
    const slot = (day.programSlots[entry.programId] ??= programSlot(day, entry.Program));
    // The report's first entry of the program gives DayProgram its values; what another
    // one adds first is logged with its own (see DayBucket.dims).
    const first = addProgramEntry(day, slot.entry, entry, index, line, repeat) && !repeat;
    day.secondary = first ? null : entryDims(day, entry);
    const plan = slot.plan;
    if (!plan) continue;
    for (let f = 0; f < plan.fields.length; f++) {
      const target = plan.fields[f]!;
      const valueId = fieldId(entry, target.field);
      const cache = slot.fieldEntries[f]!;
      let bucket = cache[valueId];
      if (bucket === undefined) {
        bucket = fieldEntry(day, day.charts[target.chart]!, target, day.names.values[valueId]!);
        cache[valueId] = bucket;
      }
      if (bucket) record(day, bucket, index, line, 1);
    }
    for (let c = 0; c < entry.counterCount; c++) {
      const id = entry.counterIds[c]!;
      let entries = slot.counterEntries[id];
      if (entries === undefined) {
        entries = counterEntries(day, plan, entry.counterNames[c]!);
        slot.counterEntries[id] = entries;
      }
      if (entries === null) continue;
      const value = entry.counterValues[c]!;
      for (const bucket of entries) record(day, bucket, index, line, value);
    }
    if (plan.stacks.size === 0) continue;
    for (let s = 0; s < entry.stackCount; s++) {
      const key = entry.stackNames[s]!;
      const newline = key.indexOf("\n");
      const targets = plan.stacks.get(newline < 0 ? key : key.slice(0, newline));
      if (!targets) continue;
      const value = entry.stackValues[s]!;
      for (const target of targets) {
        const chart = day.charts[target.chart]!;
        record(day, bucketEntry(day, chart, target.bucket, true), index, line, value);
        let stack = chart.stacks.get(key);
        if (!stack) {
          stack = newEntry(day, key, true);
          chart.stacks.set(key, stack);
        }
        record(day, stack, index, line, value);
      }
    }
  }
  day.secondary = null;
}

function entryDims(day: DayBuilder, entry: FlatProgram): [number, number, number] {
  return [
    dayString(day, entry.goosId, entry.GOOS),
    dayString(day, entry.goarchId, entry.GOARCH),
    dayString(day, entry.goVersionId, entry.GoVersion),
  ];
}

function programSlot(day: DayBuilder, program: string): ProgramSlot {
  let entry = day.programs.get(program);
  if (!entry) {
    entry = {
      reports: new Uint32Array(256),
      dims: new Uint32Array(3 * 256),
      count: 0,
      lastLine: -1,
      repeats: false,
    };
    day.programs.set(program, entry);
  }
  const plan = day.plan.programs.get(program);
  return { entry, plan, fieldEntries: plan ? plan.fields.map(() => []) : [], counterEntries: [] };
}

/** The bucket entries a counter counts in, in the plan's order; null when it counts in none. */
function counterEntries(day: DayBuilder, plan: ProgramPlan, name: string): Entry[] | null {
  const targets = plan.counters.get(name);
  if (!targets) return null;
  return targets.map((target) => bucketEntry(day, day.charts[target.chart]!, target.bucket, true));
}

function fieldId(entry: FlatProgram, field: BuiltinChart): number {
  switch (field) {
    case "Version":
      return entry.versionId;
    case "GOOS":
      return entry.goosId;
    case "GOARCH":
      return entry.goarchId;
    default:
      return entry.goVersionId;
  }
}

function addProgramEntry(
  day: DayBuilder,
  program: ProgramEntry,
  entry: FlatProgram,
  index: number,
  line: number,
  repeat: boolean,
): boolean {
  // A second entry for the same program on the same line adds nothing: the first one wins.
  if (program.lastLine === line) return false;
  program.lastLine = line;
  if (repeat) program.repeats = true;
  const at = program.count++;
  if (at === program.reports.length) {
    program.reports = grown(program.reports, 2 * at);
    program.dims = grown(program.dims, 6 * at);
  }
  program.reports[at] = index;
  program.dims[3 * at] = dayString(day, entry.goosId, entry.GOOS);
  program.dims[3 * at + 1] = dayString(day, entry.goarchId, entry.GOARCH);
  program.dims[3 * at + 2] = dayString(day, entry.goVersionId, entry.GoVersion);
  return true;
}

/** The aggregate's id of a GOOS, GOARCH or GoVersion value, whose id in day.names is `nameId`. */
function dayString(day: DayBuilder, nameId: number, value: string): number {
  let id = day.stringOfName[nameId];
  if (id === undefined) {
    id = internString(day.strings, day.stringIds, value);
    day.stringOfName[nameId] = id;
  }
  return id;
}

function fieldEntry(day: DayBuilder, chart: ChartBuilder, target: FieldTarget, raw: string): Entry | null {
  let entry = chart.fieldEntries.get(raw);
  if (entry === undefined) {
    const bucket = target.bucketOf ? target.bucketOf.get(raw) : normalizeBucket(target.normalize, raw);
    entry = bucket === undefined ? null : bucketEntry(day, chart, bucket, false);
    chart.fieldEntries.set(raw, entry);
  }
  return entry;
}

function bucketEntry(day: DayBuilder, chart: ChartBuilder, bucket: string, withValues: boolean): Entry {
  let entry = chart.buckets.get(bucket);
  if (!entry) {
    entry = newEntry(day, bucket, withValues);
    chart.buckets.set(bucket, entry);
  }
  return entry;
}

function newEntry(day: DayBuilder, name: string, withValues: boolean): Entry {
  const entry = { id: day.entries.length, name, withValues, count: 0, lastLine: -1, lastRecord: -1 };
  day.entries.push(entry);
  return entry;
}

/** Adds a report to an entry; several hits from one line (one report) add up to one value. */
function record(day: DayBuilder, entry: Entry, index: number, line: number, value: number): void {
  const log = day.log;
  if (entry.lastLine === line) {
    log.values[entry.lastRecord] = log.values[entry.lastRecord]! + value;
    return;
  }
  if (log.length === log.reports.length) growLog(log);
  const secondary = day.secondary;
  if (secondary !== null)
    day.secondaryRecords.push(entry.id, entry.count, secondary[0], secondary[1], secondary[2]);
  entry.lastLine = line;
  entry.lastRecord = log.length;
  entry.count++;
  log.entries[log.length] = entry.id;
  log.reports[log.length] = index;
  log.values[log.length++] = value;
}

/**
 * Logs of finished days, for the next days to reuse: a day's log grows to about a
 * megabyte, and reusing it saves growing a new one every day (no change in peak memory
 * could be told from the run-to-run noise, BENCHMARKS.md).
 */
const spareLogs: MembershipLog[] = [];
/** The same for the days' indexes of report ids (96 KB each, for 2,000 reports a day). */
const spareIndexes: ReportIndex[] = [];

function growLog(log: MembershipLog): void {
  log.entries = grown(log.entries, 2 * log.entries.length);
  log.reports = grown(log.reports, 2 * log.reports.length);
  log.values = grown(log.values, 2 * log.values.length);
}

/** A copy of `array` in a new one of `length` elements. */
function grown<T extends Uint32Array | Float64Array>(array: T, length: number): T {
  const larger = new (array.constructor as { new (length: number): T })(length);
  larger.set(array);
  return larger;
}

/** A log record made by a secondary program entry: where it went in its entry's list, and its values. */
interface SecondaryRecord {
  position: number;
  dims: [goos: number, goarch: number, goVersion: number];
}

/**
 * Each entry's reports and values, in line order: the log sorted by entry (a counting
 * sort, stable), as views into one array of each kind; and the records of secondary
 * program entries (DayBuilder.secondaryRecords) by entry id.
 */
function entryLists(day: DayBuilder): {
  lists: { reports: Uint32Array; values: Float64Array }[];
  secondary: Map<number, SecondaryRecord[]>;
} {
  const { log, entries } = day;
  const starts = new Uint32Array(entries.length + 1);
  for (let e = 0; e < entries.length; e++) starts[e + 1] = starts[e]! + entries[e]!.count;
  const next = starts.slice(0, entries.length);
  if (log.sortedReports.length < log.length) {
    log.sortedReports = new Uint32Array(log.reports.length);
    log.sortedValues = new Float64Array(log.reports.length);
  }
  const reports = log.sortedReports;
  const values = log.sortedValues;
  for (let r = 0; r < log.length; r++) {
    const at = next[log.entries[r]!]!++;
    reports[at] = log.reports[r]!;
    values[at] = log.values[r]!;
  }
  const lists = entries.map((_, e) => ({
    reports: reports.subarray(starts[e]!, starts[e + 1]!),
    values: values.subarray(starts[e]!, starts[e + 1]!),
  }));
  // A record's position in its entry's list is the entry's count when it was made (the sort is stable).
  const records = day.secondaryRecords;
  const secondary = new Map<number, SecondaryRecord[]>();
  for (let s = 0; s < records.length; s += 5) {
    let list = secondary.get(records[s]!);
    if (!list) secondary.set(records[s]!, (list = []));
    list.push({ position: records[s + 1]!, dims: [records[s + 2]!, records[s + 3]!, records[s + 4]!] });
  }
  return { lists, secondary };
}

/** Freezes the day into its compact form. */
export function finishDay(day: DayBuilder): DayAggregate {
  // Only when some X came back on a later line can a list name a report twice.
  const keep = day.lines > day.xs.length ? firstPerReport(day.xs.length) : undefined;
  const programs: DayProgram[] = [];
  for (const [program, entry] of day.programs) {
    const reports = entry.reports.subarray(0, entry.count);
    const kept = keep && entry.repeats ? keep(reports) : undefined;
    const dim = (offset: number) => {
      const ids = new Uint32Array(kept ? kept.length : entry.count);
      for (let i = 0; i < ids.length; i++) ids[i] = entry.dims[3 * (kept ? kept[i]! : i) + offset]!;
      return ids;
    };
    programs.push({
      program,
      reports: pick(reports, kept),
      goos: dim(0),
      goarch: dim(1),
      goVersion: dim(2),
    });
  }
  const { lists, secondary } = entryLists(day);
  const mayRepeat = entriesWithRepeats(day);
  const listOf = (entry: Entry) => {
    const { reports, values } = lists[entry.id]!;
    const kept = keep && mayRepeat[entry.id] === 1 ? keep(reports) : undefined;
    // Where the kept records of secondary entries are in the list as kept (kept is ascending).
    const records = secondary.get(entry.id)?.flatMap(({ position, dims }) => {
      const k = kept ? sortedIndexOf(kept, position) : position;
      return k < 0 ? [] : [{ position: k, dims }];
    });
    return {
      reports: pick(reports, kept),
      values: entry.withValues ? pick(values, kept) : null,
      records,
    };
  };
  const programOf = new Map(programs.map((program) => [program.program, program]));
  // Per program with secondary entries: report index → its position in the program's lists.
  const positions = new Map<DayProgram, Int32Array>();
  const positionsOf = (program: DayProgram) => {
    let position = positions.get(program);
    if (!position) {
      position = new Int32Array(day.xs.length);
      program.reports.forEach((index, at) => (position![index] = at));
      positions.set(program, position);
    }
    return position;
  };
  const charts = day.charts.map((chart, c) => {
    const program = programOf.get(day.plan.charts[c]!.program);
    const partition = day.plan.charts[c]!.type === "partition";
    return {
      buckets: [...chart.buckets.values()].map((entry): DayBucket => {
        const { reports, values, records } = listOf(entry);
        const dims =
          partition && records?.length && program
            ? bucketDims(reports, records, program, positionsOf(program))
            : null;
        return { bucket: entry.name, reports, values, dims };
      }),
      stacks: [...chart.stacks.values()].map((entry) => {
        const { reports, values } = listOf(entry);
        return { key: entry.name, reports, values: values ?? new Float64Array(0) };
      }),
    };
  });
  return {
    date: day.date,
    plan: day.plan.fingerprint,
    xs: Float64Array.from(day.xs),
    strings: day.strings,
    programs,
    charts,
  };
}

/** The index of `value` in an ascending list, or -1. */
function sortedIndexOf(list: ArrayLike<number>, value: number): number {
  let low = 0;
  let high = list.length - 1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    const at = list[middle]!;
    if (at === value) return middle;
    if (at < value) low = middle + 1;
    else high = middle - 1;
  }
  return -1;
}

/**
 * A bucket's DayBucket.dims: its program's values for each report, but those that secondary
 * entries gave; null when every one of those equals the program's.
 */
function bucketDims(
  reports: Uint32Array,
  records: readonly SecondaryRecord[],
  program: DayProgram,
  positionOf: Int32Array,
): BucketDims | null {
  const dimsOf = (k: number): [number, number, number] => {
    const at = positionOf[reports[k]!]!;
    return [program.goos[at]!, program.goarch[at]!, program.goVersion[at]!];
  };
  const differs = records.some(({ position, dims }) => dimsOf(position).some((id, d) => id !== dims[d]));
  if (!differs) return null;
  const goos = new Uint32Array(reports.length);
  const goarch = new Uint32Array(reports.length);
  const goVersion = new Uint32Array(reports.length);
  const set = (k: number, dims: readonly number[]) => {
    goos[k] = dims[0]!;
    goarch[k] = dims[1]!;
    goVersion[k] = dims[2]!;
  };
  for (let k = 0; k < reports.length; k++) set(k, dimsOf(k));
  for (const { position, dims } of records) set(position, dims);
  return { goos, goarch, goVersion };
}

/**
 * Per entry, 1 when a report that came back on a later line is in it: only those lists
 * can name a report twice. One pass over the log, rather than checking every list.
 */
function entriesWithRepeats(day: DayBuilder): Uint8Array {
  const marked = new Uint8Array(day.entries.length);
  if (day.repeated.length === 0) return marked;
  const repeated = new Uint8Array(day.xs.length);
  for (const index of day.repeated) repeated[index] = 1;
  const { log } = day;
  for (let r = 0; r < log.length; r++) if (repeated[log.reports[r]!] === 1) marked[log.entries[r]!] = 1;
  return marked;
}

/**
 * Returns a function giving the positions of the first occurrence of each report in a
 * list, or undefined when the list names each report once (most lists, even on a day
 * with repeated ids: only the lists those reports are in hold them twice).
 */
function firstPerReport(reportCount: number): (reports: ArrayLike<number>) => Uint32Array | undefined {
  const seenIn = new Int32Array(reportCount).fill(-1);
  let list = 0;
  // The positions kept, valid until the next call: every caller copies them out (pick) first.
  let kept = new Uint32Array(0);
  return (reports) => {
    list++;
    let position = 0;
    for (; position < reports.length; position++) {
      const report = reports[position]!;
      if (seenIn[report] === list) break;
      seenIn[report] = list;
    }
    if (position === reports.length) return undefined;
    // A repeat at `position`: keep what came before it, then go on keeping first occurrences.
    if (kept.length < reports.length) kept = new Uint32Array(Math.max(reports.length, 2 * kept.length));
    for (let i = 0; i < position; i++) kept[i] = i;
    let count = position;
    for (position++; position < reports.length; position++) {
      const report = reports[position]!;
      if (seenIn[report] === list) continue;
      seenIn[report] = list;
      kept[count++] = position;
    }
    return kept.subarray(0, count);
  };
}

/** `values` at `positions` (all of them when undefined). */
function pick<T extends Uint32Array | Float64Array>(values: T, positions: Uint32Array | undefined): T {
  if (!positions) return values;
  const picked = new (values.constructor as { new (length: number): T })(positions.length);
  for (let i = 0; i < positions.length; i++) picked[i] = values[positions[i]!]!;
  return picked;
}

// ---------------------------------------------------------------------------
// Serialisation: the per-day cache entry.
//
// A JSON header (names and lengths) followed by the arrays' raw bytes (framed.ts), so that
// reading a day back is one small JSON.parse plus typed-array views, with no copying.
// Body, in three sections, each list in the order below (charts, then their buckets, then
// their stacks):
//   Float64: xs, then the value lists that are not all 32-bit integers |
//   Uint32: the value lists that are; then the index lists, when the day is wide |
//   Uint16: the index lists, when the day is narrow (no index above 65,535).
// Index lists: per program reports, goos, goarch, goVersion; then per chart bucket its
// reports (and its dims' goos, goarch, goVersion, when it has them) and per stack its reports. Counter values are whole numbers in practice, and a day has a few
// thousand reports: so a day's entry is some 45% smaller than with 64-bit values and 32-bit
// indices throughout, which is that much less to write in a cold run and to read back.
// The arrays are in the machine's byte order, recorded in the header; doubles are stored
// bit for bit, so report ids survive exactly.

/** How a list's values are stored: none (built-ins), as Float64, or as Uint32. */
const NO_VALUES = 0;
const FLOAT_VALUES = 1;
const INT_VALUES = 2;
type ValueKind = typeof NO_VALUES | typeof FLOAT_VALUES | typeof INT_VALUES;

interface DayHeader {
  format: number;
  littleEndian: boolean;
  date: string;
  plan: string;
  reports: number;
  /** True when the index lists are 16-bit. */
  narrow: boolean;
  strings: string[];
  programs: [program: string, reports: number][];
  charts: {
    /** dims: 1 when the bucket has DayBucket.dims, written after its reports. */
    buckets: [bucket: string, reports: number, values: ValueKind, dims: 0 | 1][];
    stacks: [key: string, reports: number, values: typeof FLOAT_VALUES | typeof INT_VALUES][];
  }[];
}

const UINT16_LIMIT = 0x10000;

/** Whether every value fits a Uint32 exactly (-0 does not: it would come back as 0). */
function allUint32(values: Values): boolean {
  if (values instanceof Uint32Array) return true;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!(v >= 0 && v <= 0xffffffff && Math.floor(v) === v) || Object.is(v, -0)) return false;
  }
  return true;
}

export function serializeDay(day: DayAggregate, allocate?: Allocate): Uint8Array {
  const floats: ArrayLike<number>[] = [day.xs];
  const wholes: ArrayLike<number>[] = [];
  const indices: ArrayLike<number>[] = [];
  const valueKind = (values: Values): typeof FLOAT_VALUES | typeof INT_VALUES => {
    if (allUint32(values)) {
      wholes.push(values);
      return INT_VALUES;
    }
    floats.push(values);
    return FLOAT_VALUES;
  };
  for (const p of day.programs) indices.push(p.reports, p.goos, p.goarch, p.goVersion);
  const charts = day.charts.map((chart) => {
    const buckets = chart.buckets.map((b): DayHeader["charts"][number]["buckets"][number] => {
      indices.push(b.reports);
      if (b.dims) indices.push(b.dims.goos, b.dims.goarch, b.dims.goVersion);
      return [b.bucket, b.reports.length, b.values ? valueKind(b.values) : NO_VALUES, b.dims ? 1 : 0];
    });
    const stacks = chart.stacks.map((s): DayHeader["charts"][number]["stacks"][number] => {
      indices.push(s.reports);
      return [s.key, s.reports.length, valueKind(s.values)];
    });
    return { buckets, stacks };
  });
  const narrow = day.xs.length <= UINT16_LIMIT && day.strings.length <= UINT16_LIMIT;
  const header: DayHeader = {
    format: DAY_FORMAT,
    littleEndian: LITTLE_ENDIAN,
    date: day.date,
    plan: day.plan,
    reports: day.xs.length,
    narrow,
    strings: day.strings,
    programs: day.programs.map((p) => [p.program, p.reports.length]),
    charts,
  };
  const count = (arrays: ArrayLike<number>[]) => arrays.reduce((total, a) => total + a.length, 0);
  const indexCount = count(indices);
  const floatBytes = 8 * count(floats);
  const uint32Bytes = 4 * (count(wholes) + (narrow ? 0 : indexCount));
  const { bytes, body } = frame(header, floatBytes + uint32Bytes + (narrow ? 2 * indexCount : 0), allocate);
  let offset = body.byteOffset;
  const put =
    (Type: Float64ArrayConstructor | Uint32ArrayConstructor | Uint16ArrayConstructor) =>
    (array: ArrayLike<number>) => {
      new Type(bytes.buffer as ArrayBuffer, offset, array.length).set(array);
      offset += Type.BYTES_PER_ELEMENT * array.length;
    };
  floats.forEach(put(Float64Array));
  wholes.forEach(put(Uint32Array));
  indices.forEach(put(narrow ? Uint16Array : Uint32Array));
  return bytes;
}

/**
 * The inverse of serializeDay. The arrays are views into `bytes`. Throws on an entry of
 * another format or byte order, or a truncated one: treat that as a cache miss.
 */
export function deserializeDay(bytes: Uint8Array): DayAggregate {
  const { header, body } = unframe<DayHeader>(bytes, "day aggregate");
  if (header.format !== DAY_FORMAT || header.littleEndian !== LITTLE_ENDIAN) {
    throw new Error(`day aggregate format ${header.format}, expected ${DAY_FORMAT} in this byte order`);
  }
  let floatCount = header.reports;
  let wholeCount = 0;
  let indexCount = 0;
  const countValues = (kind: ValueKind, n: number) => {
    if (kind === FLOAT_VALUES) floatCount += n;
    else if (kind === INT_VALUES) wholeCount += n;
  };
  for (const [, reports] of header.programs) indexCount += 4 * reports;
  for (const chart of header.charts) {
    for (const [, reports, kind, dims] of chart.buckets) {
      countValues(kind, reports);
      indexCount += (dims === 1 ? 4 : 1) * reports;
    }
    for (const [, reports, kind] of chart.stacks) {
      countValues(kind, reports);
      indexCount += reports;
    }
  }
  const { narrow } = header;
  const uint32Count = wholeCount + (narrow ? 0 : indexCount);
  if (8 * floatCount + 4 * uint32Count + (narrow ? 2 * indexCount : 0) !== body.byteLength) {
    throw new Error(`day aggregate of ${bytes.byteLength} bytes does not match its header`);
  }
  let floatOffset = body.byteOffset;
  let wholeOffset = floatOffset + 8 * floatCount;
  let indexOffset = wholeOffset + 4 * wholeCount; // Uint32 after the values, or the Uint16 section
  const floats = (length: number) => {
    const array = new Float64Array(body.buffer, floatOffset, length);
    floatOffset += array.byteLength;
    return array;
  };
  const values = (kind: typeof FLOAT_VALUES | typeof INT_VALUES, length: number): Values => {
    if (kind === FLOAT_VALUES) return floats(length);
    const array = new Uint32Array(body.buffer, wholeOffset, length);
    wholeOffset += array.byteLength;
    return array;
  };
  const ints = (length: number): Indices => {
    const array = narrow
      ? new Uint16Array(body.buffer, indexOffset, length)
      : new Uint32Array(body.buffer, indexOffset, length);
    indexOffset += array.byteLength;
    return array;
  };
  // In the order serializeDay wrote them; each section keeps its own offset.
  const xs = floats(header.reports);
  const programs = header.programs.map(([program, reports]) => ({
    program,
    reports: ints(reports),
    goos: ints(reports),
    goarch: ints(reports),
    goVersion: ints(reports),
  }));
  const charts = header.charts.map((chart) => ({
    buckets: chart.buckets.map(([bucket, reports, kind, dims]) => ({
      bucket,
      values: kind === NO_VALUES ? null : values(kind, reports),
      reports: ints(reports),
      dims: dims === 1 ? { goos: ints(reports), goarch: ints(reports), goVersion: ints(reports) } : null,
    })),
    stacks: chart.stacks.map(([key, reports, kind]) => ({
      key,
      values: values(kind, reports),
      reports: ints(reports),
    })),
  }));
  return { date: header.date, plan: header.plan, xs, strings: header.strings, programs, charts };
}
