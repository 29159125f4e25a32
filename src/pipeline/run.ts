// The data run behind `npm run data`: from a source of daily files to the
// files the site reads. It wires the steps together (source → decode →
// validate → aggregate → series → export) and owns nothing else: every number
// is computed in the step named for it.

import { open, readFile } from "node:fs/promises";
import { cpus } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import {
  buildPlan,
  deserializeDay,
  planCharts,
  type AggregationPlan,
  type PlannedChart,
} from "./aggregate.ts";
import { aggregateKey, openCache, sha256, type Cache } from "./cache.ts";
import { expandCounter, parseChartConfig } from "./chartconfig.ts";
import { dayStatus, processDay, type DayLimits, type DayResult } from "./day.ts";
import type { DayMessage, DayRequest, DayWorkerData } from "./day-worker.ts";
import { DEFAULT_LIMITS } from "./decode.ts";
import { roundShare, rowsToCsv } from "./csv.ts";
import {
  chartFiles,
  lockOutputDir,
  openOutputDir,
  OutputDirLocked,
  outputDirProblem,
  recoverOutputDir,
  toJson,
  type OutputDir,
} from "./export.ts";
import { openFileHashes } from "./file-hashes.ts";
import type { DataOptions } from "./options.ts";
import type { Progress } from "./progress.ts";
import {
  computeSeriesState,
  type ChartSeries,
  type SeriesResult,
  type SeriesSource,
  type SeriesState,
} from "./series.ts";
import { alignedLine, type Allocate } from "./framed.ts";
import { BufferPool } from "./buffers.ts";
import { WriteBehind } from "./write-behind.ts";
import { deserializeSeriesState, serializeSeriesState } from "./series-state.ts";
import { contributionsOf, deserializeSummary } from "./summary.ts";
import {
  dateRange,
  defaultRange,
  fetchDay,
  listDirectoryDays,
  DAY_FILE_NAMES,
  MAX_DAY_FILE_BYTES,
  parseSource,
  SourceError,
  SourceInputError,
  urlForDate,
  type FetchOptions,
  type IgnoredFile,
} from "./source.ts";
import type {
  ChartConfig,
  ChartEntry,
  ChartFile,
  ChartRow,
  ConfigFile,
  DayStatus,
  InputError,
  ProgramEntry,
  SiteIndex,
  UploadConfig,
} from "./types.ts";
import {
  compileUploadConfig,
  deriveUploadConfig,
  parseUploadConfig,
  unlistedChartCounters,
} from "./uploadconfig.ts";

/** A run that cannot go on: the message says what and where; the CLI prints it and exits non-zero. */
export class RunError extends Error {}

export interface RunSummary {
  days: DayStatus[];
  index: SiteIndex;
  out: string;
  /** Days whose aggregate came from the cache, and days aggregated in this run. */
  cachedDays: number;
  aggregatedDays: number;
  ignoredFiles: IgnoredFile[];
  /**
   * Days at an end of a URL source's default range that the server did not have (404):
   * not yet published, most likely, so the range stops short of them (see trimUnpublished).
   */
  unpublished: string[];
  /** Configured counters that cannot count (see unlistedChartCounters), one message per chart. */
  warnings: string[];
}

export interface RunIO {
  progress: Progress;
  /** Today, for a URL source's default range. */
  now: Date;
  /** Download settings for a URL source; fetchDay's defaults when absent. Tests shorten them. */
  fetch?: DownloadSettings;
  /** Decode limits; DEFAULT_LIMITS when absent. Tests lower them to reach the limits quickly. */
  limits?: Partial<DayLimits>;
  /** Reads a day file of a directory source; fs.readFile when absent. Tests make it fail. */
  readFile?: (path: string) => Promise<Uint8Array>;
}

/** The parts of FetchOptions that are settings of a run rather than of one request. */
export type DownloadSettings = Pick<
  FetchOptions,
  "timeoutMs" | "retries" | "backoffMs" | "maxBackoffMs" | "maxRetryAfterMs" | "maxBytes" | "maxRedirects"
>;

// ---------------------------------------------------------------------------
// Configuration.

interface LoadedConfig {
  chartConfigText: string;
  chartConfigs: ChartConfig[];
  upload: UploadConfig;
  /** Whether the upload config restricts reports (given, not derived). */
  restricted: boolean;
}

function formatInputErrors(errors: readonly InputError[]): string {
  return errors
    .map((error) => {
      const where = error.line !== undefined ? `${error.file}:${error.line}` : error.file;
      return `${where}: ${error.message}`;
    })
    .join("\n");
}

async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    throw new RunError(`${path}: cannot read the ${what}: ${(error as Error).message}`);
  }
}

