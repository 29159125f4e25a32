// Browser tests of the sample site built for a sub-path
// (COUNTERSIGHT_BASE=/countersight/, into .cache/e2e/dist-base) and served
// only under /countersight/ by e2e/serve.ts: anything the site asks for
// outside the base path gets a 404 there, and fails these tests
// (guard.onlyRequestsUnder).

import type { Locator, Page } from "@playwright/test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { SiteIndex } from "../src/pipeline/types.ts";
import { shownChart } from "./charts.ts";
import { expect, test } from "./guard.ts";
import { auditSite } from "./html-audit.ts";

const BASE = "/countersight/";
const DIST_DIR = ".cache/e2e/dist-base";
const index = JSON.parse(readFileSync(join(DIST_DIR, "data", "index.json"), "utf8")) as SiteIndex;

test.beforeEach(async ({ guard, baseURL }) => {
  expect(new URL(baseURL ?? "").pathname).toBe(BASE);
  guard.onlyRequestsUnder(new URL(BASE, baseURL).href);
});

/** Clicks a link and waits for the page it leads to, which must be under the base path. */
async function follow(page: Page, link: Locator, path: string): Promise<void> {
  await expect(link).toHaveAttribute("href", new RegExp(`^${BASE}`));
  await Promise.all([page.waitForURL(`**${BASE}${path}`), link.click()]);
  await expect(page.locator("h1")).toBeVisible();
}

test("every page kind is reached by its links, and all it loads is under the base path", async ({ page }) => {
  const response = await page.goto("");
  expect(response?.status()).toBe(200);
  await expect(shownChart(page, "[data-participation]")).toBeVisible();

  await follow(
    page,
    page.getByRole("navigation", { name: "Site" }).getByRole("link", { name: "Charts" }),
    "charts/",
  );
  await expect(page.locator("[data-filter-text]")).toHaveCount(index.charts.length);

  const chart = index.charts.find((c) => !c.builtin && c.type === "partition") ?? index.charts[0];
  if (!chart) throw new Error("index.json has no charts");
  await follow(
    page,
    page.locator(`a.title[href$="/charts/${encodeURIComponent(chart.id)}/"]`),
    `charts/${encodeURIComponent(chart.id)}/`,
  );
  await expect(shownChart(page, '[data-chart="bars"]')).toBeVisible();
  // Changing the window loads the interactive chart: its code and the chart's JSON.
  await page.getByRole("radio", { name: /Latest 4 weeks/ }).check();
  await expect(page.locator('a[data-download="csv"]')).toBeVisible();
  await expect(shownChart(page, '[data-chart="bars"]')).toHaveAttribute("aria-label", /Latest 4 weeks/);

  const program = index.programs.find((p) => p.name === chart.program);
  await follow(page, page.locator(".crumbs a").nth(1), `programs/${encodeURIComponent(program?.id ?? "")}/`);
  await expect(page.locator("h1")).toContainText(chart.program);

  const nav = page.getByRole("navigation", { name: "Site" });
  await follow(page, nav.getByRole("link", { name: "Data" }), "data/");
  await follow(page, nav.getByRole("link", { name: "Config" }), "config/");
  await follow(page, nav.getByRole("link", { name: "About" }), "about/");
  await follow(page, page.locator("a.brand"), "");
});

test("a chart page's downloads and data links answer 200 under the base path", async ({ page }) => {
  const chart = index.charts.find((c) => !c.builtin) ?? index.charts[0];
  if (!chart) throw new Error("index.json has no charts");
  await page.goto(`charts/${encodeURIComponent(chart.id)}/`);
  await expect(shownChart(page, '[data-chart="bars"]')).toBeVisible();
  const whole = page.locator(".downloads a[download]");
  const hrefs = await whole.evaluateAll((links) => links.map((link) => link.getAttribute("href") ?? ""));
  expect(hrefs).toEqual([`${BASE}data/${chart.csv}`, `${BASE}data/${chart.json}`]);

  await page.goto("data/");
  const dataLinks = await page
    .locator("main a")
    .evaluateAll((links) =>
      links.map((link) => link.getAttribute("href") ?? "").filter((href) => href.includes("/data/")),
    );
  expect(dataLinks.length).toBeGreaterThan(0);
  for (const href of [...hrefs, ...dataLinks]) {
    expect(href.startsWith(BASE), href).toBe(true);
    const response = await page.request.get(href);
    expect(response.status(), href).toBe(200);
  }
});

test("the sitemap lists the pages under the base path", async ({ request }) => {
  const sitemapIndex = await request.get("sitemap-index.xml");
  expect(sitemapIndex.status()).toBe(200);
  const sitemapUrl = /<loc>([^<]+)<\/loc>/.exec(await sitemapIndex.text())?.[1] ?? "";
  expect(new URL(sitemapUrl).pathname).toBe(`${BASE}sitemap-0.xml`);
  const sitemap = await request.get(new URL(sitemapUrl).pathname);
  expect(sitemap.status()).toBe(200);
  const pages = [...(await sitemap.text()).matchAll(/<loc>([^<]+)<\/loc>/g)].map(
    (m) => new URL(m[1] ?? "").pathname,
  );
  expect(pages).toContain(BASE);
  expect(pages).toContain(`${BASE}charts/`);
  for (const path of pages) expect(path.startsWith(BASE), path).toBe(true);
});

test("requests outside the base path get the 404 page", async ({ request }) => {
  for (const path of ["/", "/charts/", "/data/index.json", "/countersight"]) {
    const response = await request.get(path);
    expect(response.status(), path).toBe(404);
    expect(await response.text(), path).toContain("Page not found");
  }
});

test("the built HTML has no inline scripts or styles, event handlers or javascript: URLs", () => {
  const { files, problems } = auditSite(DIST_DIR);
  expect(files).toBeGreaterThan(index.charts.length);
  expect(problems).toEqual([]);
});
