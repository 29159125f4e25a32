// Browser tests of the site built from hostile data (test/fixtures/hostile,
// built by e2e/build-hostile.ts and served by e2e/serve.ts under the strict
// Content-Security-Policy). Program, chart and bucket names, stack frames,
// titles, descriptions, issue links and day sources carry markup, script,
// javascript: URLs, quotes, ampersands and spreadsheet formulas. The site must
// show every one of them as text: every test fails on a dialog, a console
// error, a CSP violation or `window.__pwned` being set (e2e/guard.ts).

import type { Page } from "@playwright/test";
import { csvParse } from "d3-dsv";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { ChartEntry, ChartFile, ConfigFile, DayStatus, SiteIndex } from "../src/pipeline/types.ts";
import { HOSTILE, UNSAFE_LINKS, UNSAFE_SOURCE_DAY } from "./build-hostile.ts";
import { shownChart } from "./charts.ts";
import { expect, test } from "./guard.ts";
import { auditSite } from "./html-audit.ts";

const readJson = <T>(path: string): T => JSON.parse(readFileSync(join(HOSTILE.data, path), "utf8")) as T;
const index = readJson<SiteIndex>("index.json");
const chartFile = (entry: ChartEntry): ChartFile => readJson<ChartFile>(entry.json);
const config = readJson<ConfigFile>(index.files.config);
const days = readJson<DayStatus[]>(index.files.days);

const chartUrl = (entry: ChartEntry): string => `charts/${encodeURIComponent(entry.id)}/`;
const programUrl = (id: string): string => `programs/${encodeURIComponent(id)}/`;

function chart(predicate: (entry: ChartEntry) => boolean, what: string): ChartEntry {
  const entry = index.charts.find(predicate);
  if (!entry) throw new Error(`the hostile data has no ${what}`);
  return entry;
}
const partitionChart = chart(
  (c) => c.name === "hostile/<b>buckets</b>",
  "partition chart hostile/<b>buckets</b>",
);
const stackChart = chart((c) => c.type === "stack", "stack chart");
const formulaChart = chart((c) => c.name === "hostile/csv", "partition chart hostile/csv");
const builtinChart = chart(
  (c) => c.builtin && c.name === "GOOS" && c.program === partitionChart.program,
  "GOOS chart",
);

/** The strings every payload of the fixtures is made of. */
const SCRIPT = "<script>alert(1)</script>";
const IMG = `<img src=x onerror="window.__pwned=1">`;
const SVG = `"'><svg onload="window.__pwned=1">`;
const FORMULA = `=HYPERLINK("http://x")`;

/** Problems in the live DOM: inline scripts, event handler attributes, javascript: or data: URLs, images in main. */
async function domProblems(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const problems: string[] = [];
    for (const element of document.querySelectorAll("*")) {
      for (const { name, value } of element.attributes) {
        if (name.startsWith("on")) problems.push(`<${element.localName}> has ${name}="${value}"`);
        if (
          ["href", "src", "action", "formaction", "xlink:href"].includes(name) &&
          /^\s*(javascript|data):/i.test(value)
        )
          problems.push(`<${element.localName}> has ${name}="${value}"`);
      }
    }
    for (const script of document.querySelectorAll("script:not([src])")) {
      if (script.getAttribute("type") !== "application/json")
        problems.push(`inline script: ${script.textContent}`);
    }
    for (const image of document.querySelectorAll("main img, main iframe, main object, main embed")) {
      problems.push(`<${image.localName}> in main`);
    }
    return problems;
  });
}

/** Text without whitespace or zero-width spaces, to compare text that may wrap. */
const squeeze = (text: string): string => text.replace(/[\s\u200b]+/g, "");

/** Texts of the cells of a table a page shows (data-table="name"), row by row. */
async function tableRows(page: Page, name: string): Promise<string[][]> {
  return page
    .locator(`[data-table="${name}"] tbody tr`)
    .evaluateAll((rows) => rows.map((row) => [...row.children].map((cell) => cell.textContent ?? "")));
}