async function loadConfig(options: DataOptions): Promise<LoadedConfig> {
  const chartConfigText = await readText(options.charts, "chart config");
  const charts = parseChartConfig(chartConfigText, options.charts);
  if (!charts.ok) throw new RunError(formatInputErrors(charts.errors));
  // Only comments, or nothing: most likely the wrong file, and a site of no chart at all.
  if (charts.charts.length === 0) {
    throw new RunError(
      `${options.charts}: the chart config holds no chart (a record needs at least a counter)`,
    );
  }
  if (options.uploadConfig === null) {
    return {
      chartConfigText,
      chartConfigs: charts.charts,
      upload: deriveUploadConfig(charts.charts),
      restricted: false,
    };
  }
  const uploadText = await readText(options.uploadConfig, "upload config");
  const upload = parseUploadConfig(uploadText, options.uploadConfig);
  if (!upload.ok) throw new RunError(formatInputErrors(upload.errors));
  return { chartConfigText, chartConfigs: charts.charts, upload: upload.config, restricted: true };
}

/** A URL- and file-safe name: lower-case letters and digits separated by single dashes. */
export function slug(text: string): string {
  return (
    text
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-|-$/g, "") || "x"
  );
}

/**
 * Chart ids: "<program>--<chart>", with a numeric suffix when two charts would
 * share one. Remembers which chart config each configured chart's id came from.
 */
function chartIdAllocator() {
  const used = new Set<string>();
  const configs = new Map<string, ChartConfig>();
  const chartId = (program: string, name: string, config?: ChartConfig) => {
    const base = `${slug(program)}--${slug(name)}`;
    let id = base;
    for (let n = 2; used.has(id); n++) id = `${base}-${n}`;
    used.add(id);
    if (config) configs.set(id, config);
    return id;
  };
  return { chartId, configs };
}

/**
 * What makes a day's aggregate valid besides its file's bytes: the charts, the
 * upload config when it restricts reports, the limits, and the code of the
 * steps that produce it (so a change to counting never reuses stale entries).
 */
async function aggregateVersion(plan: AggregationPlan, config: LoadedConfig, limits: DayLimits) {
  return {
    configHash: sha256(JSON.stringify([plan.fingerprint, config.restricted ? config.upload : null, limits])),
    codeVersion: (await pipelineCodeVersions()).day,
  };
}

/**
 * The files whose code decides what a day's cache entries contain, and what the series
 * state contains (scripts/data-bundle.mjs lists them too; a test checks).
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

/** Set by the bundle (scripts/data-bundle.mjs), which has no sources beside it to read. */
declare const COUNTERSIGHT_CODE_VERSIONS: { day: string; series: string } | undefined;

/** Hashes of the code of the day entries and of the series state. */
export async function pipelineCodeVersions(): Promise<{ day: string; series: string }> {
  if (typeof COUNTERSIGHT_CODE_VERSIONS === "object") return COUNTERSIGHT_CODE_VERSIONS;
  const here = dirname(fileURLToPath(import.meta.url));
  const hash = async (files: string[]) =>
    sha256((await Promise.all(files.map((file) => readFile(join(here, file), "utf8")))).join("\0"));
  return { day: await hash(PIPELINE_CODE_FILES), series: await hash(SERIES_CODE_FILES) };
}

// ---------------------------------------------------------------------------
// Days: where each day's bytes come from.

interface PlannedDay {
  date: string;
  /** A file path or a URL. */
  source: string;
  kind: "file" | "url" | "absent";
}

async function planDays(
  options: DataOptions,
  now: Date,
): Promise<{ days: PlannedDay[]; ignored: IgnoredFile[] }> {
  let source;
  try {
    source = parseSource(options.source);
  } catch (error) {
    throw new RunError((error as Error).message);
  }
  if (source.kind === "dir") {
    let listing;
    try {
      listing = await listDirectoryDays(source.dir, options.from ?? undefined, options.to ?? undefined);
    } catch (error) {
      // A SourceInputError names --source itself.
      const message = (error as Error).message;
      throw new RunError(error instanceof SourceInputError ? message : `--source ${source.dir}: ${message}`);
    }
    if (listing.days.length === 0) {
      throw new RunError(`--source ${source.dir}: no daily files (named ${DAY_FILE_NAMES}) in the range`);
    }
    const files = new Map(listing.days.map((day) => [day.date, day.path]));
    const first = options.from ?? listing.days[0]!.date;
    const last = options.to ?? listing.days[listing.days.length - 1]!.date;
    const days = dateRange(first, last).map((date): PlannedDay => {
      const path = files.get(date);
      return path
        ? { date, source: path, kind: "file" }
        : { date, source: join(source.dir, date), kind: "absent" };
    });
    return { days, ignored: listing.ignored };
  }
  const defaults = defaultRange(now);
  const last = options.to ?? defaults.to;
  const first = options.from ?? (options.to ? dateRange(addDaysBefore(last, 83), last)[0]! : defaults.from);
  if (first > last) {
    // Only --from alone can get here (options checks --from against --to).
    throw new RunError(
      `--from ${first} is after ${last}, the last day of a URL source without --to (yesterday, UTC)`,
    );
  }
  const days = dateRange(first, last).map((date): PlannedDay => ({
    date,
    source: urlForDate(source.template, date),
    kind: "url",
  }));
  return { days, ignored: [] };
}

