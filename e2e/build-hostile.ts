// Builds the hostile site the browser tests of e2e/hostile.spec.ts run against:
//
//   1. `npm run data` over test/fixtures/hostile (reports and chart config whose
//      strings carry markup, script and spreadsheet formulas);
//   2. adds what the pipeline cannot produce but a data directory could hold:
//      javascript: and data: URLs among a chart's issue links, in the parsed
//      chart config, and as a day's source (chartconfig.ts rejects non-http(s)
//      issue links, and a day's source is a file path or an http(s) URL), so
//      the site's own defence (safeExternalHref) is tested too;
//   3. `astro build` reading that directory (COUNTERSIGHT_DATA), into OUT;
//   4. replaces OUT/data's files (copied from public/data by Astro) with the
//      hostile ones, which chart pages fetch and the downloads link to.
//
//   node e2e/build-hostile.ts    (the "hostile" webServer of playwright.config.ts runs it)

import { execFileSync } from "node:child_process";
import { cpSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { ChartFile, ConfigFile, DayStatus, SiteIndex } from "../src/pipeline/types.ts";

export const HOSTILE = {
  reports: "test/fixtures/hostile/reports",
  charts: "test/fixtures/hostile/charts.txt",
  data: ".cache/e2e/hostile-data",
  cache: ".cache/e2e/hostile-cache",
  out: ".cache/e2e/dist-hostile",
};

/** Links that must stay text wherever they appear. */
export const UNSAFE_LINKS = [
  "javascript:alert(1)",
  " JaVaScRiPt:window.__pwned=1",
  "data:text/html,<script>alert(1)</script>",
];

/** The day whose source becomes a javascript: URL. */
export const UNSAFE_SOURCE_DAY = "2026-11-09";

function run(command: string, args: string[], env: NodeJS.ProcessEnv = {}): void {
  execFileSync(command, args, { stdio: "inherit", env: { ...process.env, ...env } });
}

function editJson<T>(path: string, edit: (value: T) => void): void {
  const value = JSON.parse(readFileSync(path, "utf8")) as T;
  edit(value);
  writeFileSync(path, JSON.stringify(value));
}

function addUnsafeLinks(dataDir: string): void {
  const index = JSON.parse(readFileSync(join(dataDir, "index.json"), "utf8")) as SiteIndex;
  for (const entry of index.charts.filter((chart) => !chart.builtin)) {
    editJson<ChartFile>(join(dataDir, entry.json), (file) => file.issues.push(...UNSAFE_LINKS));
  }
  editJson<ConfigFile>(join(dataDir, index.files.config), (config) => {
    for (const chart of config.chartConfig.parsed) chart.issues.push(...UNSAFE_LINKS);
  });
  editJson<DayStatus[]>(join(dataDir, index.files.days), (days) => {
    const day = days.find((d) => d.date === UNSAFE_SOURCE_DAY);
    if (!day) throw new Error(`build-hostile: no day ${UNSAFE_SOURCE_DAY} in days.json`);
    day.source = "javascript:alert(1)";
  });
}

function main(): void {
  const started = performance.now();
  rmSync(HOSTILE.data, { recursive: true, force: true });
  run("npm", [
    "run",
    "--silent",
    "data",
    "--",
    "--source",
    HOSTILE.reports,
    "--charts",
    HOSTILE.charts,
    "--out",
    HOSTILE.data,
    "--cache",
    HOSTILE.cache,
    "--progress",
    "none",
  ]);
  addUnsafeLinks(HOSTILE.data);
  run("npx", ["astro", "build", "--silent", "--outDir", HOSTILE.out], {
    COUNTERSIGHT_DATA: HOSTILE.data,
    COUNTERSIGHT_BASE: "/",
  });
  const dataOut = join(HOSTILE.out, "data");
  // data/index.html is the Data page; everything else there came from public/data.
  for (const name of readdirSync(dataOut)) {
    if (name !== "index.html") rmSync(join(dataOut, name), { recursive: true, force: true });
  }
  cpSync(HOSTILE.data, dataOut, { recursive: true });
  console.log(`build-hostile: ${HOSTILE.out} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
