// Draws a Figure (src/charts/figures.ts) into its chart container in the
// browser, with the markup StaticChart.astro renders at build time: the note,
// the colour key, then Plot's SVG, here at the container's actual width; or
// the text of a chart with nothing to draw.

import { legend } from "../charts/common.ts";
import type { Figure } from "../charts/figures.ts";

/** The width to draw a chart at: its container's, never narrower than a small phone's. */
export const chartWidth = (element: Element): number =>
  Math.max(280, Math.floor(element.getBoundingClientRect().width));

/**
 * Replaces the container's content (the static SVG, or an earlier drawing)
 * with the figure, or with its text when it has nothing to draw. Draws into
 * the container's own document.
 */
export function showFigure(container: Element, figure: Figure, width: number): void {
  const document = container.ownerDocument;
  if (figure.kind === "empty") {
    const message = document.createElement("p");
    message.className = "empty";
    message.textContent = figure.message;
    container.replaceChildren(message);
    return;
  }
  const parts: Element[] = [];
  if (figure.note) {
    const note = document.createElement("p");
    note.className = "chart-status";
    note.textContent = figure.note;
    parts.push(note);
  }
  if (figure.legend.length > 0) parts.push(legend(figure.legend, document));
  parts.push(figure.draw(width, document));
  container.replaceChildren(...parts);
}

/** Calls draw now and again whenever the element's width changes noticeably. */
export function redrawOnResize(element: Element, draw: (width: number) => void): void {
  let last = chartWidth(element);
  draw(last);
  new ResizeObserver(() => {
    const width = chartWidth(element);
    if (Math.abs(width - last) < 16) return;
    last = width;
    draw(width);
  }).observe(element);
}
