// What every chart of the site shares: the bucket colours, label truncation,
// the class its CSS styles it by, and the accessible wrapping of Plot's SVG.
// Every renderer draws into the `document` it is given: the page's in the
// browser, a server-side DOM at build time (src/charts/static.ts).

/** Observable's ten categorical colours: mid-tones that read on light and dark backgrounds. */
const PALETTE = [
  "#4269d0",
  "#efb118",
  "#ff725c",
  "#6cc5b0",
  "#3ca951",
  "#ff8ab7",
  "#a463f2",
  "#97bbf5",
  "#9c6b4e",
  "#9498a0",
];

/** The colour of each bucket is fixed by its position in the chart's bucket order, so it is the same in every chart of a page. */
export function bucketColors(buckets: readonly string[]): {
  type: "ordinal";
  domain: string[];
  range: string[];
} {
  return {
    type: "ordinal",
    domain: [...buckets],
    range: buckets.map((_, i) => PALETTE[i % PALETTE.length] ?? "currentColor"),
  };
}

export function colorOf(buckets: readonly string[], bucket: string): string {
  const i = buckets.indexOf(bucket);
  return PALETTE[(i < 0 ? 0 : i) % PALETTE.length] ?? "currentColor";
}

/** "a-very-long-label" → "a-very-lo…" when longer than max characters. */
export function truncate(label: string, max: number): string {
  return label.length <= max ? label : `${label.slice(0, Math.max(1, max - 1))}…`;
}

/** Characters a category label may use before it is truncated, by chart width. */
export function labelBudget(width: number): number {
  return width < 480 ? 16 : width < 720 ? 24 : 36;
}

/** Left margin (px) that fits the longest truncated label of a horizontal bar chart. */
export function labelMargin(labels: readonly string[], maxChars: number): number {
  const longest = Math.max(4, ...labels.map((label) => Math.min(label.length, maxChars)));
  return Math.ceil(16 + longest * 7);
}

/**
 * The class of every chart's SVG (Plot's `className`). Plot styles its SVGs
 * with a <style> element of its own and inline styles, both of which the
 * site's Content-Security-Policy (`style-src 'self'`) blocks; instead the
 * site's stylesheet styles `svg.plot` (src/styles/global.css), the same for
 * the SVG drawn at build time and the one drawn in the browser.
 */
export const PLOT_CLASS = "plot";

/**
 * Plot returns an SVG (or a figure when it draws legends, which the site never
 * asks for). The SVG is a single image for assistive technology, labelled with
 * a summary; the table under every chart holds the numbers. Plot's <style>
 * element is removed before the SVG reaches a page (see PLOT_CLASS).
 */
export function asImage(node: Element, label: string): SVGSVGElement {
  const svg = node.tagName.toLowerCase() === "svg" ? node : node.querySelector("svg");
  if (!svg) throw new Error("Plot rendered no SVG");
  for (const style of svg.querySelectorAll("style")) style.remove();
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", label);
  return svg as SVGSVGElement;
}

/** Adds the full name as a <title> to truncated category tick labels (ticks are drawn in domain order). */
export function titleTicks(svg: SVGSVGElement, axis: "x" | "y", domain: readonly string[]): void {
  const labels = svg.querySelectorAll(`g[aria-label="${axis}-axis tick label"] text`);
  labels.forEach((text, i) => {
    const full = domain[i];
    if (full === undefined) return;
    const title = svg.ownerDocument.createElementNS("http://www.w3.org/2000/svg", "title");
    title.textContent = full;
    text.append(title);
  });
}

export interface LegendItem {
  bucket: string;
  color: string;
}

/**
 * The entries of a colour key. Colours come from the position in the full
 * bucket order; `shown` limits the key to the buckets a chart actually draws.
 */
export function legendItems(buckets: readonly string[], shown: readonly string[] = buckets): LegendItem[] {
  return shown.map((bucket) => ({ bucket, color: colorOf(buckets, bucket) }));
}

/**
 * A colour key as HTML, so long bucket names wrap instead of overflowing the SVG.
 * Legend.astro renders the same markup at build time.
 */
export function legend(items: readonly LegendItem[], document: Document): HTMLUListElement {
  const list = document.createElement("ul");
  list.className = "legend";
  for (const { bucket, color } of items) {
    const item = document.createElement("li");
    const swatch = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    swatch.setAttribute("width", "12");
    swatch.setAttribute("height", "12");
    swatch.setAttribute("aria-hidden", "true");
    const rect = document.createElementNS("http://www.w3.org/2000/svg", "rect");
    rect.setAttribute("width", "12");
    rect.setAttribute("height", "12");
    rect.setAttribute("rx", "2");
    rect.setAttribute("fill", color);
    swatch.append(rect);
    const name = document.createElement("span");
    name.textContent = bucket;
    item.append(swatch, name);
    list.append(item);
  }
  return list;
}

/** Parses a YYYY-MM-DD day as a UTC date (Plot's time axes are UTC). */
export const utcDay = (day: string): Date => new Date(`${day}T00:00:00Z`);
