// The chart page in the browser, the part that loads with it. The page's HTML
// already shows the default view: the charts as SVG drawn at build time, the
// numbers in tables. This script only shows the controls, folds the secondary
// tables and points table rows at their bars; Plot and the chart's JSON are
// loaded (chart-page-interactive.ts) the first time the reader points at or
// focuses a chart, or changes window or view, or when a permalink asks for a
// view other than the default.

import { DEFAULT_STATE, parseState, type ChartState } from "../site/chart-view.ts";

const root = document.querySelector<HTMLElement>("[data-chart-page]");
if (root) setUp(root);

function setUp(root: HTMLElement): void {
  const state = parseState(new URLSearchParams(location.search));
  const form = root.querySelector<HTMLFormElement>("form[data-controls]");
  if (form) {
    for (const input of form.querySelectorAll("input")) {
      input.checked = input.value === (input.name === "window" ? state.window : state.view);
    }
    form.hidden = false;
    form.addEventListener("submit", (event) => event.preventDefault());
  }
  // The charts carry the picture; secondary tables fold away under them (open without JavaScript).
  for (const details of root.querySelectorAll("details[data-fold]")) details.removeAttribute("open");
  pointBarsFromTable(root);

  const interact = once(() => void loadInteractive(root, state));
  form?.addEventListener("change", interact);
  const stackWeek = root.querySelector<HTMLElement>("[data-stack-week]");
  if (stackWeek) {
    // The table shows the window's stacks: a week a reload or back button restored must go.
    const select = stackWeek.querySelector("select");
    if (select) select.value = "";
    stackWeek.hidden = false;
    stackWeek.addEventListener("change", interact);
  }
  for (const chart of root.querySelectorAll(".chart")) {
    chart.addEventListener("pointerenter", interact);
    chart.addEventListener("focusin", interact);
  }
  if (state.window !== DEFAULT_STATE.window || state.view !== DEFAULT_STATE.view) interact();
}

function once(action: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    action();
  };
}

async function loadInteractive(root: HTMLElement, state: ChartState): Promise<void> {
  try {
    const { start } = await import("./chart-page-interactive.ts");
    await start(root, state);
  } catch (error) {
    const status = root.querySelector<HTMLElement>("[data-status]");
    if (status)
      status.textContent = `The interactive chart could not be loaded (${(error as Error).message}); the charts and tables show the latest week.`;
  }
}

/** Hovering or focusing a row of the numbers table outlines its bar (in the static chart and the interactive one). */
function pointBarsFromTable(root: HTMLElement): void {
  const container = root.querySelector('[data-table="share"]');
  if (!container) return;
  const mark = (event: Event, on: boolean) => {
    const row = (event.target as Element | null)?.closest?.("tr[data-key]");
    if (!(row instanceof HTMLTableRowElement)) return;
    row.classList.toggle("is-highlighted", on);
    for (const rect of root.querySelectorAll('[data-chart="bars"] rect[data-bucket]')) {
      if (rect.getAttribute("data-bucket") === row.dataset.key) rect.classList.toggle("bar-focus", on);
    }
  };
  container.addEventListener("focusin", (e) => mark(e, true));
  container.addEventListener("focusout", (e) => mark(e, false));
  container.addEventListener("mouseover", (e) => mark(e, true));
  container.addEventListener("mouseout", (e) => mark(e, false));
}
