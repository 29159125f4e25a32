// The chart page once the reader interacts with it (chart-page.ts loads this
// module on demand, with Plot): fetches this chart's JSON (and nothing else),
// redraws the charts with Plot at the page's width, with tooltips, and keeps
// the tables, downloads and permalink in step with the chosen window and view.

import { rowsToCsv } from "../pipeline/csv.ts";
import type { ChartFile, ChartRow } from "../pipeline/types.ts";
import { chartPageFigures } from "../charts/figures.ts";
import {
  breakdownTable,
  breakdownsInWindow,
  rowsInWindow,
  shareTable,
  stackTable,
  stacksInWindow,
  stateToQuery,
  weeklyTable,
  windowLabel,
  type ChartState,
  type View,
  type WindowKey,
} from "../site/chart-view.ts";
import { chartWidth, showFigure } from "./figure-dom.ts";
import { showTable } from "./table-dom.ts";

/** Fetches the chart's JSON and takes over the page from its static charts; `initial` is the state the page shows. */
export async function start(root: HTMLElement, initial: ChartState): Promise<void> {
  const status = root.querySelector<HTMLElement>("[data-status]");
  let file: ChartFile;
  try {
    const response = await fetch(root.dataset.json ?? "");
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    file = (await response.json()) as ChartFile;
  } catch (error) {
    if (status)
      status.textContent = `The chart data could not be loaded (${(error as Error).message}); the charts and tables show the latest week.`;
    return;
  }
  new ChartPage(root, file, initial).render();
  if (status) status.textContent = "";
}

class ChartPage {
  private state: ChartState;
  private readonly blobUrls = new Map<string, string>();
  private lastWidth = 0;
  private readonly root: HTMLElement;
  private readonly file: ChartFile;

  constructor(root: HTMLElement, file: ChartFile, initial: ChartState) {
    this.root = root;
    this.file = file;
    const form = root.querySelector<HTMLFormElement>("form[data-controls]");
    this.state = form ? formState(form, initial) : initial;
    form?.addEventListener("change", () => {
      this.state = formState(form, this.state);
      // Choosing a window above asks for its stacks: a week picked under the table gives way.
      const stackWeek = this.stackWeek();
      if (stackWeek) stackWeek.value = "";
      this.render();
    });
    this.stackWeek()?.addEventListener("change", () => this.fillTables());
    for (const link of root.querySelectorAll<HTMLElement>("[data-download]")) link.hidden = false;
    this.lastWidth = this.width();
    new ResizeObserver(() => {
      const width = this.width();
      if (Math.abs(width - this.lastWidth) < 16) return;
      this.lastWidth = width;
      this.drawCharts();
    }).observe(root);
  }

  private width(): number {
    return chartWidth(this.root.querySelector('[data-chart="bars"]') ?? this.root);
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
    history.replaceState(null, "", location.pathname + stateToQuery(this.state) + location.hash);
    const heading = this.root.querySelector("[data-window-heading]");
    if (heading) heading.textContent = windowLabel(this.window);
    this.drawCharts();
    this.fillTables();
    this.updateDownloads();
    const permalink = this.root.querySelector<HTMLAnchorElement>("[data-permalink]");
    if (permalink) permalink.href = location.pathname + stateToQuery(this.state);
  }

  private drawCharts(): void {
    const width = this.width();
    const figures = chartPageFigures(this.file, this.state);
    const bars = this.root.querySelector('[data-chart="bars"]');
    if (bars) {
      showFigure(bars, figures.bars, width);
      bars.setAttribute("data-window", this.state.window);
      bars.setAttribute("data-view", this.state.view);
    }
    const lines = this.root.querySelector('[data-chart="lines"]');
    if (lines) {
      showFigure(lines, figures.lines, width);
      lines.setAttribute("data-view", this.state.view);
    }
    for (const { breakdown, figure } of figures.breakdowns) {
      const chart = this.root.querySelector(`[data-chart="breakdown-${breakdown.dimension}"]`);
      if (chart) showFigure(chart, figure, width);
    }
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
    if (stacks) {
      // A week picked under the table wins over the window chosen above.
      const start = this.stackWeek()?.value;
      const week = start ? this.file.windows.weeks.find((w) => w.start === start) : undefined;
      const weekStacks = week && this.file.weeklyStacks.find((w) => w.start === week.start);
      showTable(
        stacks,
        week && weekStacks
          ? stackTable(weekStacks.stacks, week)
          : stackTable(stacksInWindow(this.file, this.state.window), this.window),
      );
    }
  }

  private stackWeek(): HTMLSelectElement | null {
    return this.root.querySelector<HTMLSelectElement>("[data-stack-week-select]");
  }

  /** The "download what is shown" links: the rows of the current window, as CSV (CSV_COLUMNS) and JSON. */
  private updateDownloads(): void {
    const rows = this.rows();
    const base = `${this.file.id}-${this.state.window}`;
    this.setBlob("csv", new Blob([rowsToCsv(rows)], { type: "text/csv" }), `${base}.csv`);
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
}

/** The window and view the form's radio buttons select. */
function formState(form: HTMLFormElement, fallback: ChartState): ChartState {
  const data = new FormData(form);
  return {
    window: (data.get("window") as WindowKey | null) ?? fallback.window,
    view: (data.get("view") as View | null) ?? fallback.view,
  };
}