function addDaysBefore(date: string, days: number): string {
  const time = Date.parse(`${date}T00:00:00Z`) - days * 86_400_000;
  return new Date(time).toISOString().slice(0, 10);
}

/**
 * A local day file's bytes, read into a buffer of `buffers` (given back once the day is
 * done with): a buffer per file, read while other days are aggregated, was left to the
 * main thread's rare full collections, 92 KB a day.
 */
async function readDayFile(path: string, buffers: BufferPool): Promise<Uint8Array> {
  const handle = await open(path, "r");
  try {
    const { size } = await handle.stat();
    if (size > MAX_DAY_FILE_BYTES) {
      throw new Error(`${size} bytes, more than the ${MAX_DAY_FILE_BYTES} a day file may hold`);
    }
    const bytes = buffers.take(size);
    let filled = 0;
    try {
      while (filled < size) {
        const { bytesRead } = await handle.read(bytes, filled, size - filled, filled);
        if (bytesRead === 0) break; // cut short since the stat: what was read is the day
        filled += bytesRead;
      }
    } catch (error) {
      buffers.give(bytes);
      throw error;
    }
    return bytes.subarray(0, filled);
  } finally {
    await handle.close();
  }
}

/** A day file listed in a directory source that cannot be read: that day fails, not the run. */
class UnreadableFile extends Error {}

/** The day's bytes, from disk or the network (through the cache); undefined when the day has no file. */
async function readDay(
  day: PlannedDay,
  cache: Cache,
  settings: DownloadSettings & { signal?: AbortSignal },
  read: (path: string) => Promise<Uint8Array>,
): Promise<Uint8Array | undefined> {
  if (day.kind === "absent") return undefined;
  if (day.kind === "file") {
    try {
      return await read(day.source);
    } catch (error) {
      throw new UnreadableFile(`${day.source}: cannot read: ${(error as Error).message}`);
    }
  }
  const cached = await cache.readRaw(day.date, settings.maxBytes ?? MAX_DAY_FILE_BYTES);
  const validators = cached && cached.meta.url === day.source ? cached.meta : undefined;
  let result;
  try {
    result = await fetchDay(day.source, {
      ...settings,
      etag: validators?.etag,
      lastModified: validators?.lastModified,
    });
  } catch (error) {
    if (error instanceof SourceError) throw new RunError(error.message);
    throw error;
  }
  if (result.status === "missing") return undefined;
  if (result.status === "not-modified") {
    if (!cached) throw new RunError(`GET ${day.source}: 304 Not Modified without a cached copy`);
    return cached.bytes;
  }
  await cache.writeRaw(day.date, result.bytes, {
    url: day.source,
    etag: result.etag,
    lastModified: result.lastModified,
  });
  return result.bytes;
}

// ---------------------------------------------------------------------------
// Aggregating days, in worker threads when there are cores to spare.

interface DayPool {
  run(request: DayRequest): Promise<DayResult>;
  close(): Promise<void>;
}

/**
 * Days aggregated in this thread before the workers are started. A worker costs its
 * start-up and about 13 MB (measured) before it aggregates anything: worth it for a cold
 * run of many days, not for the day or two a daily rebuild adds to its cache.
 */
const DAYS_BEFORE_WORKERS = 4;

/** `size` worker threads, started once more than DAYS_BEFORE_WORKERS days are asked for. */
function createDayPool(size: number, data: DayWorkerData, allocate?: Allocate): DayPool {
  if (size === 0) return createThreadPool(0, data, allocate);
  const here = createThreadPool(0, data, allocate);
  let workers: DayPool | undefined;
  let asked = 0;
  return {
    run(request) {
      if (++asked <= DAYS_BEFORE_WORKERS) return here.run(request);
      workers ??= createThreadPool(size, data);
      return workers.run(request);
    },
    close: async () => workers?.close(),
  };
}

