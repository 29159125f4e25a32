// The data step, bundled: `npm run data` runs scripts/data.ts as one plain JavaScript file
// built by esbuild, not through Node's TypeScript stripping. Stripping loads a WebAssembly
// compiler into every isolate (the main thread and each worker): about 35 MB and 0.07 s
// each, measured (BENCHMARKS.md). The bundle is built once per version of the sources and
// kept in node_modules/.cache; the day workers get their own bundle beside it.
//
// Plain JavaScript, so that nothing here needs the stripper.
//
//   const { entry } = await ensureBundle();
//   await import(entry);

import { createHash, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, stat, utimes } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export const ROOT = fileURLToPath(new URL("..", import.meta.url));
const PIPELINE = join(ROOT, "src", "pipeline");

/**
 * The files whose code decides what a day's cache entries contain (the aggregate and
 * summary keys include their hash), and what the series state contains. Must list what
 * src/pipeline/run.ts lists (a test checks it).
 */
export const PIPELINE_CODE_FILES = [
  "day.ts",
  "decode.ts",
  "scan.ts",
  "validate.ts",
  "aggregate.ts",
  "chartconfig.ts",
  "summary.ts",
  "framed.ts",
  "intern.ts",
  "versions.ts",
  "uploadconfig.ts",
  "types.ts",
];

export const SERIES_CODE_FILES = ["series.ts", "series-state.ts", "ids.ts", "stats.ts"];

function sha256(text) {
  return createHash("sha256").update(text).digest("hex");
}

/** The code versions of the day entries and the series state, as run.ts computes them from the sources. */
export async function pipelineCodeVersions(root = ROOT) {
  const hash = async (files) =>
    sha256(
      (await Promise.all(files.map((file) => readFile(join(root, "src", "pipeline", file), "utf8")))).join(
        "\0",
      ),
    );
  return { day: await hash(PIPELINE_CODE_FILES), series: await hash(SERIES_CODE_FILES) };
}

/** Everything the bundle is built from: its key. */
async function bundleKey() {
  const names = (await readdir(PIPELINE)).filter(
    (name) => name.endsWith(".ts") && !name.endsWith(".test.ts"),
  );
  const files = [
    ...names.sort().map((name) => join(PIPELINE, name)),
    join(ROOT, "scripts", "data.ts"),
    join(ROOT, "scripts", "data-bundle.mjs"),
    join(ROOT, "package-lock.json"),
  ];
  const hash = createHash("sha256").update(process.version);
  for (const file of files)
    hash
      .update(file)
      .update("\0")
      .update(await readFile(file))
      .update("\0");
  return hash.digest("hex").slice(0, 24);
}

const BUNDLES = join(ROOT, "node_modules", ".cache", "countersight");

/**
 * A bundle last built or used longer ago than this is removed when another is built. Each
 * version of the sources gets its own (about 300 KB), so without this every edit or update
 * would leave one behind. A run loads its bundle's two files in its first seconds, so an
 * hour is ample for a run of an older version that is still going.
 */
const STALE_BUNDLE_MS = 60 * 60 * 1000;

/** Removes the bundles in `dir` other than `keep` last built or used over STALE_BUNDLE_MS before `now`. */
export async function pruneBundles(dir, keep, now = Date.now()) {
  const names = await readdir(dir).catch(() => []);
  for (const name of names) {
    if (name === keep || !name.startsWith("data-")) continue;
    const path = join(dir, name);
    const info = await stat(path).catch(() => undefined);
    if (info?.isDirectory() && now - info.mtimeMs > STALE_BUNDLE_MS)
      await rm(path, { recursive: true, force: true });
  }
}

/** Builds the bundle if this version of the sources has none yet; returns its entry's URL. */
export async function ensureBundle() {
  const name = `data-${await bundleKey()}`;
  const dir = join(BUNDLES, name);
  const entry = join(dir, "data.js");
  if (!existsSync(entry)) {
    const { build } = await import("esbuild");
    // Built beside the target, then renamed: a concurrent or killed build never leaves half a bundle.
    const temp = `${dir}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
    await mkdir(temp, { recursive: true });
    try {
      await build({
        entryPoints: {
          data: join(ROOT, "scripts", "data.ts"),
          "day-worker": join(PIPELINE, "day-worker.ts"),
        },
        outdir: temp,
        bundle: true,
        platform: "node",
        format: "esm",
        target: "node22",
        logLevel: "warning",
        define: { COUNTERSIGHT_CODE_VERSIONS: JSON.stringify(await pipelineCodeVersions()) },
        // Bundled CommonJS code may call require(); give it one.
        banner: {
          js: 'import { createRequire as __cr } from "node:module"; const require = __cr(import.meta.url);',
        },
      });
      await rename(temp, dir);
      await pruneBundles(BUNDLES, name);
    } catch (error) {
      await rm(temp, { recursive: true, force: true });
      if (!existsSync(entry)) throw error; // Another run may have renamed its build in first.
    }
  } else {
    // Marks it used, for pruneBundles: a run that has not started its workers yet needs it.
    const now = new Date();
    await utimes(dir, now, now).catch(() => {});
  }
  return { entry: pathToFileURL(entry).href };
}
