import { parseHTML } from "linkedom";
import { describe, expect, it } from "vitest";
import type { Breakdown, ChartFile, ChartRow, Participation, Window } from "../pipeline/types.ts";
import {
  VIEWS,
  WINDOW_KEYS,
  breakdownTable,
  rowsInWindow,
  shareTable,
  weeklyTable,
  type ChartState,
} from "../site/chart-view.ts";
import { NO_SHARE, UNKNOWN_LABEL, shareLine } from "../site/format.ts";
import { showFigure } from "../components/figure-dom.ts";
import {
  NO_ELIGIBLE_IN_ANY_WEEK,
  NO_ELIGIBLE_IN_WINDOW,
  NO_REPORTS_IN_ANY_WEEK,
  NO_REPORTS_IN_WINDOW,
  NO_REPORTS_TO_BREAK_DOWN,
  chartPageFigures,
  featuredFigure,
  participationFigure,
  type Figure,
} from "./figures.ts";
import { CARD_WIDTHS, PAGE_WIDTHS, staticFigure, type StaticFigure } from "./static.ts";

const week = (start: string, end: string): Window => ({ kind: "week", start, end });
const weeks = [week("2026-01-01", "2026-01-07"), week("2026-01-08", "2026-01-14")];
const windows: ChartFile["windows"] = {
  latest7: { kind: "latest7", start: "2026-01-08", end: "2026-01-14" },
  latest28: { kind: "latest28", start: "2026-01-01", end: "2026-01-14" },
  all: { kind: "all", start: "2026-01-01", end: "2026-01-14" },
  weeks,
};
const everyWindow = [windows.latest7, windows.latest28, windows.all, ...weeks];

/** reports of eligibleReports, with the share and a rough interval the way the pipeline publishes them. */
function row(bucket: string, window: Window, reports: number, eligibleReports: number): ChartRow {
  const share = eligibleReports === 0 ? 0 : reports / eligibleReports;
  return {
    program: "example.com/tool",
    chart: "tool/usage",
    bucket,
    window_start: window.start,
    window_end: window.end,
    reports,
    eligible_reports: eligibleReports,
    share,
    share_low: share / 2,
    share_high: eligibleReports === 0 ? 0 : Math.min(1, share * 2 + 3.84 / (eligibleReports + 3.84)),
    counter_total: reports * 3,
  };
}

/** A chart in which every bucket has `reports` of `eligibleReports` in every window. */
function chartFile(buckets: string[], reports: number, eligibleReports: number): ChartFile {
  const counts = (dimension: Breakdown["dimension"], value: string): Breakdown => ({
    dimension,
    window: windows.latest7,
    counts: Object.fromEntries(buckets.map((bucket) => [bucket, reports > 0 ? { [value]: reports } : {}])),
  });
  return {
    id: "example-com-tool--tool-usage",
    program: "example.com/tool",
    name: "tool/usage",
    title: "Tool usage",
    description: "",
    type: "partition",
    builtin: false,
    counter: `tool/usage:{${buckets.join(",")}}`,
    issues: [],
    buckets,
    rate: 1,
    windows,
    rows: everyWindow.flatMap((window) =>
      buckets.map((bucket) => row(bucket, window, reports, eligibleReports)),
    ),
    breakdowns: [counts("GOOS", "linux"), counts("GOARCH", "amd64"), counts("GoVersion", "")],
    stacks: {},
    weeklyStacks: [],
  };
}

/** A counter configured before any client uploads it: no reports, no eligible reports. */
const noReports = chartFile(["gotests", "gomodifytags", "goplay"], 0, 0);

const zeroWeeks: Participation["weekly"] = weeks.map((w) => ({ ...w, reports: 0, programs: { a: 0 } }));

/** Every figure of the site for one chart and state, by name. */
function figuresOf(file: ChartFile, state: ChartState): Record<string, Figure> {
  const page = chartPageFigures(file, state);
  return {
    bars: page.bars,
    lines: page.lines,
    ...Object.fromEntries(page.breakdowns.map((b) => [`breakdown ${b.breakdown.dimension}`, b.figure])),
    featured: featuredFigure(file, state),
  };
}

