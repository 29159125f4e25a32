// Build time: draws a figure's SVG with the same Plot renderers the browser
// uses, into a server-side DOM (linkedom), and serialises it for the page's
// HTML. Readers see the chart before (or without) any JavaScript; Plot itself
// is only loaded in the browser when the reader interacts with a chart.

import { parseHTML } from "linkedom";
import type { LegendItem } from "./common.ts";
import type { EmptyFigure, Figure } from "./figures.ts";

/**
 * The widths (px) a static figure is drawn at: one for a wide screen and one
 * for a phone. global.css shows the one that fits the chart's container
 * (container queries per layout; their thresholds depend on these numbers).
 */
export interface StaticWidths {
  layout: "page" | "card";
  wide: number;
  narrow: number;
}

/** A chart across the page: main is 72rem (1152 px) less 1rem padding per side; a 390 px phone less the same. */
export const PAGE_WIDTHS: StaticWidths = { layout: "page", wide: 1120, narrow: 358 };

/** A chart in a home page card: two cards per row on a wide screen, and the card's own padding and border. */
export const CARD_WIDTHS: StaticWidths = { layout: "card", wide: 518, narrow: 324 };

export const STATIC_SIZES = ["wide", "narrow"] as const;

/** A chart drawn at build time; a chart with nothing to draw stays its text (StaticChart.astro shows it). */
export type StaticFigure = StaticPlotFigure | EmptyFigure;

export interface StaticPlotFigure {
  kind: "plot";
  layout: StaticWidths["layout"];
  note: string | null;
  legend: LegendItem[];
  /**
   * The SVG per width, serialised from a DOM that Plot built with DOM calls
   * only (createElementNS, setAttribute, textContent): every data string in
   * it is escaped text or an escaped attribute value, never markup.
   */
  svg: Record<(typeof STATIC_SIZES)[number], string>;
}

let serverDocument: Document | undefined;

/** One server-side document for the whole build; Plot only creates elements in it, never attaches them. */
function buildDocument(): Document {
  serverDocument ??= parseHTML("<!doctype html><html><body></body></html>").document as unknown as Document;
  return serverDocument;
}

const ELEMENT_NODE = 1;
const TEXT_NODE = 3;

const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};
const escapeMarkup = (text: string): string => text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);

/**
 * The SVG's markup for the page: elements, attributes and text, nothing else.
 * Element and attribute names come from Plot and the renderers; every value
 * and text, where data strings end up, is escaped here (linkedom's own
 * outerHTML leaves < and > unescaped in attribute values, which is valid but
 * relies on every reader of the page parsing it exactly as a browser does).
 * Style attributes would be blocked by the page's Content-Security-Policy
 * (`style-src 'self'`), so none are written: global.css styles `svg.plot`
 * (asImage already removed Plot's <style> element).
 */
export function svgMarkup(node: Node): string {
  if (node.nodeType === TEXT_NODE) return escapeMarkup(node.textContent ?? "");
  if (node.nodeType !== ELEMENT_NODE) return "";
  const element = node as Element;
  const name = element.localName;
  const attributes = [...element.attributes]
    .filter((attribute) => attribute.name !== "style")
    .map((attribute) => ` ${attribute.name}="${escapeMarkup(attribute.value)}"`)
    .join("");
  const children = [...element.childNodes].map(svgMarkup).join("");
  return `<${name}${attributes}>${children}</${name}>`;
}

export function staticFigure(figure: Figure, widths: StaticWidths): StaticFigure {
  if (figure.kind === "empty") return figure;
  const document = buildDocument();
  return {
    kind: "plot",
    layout: widths.layout,
    note: figure.note,
    legend: figure.legend,
    svg: {
      wide: svgMarkup(figure.draw(widths.wide, document)),
      narrow: svgMarkup(figure.draw(widths.narrow, document)),
    },
  };
}
