// Number, date and name formatting shared by the build-time pages and the
// client scripts, so a number reads the same in the static table and after an
// update.

import type { Window, WindowKind } from "../pipeline/types.ts";

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