/** What a static figure puts on the page, as text to search. */
const pageText = (figure: StaticFigure): string =>
  figure.kind === "empty" ? figure.message : [figure.note, figure.svg.wide, figure.svg.narrow].join("\n");

/** The tick labels of an axis in serialised SVG. */
function ticks(svg: string, axis: "x" | "y"): string[] {
  const { document } = parseHTML(`<!doctype html><html><body>${svg}</body></html>`);
  return [...document.querySelectorAll(`g[aria-label="${axis}-axis tick label"] text`)].map(
    (text) => text.firstChild?.textContent ?? "",
  );
}

describe("a chart with no reports, drawn at build time", () => {
  const expected: Record<string, string> = {
    bars: NO_REPORTS_IN_WINDOW,
    lines: NO_REPORTS_IN_ANY_WEEK,
    "breakdown GOOS": NO_REPORTS_TO_BREAK_DOWN,
    "breakdown GOARCH": NO_REPORTS_TO_BREAK_DOWN,
    "breakdown GoVersion": NO_REPORTS_TO_BREAK_DOWN,
    featured: NO_REPORTS_IN_WINDOW,
  };

  for (const window of WINDOW_KEYS)
    for (const view of VIEWS)
      it(`shows a message instead of every chart (${window}, ${view})`, () => {
        const figures = figuresOf(noReports, { window, view });
        for (const [name, figure] of Object.entries(figures)) {
          const drawn = staticFigure(figure, name === "featured" ? CARD_WIDTHS : PAGE_WIDTHS);
          expect(drawn, name).toEqual({ kind: "empty", message: expected[name] });
          expect(pageText(drawn), name).not.toContain("NaN");
          expect(pageText(drawn), name).not.toContain("<svg");
        }
      });

  it("shows a message instead of the participation chart when no week has reports", () => {
    for (const weekly of [zeroWeeks, []]) {
      const drawn = staticFigure(participationFigure(weekly, ["a"]), PAGE_WIDTHS);
      expect(drawn).toEqual({ kind: "empty", message: NO_REPORTS_IN_ANY_WEEK });
    }
  });

  it("still lists the zeros in the tables, with no share where no report is eligible", () => {
    const table = shareTable(rowsInWindow(noReports, windows.latest7), "share", windows.latest7);
    expect(table.rows.map((r) => r.cells.map((c) => c.text))).toEqual([
      ["gotests", "–", "–", "0", "0"],
      ["gomodifytags", "–", "–", "0", "0"],
      ["goplay", "–", "–", "0", "0"],
    ]);
    const counts = shareTable(rowsInWindow(noReports, windows.latest7), "counts", windows.latest7);
    expect(counts.rows[0]!.cells.map((c) => c.text)).toEqual(["gotests", "0", "0", "0", "–"]);
    expect(weeklyTable(noReports, "counts").rows).toHaveLength(weeks.length);
    expect(
      weeklyTable(noReports, "share")
        .rows[0]!.cells.slice(1)
        .map((c) => c.text),
    ).toEqual(["–", "–", "–"]);
    // A share of 0 of some eligible reports is a measured 0, with its interval.
    const none = shareTable(
      rowsInWindow(chartFile(["gotests"], 0, 50), windows.latest7),
      "share",
      windows.latest7,
    );
    expect(none.rows[0]!.cells.map((c) => c.text)).toEqual(["gotests", "0%", "0% – 7.13%", "0", "50"]);
  });
});

