// `npm run data` runs a bundle of scripts/data.ts (scripts/data-bundle.mjs). Its day cache
// entries must have the same keys as a run from the sources, and it must be complete.

import { spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, test } from "vitest";
import * as bundle from "../scripts/data-bundle.mjs";
import { PIPELINE_CODE_FILES, pipelineCodeVersions, SERIES_CODE_FILES } from "../src/pipeline/run.ts";

test("the bundle and the sources agree on which code versions the day entries", async () => {
  expect(bundle.PIPELINE_CODE_FILES).toEqual(PIPELINE_CODE_FILES);
  expect(bundle.SERIES_CODE_FILES).toEqual(SERIES_CODE_FILES);
  expect(await bundle.pipelineCodeVersions()).toEqual(await pipelineCodeVersions());
});

/** The pipeline modules `file` imports for their code (not only types), and theirs, and so on. */
function codeImports(file: string, found = new Set<string>()): Set<string> {
  if (found.has(file)) return found;
  found.add(file);
  const text = readFileSync(join(bundle.ROOT, "src", "pipeline", file), "utf8");
  for (const [, names, module] of text.matchAll(/^import (type )?[^;]*?from "\.\/([^"]+)";/gms)) {
    if (names === undefined) codeImports(module!, found);
  }
  for (const [, module] of text.matchAll(/^import "\.\/([^"]+)";/gm)) codeImports(module!, found);
  return found;
}

test("every module whose code decides a day's entries or the series state is in its code version", () => {
  expect([...codeImports("day.ts")].filter((file) => !PIPELINE_CODE_FILES.includes(file))).toEqual([]);
  const series = [...codeImports("series.ts", codeImports("series-state.ts"))].filter(
    (file) => !SERIES_CODE_FILES.includes(file) && !PIPELINE_CODE_FILES.includes(file),
  );
  expect(series).toEqual([]);
});

test("the bundle holds the CLI and the day worker, and runs without TypeScript stripping", async () => {
  const { entry } = await bundle.ensureBundle();
  const dir = dirname(fileURLToPath(entry));
  expect(existsSync(join(dir, "data.js"))).toBe(true);
  expect(existsSync(join(dir, "day-worker.js"))).toBe(true);
  const help = spawnSync(process.execPath, ["scripts/data.mjs", "--help"], {
    cwd: bundle.ROOT,
    encoding: "utf8",
  });
  expect(help.status).toBe(0);
  expect(help.stdout).toMatch(/--source <dir\|url>/);
  // Twice: the second finds the bundle built.
  expect((await bundle.ensureBundle()).entry).toBe(entry);
});

test("building a bundle removes the bundles built more than an hour before, and nothing else", async () => {
  const dir = mkdtempSync(join(tmpdir(), "countersight-bundles-"));
  try {
    const made = (name: string, ageMs: number) => {
      mkdirSync(join(dir, name));
      writeFileSync(join(dir, name, "data.js"), "");
      const when = new Date(Date.now() - ageMs);
      utimesSync(join(dir, name), when, when);
    };
    made("data-current", 5 * HOUR);
    made("data-old", 2 * HOUR);
    made("data-old.tmp-123-abcd", 3 * HOUR);
    made("data-recent", 0.5 * HOUR);
    made("other", 5 * HOUR);
    await bundle.pruneBundles(dir, "data-current");
    expect(readdirSync(dir).sort()).toEqual(["data-current", "data-recent", "other"]);
    await bundle.pruneBundles(join(dir, "missing"), "data-current"); // no cache yet: nothing to do
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const HOUR = 60 * 60 * 1000;

test("using a bundle marks it used, so that building another does not remove it", async () => {
  const { entry } = await bundle.ensureBundle();
  const dir = dirname(fileURLToPath(entry));
  const long = new Date(Date.now() - 5 * HOUR);
  utimesSync(dir, long, long);
  await bundle.ensureBundle();
  expect(Date.now() - statSync(dir).mtimeMs).toBeLessThan(HOUR);
});

test("scripts/data.mjs refuses a Node.js older than 22.12 with one line and exit code 2", () => {
  // As a machine's own Node 20 would be, started directly instead of through npm.
  const older =
    "data:text/javascript," +
    encodeURIComponent(
      'Object.defineProperty(process, "versions", { value: { ...process.versions, node: "20.20.2" } });',
    );
  const result = spawnSync(
    process.execPath,
    ["--import", older, join(bundle.ROOT, "scripts", "data.mjs"), "--help"],
    {
      encoding: "utf8",
    },
  );
  expect(result.status).toBe(2);
  expect(result.stdout).toBe("");
  expect(result.stderr.trim()).toBe(
    "npm run data: needs Node.js 22.12 or newer, and this is " +
      `${process.version}; run it as \`npm run data -- …\` or \`npx node scripts/data.mjs …\`, which use the project's own Node 22`,
  );
});
