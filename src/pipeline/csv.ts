// CSV of chart rows, as written to --out and as downloaded from a chart page.
// No Node imports: the site's browser code formats its downloads with it too.

import { csvFormatBody, csvFormatRows } from "d3-dsv";
import { CSV_COLUMNS, type ChartRow } from "./types.ts";

/**
 * Neutralises a text cell against spreadsheet formula injection: a cell that
 * begins with =, +, -, @, tab or carriage return is prefixed with a single
 * quote, which spreadsheet programs show as text. Bucket and program names come
 * from uploaded reports, so they are untrusted. Numeric columns are never
 * touched (they are numbers we computed).
 */
export function neutraliseCell(text: string): string {
  return /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
}

/** Numbers in CSV and JSON: shares to 6 decimals (more would be noise), counts as integers. */
export function roundShare(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}

/** Formats chart rows as CSV with the contract's header, in CSV_COLUMNS order. */
export function rowsToCsv(rows: readonly ChartRow[]): string {
  const header = csvFormatRows([[...CSV_COLUMNS]]);
  if (rows.length === 0) return header + "\n";
  const body = csvFormatBody(
    rows.map((row) => ({
      ...row,
      program: neutraliseCell(row.program),
      chart: neutraliseCell(row.chart),
      bucket: neutraliseCell(row.bucket),
    })),
    [...CSV_COLUMNS],
  );
  return header + "\n" + body + "\n";
}
