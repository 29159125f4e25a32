// The domain types of countersight, declared once. Every step of the pipeline
// (source → decode → validate → aggregate → series → export) and every page
// speaks in these words: report, program, chart, bucket, window.

// ---------------------------------------------------------------------------
// Input: the published report schema (golang.org/x/telemetry internal/telemetry).

/** One uploaded weekly report: the counters of one install for one week. */
export interface Report {
  /** Last day (YYYY-MM-DD) of the week this report covers. */
  Week: string;
  /** Week of the previous report this install uploaded ("" if none). */
  LastWeek: string;
  /** Uniform random number in (0, 1]; identifies the report and decides sampling. */
  X: number;
  Programs: ProgramReport[];
  /** Version of the upload config the client used. */
  Config: string;
}

/** The counters of one program within a report. */
export interface ProgramReport {
  /** Package path, for example "cmd/go" or "golang.org/x/tools/gopls". */
  Program: string;
  /** Program version: a Go version for toolchain programs, a module version otherwise. */
  Version: string;
  /** Go version the program was built with. */
  GoVersion: string;
  GOOS: string;
  GOARCH: string;
  /** Counter name ("chart:bucket" or a plain name) → count for the week. */
  Counters: Record<string, number>;
  /** Stack counter name ("counter\nframe\nframe…") → count for the week. */
  Stacks: Record<string, number>;
}

/**
 * A validated report as the aggregator reads it: its id and its program entries, with
 * counters and stacks as parallel name and value lists in the order the line gives them,
 * and every string also as its id in the day's StringTable (intern.ts), so that the
 * aggregator looks each distinct name up once a day rather than once a line. The fast
 * scanner (scan.ts) fills one in place, line after line, without building a Report;
 * addReport flattens a Report into one.
 */
export interface FlatReport {
  X: number;
  /** Program entries; only the first `entryCount` belong to this report. */
  entries: FlatProgram[];
  entryCount: number;
}

/** One program entry of a FlatReport; its lists are reused, so only the counts say how long they are. */
export interface FlatProgram {
  Program: string;
  Version: string;
  GoVersion: string;
  GOOS: string;
  GOARCH: string;
  /** The StringTable ids of the five fields above. */
  programId: number;
  versionId: number;
  goVersionId: number;
  goosId: number;
  goarchId: number;
  counterNames: string[];
  counterIds: number[];
  counterValues: number[];
  counterCount: number;
  stackNames: string[];
  stackValues: number[];
  stackCount: number;
}

/** An empty program entry, to fill. */
export function flatProgram(): FlatProgram {
  return {
    Program: "",
    Version: "",
    GoVersion: "",
    GOOS: "",
    GOARCH: "",
    programId: 0,
    versionId: 0,
    goVersionId: 0,
    goosId: 0,
    goarchId: 0,
    counterNames: [],
    counterIds: [],
    counterValues: [],
    counterCount: 0,
    stackNames: [],
    stackValues: [],
    stackCount: 0,
  };
}

// ---------------------------------------------------------------------------
// Configuration.

export type ChartType = "partition" | "stack";

/** One record of a chart config file (the upstream chartconfig text format). */
export interface ChartConfig {
  title: string;
  description: string;
  /** Issue tracker URLs, in the order given. */
  issues: string[];
  type: ChartType;
  /** Program package path the chart is about. */
  program: string;
  module: string;
  /** Counter expression as written, for example "go/build/flag/buildmode:{exe,pie,shared}". */
  counter: string;
  /** Maximum stack depth (stack charts only; 0 when unset). */
  depth: number;
  /** Desired error rate (optional in the format; 0 when unset). */
  error: number;
  /** First program version the chart applies to ("" when unset). */
  version: string;
  /** 1-based line of the record's first field, for messages. */
  line: number;
}

/** Upload config (golang.org/x/telemetry internal/config UploadConfig). */
export interface UploadConfig {
  GOOS: string[];
  GOARCH: string[];
  GoVersion: string[];
  SampleRate: number;
  Programs: ProgramConfig[];
}

export interface ProgramConfig {
  Name: string;
  Versions: string[];
  Counters: CounterConfig[];
  Stacks: CounterConfig[];
}

export interface CounterConfig {
  /** Counter expression, for example "gopls/client:{vscode,vim}". */
  Name: string;
  /** Sampling rate: a report carries the counter only if its X ≤ Rate. */
  Rate: number;
  /** Stack depth, stacks only. */
  Depth?: number;
}

// ---------------------------------------------------------------------------
// Errors are values with a reason and a location until the CLI prints them.

/** Why a line of a daily file was not accepted. Stable strings: they appear in days.json. */
export type RejectReason =
  | "not-json"
  | "too-long"
  | "wrong-type"
  | "missing-field"
  | "bad-date"
  | "bad-x"
  | "bad-count"
  | "unknown-program"
  | "unknown-build"
  | "unknown-counter";

export interface Rejection {
  reason: RejectReason;
  /** 1-based line number within the day's file. */
  line: number;
  /** Human-readable detail, for example "Programs[0].Counters[\"go/x\"]: -3 is negative". */
  detail: string;
}

/** A problem with an input file or config, with where it is. */
export interface InputError {
  file: string;
  line?: number;
  field?: string;
  message: string;
}

// ---------------------------------------------------------------------------
// Output (what `npm run data` writes to --out; the site reads only these).

