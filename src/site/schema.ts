// The CSV schema as documented on the Data page. Typed by CSV_COLUMNS so a new
// column cannot ship undocumented.

import { CSV_COLUMNS, type ChartRow } from "../pipeline/types.ts";

const DOCS: Record<keyof ChartRow, string> = {
  program: "Program package path, for example cmd/go or golang.org/x/tools/gopls.",
  chart:
    "Chart name: the counter name before the colon, or a built-in chart (Version, GOOS, GOARCH, GoVersion).",
  bucket: "Bucket: the counter name after the colon (for built-in charts, the report's value).",
  window_start: "First day of the window (YYYY-MM-DD, by publication day, inclusive).",
  window_end: "Last day of the window (inclusive).",
  reports: "Distinct reports (by their random X) in the window in which the program has this bucket.",
  eligible_reports:
    "Distinct reports in the window that carry the program and were sampled for this counter (X ≤ the counter's rate).",
  share: "reports / eligible_reports (0 when nothing is eligible).",
  share_low: "Lower bound of the 95% Wilson score interval of share.",
  share_high: "Upper bound of the 95% Wilson score interval of share.",
  counter_total: "Sum of the counter's values over the window's distinct reports.",
};

export const CSV_SCHEMA: { column: string; description: string }[] = CSV_COLUMNS.map((column) => ({
  column,
  description: DOCS[column],
}));

export const CSV_HEADER = CSV_COLUMNS.join(",");
