// Helpers for tests that run the whole data pipeline: in-process through
// runData, or as the `npm run data` CLI in a child process (for exit codes and
// SIGKILL). Every run gets its own temporary --out and --cache.

import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";
import { Generator, type OutputFormat } from "../../scripts/generate-lib.ts";
import type { DataOptions } from "../../src/pipeline/options.ts";
import { createProgress } from "../../src/pipeline/progress.ts";
import { openCache, PACKED_KINDS, type EntryKind } from "../../src/pipeline/cache.ts";
import { checkedEntry, readIndex } from "../../src/pipeline/packs.ts";
import { ensureBundle } from "../../scripts/data-bundle.mjs";
import { runData, type RunIO, type RunSummary } from "../../src/pipeline/run.ts";
import type { UploadConfig } from "../../src/pipeline/types.ts";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const CHARTS = join(ROOT, "data", "charts.txt");
export const UPLOAD_CONFIG = join(ROOT, "data", "uploadconfig.json");
/** A fixed "today", so URL sources never depend on the clock. */
export const NOW = new Date("2026-12-01T12:00:00Z");

export async function tempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `countersight-${prefix}-`));
}

export async function sampleUploadConfig(): Promise<UploadConfig> {
  return JSON.parse(await readFile(UPLOAD_CONFIG, "utf8")) as UploadConfig;
}

/** Realistic day files from the seeded generator: date → file bytes, oldest first. */
export async function generateDays(options: {
  end: string;
  days: number;
  reports: number;
  format?: OutputFormat;
  seed?: number;
}): Promise<Map<string, Uint8Array>> {
  const generator = new Generator({
    end: options.end,
    days: options.days,
    reports: options.reports,
    seed: options.seed ?? 7,
    format: options.format ?? "gzip",
    uploadConfig: await sampleUploadConfig(),
  });
  return new Map(generator.dates().map((date) => [date, generator.day(date).bytes]));
}

/** Writes day files into `dir` as DATE<extension>. */
export async function writeDays(
  dir: string,
  days: ReadonlyMap<string, Uint8Array>,
  extension = ".json.gz",
): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const [date, bytes] of days) await writeFile(join(dir, `${date}${extension}`), bytes);
}

/** DataOptions with the sample configs, no workers and no progress; `out` and `cache` in `dir`. */
export function dataOptions(dir: string, options: Partial<DataOptions> & { source: string }): DataOptions {
  return {
    charts: CHARTS,
    uploadConfig: UPLOAD_CONFIG,
    from: null,
    to: null,
    cache: join(dir, "cache"),
    out: join(dir, "out"),
    strict: false,
    workers: 0,
    progress: "none",
    ...options,
  };
}

/** runData in this process, with a fixed clock and no progress output. */
export function run(options: DataOptions, io: Partial<RunIO> = {}): Promise<RunSummary> {
  return runData(options, { progress: createProgress("none", process.stderr), now: NOW, ...io });
}

/** The error a promise rejects with (fails the test if it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<Error> {
  const outcome = await promise.then(
    () => ({ resolved: true as const }),
    (error: unknown) => ({ resolved: false as const, error }),
  );
  if (outcome.resolved) throw new Error("expected the promise to reject, but it resolved");
  return outcome.error as Error;
}

/** Every file under `dir` (recursively): relative path → bytes. Missing dir → empty map. */
export async function readTree(dir: string): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  let entries;
  try {
    entries = await readdir(dir, { recursive: true, withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return files;
    throw error;
  }
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    files.set(relative(dir, path), await readFile(path));
  }
  return new Map([...files].sort(([a], [b]) => (a < b ? -1 : 1)));
}

/**
 * Compares two trees file by file: the same names, each byte-identical. Returns
 * a list of differences (empty when equal), readable in a failed expectation.
 */
export function treeDifferences(actual: Map<string, Buffer>, expected: Map<string, Buffer>): string[] {
  const differences: string[] = [];
  for (const [name, bytes] of expected) {
    const other = actual.get(name);
    if (other === undefined) differences.push(`missing ${name}`);
    else if (!other.equals(bytes)) differences.push(`differs ${name}`);
  }
  for (const name of actual.keys()) if (!expected.has(name)) differences.push(`extra ${name}`);
  return differences;
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Whether the test killed the process. */
  killed: boolean;
}

/**
 * Runs `npm run data -- <args>` as `node scripts/data.mjs <args>` (this Node is
 * the project's Node 22), once its bundle is built, so that kill timers count the run only. `killWhen` is checked on every chunk of stderr,
 * `killAfterMs` is a timer, and `onSpawn` hands out a kill function: whichever
 * fires first sends SIGKILL.
 */