/** A window of consecutive days, inclusive. */
export interface Window {
  /** "latest7" | "latest28" | "all" | "week" */
  kind: WindowKind;
  start: string;
  end: string;
}
export type WindowKind = "latest7" | "latest28" | "all" | "week";

/** One row of a chart's CSV (and of all.csv). Column order is the contract. */
export interface ChartRow {
  program: string;
  chart: string;
  bucket: string;
  window_start: string;
  window_end: string;
  /** Distinct reports (by X) in the window in which the program has this bucket. */
  reports: number;
  /** Distinct reports in the window with the program and X ≤ the counter's rate. */
  eligible_reports: number;
  /** reports / eligible_reports (0 when nothing is eligible). */
  share: number;
  /** 95% Wilson interval. */
  share_low: number;
  share_high: number;
  /** Sum of the counter's values over the window's distinct reports. */
  counter_total: number;
}

export const CSV_COLUMNS = [
  "program",
  "chart",
  "bucket",
  "window_start",
  "window_end",
  "reports",
  "eligible_reports",
  "share",
  "share_low",
  "share_high",
  "counter_total",
] as const satisfies readonly (keyof ChartRow)[];

/** Names of the built-in charts, drawn from report metadata rather than counters. */
export type BuiltinChart = "Version" | "GOOS" | "GOARCH" | "GoVersion";

/** An entry of index.json. */
export interface ChartEntry {
  /** URL- and file-safe id, unique in the index. */
  id: string;
  program: string;
  /** Chart name: the counter's part before ":", or a built-in chart name. */
  name: string;
  title: string;
  type: ChartType;
  builtin: boolean;
  /** Paths relative to --out. */
  csv: string;
  json: string;
  /**
   * Weekly share of the chart's main bucket (most reports over the whole range), oldest first;
   * null for a week with no eligible reports, where there is no share.
   */
  sparkline: (number | null)[];
  mainBucket: string;
}

export interface ProgramEntry {
  name: string;
  /** URL-safe slug. */
  id: string;
  /** Chart ids, built-ins first then configured charts in config order. */
  charts: string[];
}

/** index.json */
export interface SiteIndex {
  /** First and last day of the range (inclusive). */
  range: { start: string; end: string };
  /** Days in the range that had a file, and accepted reports over all of them. */
  days: number;
  reports: number;
  windows: {
    latest7: Window;
    latest28: Window;
    all: Window;
    /** Weekly series, oldest first; the last one equals latest7. */
    weeks: Window[];
  };
  programs: ProgramEntry[];
  charts: ChartEntry[];
  /** Paths relative to --out. */
  files: { all_csv: string; days: string; participation: string; config: string };
}

/** Per-bucket breakdown of reports by a report dimension, for one window. */
export interface Breakdown {
  dimension: "GOOS" | "GOARCH" | "GoVersion";
  window: Window;
  /** bucket → dimension value → distinct reports. */
  counts: Record<string, Record<string, number>>;
}

/** One stack of a stack chart in one window. */
export interface StackRow {
  /** The stack counter name ("counter" or "counter:bucket"). */
  counter: string;
  /** Frames, outermost last, as text. */
  frames: string[];
  reports: number;
  counter_total: number;
}

/** charts/<id>.json: exactly what one chart page needs. */
export interface ChartFile {
  id: string;
  program: string;
  name: string;
  title: string;
  description: string;
  type: ChartType;
  builtin: boolean;
  /** Counter expression as configured ("" for built-ins). */
  counter: string;
  issues: string[];
  /** Buckets in display order. */
  buckets: string[];
  /** Sampling rate of the chart's counter (1 for built-ins). */
  rate: number;
  windows: { latest7: Window; latest28: Window; all: Window; weeks: Window[] };
  /** Same rows as the chart's CSV. */
  rows: ChartRow[];
  /** Breakdowns for the latest7, latest28 and all windows (partition charts). */
  breakdowns: Breakdown[];
  /** Top stacks per window key ("latest7" | "latest28" | "all"), stack charts only. */
  stacks: Partial<Record<"latest7" | "latest28" | "all", StackRow[]>>;
  /** Top stacks of each weekly window, oldest first; [] for partition charts. */
  weeklyStacks: WeeklyStacks[];
}

/** The top stacks of one weekly window. */
export interface WeeklyStacks {
  start: string;
  end: string;
  stacks: StackRow[];
}

/** days.json: one entry per day of the range. */
export interface DayStatus {
  date: string;
  /** "ok": processed; "missing": no file (404 or absent); "failed": could not be read. */
  status: "ok" | "missing" | "failed";
  /** Source file or URL. */
  source: string;
  /** Bytes as stored/downloaded, and after decompression. */
  bytes: number;
  decompressed_bytes: number;
  lines: number;
  /** Accepted lines, and distinct reports (by X) among them. */
  accepted: number;
  reports: number;
  /** Rejected lines by reason. */
  rejected: Partial<Record<RejectReason, number>>;
  /** Up to 20 sample rejections, for the Data page. */
  rejections: Rejection[];
  error?: string;
}

/** participation.json */
export interface Participation {
  /** Distinct reports per day, and per program. */
  daily: { date: string; reports: number; programs: Record<string, number> }[];
  /** Distinct reports per weekly window, and per program. */
  weekly: { start: string; end: string; reports: number; programs: Record<string, number> }[];
}

/** config.json: what the Config page shows. */
export interface ConfigFile {
  chartConfig: { path: string; text: string; parsed: ChartConfig[] };
  uploadConfig: { path: string | null; derived: boolean; config: UploadConfig };
}