const chartSvg = (page: Page, name: string) => shownChart(page, `[data-chart="${name}"]`);

/**
 * Makes a chart page interactive (the first change of window loads Plot and the
 * chart's JSON, which redraw the charts and show the table downloads).
 */
async function goInteractive(page: Page): Promise<void> {
  await page.locator('form[data-controls] input[name="window"][value="all"]').check();
  await expect(page.locator('a[data-download="csv"]')).toBeVisible();
}

// ---------------------------------------------------------------------------

const pageKinds: { name: string; path: string; ready: string; chart?: boolean; notFound?: boolean }[] = [
  { name: "home", path: "", ready: '[data-participation] svg[role="img"]' },
  { name: "all charts", path: "charts/", ready: "form[data-filter]" },
  ...index.charts.map((entry) => ({
    name: `chart ${entry.id}`,
    path: chartUrl(entry),
    ready: "form[data-controls]",
    chart: true,
  })),
  { name: "programs", path: "programs/", ready: "h1" },
  ...index.programs.map((program) => ({
    name: `program ${program.id}`,
    path: programUrl(program.id),
    ready: "h1",
  })),
  { name: "data", path: "data/", ready: "h1" },
  { name: "config", path: "config/", ready: "h1" },
  { name: "about", path: "about/", ready: "h1" },
  { name: "404", path: `charts/${encodeURIComponent(SCRIPT)}/`, ready: "h1", notFound: true },
];

test.describe("every page of the hostile site", () => {
  for (const kind of pageKinds) {
    test(`${kind.name}: no markup, script or unsafe link from the data`, async ({ page, guard }) => {
      if (kind.notFound) guard.allow(/status of 404/);
      const response = await page.goto(kind.path);
      expect(response?.status()).toBe(kind.notFound ? 404 : 200);
      await expect(page.locator(kind.ready).first()).toBeVisible();
      await expect(page.locator("h1")).toBeVisible();
      expect(await domProblems(page)).toEqual([]);
      if (kind.chart) {
        await goInteractive(page);
        expect(await domProblems(page)).toEqual([]);
      }
    });
  }
});

test("the built HTML has no inline scripts or styles, event handlers or javascript: URLs", () => {
  const { files, problems } = auditSite(HOSTILE.out);
  expect(files).toBeGreaterThan(index.charts.length);
  expect(problems).toEqual([]);
});

test("a chart page shows its title, description, counter, program and buckets as text", async ({ page }) => {
  const file = chartFile(partitionChart);
  await page.goto(chartUrl(partitionChart));
  await goInteractive(page);
  await expect(page).toHaveTitle(`${file.title} · countersight`);
  await expect(page.locator('meta[name="description"]')).toHaveAttribute("content", file.description);
  await expect(page.locator("h1")).toContainText(file.title);
  await expect(page.locator(".lede")).toHaveText(file.description);
  await expect(page.locator(".facts code").first()).toHaveText(file.name);
  await expect(page.locator(".facts code").nth(1)).toHaveText(file.counter);
  await expect(page.locator(".crumbs a").nth(1)).toHaveText(file.program);

  const buckets = (await tableRows(page, "share")).map((row) => row[0] ?? "");
  for (const bucket of buckets) expect(file.buckets).toContain(bucket);
  for (const payload of [SCRIPT, IMG, SVG, FORMULA, "Tom & Jerry's &lt;b&gt;"]) {
    expect(buckets).toContain(payload);
    await expect(page.getByRole("rowheader", { name: payload, exact: true }).first()).toBeVisible();
  }
  // The legend of the weekly chart names buckets too.
  await expect(page.locator('[data-chart="lines"] .legend span', { hasText: SCRIPT }).first()).toHaveText(
    SCRIPT,
  );
});

