// Renders a TableModel in the browser with the same markup as DataTable.astro
// renders at build time. Text goes in through textContent only.

import type { TableModel } from "../site/chart-view.ts";

export interface TableOptions {
  /** Rows that can take keyboard focus (to point at their bar in the chart). */
  focusableRows?: boolean;
}

export function tableContent(model: TableModel, { focusableRows = false }: TableOptions = {}): HTMLElement {
  if (model.rows.length === 0) {
    const empty = document.createElement("p");
    empty.className = "empty";
    empty.textContent = model.empty;
    return empty;
  }
  const table = document.createElement("table");
  table.className = "data";
  const caption = table.createCaption();
  caption.textContent = model.caption;
  const headRow = table.createTHead().insertRow();
  for (const column of model.columns) {
    const th = document.createElement("th");
    th.scope = "col";
    if (column.numeric) th.className = "num";
    th.textContent = column.label;
    headRow.append(th);
  }
  const body = table.createTBody();
  for (const row of model.rows) {
    const tr = body.insertRow();
    tr.dataset.key = row.key;
    if (focusableRows) tr.tabIndex = 0;
    row.cells.forEach((cell, i) => {
      const element = document.createElement(i === 0 ? "th" : "td");
      if (i === 0) element.setAttribute("scope", "row");
      if (cell.kind === "number") element.className = "num";
      if (cell.kind === "frames") {
        const pre = document.createElement("pre");
        pre.className = "frames";
        pre.textContent = cell.text;
        element.append(pre);
      } else {
        element.textContent = cell.text;
      }
      tr.append(element);
    });
  }
  return table;
}

/** Replaces a container's content with the table (or its empty message). */
export function showTable(container: Element, model: TableModel, options?: TableOptions): void {
  container.replaceChildren(tableContent(model, options));
}
