// Browser tests of the built site (dist/, built by `npm run build` from the
// embedded sample and served by e2e/serve.ts under the README's strict
// Content-Security-Policy). Charts are found through public/data/index.json at
// test time, so the tests hold for whatever data the site was built from.
// Every test fails on console errors, CSP violations and dialogs (e2e/guard.ts);
// hostile data is tested by e2e/hostile.spec.ts, the sub-path by e2e/base-path.spec.ts.

import type { Page } from "@playwright/test";
import { csvParse } from "d3-dsv";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { CSV_COLUMNS, type ChartEntry, type ChartFile, type SiteIndex } from "../src/pipeline/types.ts";
import { FEATURED_CHARTS } from "../src/site/config.ts";
import { formatCount } from "../src/site/format.ts";
import { shownChart } from "./charts.ts";
import { expect, test } from "./guard.ts";
import { auditSite } from "./html-audit.ts";

const DATA_DIR = "public/data";
const DIST_DIR = "dist";
const SCREENSHOTS = "test-results/screenshots";
const BASE = (process.env.COUNTERSIGHT_BASE ?? "/").replace(/\/?$/, "/");

const index = JSON.parse(readFileSync(join(DATA_DIR, "index.json"), "utf8")) as SiteIndex;
const chartFile = (entry: ChartEntry): ChartFile =>
  JSON.parse(readFileSync(join(DATA_DIR, entry.json), "utf8")) as ChartFile;