describe("a chart with no reports, drawn in the browser", () => {
  const { document } = parseHTML("<!doctype html><html><body></body></html>");

  it("replaces the chart drawn before with the message", () => {
    const container = document.createElement("div");
    const before = chartFile(["a", "b"], 5, 10);
    showFigure(container, chartPageFigures(before, { window: "latest7", view: "share" }).bars, 800);
    expect(container.querySelector("svg")).not.toBeNull();

    const figures = chartPageFigures(noReports, { window: "latest28", view: "counts" });
    for (const [figure, message] of [
      [figures.bars, NO_REPORTS_IN_WINDOW],
      [figures.lines, NO_REPORTS_IN_ANY_WEEK],
      [participationFigure(zeroWeeks, ["a"]), NO_REPORTS_IN_ANY_WEEK],
      [featuredFigure(noReports, { window: "latest7", view: "share" }), NO_REPORTS_IN_WINDOW],
    ] as const) {
      showFigure(container, figure, 800);
      expect(container.innerHTML).toBe(`<p class="empty">${message}</p>`);
    }
    const breakdown = chartPageFigures(noReports, { window: "latest7", view: "share" }).breakdowns[0];
    if (!breakdown) throw new Error("the fixture has breakdowns");
    showFigure(container, breakdown.figure, 800);
    expect(container.innerHTML).toBe(`<p class="empty">${NO_REPORTS_TO_BREAK_DOWN}</p>`);
  });
});

describe("value axes with little data", () => {
  const drawnSvg = (figure: Figure): string => {
    const drawn = staticFigure(figure, PAGE_WIDTHS);
    if (drawn.kind === "empty") throw new Error("expected a chart");
    return drawn.svg.wide;
  };
  const expectSaneTicks = (labels: string[]): void => {
    expect(labels.length).toBeGreaterThan(1);
    expect(labels).not.toContain("NaN");
    expect(new Set(labels).size).toBe(labels.length);
    expect(labels[0]).toMatch(/^0(\.0+)?$/);
  };

  it("draws a tiny share against 0% to 1%", () => {
    const figures = chartPageFigures(chartFile(["a", "b"], 1, 2_000_000), {
      window: "latest7",
      view: "share",
    });
    const x = ticks(drawnSvg(figures.bars), "x");
    expectSaneTicks(x);
    expect(Number(x.at(-1))).toBe(1);
    const y = ticks(drawnSvg(figures.lines), "y");
    expectSaneTicks(y);
    expect(Number(y.at(-1))).toBe(1);
  });

  it("draws shares of 0 of some eligible reports, with their intervals", () => {
    const figures = chartPageFigures(chartFile(["a", "b"], 0, 50), { window: "latest7", view: "share" });
    const x = ticks(drawnSvg(figures.bars), "x");
    expectSaneTicks(x);
    expect(Number(x.at(-1))).toBeGreaterThanOrEqual(1);
  });

  it("draws whole numbers of reports only", () => {
    const file = chartFile(["a", "b"], 2, 10);
    const figures = chartPageFigures(file, { window: "latest7", view: "counts" });
    expect(ticks(drawnSvg(figures.bars), "x")).toEqual(["0", "1", "2"]);
    const breakdown = figures.breakdowns[0]?.figure;
    if (!breakdown) throw new Error("the fixture has breakdowns");
    // Two buckets of 2 reports each, stacked.
    expect(ticks(drawnSvg(breakdown), "x")).toEqual(["0", "1", "2", "3", "4"]);
    const participation = participationFigure(
      weeks.map((w) => ({ ...w, reports: 1, programs: { a: 1 } })),
      ["a"],
    );
    expect(ticks(drawnSvg(participation), "y")).toEqual(["0", "1"]);
  });

  it("labels each count tick by its own size: hundreds as hundreds, thousands with K", () => {
    const figures = chartPageFigures(chartFile(["a", "b"], 600, 1_000), {
      window: "latest7",
      view: "counts",
    });
    const breakdown = figures.breakdowns[0]?.figure;
    if (!breakdown) throw new Error("the fixture has breakdowns");
    // Two buckets of 600 reports each, stacked: an axis to 1,200.
    const x = ticks(drawnSvg(breakdown), "x");
    expectSaneTicks(x);
    expect(x).toContain("200");
    expect(x).toContain("1.2K");
    expect(x.join(" ")).not.toMatch(/0\.\d+k/i);
    expect(ticks(drawnSvg(figures.bars), "x")).toContain("600");
  });
});

