// Number, date and name formatting shared by the build-time pages and the
// client scripts, so a number reads the same in the static table and after an
// update.

import type { ChartRow, Window, WindowKind } from "../pipeline/types.ts";

const counts = new Intl.NumberFormat("en-US");
const compactCounts = new Intl.NumberFormat("en-US", { notation: "compact", maximumFractionDigits: 1 });

/** What a bucket, or a breakdown's dimension value, with no name is called on the page. */
export const UNKNOWN_LABEL = "(unknown)";

/**
 * A bucket as the page shows it, in axis labels, colour keys, tooltips and
 * tables: "" (upstream's normalisation of a version it cannot parse) → "(unknown)";
 * any other name as it is. The data, CSV and JSON keep "".
 */
export function bucketLabel(bucket: string): string {
  return bucket === "" ? UNKNOWN_LABEL : bucket;
}

/** 1234 → "1,234". */
export function formatCount(n: number): string {
  return counts.format(n);
}

/** 950 → "950", 1200 → "1.2K", 3000000 → "3M": for axis ticks, each by its own size. */
export function formatCountCompact(n: number): string {
  return compactCounts.format(n);
}

/** 0.1234 → "12.3%"; small shares keep two significant digits: 0.00042 → "0.042%". */
export function formatShare(share: number): string {
  const percent = share * 100;
  if (percent === 0) return "0%";
  if (percent >= 10) return `${percent.toFixed(1)}%`;
  if (percent >= 1) return `${percent.toFixed(2)}%`;
  return `${percent.toPrecision(2)}%`;
}

/** Wilson interval as "10.1% – 14.2%". */
export function formatInterval(low: number, high: number): string {
  return `${formatShare(low)} – ${formatShare(high)}`;
}

/** What the page shows for a share that does not exist: no row, or no eligible report (the CSV writes 0). */
export const NO_SHARE = "–";

type ShareFields = Pick<ChartRow, "share" | "share_low" | "share_high" | "eligible_reports">;

/** A row's share, or NO_SHARE when no report was eligible (its 0 is not a measured share). */
export function formatRowShare(row: Pick<ShareFields, "share" | "eligible_reports">): string {
  return row.eligible_reports > 0 ? formatShare(row.share) : NO_SHARE;
}

/** A row's interval, or NO_SHARE when no report was eligible. */
export function formatRowInterval(row: ShareFields): string {
  return row.eligible_reports > 0 ? formatInterval(row.share_low, row.share_high) : NO_SHARE;
}

/** A tooltip's share line: "Share 12.3% (95% 10.1% – 14.2%)", or "Share – (no eligible report)". */
export function shareLine(row: ShareFields): string {
  return row.eligible_reports > 0
    ? `Share ${formatRowShare(row)} (95% ${formatRowInterval(row)})`
    : `Share ${NO_SHARE} (no eligible report)`;
}

/** Days are published as YYYY-MM-DD already; a window reads "2025-11-14 – 2025-11-20". */
export function formatWindowDates(window: Pick<Window, "start" | "end">): string {
  return window.start === window.end ? window.start : `${window.start} – ${window.end}`;
}

export const WINDOW_LABELS: Record<WindowKind, string> = {
  latest7: "Latest week",
  latest28: "Latest 4 weeks",
  all: "Whole range",
  week: "Week",
};

export { formatBytes } from "../pipeline/units.ts";
