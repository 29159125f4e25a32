// What each chart of a page shows: the note and colour key above it, and how
// to draw its SVG at a given width; or, when it has nothing to draw, the text
// shown in its place. The same figures are drawn at build time into static SVG
// (static.ts) and in the browser once the reader interacts
// (src/components/*-interactive.ts), so the two cannot drift apart.

import type { Breakdown, ChartFile, ChartRow, Participation } from "../pipeline/types.ts";
import {
  breakdownsInWindow,
  colorOrder,
  MAX_COLORED_BUCKETS,
  mainBuckets,
  rowsInWindow,
  weeklyRows,
  windowLabel,
  type ChartState,
  type View,
} from "../site/chart-view.ts";
import { breakdownBars } from "./breakdown-bars.ts";
import { legendItems, type LegendItem } from "./common.ts";
import { ALL_REPORTS, participationLines } from "./participation.ts";
import { shareBars } from "./share-bars.ts";
import { shareLines } from "./share-lines.ts";

/** A chart drawn with Plot. */
export interface PlotFigure {
  kind: "plot";
  /** Says so when the chart leaves buckets out. */
  note: string | null;
  /** The colour key, drawn as HTML above the SVG; empty when the chart needs none. */
  legend: LegendItem[];
  /** Draws the SVG with Plot into a document (the page's, or a server-side one at build time). */
  draw: (width: number, document: Document) => SVGSVGElement;
}

/**
 * A chart with nothing to draw, for example a counter configured before any
 * client uploads it: the page shows this text in its place, and the tables
 * under it still list the zeros.
 */
export interface EmptyFigure {
  kind: "empty";
  message: string;
}

export type Figure = PlotFigure | EmptyFigure;

export const NO_REPORTS_IN_WINDOW = "No reports in this window.";
export const NO_REPORTS_IN_ANY_WEEK = "No reports in any week.";
export const NO_REPORTS_TO_BREAK_DOWN = "No reports to break down in this window.";
export const NO_ELIGIBLE_IN_WINDOW =
  "No eligible report in this window, so no share: the reports that carry the counter are all above its sampling rate. The counts view shows them.";
export const NO_ELIGIBLE_IN_ANY_WEEK =
  "No eligible report in any week, so no share: the reports that carry the counter are all above its sampling rate. The counts view shows them.";

const empty = (message: string): EmptyFigure => ({ kind: "empty", message });

/**
 * Whether rows have anything to draw: in the share view some eligible reports
 * (a share of 0 with its interval still says something), in the counts view
 * some reports.
 */
function hasReports(rows: readonly ChartRow[], view: View): boolean {
  return rows.some((row) => (view === "share" ? row.eligible_reports : row.reports) > 0);
}

/** Why rows that hasReports turned down draw nothing: no reports, or (share view) none eligible. */
function nothingToDraw(rows: readonly ChartRow[], view: View, noReports: string, noEligible: string) {
  return empty(view === "share" && rows.some((row) => row.reports > 0) ? noEligible : noReports);
}

/** Distinct reports a breakdown counts for the given buckets, over all its dimension values. */
function breakdownReports(breakdown: Breakdown, buckets: readonly string[]): number {
  return buckets
    .flatMap((bucket) => Object.values(breakdown.counts[bucket] ?? {}))
    .reduce((total, reports) => total + reports, 0);
}

/** Says which buckets a chart that leaves some out draws (mainBuckets). */
function drawnNote(drawn: number, all: number): string {
  const which =
    drawn < MAX_COLORED_BUCKETS
      ? `${drawn === 1 ? "the one bucket" : `the ${drawn} buckets`} with reports over the whole range, of ${all}; the others have none`
      : `the ${drawn} buckets with the most reports over the whole range, of ${all}`;
  return `Drawn: ${which}. The tables list all of them.`;
}

/** The charts of a chart page. */
export interface ChartPageFigures {
  bars: Figure;
  lines: Figure;
  /** One per breakdown of the window, in the chart file's order. */
  breakdowns: { breakdown: Breakdown; figure: Figure }[];
}

export function chartPageFigures(file: ChartFile, { window: key, view }: ChartState): ChartPageFigures {
  const window = file.windows[key];
  /** Colour order of every chart on the page. */
  const buckets = colorOrder(file);
  /** Buckets drawn by the charts that tell buckets apart by colour alone. */
  const colored = mainBuckets(file);
  const note = colored.length < buckets.length ? drawnNote(colored.length, buckets.length) : null;

  const rows = rowsInWindow(file, window);
  const bars: Figure = hasReports(rows, view)
    ? {
        kind: "plot",
        note: null,
        legend: [],
        draw: (width, document) =>
          shareBars({ rows, buckets, view, width, windowLabel: windowLabel(window), document }),
      }
    : nothingToDraw(rows, view, NO_REPORTS_IN_WINDOW, NO_ELIGIBLE_IN_WINDOW);

  const weekly = weeklyRows(file).filter((row) => colored.includes(row.bucket));
  const lines: Figure = hasReports(weekly, view)
    ? {
        kind: "plot",
        note,
        legend: legendItems(
          buckets,
          colored.filter((bucket) => weekly.some((row) => row.bucket === bucket)),
        ),
        draw: (width, document) => shareLines({ rows: weekly, buckets, view, width, document }),
      }
    : nothingToDraw(weekly, view, NO_REPORTS_IN_ANY_WEEK, NO_ELIGIBLE_IN_ANY_WEEK);

  const breakdowns = breakdownsInWindow(file, window).map((breakdown) => {
    const present = colored.filter((bucket) => bucket in breakdown.counts);
    const figure: Figure =
      breakdownReports(breakdown, present) > 0
        ? {
            kind: "plot",
            note,
            legend: legendItems(buckets, present),
            draw: (width, document) => breakdownBars({ breakdown, buckets, shown: present, width, document }),
          }
        : empty(NO_REPORTS_TO_BREAK_DOWN);
    return { breakdown, figure };
  });

  return { bars, lines, breakdowns };
}

/** A featured chart of the home page: the latest week's shares, bucket colours in the chart's own order. */
export function featuredFigure(file: ChartFile, state: ChartState): Figure {
  const window = file.windows[state.window];
  const rows = rowsInWindow(file, window);
  if (!hasReports(rows, state.view))
    return nothingToDraw(rows, state.view, NO_REPORTS_IN_WINDOW, NO_ELIGIBLE_IN_WINDOW);
  return {
    kind: "plot",
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
export function participationFigure(weekly: Participation["weekly"], programs: readonly string[]): Figure {
  if (!weekly.some((week) => week.reports > 0)) return empty(NO_REPORTS_IN_ANY_WEEK);
  return {
    kind: "plot",
    note: null,
    legend: legendItems([ALL_REPORTS, ...programs]),
    draw: (width, document) => participationLines({ weekly, programs, width, document }),
  };
}
