// `npm run data` runs a bundle of scripts/data.ts (scripts/data-bundle.mjs). Its day cache
// entries must have the same keys as a run from the sources, and it must be complete.

import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
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
