// Finding the chart a page shows. A chart container holds the SVG drawn at
// build time (at more than one width, the one that fits shown by CSS) until
// the reader interacts, then the interactive one; either way one SVG image is
// visible, and the legend's swatches are not images.

import type { Locator, Page } from "@playwright/test";

/** The visible chart image inside the container(s) matching `container` (a CSS selector). */
export function shownChart(page: Page, container: string): Locator {
  return page.locator(`${container} svg[role="img"]`).filter({ visible: true });
}