/** `size` worker threads, or this thread when size is 0 (writing its results where `allocate` says). */
function createThreadPool(size: number, data: DayWorkerData, allocate?: Allocate): DayPool {
  if (size === 0) {
    const plan = buildPlan(data.charts);
    const policy = { uploadConfig: data.uploadConfig ? compileUploadConfig(data.uploadConfig, true) : null };
    return {
      run: async (request) => processDay(request, plan, policy, data.limits, allocate),
      close: async () => {},
    };
  }
  const workers = Array.from(
    { length: size },
    // Beside this module: day-worker.ts in the sources, day-worker.js in the bundle.
    () =>
      new Worker(
        new URL(import.meta.url.endsWith(".ts") ? "./day-worker.ts" : "./day-worker.js", import.meta.url),
        { workerData: data },
      ),
  );
  const pending = new Map<number, { resolve: (result: DayResult) => void; reject: (error: Error) => void }>();
  // Each worker's input buffer (see DayMessage): grown to the largest day it was given.
  const inputs = new Map<Worker, Uint8Array>();
  const idle = [...workers];
  const queue: (DayRequest & { id: number })[] = [];
  let nextId = 0;
  const dispatch = () => {
    while (idle.length > 0 && queue.length > 0) {
      const worker = idle.pop()!;
      const { id, date, source, bytes } = queue.shift()!;
      const message: DayMessage = { id, date, source, length: bytes.length };
      let input = inputs.get(worker);
      if (!input || input.length < bytes.length) {
        input = new Uint8Array(
          new SharedArrayBuffer(Math.max(1 << 20, 2 ** Math.ceil(Math.log2(bytes.length)))),
        );
        inputs.set(worker, input);
        message.input = input.buffer as SharedArrayBuffer;
      }
      // The worker is idle: nothing reads its buffer until this message arrives.
      input.set(bytes);
      worker.postMessage(message);
    }
  };
  for (const worker of workers) {
    worker.on("message", (message: { id: number; result?: DayResult; error?: string }) => {
      const job = pending.get(message.id);
      pending.delete(message.id);
      idle.push(worker);
      dispatch();
      if (!job) return;
      if (message.result) job.resolve(message.result);
      else job.reject(new Error(message.error));
    });
    worker.on("error", (error) => {
      for (const job of pending.values()) job.reject(error);
      pending.clear();
    });
  }
  return {
    run(request) {
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        queue.push({ ...request, id });
        dispatch();
      });
    },
    async close() {
      await Promise.all(workers.map((worker) => worker.terminate()));
    },
  };
}

/**
 * Frees a buffer now instead of at a later garbage collection, when `bytes` is all of it
 * and nothing else uses it. The main thread makes little JavaScript garbage, so the day
 * buffers it was done with (file, aggregate, summary: some 400 KB a day) waited for the
 * collections that external memory alone triggers: 50-60 MB of them, with two workers.
 *
 * For a thread that does not aggregate: freeing a buffer this way detaches it, and the
 * first detached buffer makes V8 check for detachment on every typed-array access of the
 * thread from then on (5-8% of a one-core run's aggregation, measured).
 */
function release(bytes: Uint8Array): void {
  const { buffer } = bytes;
  if (!(buffer instanceof ArrayBuffer) || buffer.detached) return;
  if (bytes.byteOffset === 0 && bytes.byteLength === buffer.byteLength) buffer.transfer(0);
}

/**
 * Days whose cache entries may be in flight behind the aggregation. Their buffers are held
 * until written (about 400 KB a day, pooled): 8 took a cold year as fast as 16, with a peak
 * 2-4 MB lower; 4 gave back half of the time saved (BENCHMARKS.md, sixth round).
 */
const WRITES_BEHIND = 8;

/**
 * Runs `task` over `items` with at most `limit` at a time. The first failure stops new work,
 * aborts `stop` (the downloads in flight: a day that failed for good need not wait for
 * another one's retries) and is what rejects, once the tasks in flight have ended.
 */
async function forEachLimit<T>(
  items: readonly T[],
  limit: number,
  stop: AbortController,
  task: (item: T) => Promise<void>,
) {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const runners = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (!failure && next < items.length) {
      const item = items[next++]!;
      try {
        await task(item);
      } catch (error) {
        failure ??= { error };
        stop.abort();
        return;
      }
    }
  });
  await Promise.all(runners);
  if (failure) throw failure.error;
}

// A day's summary entry: its DayStatus as one JSON line, then serializeSummary()'s bytes.
// It commits the day: it is written after the aggregate, and a day without one is
// aggregated again.
function encodeSummaryEntry(status: DayStatus, summary: Uint8Array, allocate?: Allocate): Uint8Array {
  const head = alignedLine(JSON.stringify(status));
  const length = head.length + summary.length;
  const entry = allocate ? allocate(length) : new Uint8Array(length);
  entry.set(head);
  entry.set(summary, head.length);
  return entry;
}

function decodeSummaryEntry(bytes: Uint8Array): { status: DayStatus; summary: Uint8Array } {
  const newline = bytes.indexOf(0x0a);
  if (newline < 0) throw new Error("day summary entry without a status line");
  const status = JSON.parse(new TextDecoder().decode(bytes.subarray(0, newline))) as DayStatus;
  return { status, summary: bytes.subarray(newline + 1) };
}