const url = (path: string): string => BASE + path.replace(/^\//, "");
const chartUrl = (entry: ChartEntry): string => url(`charts/${encodeURIComponent(entry.id)}/`);

/** A configured partition chart with rows in its latest week and 4 weeks (go/mode when present). */
const partitionChart: ChartEntry = (() => {
  const candidates = index.charts.filter((c) => !c.builtin && c.type === "partition");
  const hasRows = (entry: ChartEntry): boolean => {
    const file = chartFile(entry);
    return (["latest7", "latest28"] as const).every((key) =>
      file.rows.some(
        (r) => r.window_start === file.windows[key].start && r.window_end === file.windows[key].end,
      ),
    );
  };
  const chart =
    candidates.find((c) => c.name === "go/mode" && hasRows(c)) ??
    candidates.find(hasRows) ??
    index.charts.find(hasRows);
  if (!chart) throw new Error("index.json has no chart with rows in the latest windows");
  return chart;
})();
const builtinChart = index.charts.find((c) => c.builtin);
const stackChart = index.charts.find((c) => c.type === "stack");
const program = index.programs[0];

async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** Cells of the table a page script keeps up to date (data-table="name"), as text. */
async function tableRows(page: Page, name: string): Promise<string[][]> {
  return page
    .locator(`[data-table="${name}"] tbody tr`)
    .evaluateAll((rows) =>
      rows.map((row) => [...row.children].map((cell) => cell.textContent?.trim() ?? "")),
    );
}

async function tableHeader(page: Page, name: string): Promise<string[]> {
  return page.locator(`[data-table="${name}"] thead th`).allTextContents();
}

const bars = (page: Page) => shownChart(page, '[data-chart="bars"]');

// ---------------------------------------------------------------------------

/** chart: the container whose chart must show; ready: a selector that must be visible. */
const pageKinds: { name: string; path: string; chart?: string; ready?: string; allow404?: boolean }[] = [
  { name: "home", path: url(""), chart: "[data-participation]" },
  { name: "charts", path: url("charts/") },
  { name: "chart-partition", path: chartUrl(partitionChart), chart: '[data-chart="bars"]' },
  ...(builtinChart
    ? [{ name: "chart-builtin", path: chartUrl(builtinChart), chart: '[data-chart="lines"]' }]
    : []),
  ...(stackChart
    ? [{ name: "chart-stack", path: chartUrl(stackChart), ready: '[data-table="stacks"]' }]
    : []),
  ...(program ? [{ name: "program", path: url(`programs/${encodeURIComponent(program.id)}/`) }] : []),
  { name: "programs", path: url("programs/") },
  { name: "data", path: url("data/") },
  { name: "config", path: url("config/") },
  { name: "about", path: url("about/") },
  { name: "404", path: url("no-such-page/"), allow404: true },
];

test.describe("every page kind", () => {
  for (const kind of pageKinds) {
    test(`${kind.name} loads without console errors`, async ({ page, guard }) => {
      if (kind.allow404) guard.allow(/status of 404/);
      const response = await page.goto(kind.path);
      expect(response?.status()).toBe(kind.allow404 ? 404 : 200);
      await expect(page.locator("h1")).toBeVisible();
      if (kind.chart) await expect(shownChart(page, kind.chart)).toBeVisible();
      if (kind.ready) await expect(page.locator(kind.ready)).toBeVisible();
      await page.waitForLoadState("networkidle");
      await screenshot(page, kind.name);
    });
  }
});

test("the home page draws a featured chart", async ({ page }) => {
  await page.goto(url(""));
  const featured = FEATURED_CHARTS.some((f) =>
    index.charts.some((c) => c.program === f.program && c.name === f.name),
  );
  const chart = featured ? shownChart(page, "[data-featured]") : shownChart(page, "[data-participation]");
  await expect(chart.first()).toBeVisible();
  await expect(shownChart(page, "[data-participation]")).toBeVisible();
});

test("a chart page fetches only its own chart JSON", async ({ page }) => {
  const dataRequests: string[] = [];
  page.on("request", (request) => {
    const path = new URL(request.url()).pathname;
    if (path.startsWith(url("data/"))) dataRequests.push(path);
  });
  await page.goto(chartUrl(partitionChart));
  await expect(bars(page)).toBeVisible();
  await page.getByRole("radio", { name: /Latest 4 weeks/ }).check();
  await expect(page.locator('a[data-download="csv"]')).toBeVisible();
  await page.waitForLoadState("networkidle");
  expect(dataRequests).toEqual([url(`data/${partitionChart.json}`)]);
});

/** A script the page loaded, as built in dist/ (its URL path under the base). */
const builtScript = (path: string): string => readFileSync(join(DIST_DIR, path.slice(BASE.length)), "utf8");
/** Plot's code names its default SVG class (src/style.js); no other chunk has this string. */
const isPlot = (path: string): boolean => builtScript(path).includes("plot-d6a7b5");

test("a chart page loads a few KB of JavaScript, and Plot only when the reader points at a chart", async ({
  page,
}) => {
  const scripts: string[] = [];
  page.on("request", (request) => {
    if (request.resourceType() === "script") scripts.push(new URL(request.url()).pathname);
  });
  await page.goto(chartUrl(partitionChart));
  await expect(bars(page)).toBeVisible();
  await page.waitForLoadState("networkidle");
  const initial = [...scripts];
  expect(initial.length).toBeGreaterThan(0);
  expect(initial.filter(isPlot)).toEqual([]);
  const gzipped = initial.reduce((total, path) => total + gzipSync(builtScript(path)).length, 0);
  expect(gzipped, `initial scripts ${initial.join(", ")}`).toBeLessThan(10_000);
  // The chart shown so far is the SVG drawn at build time.
  await expect(page.locator('[data-chart="bars"] .plot-static svg[role="img"]')).toHaveCount(2);

  await bars(page).hover();
  await expect(page.locator('[data-chart="bars"] .plot-static')).toHaveCount(0);
  expect(scripts.slice(initial.length).filter(isPlot)).toHaveLength(1);
  const bar = bars(page).locator("rect[data-bucket]").first();
  await bar.hover({ force: true });
  await expect(bars(page).locator('g[aria-label="tip"]')).toContainText(
    (await bar.getAttribute("data-bucket")) ?? "",
  );
});

test("the window selector and the share/reports switch change the chart and the table", async ({ page }) => {
  const file = chartFile(partitionChart);
  await page.goto(chartUrl(partitionChart));
  await expect(bars(page)).toBeVisible();
  const before = { label: await bars(page).getAttribute("aria-label"), rows: await tableRows(page, "share") };
  expect(before.label).toContain("Latest week");

  await page.getByRole("radio", { name: /Latest 4 weeks/ }).check();
  await expect(page.locator('[data-table="share"] caption')).toContainText("Latest 4 weeks");
  await expect(page.locator('[data-chart="bars"]')).toHaveAttribute("data-window", "latest28");
  // Plot redrew the chart in place of the one drawn at build time.
  await expect(page.locator('[data-chart="bars"] .plot-static')).toHaveCount(0);
  await expect(bars(page)).toHaveAttribute("aria-label", /Latest 4 weeks/);
  const latest28 = file.rows.filter(
    (r) => r.window_start === file.windows.latest28.start && r.window_end === file.windows.latest28.end,
  );
  expect(await tableRows(page, "share")).toHaveLength(latest28.length);
  expect(page.url()).toContain("window=latest28");
  await expect(page.locator("[data-window-heading]")).toContainText(file.windows.latest28.start);

  expect(await tableHeader(page, "share")).toEqual([
    "Bucket",
    "Share",
    "95% interval",
    "Reports",
    "Eligible reports",
  ]);
  await page.getByRole("radio", { name: "Reports" }).check();
  await expect(page.locator('[data-chart="bars"]')).toHaveAttribute("data-view", "counts");
  await expect(bars(page)).toHaveAttribute("aria-label", /^Reports per bucket/);
  expect(await tableHeader(page, "share")).toEqual([
    "Bucket",
    "Reports",
    "Counter total",
    "Eligible reports",
    "Share",
  ]);
  expect(page.url()).toContain("view=counts");
  expect(await tableRows(page, "share")).not.toEqual(before.rows);
});

test("a stack chart shows the top stacks of a week picked under its table", async ({ page }) => {
  expect(stackChart, "a stack chart in index.json").toBeDefined();
  if (!stackChart) return;
  const file = chartFile(stackChart);
  // The oldest week with stacks other than the latest week's: picking it must change the table.
  const latest = JSON.stringify(file.stacks.latest7);
  const week = file.weeklyStacks.find((w) => w.stacks.length > 0 && JSON.stringify(w.stacks) !== latest);
  expect(week, "a week whose top stacks differ from the latest week's").toBeDefined();
  if (!week) return;
  await page.goto(chartUrl(stackChart));
  const picker = page.locator("[data-stack-week-select]");
  await expect(picker.locator("option")).toHaveCount(file.windows.weeks.length + 1);
  await picker.selectOption(week.start);
  const table = page.locator('[data-table="stacks"]');
  await expect(table.locator("caption")).toContainText(`${week.start} – ${week.end}`);
  await expect(table.locator("tbody tr")).toHaveCount(week.stacks.length);
  const cells = table.locator("tbody tr").first().locator("th, td");
  await expect(cells.nth(2)).toHaveText(formatCount(week.stacks[0]!.reports));
  // Back to the window chosen above.
  await picker.selectOption("");
  await expect(table.locator("tbody tr")).toHaveCount(file.stacks.latest7?.length ?? 0);
  // Choosing a window above shows its stacks, and the picker gives way.
  await picker.selectOption(week.start);
  await page.getByRole("radio", { name: /Whole range/ }).check();
  await expect(picker).toHaveValue("");
  await expect(table.locator("tbody tr")).toHaveCount(file.stacks.all?.length ?? 0);
});

test("the permalink restores window and view", async ({ page }) => {
  await page.goto(`${chartUrl(partitionChart)}?window=all&view=counts`);
  await expect(bars(page)).toBeVisible();
  await expect(page.getByRole("radio", { name: /Whole range/ })).toBeChecked();
  await expect(page.getByRole("radio", { name: "Reports" })).toBeChecked();
  await expect(page.locator('[data-chart="bars"]')).toHaveAttribute("data-window", "all");
  await expect(page.locator('[data-table="share"] caption')).toContainText("Whole range");
  expect((await tableHeader(page, "share"))[1]).toBe("Reports");
  await expect(page.locator("[data-permalink]")).toHaveAttribute("href", /\?window=all&view=counts$/);

  // A permalink taken from the page after changing the view restores it too.
  await page.getByRole("radio", { name: /Latest 4 weeks/ }).check();
  await page.getByRole("radio", { name: "Share" }).check();
  const permalink = await page.locator("[data-permalink]").getAttribute("href");
  expect(permalink).toMatch(/\?window=latest28$/);
  await page.goto(new URL(permalink ?? "", page.url()).href);
  await expect(page.getByRole("radio", { name: /Latest 4 weeks/ })).toBeChecked();
  await expect(page.getByRole("radio", { name: "Share" })).toBeChecked();
});

test("the CSV download has the documented header and the numbers in the table", async ({ page }) => {
  const file = chartFile(partitionChart);
  await page.goto(`${chartUrl(partitionChart)}?window=latest28&view=counts`);
  await expect(page.locator('a[data-download="csv"]')).toBeVisible();
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.locator('[data-download="csv"]').click(),
  ]);
  expect(download.suggestedFilename()).toBe(`${partitionChart.id}-latest28.csv`);
  const csv = readFileSync((await download.path()) ?? "", "utf8");
  expect(csv.split("\n")[0]).toBe(CSV_COLUMNS.join(","));

  const rows = csvParse(csv);
  const table = await tableRows(page, "share");
  expect(rows).toHaveLength(table.length);
  const header = await tableHeader(page, "share");
  const reportsColumn = header.indexOf("Reports");
  rows.forEach((row, i) => {
    expect(row.bucket).toBe(table[i]?.[0]);
    expect(row.reports).toBe(table[i]?.[reportsColumn]?.replace(/,/g, ""));
    expect(row.window_start).toBe(file.windows.latest28.start);
    expect(row.window_end).toBe(file.windows.latest28.end);
    expect(row.program).toBe(file.program);
    expect(row.chart).toBe(file.name);
  });
});

