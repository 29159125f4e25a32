// The chart page in the browser: fetches this chart's JSON (and nothing else),
// draws the bars, lines and breakdowns, and keeps the tables, downloads and
// permalink in step with the chosen window and view. The page's static HTML
// already holds the default tables, so without JavaScript nothing is lost.

import { csvFormat } from "d3-dsv";
import { CSV_COLUMNS, type ChartFile, type ChartRow } from "../pipeline/types.ts";
import { breakdownBars } from "../charts/breakdown-bars.ts";
import { legend } from "../charts/common.ts";
import { shareBars } from "../charts/share-bars.ts";
import { shareLines } from "../charts/share-lines.ts";
import {
  breakdownTable,
  breakdownsInWindow,
  colorOrder,
  mainBuckets,
  parseState,
  rowsInWindow,
  shareTable,
  stackTable,
  stacksInWindow,
  stateToQuery,
  weeklyRows,
  weeklyTable,
  windowLabel,
  type ChartState,
  type View,
  type WindowKey,
} from "../site/chart-view.ts";
import { showTable } from "./table-dom.ts";

const root = document.querySelector<HTMLElement>("[data-chart-page]");
if (root) void start(root);

async function start(root: HTMLElement): Promise<void> {
  const status = root.querySelector<HTMLElement>("[data-status]");
  let file: ChartFile;
  try {
    const response = await fetch(root.dataset.json ?? "");
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    file = (await response.json()) as ChartFile;
  } catch (error) {
    if (status)
      status.textContent = `The chart data could not be loaded (${(error as Error).message}); the tables show the latest week.`;
    return;
  }
  const page = new ChartPage(root, file);
  page.render();
  if (status) status.textContent = "";
}

class ChartPage {
  private state: ChartState;
  private readonly blobUrls = new Map<string, string>();
  private lastWidth = 0;
  private readonly root: HTMLElement;
  private readonly file: ChartFile;
  /** Colour order of every chart on the page. */
  private readonly buckets: string[];
  /** Buckets drawn by the charts that tell buckets apart by colour alone. */
  private readonly colored: string[];

  constructor(root: HTMLElement, file: ChartFile) {
    this.root = root;
    this.file = file;
    this.buckets = colorOrder(file);
    this.colored = mainBuckets(file);
    this.state = parseState(new URLSearchParams(location.search));
    const form = root.querySelector<HTMLFormElement>("form[data-controls]");
    if (form) {
      form.hidden = false;
      form.addEventListener("change", () => {
        const data = new FormData(form);
        this.state = {
          window: (data.get("window") as WindowKey | null) ?? this.state.window,
          view: (data.get("view") as View | null) ?? this.state.view,
        };
        history.replaceState(null, "", location.pathname + stateToQuery(this.state) + location.hash);
        this.render();
      });
      form.addEventListener("submit", (event) => event.preventDefault());
    }
    for (const link of root.querySelectorAll<HTMLElement>("[data-download]")) link.hidden = false;
    // Charts now carry the picture; secondary tables fold away under them (open without JavaScript).
    for (const details of root.querySelectorAll("details[data-fold]")) details.removeAttribute("open");
    this.pointBarsFromTable();
    this.lastWidth = this.width();
    new ResizeObserver(() => {
      const width = this.width();
      if (Math.abs(width - this.lastWidth) < 16) return;
      this.lastWidth = width;
      this.drawCharts();
    }).observe(root);
  }

  private width(): number {
    const sample = this.root.querySelector<HTMLElement>('[data-chart="bars"]') ?? this.root;
    return Math.max(280, Math.floor(sample.getBoundingClientRect().width));
  }

  private get window() {
    return this.file.windows[this.state.window];
  }

  private rows(): ChartRow[] {
    return rowsInWindow(this.file, this.window);
  }

  render(): void {
    const { window, view } = this.state;
    for (const input of this.root.querySelectorAll<HTMLInputElement>("form[data-controls] input")) {
      input.checked = input.value === (input.name === "window" ? window : view);
    }
    const heading = this.root.querySelector("[data-window-heading]");
    if (heading) heading.textContent = windowLabel(this.window);
    this.drawCharts();
    this.fillTables();
    this.updateDownloads();
    const permalink = this.root.querySelector<HTMLAnchorElement>("[data-permalink]");
    if (permalink) permalink.href = location.pathname + stateToQuery(this.state);
  }