/**
 * What the last run leaves for the next: the series state (see computeSeriesState) and
 * each day's status, by date and summary key, so that a day unchanged since then costs
 * neither its file nor its summary. Only a shortcut: a missing or damaged entry means a
 * run from the summaries.
 */
interface RunState {
  series: SeriesState;
  statuses: Map<string, DayStatus>;
}

const stateDayId = (date: string, key: string) => `${date}\n${key}`;

function encodeRunState(series: SeriesState, statuses: Map<string, DayStatus>): Uint8Array[] {
  return [alignedLine(JSON.stringify([...statuses])), ...serializeSeriesState(series)];
}

function decodeRunState(bytes: Uint8Array | undefined): RunState | undefined {
  if (!bytes) return undefined;
  try {
    const newline = bytes.indexOf(0x0a);
    const statuses = JSON.parse(new TextDecoder().decode(bytes.subarray(0, newline))) as [
      string,
      DayStatus,
    ][];
    return { statuses: new Map(statuses), series: deserializeSeriesState(bytes.subarray(newline + 1)) };
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------
// The run.

export async function runData(options: DataOptions, io: RunIO): Promise<RunSummary> {
  // Two runs on one --out would remove each other's staging directory (see lockOutputDir).
  const unlock = await lockOutputDir(options.out).catch((error: unknown) => {
    if (error instanceof OutputDirLocked) throw new RunError(error.message);
    throw new RunError(`--out ${options.out}: cannot take its lock: ${(error as Error).message}`);
  });
  let summary: RunSummary;
  try {
    summary = await runLocked(options, io);
  } catch (error) {
    // The run's error is the one to report; a lock left behind is taken over next time.
    await unlock().catch(() => {});
    throw error;
  }
  await unlock();
  return summary;
}

async function runLocked(options: DataOptions, io: RunIO): Promise<RunSummary> {
  // Before anything can fail: the site reads --out even when this run does not replace it.
  await recoverOutputDir(options.out);
  const config = await loadConfig(options);
  const warnings = unlistedCounterWarnings(options.charts, config);
  const ids = chartIdAllocator();
  const charts = planCharts({
    upload: config.upload,
    chartConfigs: config.chartConfigs,
    chartId: ids.chartId,
  });
  const plan = buildPlan(charts);
  const limits: DayLimits = { ...DEFAULT_LIMITS, ...io.limits };
  const { configHash, codeVersion } = await aggregateVersion(plan, config, limits);
  const { days: plannedDays, ignored } = await planDays(options, io.now);
  const input = parseSource(options.source); // planDays has checked it
  // Before the cache is made: it may be what --out would replace.
  const problem = await outputDirProblem(options.out, keptPaths(options, input));
  if (problem) throw new RunError(problem);
  const cache = await openCache(options.cache);

  const statuses = new Map<string, DayStatus>();
  const keys = new Map<string, string>();
  const stateKey = sha256(
    `series state\n${configHash}\n${codeVersion}\n${(await pipelineCodeVersions()).series}`,
  );
  const previous = decodeRunState(await cache.readEntry("series", stateKey));
  let cachedDays = 0;
  let aggregatedDays = 0;
  let bytesRead = 0;
  let reportsRead = 0;
  let done = 0;
  const tick = () =>
    io.progress.update({
      phase: "aggregate",
      daysDone: ++done,
      daysTotal: plannedDays.length,
      cached: cachedDays,
      bytes: bytesRead,
      reports: reportsRead,
    });

  const hashes = input.kind === "dir" ? await openFileHashes(cache, resolve(input.dir)) : undefined;
  const poolData: DayWorkerData = { charts, uploadConfig: config.restricted ? config.upload : null, limits };
  const workerCount = Math.min(options.workers, cpus().length);
  // Day files and the entries aggregated in this thread go through these buffers, given
  // back once written (see BufferPool); the results of workers are freed at once, but
  // only when workers aggregate: freeing detaches a buffer (see release).
  const buffers = new BufferPool();
  const allocate = (length: number) => buffers.take(length);
  const readFileOf = io.readFile ?? ((path: string) => readDayFile(path, buffers));
  const pool = createDayPool(workerCount, poolData, allocate);
  const doneWith = (...done: Uint8Array[]) => {
    for (const bytes of done) if (!buffers.give(bytes) && workerCount > 0) release(bytes);
  };
  // Mostly waiting for files (reading, hashing, checking cached entries); aggregation is bounded by the pool.
  const concurrency = plannedDays.some((day) => day.kind === "url") ? 6 : Math.max(8, 2 * options.workers);
  // A day's task queues its writes and goes on (see WriteBehind): when each entry was a file of
  // its own (0.9 ms of kernel time to create on the machine the benchmarks ran on), tasks that
  // each waited for their own writes left the main thread idle for 0.25-0.4 s of a cold year
  // (BENCHMARKS.md, sixth round). Entries now go into packs (packs.ts), flushed after the days.
  const writes = new WriteBehind(WRITES_BEHIND);
  const stop = new AbortController();
  let daysDone = false;
  try {
    await forEachLimit(plannedDays, concurrency, stop, async (day) => {
      const useCached = async (key: string, bytes: number) => {
        let status = previous?.statuses.get(stateDayId(day.date, key));
        status ??= cache.useEntry("summaries", key, (entry) => decodeSummaryEntry(entry).status);
        if (!status) return false;
        statuses.set(day.date, { ...status, date: day.date, source: day.source });
        keys.set(day.date, key);
        bytesRead += bytes;
        reportsRead += status.accepted;
        cachedDays++;
        tick();
        return true;
      };
      // A file unchanged since it was hashed is not read at all when its day is cached.
      const knownHash = day.kind === "file" ? await hashes?.known(day.source) : undefined;
      if (knownHash && (await useCached(aggregateKey(day.date, knownHash, configHash, codeVersion), 0)))
        return;
      let bytes;
      try {
        bytes = await readDay(day, cache, { ...io.fetch, signal: stop.signal }, readFileOf);
      } catch (error) {
        if (!(error instanceof UnreadableFile)) throw error;
        statuses.set(day.date, { ...dayStatus(day.date, day.source, "failed"), error: error.message });
        tick();
        return;
      }
      if (!bytes) {
        statuses.set(day.date, dayStatus(day.date, day.source, "missing"));
        tick();
        return;
      }
      const contentHash = sha256(bytes);
      if (day.kind === "file") hashes?.remember(day.source, contentHash);
      const key = aggregateKey(day.date, contentHash, configHash, codeVersion);
      if (await useCached(key, bytes.length)) return doneWith(bytes);
      bytesRead += bytes.length;
      const result = await pool.run({ date: day.date, source: day.source, bytes });
      // A download that cannot be decoded may be cut short (a body without a length
      // ends when the connection drops); keeping it would let a 304 confirm it forever.
      if (result.status.status === "failed" && day.kind === "url") await cache.removeRaw(day.date);
      statuses.set(day.date, result.status);
      reportsRead += result.status.accepted;
      aggregatedDays++;
      doneWith(bytes);
      if (result.aggregate !== null && result.summary !== null) {
        const { aggregate, summary } = result;
        const entry = encodeSummaryEntry(result.status, summary, allocate);
        await writes.add(async () => {
          await cache.writeEntry("aggregates", key, aggregate);
          await cache.writeEntry("summaries", key, entry);
          keys.set(day.date, key);
          doneWith(aggregate, summary, entry);
        });
      }
      tick();
    });
    await writes.done();
    daysDone = true;
  } finally {
    // Ends the bar's line even when a day failed the run, so that the error starts on its own.
    io.progress.done();
    await Promise.all([pool.close(), writes.settled()]);
    // The days aggregated so far are kept for the next run even when this one fails.
    if (!daysDone) await cache.flush().catch(() => {});
  }
  await cache.flush();
  await hashes?.save();

  const allDays = plannedDays.map((day) => statuses.get(day.date)!);
  if (keys.size === 0) {
    throw new RunError(
      `no day could be read in ${allDays[0]!.date}…${allDays[allDays.length - 1]!.date}` +
        allDays
          .filter((day) => day.error)
          .slice(0, 5)
          .map((day) => `\n  ${day.error}`)
          .join(""),
    );
  }
  const { days, unpublished } = trimUnpublished(allDays, options, input.kind);
  if (options.strict) enforceStrict(days);

  const dates = days.map((day) => day.date);
  const vanished = (date: string) =>
    new RunError(`the cached entries of ${date} vanished or were corrupted during the run`);
  // A day of the range whose cached entries are damaged or gone when the series needs them:
  // aggregated again from its file.
  const aggregateAgain = async (date: string, key: string) => {
    const day = plannedDays.find((d) => d.date === date);
    if (!day) throw vanished(date);
    const bytes = await readDay(day, cache, io.fetch ?? {}, readFileOf).catch(() => undefined);
    if (!bytes || aggregateKey(date, sha256(bytes), configHash, codeVersion) !== key) throw vanished(date);
    const result = await createDayPool(0, poolData).run({ date, source: day.source, bytes });
    buffers.give(bytes);
    if (!result.aggregate || !result.summary) throw vanished(date);
    await cache.writeEntry("aggregates", key, result.aggregate);
    await cache.writeEntry("summaries", key, encodeSummaryEntry(result.status, result.summary));
    cachedDays--;
    aggregatedDays++;
    return { aggregate: result.aggregate, summary: result.summary };
  };
  const source: SeriesSource = {
    key: (date) => keys.get(date),
    async summary(date, key) {
      const entry = await cache.readEntry("summaries", key);
      if (entry) return deserializeSummary(decodeSummaryEntry(entry).summary);
      // A day that left the range is only asked for by the previous state: fail, it is not used.
      if (keys.get(date) !== key) throw vanished(date);
      return deserializeSummary((await aggregateAgain(date, key)).summary);
    },
    async contributions(date, key, xs) {
      // Nearly every day's aggregate is read back for a few reports: into one reused buffer.
      const found = cache.useEntry("aggregates", key, (entry) => contributionsOf(deserializeDay(entry), xs));
      return found ?? contributionsOf(deserializeDay((await aggregateAgain(date, key)).aggregate), xs);
    },
  };
  const { result: series, state } = await computeSeriesState(source, dates, plan, previous?.series);
  await cache.flush(); // days the series had to aggregate again
  const dayStatuses = new Map(
    [...keys].map(([date, key]) => [stateDayId(date, key), statuses.get(date)!] as const),
  );
  await cache.writeEntry("series", stateKey, encodeRunState(state, dayStatuses));

  const out = await openOutputDir(options.out);
  const index = await exportFiles(out, series, days, config, ids.configs, options);
  await out.commit();
  return {
    days,
    index,
    out: options.out,
    cachedDays,
    aggregatedDays,
    ignoredFiles: ignored,
    unpublished,
    warnings,
  };
}

/** One line per chart whose counters the upload config does not list (see unlistedChartCounters). */
function unlistedCounterWarnings(chartsFile: string, config: LoadedConfig): string[] {
  const upload = compileUploadConfig(config.upload, config.restricted);
  return unlistedChartCounters(config.chartConfigs, upload).map(({ chart, names }) => {
    const shown = names.slice(0, 3).join(", ") + (names.length > 3 ? ", …" : "");
    const counters = names.length === 1 ? "counter" : "counters";
    return (
      `${chartsFile}:${chart.line}: ${chart.program}: ${names.length} ${counters} not in the upload config ` +
      `(${shown}): always 0, as a report carrying one is rejected` +
      (names.length === expandCounter(chart.counter).length ? "; none is eligible (rate 0)" : "")
    );
  });
}

/** What --out must not replace: the source directory, the cache and the configs. */
function keptPaths(options: DataOptions, source: ReturnType<typeof parseSource>): Map<string, string> {
  const kept = new Map<string, string>();
  if (source.kind === "dir") kept.set(source.dir, "the --source directory");
  kept.set(options.cache, "the --cache directory");
  kept.set(options.charts, "the --charts file");
  if (options.uploadConfig !== null) kept.set(options.uploadConfig, "the --upload-config file");
  return kept;
}

/**
 * A URL source's range comes from --from and --to, or from today when they are not given.
 * At an end that was not given, the days the server did not have (404) are left out of the
 * range, so that the windows end (or start) at a day with data: a daily rebuild run before
 * upstream has published yesterday's file would otherwise draw a latest week of six days,
 * and count a seventh as empty. An end given on the command line is kept as given.
 */
export function trimUnpublished(
  days: readonly DayStatus[],
  bounds: { from: string | null; to: string | null },
  source: "dir" | "url",
): { days: DayStatus[]; unpublished: string[] } {
  let first = 0;
  let last = days.length;
  if (source === "url") {
    if (bounds.to === null) while (last > first && days[last - 1]!.status === "missing") last--;
    if (bounds.from === null) while (first < last && days[first]!.status === "missing") first++;
  }
  const unpublished = [...days.slice(0, first), ...days.slice(last)].map((day) => day.date);
  return { days: days.slice(first, last), unpublished };
}

/** --strict: any rejected line or unreadable day fails the run, naming the file and line. */
function enforceStrict(days: readonly DayStatus[]): void {
  const problems: string[] = [];
  let total = 0;
  for (const day of days) {
    if (day.status === "failed") {
      total++;
      problems.push(day.error ?? `${day.source}: could not be read`);
    }
    for (const count of Object.values(day.rejected)) total += count ?? 0;
    for (const rejection of day.rejections) {
      problems.push(`${day.source}:${rejection.line}: ${rejection.reason}: ${rejection.detail}`);
    }
  }
  if (total === 0) return;
  const shown = problems.slice(0, 20);
  throw new RunError(
    `--strict: ${total} rejected line(s) or failed day(s):\n  ${shown.join("\n  ")}` +
      (problems.length > shown.length ? `\n  … and ${problems.length - shown.length} more` : ""),
  );
}

// ---------------------------------------------------------------------------
// Export: the files of --out.

const BUILTIN_TEXT: Record<string, { title: string; description: string }> = {
  Version: {
    title: "Program versions",
    description: "Versions of the program in the reports, grouped by major and minor version.",
  },
  GOOS: { title: "Operating systems (GOOS)", description: "The GOOS the program was built for." },
  GOARCH: { title: "Architectures (GOARCH)", description: "The GOARCH the program was built for." },
  GoVersion: {
    title: "Go versions",
    description: "The Go version the program was built with, grouped as go1.N.",
  },
};

function roundRow(row: ChartRow): ChartRow {
  return {
    ...row,
    share: roundShare(row.share),
    share_low: roundShare(row.share_low),
    share_high: roundShare(row.share_high),
  };
}

/** The bucket with the most reports over the whole range (first in order on ties). */
function mainBucket(series: ChartSeries, all: { start: string; end: string }): string {
  let best = series.buckets[0] ?? "";
  let most = -1;
  for (const bucket of series.buckets) {
    const row = series.rows.find(
      (r) => r.bucket === bucket && r.window_start === all.start && r.window_end === all.end,
    );
    if (row && row.reports > most) {
      most = row.reports;
      best = bucket;
    }
  }
  return best;
}

/** Writes the files of --out to `out`, each as soon as it is made; returns the index. */
async function exportFiles(
  out: OutputDir,
  series: SeriesResult,
  days: DayStatus[],
  config: LoadedConfig,
  configById: ReadonlyMap<string, ChartConfig>,
  options: DataOptions,
): Promise<SiteIndex> {
  const { windows } = series;
  const entries: ChartEntry[] = [];
  // all.csv: every chart's CSV body after one header (formatted once, not twice).
  const csvHeader = rowsToCsv([]);
  const allCsv: string[] = [csvHeader];
  for (const chartSeries of series.charts) {
    const chart: PlannedChart = chartSeries.chart;
    const chartConfig = configById.get(chart.id);
    const rows = chartSeries.rows.map(roundRow);
    const paths = chartFiles(chart.id);
    const text = chart.builtin ? BUILTIN_TEXT[chart.name] : undefined;
    const main = mainBucket(chartSeries, windows.all);
    const file: ChartFile = {
      id: chart.id,
      program: chart.program,
      name: chart.name,
      title: chartConfig?.title ?? text?.title ?? chart.name,
      description: chartConfig?.description ?? text?.description ?? "",
      type: chart.type,
      builtin: chart.builtin,
      counter: chartConfig?.counter ?? "",
      issues: chartConfig?.issues ?? [],
      buckets: chartSeries.buckets,
      rate: chart.rate,
      windows: {
        latest7: windows.latest7,
        latest28: windows.latest28,
        all: windows.all,
        weeks: windows.weeks,
      },
      rows,
      breakdowns: chartSeries.breakdowns,
      stacks: chartSeries.stacks,
      weeklyStacks: chartSeries.weeklyStacks,
    };
    await out.write(paths.json, toJson(file));
    const csv = rowsToCsv(rows);
    await out.write(paths.csv, csv);
    allCsv.push(csv.slice(csvHeader.length));
    entries.push({
      id: chart.id,
      program: chart.program,
      name: chart.name,
      title: file.title,
      type: chart.type,
      builtin: chart.builtin,
      csv: paths.csv,
      json: paths.json,
      mainBucket: main,
      sparkline: windows.weeks.map((week) => {
        const row = rows.find(
          (r) => r.bucket === main && r.window_start === week.start && r.window_end === week.end,
        );
        // A week in which no report could have had the bucket has no share.
        return row !== undefined && row.eligible_reports > 0 ? row.share : null;
      }),
    });
  }
  const programs: ProgramEntry[] = [];
  for (const entry of entries) {
    let program = programs.find((p) => p.name === entry.program);
    if (!program) {
      program = { name: entry.program, id: slug(entry.program), charts: [] };
      programs.push(program);
    }
    program.charts.push(entry.id);
  }
  const index: SiteIndex = {
    range: { start: windows.all.start, end: windows.all.end },
    days: days.filter((day) => day.status === "ok").length,
    reports: series.reports,
    windows: { latest7: windows.latest7, latest28: windows.latest28, all: windows.all, weeks: windows.weeks },
    programs,
    charts: entries,
    files: {
      all_csv: "all.csv",
      days: "days.json",
      participation: "participation.json",
      config: "config.json",
    },
  };
  const configFile: ConfigFile = {
    chartConfig: { path: options.charts, text: config.chartConfigText, parsed: config.chartConfigs },
    uploadConfig: { path: options.uploadConfig, derived: !config.restricted, config: config.upload },
  };
  await out.write("index.json", toJson(index));
  await out.write("all.csv", allCsv);
  await out.write("days.json", toJson(days));
  await out.write("participation.json", toJson(series.participation));
  await out.write("config.json", toJson(configFile));
  return index;
}
