// What each chart of a page shows: the note and colour key above it, and how
// to draw its SVG at a given width. The same figures are drawn at build time
// into static SVG (static.ts) and in the browser once the reader interacts
// (src/components/*-interactive.ts), so the two cannot drift apart.

import type { Breakdown, ChartFile, Participation } from "../pipeline/types.ts";
import {
  breakdownsInWindow,
  colorOrder,
  mainBuckets,
  rowsInWindow,
  weeklyRows,
  windowLabel,
  type ChartState,
} from "../site/chart-view.ts";
import { breakdownBars } from "./breakdown-bars.ts";
import { legendItems, type LegendItem } from "./common.ts";
import { ALL_REPORTS, participationLines } from "./participation.ts";
import { shareBars } from "./share-bars.ts";
import { shareLines } from "./share-lines.ts";

export interface Figure {
  /** Says so when the chart leaves buckets out. */
  note: string | null;
  /** The colour key, drawn as HTML above the SVG; empty when the chart needs none. */
  legend: LegendItem[];
  /** Draws the SVG with Plot into a document (the page's, or a server-side one at build time). */
  draw: (width: number, document: Document) => SVGSVGElement;
}

/** The charts of a chart page; null where a chart has nothing to draw. */
export interface ChartPageFigures {
  bars: Figure | null;
  lines: Figure | null;
  breakdowns: { dimension: Breakdown["dimension"]; figure: Figure | null }[];
}

export function chartPageFigures(file: ChartFile, { window: key, view }: ChartState): ChartPageFigures {
  const window = file.windows[key];
  /** Colour order of every chart on the page. */
  const buckets = colorOrder(file);
  /** Buckets drawn by the charts that tell buckets apart by colour alone. */
  const colored = mainBuckets(file);
  const note =
    colored.length < buckets.length
      ? `Drawn: the ${colored.length} buckets with the most reports over the whole range, of ${buckets.length}. The tables list all of them.`
      : null;

  const rows = rowsInWindow(file, window);
  const bars: Figure | null =
    rows.length > 0
      ? {
          note: null,
          legend: [],
          draw: (width, document) =>
            shareBars({ rows, buckets, view, width, windowLabel: windowLabel(window), document }),
        }
      : null;

  const weekly = weeklyRows(file).filter((row) => colored.includes(row.bucket));
  const lines: Figure | null =
    weekly.length > 0
      ? {
          note,
          legend: legendItems(
            buckets,
            colored.filter((bucket) => weekly.some((row) => row.bucket === bucket)),
          ),
          draw: (width, document) => shareLines({ rows: weekly, buckets, view, width, document }),
        }
      : null;

  const breakdowns = breakdownsInWindow(file, window).map((breakdown) => {
    const present = colored.filter((bucket) => bucket in breakdown.counts);
    const figure: Figure | null =
      present.length > 0
        ? {
            note,
            legend: legendItems(buckets, present),
            draw: (width, document) => breakdownBars({ breakdown, buckets, shown: present, width, document }),
          }
        : null;
    return { dimension: breakdown.dimension, figure };
  });

  return { bars, lines, breakdowns };
}

/** A featured chart of the home page: the latest week's shares, bucket colours in the chart's own order. */
export function featuredFigure(file: ChartFile, state: ChartState): Figure | null {
  const window = file.windows[state.window];
  const rows = rowsInWindow(file, window);
  if (rows.length === 0) return null;
  return {
    note: null,
    legend: [],
    draw: (width, document) =>
      shareBars({
        rows,
        buckets: file.buckets,
        view: state.view,
        width,
        windowLabel: windowLabel(window),
        document,
      }),
  };
}

/** The participation chart of the home page: reports per week, in total and per program. */
export function participationFigure(
  weekly: Participation["weekly"],
  programs: readonly string[],
): Figure | null {
  if (weekly.length === 0) return null;
  return {
    note: null,
    legend: legendItems([ALL_REPORTS, ...programs]),
    draw: (width, document) => participationLines({ weekly, programs, width, document }),
  };
}