test("table rows are focusable and point at their bar", async ({ page }) => {
  await page.goto(chartUrl(partitionChart));
  await expect(bars(page)).toBeVisible();
  const firstRow = page.locator('[data-table="share"] tbody tr').first();
  await firstRow.focus();
  await expect(firstRow).toBeFocused();
  await expect(bars(page).locator("rect.bar-focus")).toHaveCount(1);
  await expect(bars(page)).toHaveAttribute("role", "img");
});

test("the filter box narrows the list of charts", async ({ page }) => {
  await page.goto(url("charts/"));
  const items = page.locator("[data-filter-text]");
  const visible = page.locator("[data-filter-text]:visible");
  await expect(items).toHaveCount(index.charts.length);
  await expect(visible).toHaveCount(index.charts.length);
  const box = page.getByRole("searchbox", { name: "Filter charts" });

  await box.fill(partitionChart.name);
  const expected = index.charts.filter((c) =>
    `${c.title} ${c.name} ${c.program}`.toLowerCase().includes(partitionChart.name.toLowerCase()),
  ).length;
  await expect(visible).toHaveCount(expected);
  expect(expected).toBeLessThan(index.charts.length);
  await expect(
    page.locator("[data-filter-text]:visible a", { hasText: partitionChart.title }).first(),
  ).toBeVisible();

  await box.fill("no chart is called this");
  await expect(visible).toHaveCount(0);
  await box.fill("");
  await expect(visible).toHaveCount(index.charts.length);
});

