// The home page in the browser: the participation chart (from participation.json)
// and the featured charts (each from its own chart JSON), latest week.

import type { ChartFile, Participation } from "../pipeline/types.ts";
import { legend } from "../charts/common.ts";
import { participationLines, ALL_REPORTS } from "../charts/participation.ts";
import { shareBars } from "../charts/share-bars.ts";
import { DEFAULT_STATE, rowsInWindow, windowLabel } from "../site/chart-view.ts";

async function fetchJson<T>(url: string): Promise<T> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`HTTP ${response.status} for ${url}`);
  return (await response.json()) as T;
}

const widthOf = (element: Element): number =>
  Math.max(280, Math.floor(element.getBoundingClientRect().width));

/** Once a chart is drawn, the numbers under it fold away (they stay open without JavaScript). */
function fold(element: Element): void {
  element.closest(".card, section")?.querySelector("details[data-fold]")?.removeAttribute("open");
}

/** Draws now and again when the element's width changes noticeably. */
function drawResponsively(element: HTMLElement, draw: (width: number) => void): void {
  let last = widthOf(element);
  draw(last);
  fold(element);
  new ResizeObserver(() => {
    const width = widthOf(element);
    if (Math.abs(width - last) < 16) return;
    last = width;
    draw(width);
  }).observe(element);
}

function failed(element: Element, error: unknown): void {
  const message = document.createElement("p");
  message.className = "chart-status";
  message.textContent = `The chart could not be drawn (${(error as Error).message}); the numbers are in the table.`;
  element.replaceChildren(message);
}

for (const element of document.querySelectorAll<HTMLElement>("[data-participation]")) {
  const programs = JSON.parse(element.dataset.programs ?? "[]") as string[];
  fetchJson<Participation>(element.dataset.participation ?? "")
    .then((participation) =>
      drawResponsively(element, (width) =>
        element.replaceChildren(
          legend([ALL_REPORTS, ...programs]),
          participationLines(participation.weekly, programs, width),
        ),
      ),
    )
    .catch((error: unknown) => failed(element, error));
}

for (const element of document.querySelectorAll<HTMLElement>("[data-featured]")) {
  fetchJson<ChartFile>(element.dataset.featured ?? "")
    .then((file) => {
      const window = file.windows[DEFAULT_STATE.window];
      const rows = rowsInWindow(file, window);
      drawResponsively(element, (width) =>
        element.replaceChildren(
          shareBars({ rows, buckets: file.buckets, view: "share", width, windowLabel: windowLabel(window) }),
        ),
      );
    })
    .catch((error: unknown) => failed(element, error));
}