test("only http(s) issue links become links; javascript: and data: ones stay text", async ({ page }) => {
  const file = chartFile(partitionChart);
  const httpIssues = file.issues.filter((issue) => /^https?:/.test(issue));
  expect(httpIssues.length).toBeGreaterThan(0);
  for (const path of [chartUrl(partitionChart), "config/"]) {
    await page.goto(path);
    for (const issue of httpIssues) {
      const link = page.getByRole("link", { name: issue, exact: true }).first();
      await expect(link).toBeVisible();
      await expect(link).toHaveAttribute("href", new URL(issue).href);
    }
    for (const unsafe of UNSAFE_LINKS) {
      const text = page.getByText(unsafe.trim(), { exact: true }).first();
      await expect(text).toBeVisible();
      expect(await text.evaluate((element) => element.closest("a"))).toBeNull();
    }
    await expect(page.locator('a[href^="javascript:" i], a[href^="data:" i]')).toHaveCount(0);
  }
});

test("stack frames show as text in the stacks table", async ({ page }) => {
  const stacks = chartFile(stackChart).stacks.all ?? [];
  expect(stacks.length).toBeGreaterThan(0);
  await page.goto(chartUrl(stackChart));
  await goInteractive(page);
  await expect(page.locator("h1")).toContainText(SVG);
  const frames = page.locator('[data-table="stacks"] pre');
  await expect(frames).toHaveText(stacks.map((stack) => stack.frames.join("\n")));
  await expect(frames.filter({ hasText: SCRIPT }).first()).toBeVisible();
});

test("tooltips, focused rows and every window and view show hostile buckets as text", async ({ page }) => {
  for (const entry of [partitionChart, builtinChart]) {
    await page.goto(chartUrl(entry));
    await goInteractive(page);
    const windows = page.locator('form[data-controls] input[name="window"]');
    const views = page.locator('form[data-controls] input[name="view"]');
    for (let w = 0; w < (await windows.count()); w++) {
      for (let v = 0; v < (await views.count()); v++) {
        await windows.nth(w).check();
        await views.nth(v).check();
        const svg = chartSvg(page, "bars");
        const bars = svg.locator("rect[data-bucket]");
        await expect(bars.first()).toBeVisible();
        for (let b = 0; b < (await bars.count()); b++) {
          const bar = bars.nth(b);
          const bucket = (await bar.getAttribute("data-bucket")) ?? "";
          await bar.hover({ force: true });
          // Plot wraps long tip lines (at spaces, marking breaks with zero-width spaces).
          await expect
            .poll(async () => squeeze((await svg.locator('g[aria-label="tip"]').textContent()) ?? ""))
            .toContain(squeeze(bucket));
        }
        await page.locator('[data-table="share"] tbody tr').first().focus();
        await expect(svg.locator("rect.bar-focus")).toHaveCount(1);
        expect(await domProblems(page)).toEqual([]);
      }
    }
    // The weekly lines have tooltips too, naming a bucket.
    const lines = chartSvg(page, "lines");
    await lines.locator('g[aria-label="dot"] circle').last().hover({ force: true });
    const tipNamesBucket = async () => {
      const tip = squeeze((await lines.locator('g[aria-label="tip"]').textContent()) ?? "");
      return chartFile(entry).buckets.some((bucket) => tip.includes(squeeze(bucket)));
    };
    await expect.poll(tipNamesBucket).toBe(true);
  }
});

test("the charts list shows hostile titles as text and the filter matches them", async ({ page }) => {
  await page.goto("charts/");
  for (const entry of index.charts.filter((c) => !c.builtin)) {
    await expect(page.getByRole("link", { name: entry.title, exact: true })).toBeVisible();
  }
  await expect(page.getByRole("link", { name: index.programs[0]?.name ?? "", exact: true })).toBeVisible();
  await page.getByRole("searchbox", { name: "Filter charts" }).fill(SCRIPT);
  const visible = page.locator("[data-filter-text]:visible");
  const expected = index.charts.filter((c) =>
    `${c.title} ${c.name} ${c.program}`.toLowerCase().includes(SCRIPT.toLowerCase()),
  ).length;
  await expect(visible).toHaveCount(expected);
  expect(expected).toBeLessThan(index.charts.length);
});

