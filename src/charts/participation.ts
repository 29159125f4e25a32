// Participation: distinct reports per week, in total and per program.

import { dot, lineY, plot, pointerX, ruleY, tip } from "@observablehq/plot";
import type { Participation } from "../pipeline/types.ts";
import { formatCount } from "../site/format.ts";
import {
  PLOT_CLASS,
  WEEKLY_MARGINS,
  asImage,
  bucketColors,
  countAxis,
  utcDay,
  weeklyValueTicks,
} from "./common.ts";

export const ALL_REPORTS = "All reports";

interface Point {
  series: string;
  date: Date;
  start: string;
  end: string;
  reports: number;
}

export interface ParticipationLinesOptions {
  weekly: Participation["weekly"];
  /** One line per program, after the total. */
  programs: readonly string[];
  width: number;
  /** Where to draw: the page's document, or a server-side one at build time. */
  document: Document;
}

export function participationLines({
  weekly,
  programs,
  width,
  document,
}: ParticipationLinesOptions): SVGSVGElement {
  const series = [ALL_REPORTS, ...programs];
  const points: Point[] = weekly.flatMap((week) =>
    series.map((name) => ({
      series: name,
      date: utcDay(week.end),
      start: week.start,
      end: week.end,
      reports: name === ALL_REPORTS ? week.reports : (week.programs[name] ?? 0),
    })),
  );
  const height = Math.min(320, Math.max(200, width * 0.4));
  const node = plot({
    width,
    height,
    marginLeft: 48,
    ...WEEKLY_MARGINS,
    className: PLOT_CLASS,
    document,
    x: { type: "utc", label: "Week ending →", ticks: width < 480 ? 4 : 8 },
    y: {
      label: "↑ Distinct reports",
      grid: true,
      nice: true,
      ...countAxis(
        points.map((p) => p.reports),
        weeklyValueTicks(height),
      ),
    },
    color: bucketColors(series),
    marks: [
      ruleY([0]),
      lineY(points, { x: "date", y: "reports", stroke: "series", strokeWidth: 2 }),
      dot(points, { x: "date", y: "reports", fill: "series", r: 2 }),
      tip(
        points,
        pointerX({
          x: "date",
          y: "reports",
          title: (p: Point) => `${p.series}\nWeek ${p.start} – ${p.end}\n${formatCount(p.reports)} reports`,
        }),
      ),
    ],
  });
  const latest = weekly.at(-1);
  return asImage(
    node,
    `Distinct reports per week over ${weekly.length} weeks${latest ? `, latest week ${formatCount(latest.reports)}` : ""}; the numbers are in the table below.`,
  );
}