describe("a week with no eligible report, among weeks with some", () => {
  // The program had no report that week (say, before its first release): no share to draw.
  const file = chartFile(["a", "b"], 2, 10);
  file.rows = file.rows.map((r) =>
    r.window_start === weeks[0]!.start
      ? { ...r, reports: 0, eligible_reports: 0, share: 0, share_low: 0, share_high: 0 }
      : r,
  );
  const dots = (svg: string): number => {
    const { document } = parseHTML(`<!doctype html><html><body>${svg}</body></html>`);
    return document.querySelectorAll('g[aria-label="dot"] circle').length;
  };
  const lines = (view: "share" | "counts") => {
    const drawn = staticFigure(chartPageFigures(file, { window: "latest7", view }).lines, PAGE_WIDTHS);
    if (drawn.kind === "empty") throw new Error("expected a chart");
    return drawn.svg.wide;
  };

  it("leaves a gap in the share lines there, not a point at 0%", () => {
    expect(dots(lines("share"))).toBe(2);
    expect(lines("share")).not.toContain("NaN");
    // Its reports (0) are a number to draw.
    expect(dots(lines("counts"))).toBe(4);
  });

  it("says so in the tooltips and tables rather than giving a share of 0%", () => {
    const [empty, some] = [file.rows.find((r) => r.eligible_reports === 0)!, file.rows.at(-1)!];
    expect(shareLine(empty)).toBe(`Share ${NO_SHARE} (no eligible report)`);
    expect(shareLine(some)).toMatch(/^Share 20\.0% \(95% 10\.0% – [\d.]+%\)$/);
    const table = weeklyTable(file, "share");
    expect(table.rows.map((r) => r.cells[1]?.text)).toEqual(["20.0%", NO_SHARE]); // newest first
  });
});

describe("a chart whose reports are all above its sampling rate", () => {
  // Reports carry the counter, none is eligible (X above the rate): counts, but no share.
  const file = chartFile(["a", "b"], 3, 0);

  it("says so in the share view, and draws the reports in the counts view", () => {
    const share = figuresOf(file, { window: "latest7", view: "share" });
    expect(share.bars).toEqual({ kind: "empty", message: NO_ELIGIBLE_IN_WINDOW });
    expect(share.lines).toEqual({ kind: "empty", message: NO_ELIGIBLE_IN_ANY_WEEK });
    expect(share.featured).toEqual({ kind: "empty", message: NO_ELIGIBLE_IN_WINDOW });
    const counts = figuresOf(file, { window: "latest7", view: "counts" });
    expect(counts.bars?.kind).toBe("plot");
    expect(counts.lines?.kind).toBe("plot");
  });
});

describe("a bucket with no name", () => {
  const file = chartFile(["", "go1.24"], 3, 10);
  const figures = chartPageFigures(file, { window: "latest7", view: "share" });

  it(`reads ${UNKNOWN_LABEL} in the charts, their colour keys and tooltips' text alternative`, () => {
    const bars = staticFigure(figures.bars, PAGE_WIDTHS);
    if (bars.kind === "empty") throw new Error("expected a chart");
    expect(ticks(bars.svg.wide, "y")).toEqual([UNKNOWN_LABEL, "go1.24"]);
    expect(bars.svg.wide).toContain(
      `aria-label="Share of eligible reports per bucket, Latest week (2026-01-08 – 2026-01-14): ${UNKNOWN_LABEL} 30.0%`,
    );
    // The data keeps the bucket's own name.
    expect(bars.svg.wide).toContain('data-bucket=""');

    const lines = staticFigure(figures.lines, PAGE_WIDTHS);
    if (lines.kind === "empty") throw new Error("expected a chart");
    expect(lines.legend.map((item) => item.label)).toEqual([UNKNOWN_LABEL, "go1.24"]);
    expect(lines.legend.map((item) => item.bucket)).toEqual(["", "go1.24"]);

    const goVersion = figures.breakdowns.find((b) => b.breakdown.dimension === "GoVersion");
    if (!goVersion) throw new Error("the fixture has a Go version breakdown");
    const breakdown = staticFigure(goVersion.figure, PAGE_WIDTHS);
    if (breakdown.kind === "empty") throw new Error("expected a chart");
    // Its one dimension value has no name either.
    expect(ticks(breakdown.svg.wide, "y")).toEqual([UNKNOWN_LABEL]);
    expect(breakdown.legend.map((item) => item.label)).toEqual([UNKNOWN_LABEL, "go1.24"]);
  });

  it(`reads ${UNKNOWN_LABEL} in the tables, keyed by the bucket's own name`, () => {
    const share = shareTable(rowsInWindow(file, windows.latest7), "share", windows.latest7);
    expect(share.rows.map((r) => [r.key, r.cells[0]?.text])).toEqual([
      ["", UNKNOWN_LABEL],
      ["go1.24", "go1.24"],
    ]);
    expect(weeklyTable(file, "share").columns.map((c) => c.label)).toEqual(["Week", UNKNOWN_LABEL, "go1.24"]);
    const goVersion = file.breakdowns.find((b) => b.dimension === "GoVersion");
    if (!goVersion) throw new Error("the fixture has a Go version breakdown");
    const table = breakdownTable(goVersion, file.buckets);
    expect(table.columns.map((c) => c.label)).toEqual(["Bucket", UNKNOWN_LABEL]);
    expect(table.rows.map((r) => r.cells[0]?.text)).toEqual([UNKNOWN_LABEL, "go1.24"]);
  });
});

