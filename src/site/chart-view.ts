// What a chart page shows for a given window and view: which rows of the
// chart file, and the tables built from them. Pure functions over the chart
// file, used both at build time (the default view, for readers without
// JavaScript) and in the browser (when the reader changes window or view), so
// the static table and the updated one cannot drift apart.

import type { Breakdown, ChartFile, ChartRow, StackRow, Window } from "../pipeline/types.ts";
import {
  WINDOW_LABELS,
  bucketLabel,
  formatCount,
  formatRowInterval,
  formatRowShare,
  formatWindowDates,
  NO_SHARE,
} from "./format.ts";

export type WindowKey = "latest7" | "latest28" | "all";
export type View = "share" | "counts";

export const WINDOW_KEYS: readonly WindowKey[] = ["latest7", "latest28", "all"];
export const VIEWS: readonly View[] = ["share", "counts"];
export const VIEW_LABELS: Record<View, string> = { share: "Share", counts: "Reports" };

export interface ChartState {
  window: WindowKey;
  view: View;
}

export const DEFAULT_STATE: ChartState = { window: "latest7", view: "share" };

/** The permalink query (`?window=latest28&view=counts`) → state; unknown values fall back to the default. */
export function parseState(params: URLSearchParams): ChartState {
  const window = params.get("window");
  const view = params.get("view");
  return {
    window: WINDOW_KEYS.find((key) => key === window) ?? DEFAULT_STATE.window,
    view: VIEWS.find((key) => key === view) ?? DEFAULT_STATE.view,
  };
}

/** State → permalink query; the default state is the bare page URL. */
export function stateToQuery(state: ChartState): string {
  const params = new URLSearchParams();
  if (state.window !== DEFAULT_STATE.window) params.set("window", state.window);
  if (state.view !== DEFAULT_STATE.view) params.set("view", state.view);
  const query = params.toString();
  return query ? `?${query}` : "";
}

export function windowLabel(window: Window): string {
  return `${WINDOW_LABELS[window.kind]} (${formatWindowDates(window)})`;
}

const sameWindow = (row: ChartRow, window: Pick<Window, "start" | "end">): boolean =>
  row.window_start === window.start && row.window_end === window.end;

/** Rows of one window, one per bucket, in the chart's bucket order. */
export function rowsInWindow(file: Pick<ChartFile, "rows" | "buckets">, window: Window): ChartRow[] {
  const byBucket = new Map<string, ChartRow>();
  for (const row of file.rows)
    if (sameWindow(row, window) && !byBucket.has(row.bucket)) byBucket.set(row.bucket, row);
  const ordered: ChartRow[] = [];
  for (const bucket of file.buckets) {
    const row = byBucket.get(bucket);
    if (row) ordered.push(row);
    byBucket.delete(bucket);
  }
  return [...ordered, ...byBucket.values()];
}

/** Rows of the weekly windows, oldest week first: the time series. */
export function weeklyRows(file: Pick<ChartFile, "rows" | "buckets" | "windows">): ChartRow[] {
  return file.windows.weeks.flatMap((week) => rowsInWindow(file, week));
}

/** How many buckets a chart with one colour per bucket (lines, breakdowns) draws; the palette has ten colours. */
export const MAX_COLORED_BUCKETS = 10;

/**
 * The buckets drawn where each needs its own colour: all of them when they fit the palette;
 * otherwise the ones with the most reports over the whole range, at most `limit`, leaving out
 * buckets with none (a flat line at zero in a colour of its own would only crowd the key). In
 * display order. The tables always list every bucket.
 */
export function mainBuckets(
  file: Pick<ChartFile, "rows" | "buckets" | "windows">,
  limit = MAX_COLORED_BUCKETS,
): string[] {
  const all = rowsInWindow(file, file.windows.all);
  const order = [...new Set([...file.buckets, ...file.rows.map((row) => row.bucket)])];
  if (order.length <= limit) return order;
  const reports = new Map(all.map((row) => [row.bucket, row.reports]));
  const top = new Set(
    order
      .filter((bucket) => (reports.get(bucket) ?? 0) > 0)
      .sort((a, b) => (reports.get(b) ?? 0) - (reports.get(a) ?? 0))
      .slice(0, limit),
  );
  return order.filter((bucket) => top.has(bucket));
}

/** Colour order of a chart page: the main buckets first (so they get distinct colours), then the rest. */
export function colorOrder(file: Pick<ChartFile, "rows" | "buckets" | "windows">): string[] {
  const main = mainBuckets(file);
  const rest = [...new Set([...file.buckets, ...file.rows.map((row) => row.bucket)])].filter(
    (bucket) => !main.includes(bucket),
  );
  return [...main, ...rest];
}

export function breakdownsInWindow(file: Pick<ChartFile, "breakdowns">, window: Window): Breakdown[] {
  return file.breakdowns.filter((b) => b.window.start === window.start && b.window.end === window.end);
}

export function stacksInWindow(file: Pick<ChartFile, "stacks">, key: WindowKey): StackRow[] {
  return file.stacks[key] ?? [];
}

// ---------------------------------------------------------------------------
// Table models: rendered by the Astro DataTable component at build time and by
// the DOM renderer in the browser. The first cell of each row is its header.

