import { parseHTML } from "linkedom";
import { describe, expect, it } from "vitest";
import type { ChartFile, ChartRow, Window } from "../pipeline/types.ts";
import { DEFAULT_STATE } from "../site/chart-view.ts";
import { PLOT_CLASS } from "./common.ts";
import { chartPageFigures, featuredFigure, participationFigure } from "./figures.ts";
import { PAGE_WIDTHS, staticFigure, type StaticPlotFigure } from "./static.ts";

// Bucket names come from reports and the chart config: anyone can upload them.
const IMG = "<img src=x onerror=alert(1)>";
const SVG = `"'><svg onload=alert(1)>`;
const SCRIPT = "</title></text></svg><script>alert(1)</script>";
/** Already-escaped text must stay as written, not be decoded into markup. */
const ENTITIES = "&lt;b&gt; &amp; &quot;";
const HOSTILE = [IMG, SVG, SCRIPT, ENTITIES];

const week = (start: string, end: string): Window => ({ kind: "week", start, end });
const weeks = [week("2026-01-01", "2026-01-07"), week("2026-01-08", "2026-01-14")];
const latest7: Window = { kind: "latest7", start: "2026-01-08", end: "2026-01-14" };

function row(bucket: string, window: Pick<Window, "start" | "end">, reports: number): ChartRow {
  return {
    program: "cmd/go",
    chart: "go/mode",
    bucket,
    window_start: window.start,
    window_end: window.end,
    reports,
    eligible_reports: 100,
    share: reports / 100,
    share_low: reports / 200,
    share_high: Math.min(1, reports / 50),
    counter_total: reports * 3,
  };
}

const file: ChartFile = {
  id: "cmd-go--go-mode",
  program: "cmd/go",
  name: "go/mode",
  title: IMG,
  description: SVG,
  type: "partition",
  builtin: false,
  counter: "go/mode:{a,b}",
  issues: [],
  buckets: HOSTILE,
  rate: 1,
  windows: {
    latest7,
    latest28: { kind: "latest28", start: "2026-01-01", end: "2026-01-14" },
    all: { kind: "all", start: "2026-01-01", end: "2026-01-14" },
    weeks,
  },
  rows: [
    ...weeks.flatMap((w) => HOSTILE.map((bucket, i) => row(bucket, w, 10 + 20 * i))),
    ...HOSTILE.map((bucket, i) => row(bucket, latest7, 10 + 20 * i)),
  ],
  breakdowns: [
    {
      dimension: "GOOS",
      window: latest7,
      counts: Object.fromEntries(HOSTILE.map((bucket) => [bucket, { [IMG]: 3, [SVG]: 4, linux: 5 }])),
    },
  ],
  stacks: {},
  weeklyStacks: [],
};

function staticFigures(): StaticPlotFigure[] {
  const page = chartPageFigures(file, DEFAULT_STATE);
  const figures = [
    page.bars,
    page.lines,
    ...page.breakdowns.map((b) => b.figure),
    featuredFigure(file, DEFAULT_STATE),
    participationFigure(
      weeks.map((w) => ({ ...w, reports: 9, programs: { [IMG]: 4, [SVG]: 5 } })),
      [IMG, SVG],
    ),
  ];
  return figures.map((figure) => {
    const drawn = staticFigure(figure, PAGE_WIDTHS);
    if (drawn.kind === "empty") throw new Error("every figure of the fixture has something to draw");
    return drawn;
  });
}

/** Every SVG element Plot and the renderers emit for these charts. */
const SVG_ELEMENTS = new Set(["svg", "g", "path", "rect", "line", "circle", "text", "tspan", "title"]);

describe("static SVG drawn at build time", () => {
  const markups = staticFigures().flatMap((figure) => [figure.svg.wide, figure.svg.narrow]);

  it("draws every chart kind as one SVG of class plot", () => {
    expect(markups).toHaveLength(10);
    for (const markup of markups) {
      expect(markup).toMatch(new RegExp(`^<svg [^>]*class="${PLOT_CLASS}"`));
      expect(markup.endsWith("</svg>")).toBe(true);
      expect(markup).toContain('role="img"');
    }
  });

  it("keeps hostile bucket names as escaped text: no <img>, <script> or on* attribute", () => {
    for (const markup of markups) {
      expect(markup).not.toContain("<img");
      expect(markup).not.toContain("<script");
      expect(markup).not.toContain("<svg onload");
      // Every "<" starts one of the SVG elements above (escaped text has none), and
      // every attribute is name="value" with no event handler among the names.
      for (const [tag = "", name = "", attributes = ""] of markup.matchAll(/<\/?([^\s/>]+)([^>]*)>/g)) {
        expect(SVG_ELEMENTS.has(name), `element <${name}>`).toBe(true);
        expect(attributes, tag).toMatch(/^(\s[\w:-]+="[^"<>]*")*$/);
        for (const [, attribute = ""] of attributes.matchAll(/\s([\w:-]+)="/g)) {
          expect(attribute, tag).not.toMatch(/^on/i);
        }
      }
    }
  });

  it("keeps the hostile names readable once parsed, as text and attribute values", () => {
    const { document } = parseHTML(`<!doctype html><html><body>${markups.join("")}</body></html>`);
    expect(document.querySelectorAll("img, script, style, foreignObject")).toHaveLength(0);
    expect(document.querySelectorAll("[onload], [onerror]")).toHaveLength(0);
    const titles = [...document.querySelectorAll("title")].map((title) => title.textContent);
    for (const name of HOSTILE) expect(titles).toContain(name);
    const bucketsOfBars = [...document.querySelectorAll("rect[data-bucket]")].map((rect) =>
      rect.getAttribute("data-bucket"),
    );
    for (const name of HOSTILE) expect(bucketsOfBars).toContain(name);
  });

  it("has no <style> element or style attribute, which the Content-Security-Policy would block", () => {
    for (const markup of markups) {
      expect(markup).not.toMatch(/<style/i);
      expect(markup).not.toMatch(/\sstyle\s*=/i);
    }
  });
});