describe("a chart with more buckets than colours, most of them without reports", () => {
  /** A chart whose buckets have the given reports of 500 eligible, in every window. */
  function chartWith(reports: Record<string, number>): ChartFile {
    const buckets = Object.keys(reports);
    const file = chartFile(buckets, 0, 500);
    const counts = Object.fromEntries(
      buckets.filter((b) => reports[b]! > 0).map((b) => [b, { linux: reports[b]! }]),
    );
    return {
      ...file,
      rows: file.rows.map((r) =>
        row(r.bucket, { kind: "week", start: r.window_start, end: r.window_end }, reports[r.bucket]!, 500),
      ),
      breakdowns: [{ dimension: "GOOS", window: windows.latest7, counts }],
    };
  }
  const versions = Array.from({ length: 26 }, (_, i) => `go1.${i + 2}`);

  it("colours only the buckets with reports, and says the others have none", () => {
    const reports = Object.fromEntries(versions.map((v) => [v, 0]));
    Object.assign(reports, { "go1.23": 80, "go1.24": 280, "go1.25": 373 });
    const figures = chartPageFigures(chartWith(reports), { window: "latest7", view: "share" });
    for (const figure of [figures.lines, figures.breakdowns[0]!.figure]) {
      const drawn = staticFigure(figure, PAGE_WIDTHS);
      if (drawn.kind === "empty") throw new Error("expected a chart");
      expect(drawn.legend.map((item) => item.label)).toEqual(["go1.23", "go1.24", "go1.25"]);
      expect(drawn.note).toBe(
        "Drawn: the 3 buckets with reports over the whole range, of 26; the others have none. The tables list all of them.",
      );
    }
    // The latest week's bars still show every bucket: 0 of 500 says how small its share can be.
    const bars = staticFigure(figures.bars, PAGE_WIDTHS);
    if (bars.kind === "empty") throw new Error("expected a chart");
    expect(ticks(bars.svg.wide, "y")).toHaveLength(26);
  });

  it("keeps the ten with the most reports when more than ten have some", () => {
    const reports = Object.fromEntries(versions.map((v, i) => [v, i < 12 ? 100 + i : 0]));
    const drawn = staticFigure(
      chartPageFigures(chartWith(reports), { window: "all", view: "counts" }).lines,
      PAGE_WIDTHS,
    );
    if (drawn.kind === "empty") throw new Error("expected a chart");
    expect(drawn.legend.map((item) => item.label)).toEqual(versions.slice(2, 12));
    expect(drawn.note).toBe(
      "Drawn: the 10 buckets with the most reports over the whole range, of 26. The tables list all of them.",
    );
  });

  it("draws no trend when no bucket has a report, though every week had eligible reports", () => {
    const figures = chartPageFigures(chartWith(Object.fromEntries(versions.map((v) => [v, 0]))), {
      window: "latest7",
      view: "share",
    });
    expect(figures.lines).toEqual({ kind: "empty", message: NO_REPORTS_IN_ANY_WEEK });
    expect(figures.bars.kind).toBe("plot");
  });
});