export interface Cell {
  text: string;
  /** "frames" is a stack: multi-line monospace text. */
  kind: "text" | "number" | "frames";
}

export interface TableModel {
  caption: string;
  columns: { label: string; numeric: boolean }[];
  rows: { key: string; cells: Cell[] }[];
  /** Shown instead of the body when there are no rows. */
  empty: string;
}

const text = (value: string): Cell => ({ text: value, kind: "text" });
const number = (value: string): Cell => ({ text: value, kind: "number" });

/** The numbers under the bar chart: in the share view share first, in the counts view reports first. */
export function shareTable(rows: ChartRow[], view: View, window: Window): TableModel {
  const caption = `${view === "share" ? "Share of eligible reports" : "Reports"} per bucket, ${windowLabel(window)}`;
  const columns =
    view === "share"
      ? ["Bucket", "Share", "95% interval", "Reports", "Eligible reports"]
      : ["Bucket", "Reports", "Counter total", "Eligible reports", "Share"];
  return {
    caption,
    columns: columns.map((label, i) => ({ label, numeric: i > 0 })),
    rows: rows.map((row) => ({
      key: row.bucket,
      cells:
        view === "share"
          ? [
              text(bucketLabel(row.bucket)),
              number(formatRowShare(row)),
              number(formatRowInterval(row)),
              number(formatCount(row.reports)),
              number(formatCount(row.eligible_reports)),
            ]
          : [
              text(bucketLabel(row.bucket)),
              number(formatCount(row.reports)),
              number(formatCount(row.counter_total)),
              number(formatCount(row.eligible_reports)),
              number(formatRowShare(row)),
            ],
    })),
    empty: "No reports in this window.",
  };
}

const DIMENSION_LABELS: Record<Breakdown["dimension"], string> = {
  GOOS: "operating system (GOOS)",
  GOARCH: "architecture (GOARCH)",
  GoVersion: "Go version",
};

/** Dimension values of a breakdown, most reports first. */
export function breakdownValues(breakdown: Breakdown): string[] {
  const totals = new Map<string, number>();
  for (const byValue of Object.values(breakdown.counts))
    for (const [value, reports] of Object.entries(byValue))
      totals.set(value, (totals.get(value) ?? 0) + reports);
  return [...totals.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([value]) => value);
}

/** Distinct reports per bucket (rows) and dimension value (columns). */
export function breakdownTable(breakdown: Breakdown, buckets: string[]): TableModel {
  const values = breakdownValues(breakdown);
  const present = [
    ...buckets.filter((b) => b in breakdown.counts),
    ...Object.keys(breakdown.counts).filter((b) => !buckets.includes(b)),
  ];
  return {
    caption: `Reports per bucket by ${DIMENSION_LABELS[breakdown.dimension]}, ${windowLabel(breakdown.window)}`,
    columns: [
      { label: "Bucket", numeric: false },
      ...values.map((value) => ({ label: bucketLabel(value), numeric: true })),
    ],
    rows: present.map((bucket) => ({
      key: bucket,
      cells: [
        text(bucketLabel(bucket)),
        ...values.map((value) => number(formatCount(breakdown.counts[bucket]?.[value] ?? 0))),
      ],
    })),
    empty: "No reports in this window.",
  };
}

export function breakdownTitle(breakdown: Breakdown): string {
  return `By ${DIMENSION_LABELS[breakdown.dimension]}`;
}

/** Top stacks: counter, frames (outermost last), reports, counter total. */
export function stackTable(stacks: StackRow[], window: Window): TableModel {
  return {
    caption: `Top stacks, ${windowLabel(window)}`,
    columns: [
      { label: "Counter", numeric: false },
      { label: "Frames", numeric: false },
      { label: "Reports", numeric: true },
      { label: "Counter total", numeric: true },
    ],
    rows: stacks.map((stack, i) => ({
      key: String(i),
      cells: [
        text(stack.counter),
        { text: stack.frames.join("\n"), kind: "frames" },
        number(formatCount(stack.reports)),
        number(formatCount(stack.counter_total)),
      ],
    })),
    empty: "No stacks were reported in this window.",
  };
}

/** The weekly series as numbers: one row per week (newest first), one column per bucket. */
export function weeklyTable(file: Pick<ChartFile, "rows" | "buckets" | "windows">, view: View): TableModel {
  const rows = weeklyRows(file);
  const buckets = [
    ...new Set([
      ...file.buckets.filter((b) => rows.some((r) => r.bucket === b)),
      ...rows.map((r) => r.bucket),
    ]),
  ];
  const format = (row: ChartRow | undefined): string =>
    row === undefined ? NO_SHARE : view === "share" ? formatRowShare(row) : formatCount(row.reports);
  return {
    caption: `${view === "share" ? "Weekly share of eligible reports" : "Weekly reports"} per bucket`,
    columns: [
      { label: "Week", numeric: false },
      ...buckets.map((bucket) => ({ label: bucketLabel(bucket), numeric: true })),
    ],
    rows: [...file.windows.weeks].reverse().map((week) => {
      const inWeek = rowsInWindow(file, week);
      return {
        key: week.start,
        cells: [
          text(formatWindowDates(week)),
          ...buckets.map((bucket) => number(format(inWeek.find((r) => r.bucket === bucket)))),
        ],
      };
    }),
    empty: "No weekly data.",
  };
}
