// What every chart of the site shares: the bucket colours, label truncation,
// the value axes, the class its CSS styles it by, and the accessible wrapping
// of Plot's SVG.
// Every renderer draws into the `document` it is given: the page's in the
// browser, a server-side DOM at build time (src/charts/static.ts).

import { bucketLabel, formatCountCompact } from "../site/format.ts";

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
function truncate(label: string, max: number): string {
  return label.length <= max ? label : `${label.slice(0, Math.max(1, max - 1))}…`;
}

/** Characters a category label may use before it is truncated, by chart width. */
export function labelBudget(width: number): number {
  return width < 480 ? 16 : width < 720 ? 24 : 36;
}

/** Left margin (px) that fits the longest truncated label of a horizontal bar chart. */
function labelMargin(labels: readonly string[], maxChars: number): number {
  const longest = Math.max(4, ...labels.map((label) => Math.min(label.length, maxChars)));
  return Math.ceil(16 + longest * 7);
}

/** Ticks of a horizontal value axis this wide (px): one per 90 px, at least three. */
export const axisTicks = (width: number): number => Math.max(3, Math.round(width / 90));

/**
 * Margins of a weekly chart (time along x, a value up y): Plot's default top,
 * and at the bottom room for two-line time ticks (day, then month or year)
 * above the axis label.
 */
export const WEEKLY_MARGINS = { marginTop: 20, marginBottom: 42 };

/** Ticks of the value axis of a weekly chart this high (px): one per 35 px of the axis, as Plot picks by default. */
export const weeklyValueTicks = (height: number): number =>
  (height - WEEKLY_MARGINS.marginTop - WEEKLY_MARGINS.marginBottom) / 35;

/**
 * The share axis never ends below 1%: when every share drawn is tiny (or 0)
 * it reads 0% to 1% rather than a handful of digits around a single tick.
 */
const MIN_SHARE_AXIS = 0.01;

/**
 * A share axis from 0 to the largest share drawn, at least MIN_SHARE_AXIS
 * (Plot's `nice` rounds it up). In percent: a Plot scale with `percent: true`
 * multiplies the values by 100, not an explicit domain.
 */
export function sharePercentDomain(shares: readonly number[]): [number, number] {
  return [0, 100 * Math.max(MIN_SHARE_AXIS, ...shares.filter(Number.isFinite))];
}

/**
 * A count axis from 0 to the largest count drawn (at least 1), with no more
 * ticks than reports: 0, 1, 2 for at most 2 reports, never 0.5 or "500m".
 * Each tick is labelled on its own (formatCountCompact): Plot's "~s" gives every tick
 * the largest tick's prefix, so an axis to 1,200 read 0.2k, 0.4k, ….
 */
export function countAxis(
  values: readonly number[],
  ticks: number,
): { domain: [number, number]; ticks: number; tickFormat: (n: number) => string } {
  const max = Math.max(1, ...values.filter(Number.isFinite));
  return {
    domain: [0, max],
    ticks: Math.max(1, Math.min(ticks, Math.floor(max))),
    tickFormat: formatCountCompact,
  };
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

/** A category's tick label: its name as the page shows it (bucketLabel), truncated to maxChars. */
export function categoryLabel(name: string, maxChars: number): string {
  return truncate(bucketLabel(name), maxChars);
}

/** Left margin (px) that fits the longest category tick label of a horizontal bar chart. */
export function categoryMargin(names: readonly string[], maxChars: number): number {
  return labelMargin(names.map(bucketLabel), maxChars);
}

/** Adds the full name as a <title> to truncated category tick labels (ticks are drawn in domain order). */
export function titleTicks(svg: SVGSVGElement, axis: "x" | "y", domain: readonly string[]): void {
  const labels = svg.querySelectorAll(`g[aria-label="${axis}-axis tick label"] text`);
  labels.forEach((text, i) => {
    const full = domain[i];
    if (full === undefined) return;
    const title = svg.ownerDocument.createElementNS("http://www.w3.org/2000/svg", "title");
    title.textContent = bucketLabel(full);
    text.append(title);
  });
}

export interface LegendItem {
  bucket: string;
  /** The bucket as the key shows it (bucketLabel). */
  label: string;
  color: string;
}

/**
 * The entries of a colour key. Colours come from the position in the full
 * bucket order; `shown` limits the key to the buckets a chart actually draws.
 */
export function legendItems(buckets: readonly string[], shown: readonly string[] = buckets): LegendItem[] {
  return shown.map((bucket) => ({ bucket, label: bucketLabel(bucket), color: colorOf(buckets, bucket) }));
}

/**
 * A colour key as HTML, so long bucket names wrap instead of overflowing the SVG.
 * Legend.astro renders the same markup at build time.
 */
export function legend(items: readonly LegendItem[], document: Document): HTMLUListElement {
  const list = document.createElement("ul");
  list.className = "legend";
  for (const { label, color } of items) {
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
    name.textContent = label;
    item.append(swatch, name);
    list.append(item);
  }
  return list;
}

/** Parses a YYYY-MM-DD day as a UTC date (Plot's time axes are UTC). */
export const utcDay = (day: string): Date => new Date(`${day}T00:00:00Z`);
