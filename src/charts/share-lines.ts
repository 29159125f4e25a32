// The weekly time series: one line per bucket of the share of eligible reports
// (with its 95% interval as a band) or of distinct reports.

import { areaY, dot, lineY, plot, pointerX, ruleY, tip } from "@observablehq/plot";
import type { ChartRow } from "../pipeline/types.ts";
import type { View } from "../site/chart-view.ts";
import { bucketLabel, formatCount, shareLine } from "../site/format.ts";
import {
  PLOT_CLASS,
  WEEKLY_MARGINS,
  asImage,
  bucketColors,
  countAxis,
  sharePercentDomain,
  utcDay,
  weeklyValueTicks,
} from "./common.ts";

export interface ShareLinesOptions {
  /** Rows of the weekly windows. */
  rows: ChartRow[];
  buckets: readonly string[];
  view: View;
  width: number;
  /** Where to draw: the page's document, or a server-side one at build time. */
  document: Document;
}

interface Point {
  bucket: string;
  date: Date;
  row: ChartRow;
  value: number;
}

function tipText({ row }: Point): string {
  return [
    bucketLabel(row.bucket),
    `Week ${row.window_start} – ${row.window_end}`,
    shareLine(row),
    `Reports ${formatCount(row.reports)} of ${formatCount(row.eligible_reports)} eligible`,
  ].join("\n");
}

/** A week with no eligible report has no share: NaN, a gap in its line and band, not a 0. */
const shareOrGap = (row: ChartRow, value: number): number => (row.eligible_reports > 0 ? value : NaN);

export function shareLines({ rows, buckets, view, width, document }: ShareLinesOptions): SVGSVGElement {
  const points: Point[] = rows.map((row) => ({
    bucket: row.bucket,
    date: utcDay(row.window_end),
    row,
    value: view === "share" ? shareOrGap(row, row.share) : row.reports,
  }));
  const weeks = new Set(rows.map((row) => row.window_end)).size;
  const band =
    view === "share"
      ? [
          areaY(points, {
            x: "date",
            y1: (p: Point) => shareOrGap(p.row, p.row.share_low),
            y2: (p: Point) => shareOrGap(p.row, p.row.share_high),
            fill: "bucket",
            fillOpacity: 0.15,
            z: "bucket",
          }),
        ]
      : [];
  const height = Math.min(360, Math.max(220, width * 0.45));
  const valueAxis =
    view === "share"
      ? { domain: sharePercentDomain(rows.map((row) => row.share_high)) }
      : countAxis(
          rows.map((row) => row.reports),
          weeklyValueTicks(height),
        );
  const node = plot({
    width,
    height,
    marginLeft: 48,
    ...WEEKLY_MARGINS,
    marginRight: 16,
    className: PLOT_CLASS,
    document,
    x: { type: "utc", label: "Week ending →", ticks: width < 480 ? 4 : 8 },
    y: {
      label: view === "share" ? "↑ Share of eligible reports (%)" : "↑ Reports",
      grid: true,
      nice: true,
      ...valueAxis,
      percent: view === "share",
    },
    color: bucketColors(buckets),
    marks: [
      ...band,
      ruleY([0]),
      lineY(points, { x: "date", y: "value", stroke: "bucket", strokeWidth: 2 }),
      dot(points, { x: "date", y: "value", fill: "bucket", r: 2.5 }),
      tip(points, pointerX({ x: "date", y: "value", title: tipText })),
    ],
  });
  const what = view === "share" ? "Weekly share of eligible reports" : "Weekly reports";
  return asImage(node, `${what} per bucket over ${weeks} weeks; the numbers are in the tables below.`);
}
