// A breakdown of one window by a report dimension (GOOS, GOARCH, Go version):
// for each dimension value, distinct reports per bucket, stacked.

import { barX, plot, pointerY, ruleX, tip } from "@observablehq/plot";
import type { Breakdown } from "../pipeline/types.ts";
import { breakdownValues } from "../site/chart-view.ts";
import { bucketLabel, formatCount } from "../site/format.ts";
import {
  PLOT_CLASS,
  asImage,
  axisTicks,
  bucketColors,
  categoryLabel,
  categoryMargin,
  countAxis,
  labelBudget,
  titleTicks,
} from "./common.ts";

export interface BreakdownBarsOptions {
  breakdown: Breakdown;
  /** Colour order. */
  buckets: readonly string[];
  /** Buckets to draw (default: all in the breakdown). */
  shown?: readonly string[];
  width: number;
  /** At most this many dimension values are drawn (the table has them all). */
  maxValues?: number;
  /** Where to draw: the page's document, or a server-side one at build time. */
  document: Document;
}

interface Segment {
  bucket: string;
  value: string;
  reports: number;
}

export function breakdownBars({
  breakdown,
  buckets,
  shown,
  width,
  maxValues = 12,
  document,
}: BreakdownBarsOptions): SVGSVGElement {
  const values = breakdownValues(breakdown).slice(0, maxValues);
  const drawnValues = new Set(values);
  const order = [...buckets, ...Object.keys(breakdown.counts).filter((b) => !buckets.includes(b))];
  const drawnBuckets = order.filter((bucket) =>
    shown ? shown.includes(bucket) : bucket in breakdown.counts,
  );
  const segments: Segment[] = drawnBuckets.flatMap((bucket) =>
    Object.entries(breakdown.counts[bucket] ?? {})
      .filter(([value]) => drawnValues.has(value))
      .map(([value, reports]) => ({ bucket, value, reports })),
  );
  const maxChars = labelBudget(width);
  /** The bars are stacked: the axis reaches the longest stack. */
  const stacks = values.map((value) =>
    segments.filter((s) => s.value === value).reduce((total, s) => total + s.reports, 0),
  );
  const node = plot({
    width,
    height: 40 + 24 * Math.max(1, values.length),
    marginLeft: categoryMargin(values, maxChars),
    marginRight: 24,
    className: PLOT_CLASS,
    document,
    x: {
      label: "Reports →",
      grid: true,
      ...countAxis(stacks, axisTicks(width)),
    },
    y: { domain: values, label: null, tickFormat: (value: string) => categoryLabel(value, maxChars) },
    color: bucketColors(order),
    marks: [
      barX(segments, { y: "value", x: "reports", fill: "bucket", insetTop: 2, insetBottom: 2 }),
      ruleX([0]),
      tip(
        segments,
        pointerY({
          y: "value",
          x: "reports",
          title: (s: Segment) =>
            `${bucketLabel(s.value)}\n${bucketLabel(s.bucket)}: ${formatCount(s.reports)} reports`,
        }),
      ),
    ],
  });
  const svg = asImage(
    node,
    `Reports per bucket by ${breakdown.dimension} for ${values.length} values: ${values.map(bucketLabel).join(", ")}`,
  );
  titleTicks(svg, "y", values);
  return svg;
}