  private drawCharts(): void {
    const { view } = this.state;
    const width = this.width();
    const rows = this.rows();
    const bars = this.root.querySelector('[data-chart="bars"]');
    if (bars) {
      bars.replaceChildren(
        rows.length > 0
          ? shareBars({ rows, buckets: this.buckets, view, width, windowLabel: windowLabel(this.window) })
          : "",
      );
      bars.setAttribute("data-window", this.state.window);
      bars.setAttribute("data-view", view);
    }
    const lines = this.root.querySelector('[data-chart="lines"]');
    const weekly = weeklyRows(this.file).filter((row) => this.colored.includes(row.bucket));
    if (lines && weekly.length > 0) {
      const present = this.colored.filter((b) => weekly.some((r) => r.bucket === b));
      lines.replaceChildren(
        ...this.note(),
        legend(this.buckets, present),
        shareLines({ rows: weekly, buckets: this.buckets, view, width }),
      );
      lines.setAttribute("data-view", view);
    }
    for (const breakdown of breakdownsInWindow(this.file, this.window)) {
      const chart = this.root.querySelector(`[data-chart="breakdown-${breakdown.dimension}"]`);
      if (!chart) continue;
      const present = this.colored.filter((bucket) => bucket in breakdown.counts);
      chart.replaceChildren(
        ...(present.length > 0
          ? [
              ...this.note(),
              legend(this.buckets, present),
              breakdownBars({ breakdown, buckets: this.buckets, shown: present, width }),
            ]
          : []),
      );
    }
  }

  /** Says so when a chart leaves buckets out. */
  private note(): HTMLElement[] {
    const total = this.buckets.length;
    if (this.colored.length >= total) return [];
    const note = document.createElement("p");
    note.className = "chart-status";
    note.textContent = `Drawn: the ${this.colored.length} buckets with the most reports over the whole range, of ${total}. The tables list all of them.`;
    return [note];
  }

  private fillTables(): void {
    const { view } = this.state;
    const table = (name: string) => this.root.querySelector(`[data-table="${name}"]`);
    const share = table("share");
    if (share) showTable(share, shareTable(this.rows(), view, this.window), { focusableRows: true });
    const weekly = table("weekly");
    if (weekly) showTable(weekly, weeklyTable(this.file, view));
    for (const breakdown of breakdownsInWindow(this.file, this.window)) {
      const container = table(`breakdown-${breakdown.dimension}`);
      if (container) showTable(container, breakdownTable(breakdown, this.file.buckets));
    }
    const stacks = table("stacks");
    if (stacks) showTable(stacks, stackTable(stacksInWindow(this.file, this.state.window), this.window));
  }

  /** The "download what is shown" links: the rows of the current window, as CSV (CSV_COLUMNS) and JSON. */
  private updateDownloads(): void {
    const rows = this.rows();
    const base = `${this.file.id}-${this.state.window}`;
    this.setBlob(
      "csv",
      new Blob([`${csvFormat(rows, [...CSV_COLUMNS])}\n`], { type: "text/csv" }),
      `${base}.csv`,
    );
    this.setBlob(
      "json",
      new Blob([JSON.stringify(rows, null, 2)], { type: "application/json" }),
      `${base}.json`,
    );
  }

  private setBlob(kind: string, blob: Blob, filename: string): void {
    const link = this.root.querySelector<HTMLAnchorElement>(`[data-download="${kind}"]`);
    if (!link) return;
    const previous = this.blobUrls.get(kind);
    if (previous) URL.revokeObjectURL(previous);
    const url = URL.createObjectURL(blob);
    this.blobUrls.set(kind, url);
    link.href = url;
    link.download = filename;
  }

  /** Hovering or focusing a row of the numbers table outlines its bar. */
  private pointBarsFromTable(): void {
    const container = this.root.querySelector('[data-table="share"]');
    if (!container) return;
    const mark = (event: Event, on: boolean) => {
      const row = (event.target as Element | null)?.closest?.("tr[data-key]");
      if (!(row instanceof HTMLTableRowElement)) return;
      row.classList.toggle("is-highlighted", on);
      for (const rect of this.root.querySelectorAll('[data-chart="bars"] rect[data-bucket]')) {
        if (rect.getAttribute("data-bucket") === row.dataset.key) rect.classList.toggle("bar-focus", on);
      }
    };
    container.addEventListener("focusin", (e) => mark(e, true));
    container.addEventListener("focusout", (e) => mark(e, false));
    container.addEventListener("mouseover", (e) => mark(e, true));
    container.addEventListener("mouseout", (e) => mark(e, false));
  }
}