test("the theme toggle switches theme and remembers it", async ({ page }) => {
  await page.emulateMedia({ colorScheme: "light" });
  await page.goto(url("about/"));
  const toggle = page.locator("[data-theme-toggle]");
  await expect(toggle).toBeVisible();
  await toggle.click();
  await expect(page.locator("html")).toHaveAttribute("data-theme", "dark");
  await page.reload();
  await expect(page.locator("html")).toHaveAttribute("data-theme", "dark");
  const background = await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
  expect(background).not.toBe("rgb(255, 255, 255)");
});

test("phone width: no horizontal scrolling of the page", async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  for (const [name, path] of [
    ["home-phone", url("")],
    ["chart-phone", chartUrl(partitionChart)],
  ] as const) {
    await page.goto(path);
    await page.waitForLoadState("networkidle");
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow, `${name} overflows by ${overflow}px`).toBeLessThanOrEqual(0);
    await screenshot(page, name);
  }
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("chart pages show their numbers in tables", async ({ page }) => {
    const file = chartFile(partitionChart);
    const latest7 = file.rows.filter(
      (r) => r.window_start === file.windows.latest7.start && r.window_end === file.windows.latest7.end,
    );
    await page.goto(chartUrl(partitionChart));
    await expect(page.locator('[data-table="share"] table')).toBeVisible();
    await expect(page.locator('[data-table="share"] tbody tr')).toHaveCount(latest7.length);
    await expect(page.locator('[data-table="weekly"] table')).toBeVisible();
    await expect(page.locator("form[data-controls]")).toBeHidden();
    await screenshot(page, "chart-partition-nojs");
  });

  test("chart pages and the home page show their charts, drawn at build time", async ({ page }) => {
    const file = chartFile(partitionChart);
    const latest7 = file.rows.filter(
      (r) => r.window_start === file.windows.latest7.start && r.window_end === file.windows.latest7.end,
    );
    await page.goto(chartUrl(partitionChart));
    await expect(bars(page)).toHaveAttribute("aria-label", /Latest week/);
    await expect(bars(page).locator("rect[data-bucket]")).toHaveCount(latest7.length);
    await expect(shownChart(page, '[data-chart="lines"]')).toBeVisible();
    for (const breakdown of file.breakdowns.filter((b) => b.window.kind === "latest7")) {
      await expect(shownChart(page, `[data-chart="breakdown-${breakdown.dimension}"]`)).toBeVisible();
    }
    // On a phone the chart drawn for a phone's width shows, not the wide one scaled down.
    await page.setViewportSize({ width: 390, height: 844 });
    await expect(page.locator('[data-chart="bars"] [data-size="narrow"] svg')).toBeVisible();
    await expect(page.locator('[data-chart="bars"] [data-size="wide"] svg')).toBeHidden();
    await page.goto(url(""));
    await expect(shownChart(page, "[data-participation]")).toBeVisible();
    const featured = FEATURED_CHARTS.some((f) =>
      index.charts.some((c) => c.program === f.program && c.name === f.name),
    );
    expect(featured, "the sample has the featured charts").toBe(true);
    await expect(shownChart(page, "[data-featured]").first()).toBeVisible();
  });

  test("stack charts list their stacks as text", async ({ page }) => {
    // The embedded sample has stack charts: their absence is a failure, not a skip.
    expect(stackChart, "a stack chart in index.json").toBeDefined();
    if (!stackChart) return;
    const stacks = chartFile(stackChart).stacks.latest7 ?? [];
    await page.goto(chartUrl(stackChart));
    await expect(page.locator('[data-table="stacks"] tbody tr')).toHaveCount(stacks.length);
    if (stacks[0]) {
      await expect(page.locator('[data-table="stacks"] pre').first()).toHaveText(stacks[0].frames.join("\n"));
    }
  });

  test("the home, list, program and data pages work", async ({ page }) => {
    await page.goto(url(""));
    await expect(page.locator("main table").first()).toBeVisible();
    await page.goto(url("charts/"));
    await expect(page.locator("[data-filter-text]:visible")).toHaveCount(index.charts.length);
    await expect(page.locator("main svg").first()).toBeVisible();
    if (program) {
      await page.goto(url(`programs/${encodeURIComponent(program.id)}/`));
      await expect(page.locator("main table").first()).toBeVisible();
    }
    await page.goto(url("data/"));
    await expect(page.locator("main table")).toHaveCount(2);
    await page.getByRole("link", { name: "About" }).first().click();
    await expect(page).toHaveURL(new RegExp(`${url("about/")}$`));
  });
});

test("the built HTML has no inline scripts or styles, event handlers or javascript: URLs", () => {
  const { files, problems } = auditSite(DIST_DIR);
  expect(files).toBeGreaterThan(index.charts.length);
  expect(problems).toEqual([]);
});

test("the server sends the Content-Security-Policy the README documents", async ({ request }) => {
  const readme = readFileSync("README.md", "utf8");
  const documented = /^Content-Security-Policy: (.+)$/m.exec(readme)?.[1];
  expect(documented, "README.md has a line 'Content-Security-Policy: …'").toBeDefined();
  const response = await request.get(url(""));
  expect(response.headers()["content-security-policy"]).toBe(documented);
});