export function runCli(
  args: readonly string[],
  options: {
    killWhen?: (stderr: string) => boolean;
    killAfterMs?: number;
    /** Receives a function that kills the process, for triggers outside its output. */
    onSpawn?: (kill: () => void) => void;
  } = {},
): Promise<CliResult> {
  return ensureBundle().then(() => spawnCli(args, options));
}

/** The CLI's arguments for a run of `source` with the project's configs, progress as log lines. */
export function cliArgs(source: string, out: string, cache: string, extra: string[] = []): string[] {
  return [
    ...["--source", source, "--charts", CHARTS, "--upload-config", UPLOAD_CONFIG],
    ...["--out", out, "--cache", cache, "--progress", "lines", ...extra],
  ];
}

/** A CLI run that ended well: exit code 0, no error printed. */
export function expectCompleted(result: CliResult): void {
  expect(result.stderr).not.toMatch(/Error/);
  expect(result.code, result.stderr).toBe(0);
}

function spawnCli(args: readonly string[], options: Parameters<typeof runCli>[1] = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["scripts/data.mjs", ...args], {
      cwd: ROOT,
      env: { ...process.env, NODE_NO_WARNINGS: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    let killed = false;
    const kill = () => {
      if (killed || child.exitCode !== null) return;
      killed = true;
      child.kill("SIGKILL");
    };
    options.onSpawn?.(kill);
    const timer = options.killAfterMs === undefined ? undefined : setTimeout(kill, options.killAfterMs);
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
      if (options.killWhen?.(stderr)) kill();
    });
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, killed });
    });
  });
}

/** A day entry in a pack of a cache: `bytes` (header line and payload), `length` of them at `offset` of `path`. */
export interface PackedEntry {
  kind: string;
  key: string;
  path: string;
  offset: number;
  length: number;
  bytes: Uint8Array;
}

/** Every entry of every committed pack of the cache at `dir`, in the order the packs were made. */
export async function packedEntries(dir: string): Promise<PackedEntry[]> {
  const packs = join(dir, "packs");
  const names = (await readdir(packs).catch(() => [])).filter((name) => name.endsWith(".pack")).sort();
  const found: PackedEntry[] = [];
  for (const name of names) {
    const path = join(packs, name);
    const file = await readFile(path);
    for (const [kind, key, offset, length] of readIndex(path, PACKED_KINDS) ?? [])
      found.push({
        kind,
        key,
        path,
        offset,
        length,
        bytes: new Uint8Array(file.subarray(offset, offset + length)),
      });
  }
  return found;
}

/**
 * What is wrong with a cache directory, as the next run would find it: temp
 * files left behind (unless `allowTemps`, for a killed writer, whose temps the
 * next run removes), committed raw downloads, packs or entries that fail their
 * check. A raw .bin without its .json is an uncommitted write, not a problem.
 */
export async function cacheProblems(dir: string, options: { allowTemps?: boolean } = {}): Promise<string[]> {
  const problems: string[] = [];
  const before = await readTree(dir);
  for (const name of before.keys()) {
    if (name.includes(".tmp-") && !options.allowTemps) problems.push(`temp file ${name}`);
    if (/^packs\/[^/]+\.pack$/.test(name) && !readIndex(join(dir, name), PACKED_KINDS))
      problems.push(`pack ${name} fails its check`);
  }
  // Every entry of every pack, the ones later packs replaced too: damage is not left behind.
  for (const entry of await packedEntries(dir)) {
    if (checkedEntry(entry.bytes, entry.kind, entry.key) === undefined)
      problems.push(`entry ${entry.kind}/${entry.key} in ${relative(dir, entry.path)} fails its check`);
  }
  const cache = await openCache(dir);
  for (const kind of PACKED_KINDS) {
    for (const key of cache.keys(kind)) {
      if (cache.useEntry(kind, key, () => true) === undefined)
        problems.push(`entry ${kind}/${key} fails its check`);
    }
  }
  for (const name of (await readTree(dir)).keys()) {
    if (name.includes(".tmp-")) problems.push(`temp file ${name} survives opening the cache`);
    const raw = /^raw\/(\d{4}-\d{2}-\d{2})\.json$/.exec(name);
    if (raw && (await cache.readRaw(raw[1]!)) === undefined)
      problems.push(`raw entry ${name} fails its check`);
    const entry = /^(aggregates|summaries|series)\/([0-9a-f]{64})\.bin$/.exec(name);
    if (entry && (await cache.readEntry(entry[1] as EntryKind, entry[2]!)) === undefined)
      problems.push(`entry ${name} fails its check`);
  }
  return problems;
}
