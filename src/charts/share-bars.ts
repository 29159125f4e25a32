// The bar chart of one window: share of eligible reports per bucket with its
// 95% Wilson interval, or distinct reports per bucket. Horizontal bars, so
// long bucket names stay readable.

import { barX, plot, pointerY, ruleX, ruleY, tickX, tip } from "@observablehq/plot";
import type { ChartRow } from "../pipeline/types.ts";
import type { View } from "../site/chart-view.ts";
import { bucketLabel, formatCount, formatRowShare, shareLine } from "../site/format.ts";
import {
  PLOT_CLASS,
  asImage,
  axisTicks,
  bucketColors,
  categoryLabel,
  categoryMargin,
  countAxis,
  labelBudget,
  sharePercentDomain,
  titleTicks,
} from "./common.ts";

export interface ShareBarsOptions {
  /** Rows of one window, in display order. */
  rows: ChartRow[];
  /** The chart's full bucket order: fixes the colours. */
  buckets: readonly string[];
  view: View;
  width: number;
  /** What the chart shows, for the SVG's text alternative, for example "Latest week (…)". */
  windowLabel: string;
  /** Where to draw: the page's document, or a server-side one at build time. */
  document: Document;
}

function tipText(row: ChartRow): string {
  return [
    bucketLabel(row.bucket),
    shareLine(row),
    `Reports ${formatCount(row.reports)} of ${formatCount(row.eligible_reports)} eligible`,
  ].join("\n");
}

function summary(rows: ChartRow[], view: View, windowLabel: string): string {
  const values = rows.map((row) =>
    view === "share"
      ? `${bucketLabel(row.bucket)} ${formatRowShare(row)}`
      : `${bucketLabel(row.bucket)} ${formatCount(row.reports)}`,
  );
  const what = view === "share" ? "Share of eligible reports" : "Reports";
  return `${what} per bucket, ${windowLabel}: ${values.join(", ")}`;
}

export function shareBars({
  rows,
  buckets,
  view,
  width,
  windowLabel,
  document,
}: ShareBarsOptions): SVGSVGElement {
  const domain = rows.map((row) => row.bucket);
  const maxChars = labelBudget(width);
  const x = view === "share" ? "share" : "reports";
  const interval =
    view === "share"
      ? [
          ruleY(rows, {
            y: "bucket",
            x1: "share_low",
            x2: "share_high",
            stroke: "currentColor",
            strokeOpacity: 0.7,
          }),
          tickX(rows, { y: "bucket", x: "share_low", stroke: "currentColor", inset: 6 }),
          tickX(rows, { y: "bucket", x: "share_high", stroke: "currentColor", inset: 6 }),
        ]
      : [];
  const ticks = axisTicks(width);
  const valueAxis =
    view === "share"
      ? { domain: sharePercentDomain(rows.map((row) => row.share_high)), ticks }
      : countAxis(
          rows.map((row) => row.reports),
          ticks,
        );
  const node = plot({
    width,
    height: 50 + 26 * Math.max(1, rows.length),
    // Room for the axis label under the tick labels, which it overlaps in narrow cards otherwise.
    marginBottom: 40,
    marginLeft: categoryMargin(domain, maxChars),
    marginRight: 24,
    className: PLOT_CLASS,
    document,
    x: {
      label: view === "share" ? "Share of eligible reports (%) →" : "Reports →",
      grid: true,
      nice: true,
      ...valueAxis,
      percent: view === "share",
    },
    y: { domain, label: null, tickFormat: (bucket: string) => categoryLabel(bucket, maxChars) },
    color: bucketColors(buckets),
    marks: [
      barX(rows, { y: "bucket", x, fill: "bucket", insetTop: 3, insetBottom: 3 }),
      ...interval,
      ruleX([0]),
      tip(rows, pointerY({ y: "bucket", x: view === "share" ? "share_high" : "reports", title: tipText })),
    ],
  });
  const svg = asImage(node, summary(rows, view, windowLabel));
  titleTicks(svg, "y", domain);
  // Tag bars by bucket so a focused or hovered table row can point at its bar.
  svg.querySelectorAll('g[aria-label="bar"] rect').forEach((rect, i) => {
    const bucket = domain[i];
    if (bucket !== undefined) rect.setAttribute("data-bucket", bucket);
  });
  return svg;
}