test("program pages show hostile program, chart and bucket names as text", async ({ page }) => {
  for (const program of index.programs) {
    await page.goto(programUrl(program.id));
    await expect(page.locator("h1")).toContainText(program.name);
    expect(await page.title()).toContain(program.name);
  }
  await page.goto(programUrl(index.programs.find((p) => p.name === partitionChart.program)?.id ?? ""));
  await expect(page.locator(".minibars th", { hasText: SCRIPT }).first()).toHaveText(SCRIPT);
  await expect(page.locator(".chart-card h3 a", { hasText: "partition" })).toHaveText(partitionChart.title);
});

test("the home page names hostile programs as text", async ({ page }) => {
  await page.goto("");
  await expect(shownChart(page, "[data-participation]")).toBeVisible();
  for (const program of index.programs) {
    await expect(page.getByRole("link", { name: program.name, exact: true }).first()).toBeVisible();
    await expect(page.locator("[data-participation] .legend span", { hasText: program.name })).toHaveText(
      program.name,
    );
  }
});

test("the config page shows the chart config character for character", async ({ page }) => {
  await page.goto("config/");
  expect(await page.locator("pre.config-text").textContent()).toBe(config.chartConfig.text);
  expect(config.chartConfig.text).toBe(readFileSync(HOSTILE.charts, "utf8"));
  for (const chart of config.chartConfig.parsed) {
    await expect(page.getByRole("rowheader", { name: chart.title, exact: true })).toBeVisible();
  }
});

test("the data page shows rejected lines as text and a javascript: source as text", async ({ page }) => {
  await page.goto("data/");
  for (const details of await page.locator("td.details details").all())
    await details.locator("summary").click();
  const rejection = days.flatMap((day) => day.rejections).find((r) => r.detail.includes("onerror"));
  expect(rejection).toBeDefined();
  await expect(page.locator("td.details li", { hasText: rejection?.detail ?? "" }).first()).toBeVisible();
  const unsafeDay = page.getByRole("rowheader", { name: UNSAFE_SOURCE_DAY, exact: true });
  await expect(unsafeDay).toBeVisible();
  await expect(unsafeDay.locator("a")).toHaveCount(0);
});

test("the table's CSV download starts formula cells with '", async ({ page }) => {
  await page.goto(chartUrl(formulaChart));
  await goInteractive(page);
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.locator('[data-download="csv"]').click(),
  ]);
  const rows = csvParse(readFileSync((await download.path()) ?? "", "utf8"));
  const buckets = rows.map((row) => row.bucket);
  expect(buckets).toContain(`'${FORMULA}`);
  expect(buckets).not.toContain(FORMULA);
  for (const bucket of buckets) expect(bucket).not.toMatch(/^[=+\-@\t\r]/);
});

test("the static CSV files start formula cells with '", async ({ page }) => {
  await page.goto(chartUrl(formulaChart));
  const whole = page.locator(".downloads a[download]:not([data-download])", { hasText: "CSV" });
  await expect(whole).toHaveAttribute("href", `/data/${formulaChart.csv}`);
  const [download] = await Promise.all([page.waitForEvent("download"), whole.click()]);
  const chartCsv = readFileSync((await download.path()) ?? "", "utf8");
  const allCsv = await (await page.request.get(`data/${index.files.all_csv}`)).text();
  for (const csv of [chartCsv, allCsv]) {
    const cells = csvParse(csv).flatMap((row) => [row.program, row.chart, row.bucket]);
    expect(cells).toContain(`'${FORMULA}`);
    for (const cell of cells) expect(cell).not.toMatch(/^[=+\-@\t\r]/);
  }
});

test("the JSON downloads keep hostile strings exactly", async ({ page }) => {
  await page.goto(chartUrl(formulaChart));
  await goInteractive(page);
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.locator('[data-download="json"]').click(),
  ]);
  const rows = JSON.parse(readFileSync((await download.path()) ?? "", "utf8")) as { bucket: string }[];
  expect(rows.map((row) => row.bucket)).toContain(FORMULA);
});
