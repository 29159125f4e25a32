// `npm run bench`: how far the data run is from the least it must do, on a
// year of generated reports, and whether it meets its goals:
// - the full run on one core within 1.5× the floor (decompress and JSON.parse
//   every line, nothing else);
// - peak memory under 200 MB, and flat as days grow (90 days vs 365);
// - a warm rebuild with one new day under 5% of a cold run.
// Every figure is a child process (see scripts/bench/measure.ts); the results
// are printed and written to BENCHMARKS.md.
//
//   npm run bench -- [--days 365] [--reports 2000] [--runs 2] [--keep] [--report BENCHMARKS.md]

import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { measure, type Measurement } from "./bench/measure.ts";
import { ensureBundle } from "./data-bundle.mjs";
import { build } from "esbuild";
import {
  bestCpu,
  bestWall,
  consoleTable,
  describeMachine,
  megabytes,
  peakRss,
  percent,
  perRunRatios,
  renderMarkdown,
  times,
  type Figure,
  type Goal,
} from "./bench/report.ts";
import { generateRange, readUploadConfig, SAMPLE_DEFAULTS } from "./generate.ts";

const PROJECT_ROOT = fileURLToPath(new URL("..", import.meta.url));

/** The goals, as the issue states them. */
const FLOOR_RATIO_GOAL = 1.5;
const PEAK_RSS_GOAL_BYTES = 200e6;
const WARM_RATIO_GOAL = 0.05;
/**
 * "Flat as days grow": about four times the days may cost at most this much more peak memory.
 * By design only series' first pass grows with the range (16 bytes a report, about 12 MB for a
 * year of 2,000 reports a day); the rest of the margin is run-to-run noise in when V8 collects.
 */
const FLAT_RSS_GROWTH = 1.25;
const SHORT_RANGE_DAYS = 90;

interface BenchOptions {
  days: number;
  reports: number;
  runs: number;
  keep: boolean;
  report: string;
}

const USAGE = `Usage: npm run bench -- [options]

Generates DAYS + 1 days of reports (the last one is the "new day" of the warm
rebuild), measures the floor and the data run, prints a table and writes it
to BENCHMARKS.md.

Options:
  --days N        days of the cold runs (default 365)
  --reports N     average reports per day (default 2000)
  --runs N        runs of each measurement, at least 2 (default 2)
  --keep          generate into .cache/bench and keep it; reuse it when the
                  parameters match (default: a temp dir, removed at the end)
  --report FILE   where to write the results (default BENCHMARKS.md)
  --help          show this help`;

function parseOptions(argv: string[]): BenchOptions | "help" {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      days: { type: "string", default: "365" },
      reports: { type: "string", default: "2000" },
      runs: { type: "string", default: "2" },
      keep: { type: "boolean", default: false },
      report: { type: "string", default: "BENCHMARKS.md" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) return "help";
  const integer = (name: string, text: string, min: number) => {
    const value = Number(text);
    if (!/^\d+$/.test(text) || value < min) throw new Error(`--${name} must be a whole number ≥ ${min}`);
    return value;
  };
  return {
    days: integer("days", values.days, SHORT_RANGE_DAYS + 1),
    reports: integer("reports", values.reports, 1),
    runs: integer("runs", values.runs, 2),
    keep: values.keep,
    report: values.report,
  };
}

// ---------------------------------------------------------------------------
// Data.

interface BenchData {
  dir: string;
  /** The cold runs' range, and the day the warm rebuild adds. */
  first: string;
  last: string;
  newDay: string;
  /** How the data was made, for BENCHMARKS.md. */
  origin: string;
}

const count = (n: number) => n.toLocaleString("en-US");

function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

/** Generates days + 1 days ending on the generator's default end date, or reuses a kept copy. */
function prepareData(options: BenchOptions, work: string): BenchData {
  const params = {
    days: options.days + 1,
    reports: options.reports,
    end: SAMPLE_DEFAULTS.end,
    seed: SAMPLE_DEFAULTS.seed,
    format: "gzip" as const,
  };
  const dir = options.keep
    ? join(PROJECT_ROOT, ".cache", "bench", `reports-${params.days}d-${params.reports}r-seed${params.seed}`)
    : join(work, "reports");
  // Beside the directory, not in it: the data run would list it as an ignored file.
  const paramsFile = `${dir}.params.json`;
  const range = {
    dir,
    first: addDays(params.end, -options.days),
    last: addDays(params.end, -1),
    newDay: params.end,
  };
  const command = `npm run generate -- --days ${params.days} --reports ${params.reports} --end ${params.end} --seed ${params.seed}`;
  if (existsSync(paramsFile) && readFileSync(paramsFile, "utf8") === JSON.stringify(params)) {
    console.log(`bench: reusing ${relative(PROJECT_ROOT, dir)}`);
    return { ...range, origin: `the output of \`${command}\` (kept from an earlier run)` };
  }
  rmSync(paramsFile, { force: true });
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  console.log(`bench: generating ${params.days} days × ${params.reports} reports…`);
  const started = performance.now();
  generateRange({ ...params, out: dir, uploadConfig: readUploadConfig() });
  const took = (performance.now() - started) / 1000;
  // Written last: a generation cut short is never reused.
  writeFileSync(paramsFile, JSON.stringify(params));
  return { ...range, origin: `the output of \`${command}\` (generated in ${took.toFixed(1)} s)` };
}

// ---------------------------------------------------------------------------
// Measurements.

interface Step {
  key: string;
  label: string;
  args: (rep: number) => string[];
  /** Throws when the run did not do what the figure claims (e.g. a warm run that aggregated everything). */
  check?: (stdout: string) => void;
}

/** A check that the floor or processDay script (named `script`) read `count` files. */
function expectFiles(script: string, count: number): (stdout: string) => void {
  return (stdout) => {
    const files = (JSON.parse(stdout) as { files: number }).files;
    if (files !== count) throw new Error(`${script} read ${files} files, expected ${count}`);
  };
}

function expectDays(aggregated: number, cached: number): (stdout: string) => void {
  return (stdout) => {
    const match = /\((\d+) aggregated, (\d+) from cache\)/.exec(stdout);
    if (!match || Number(match[1]) !== aggregated || Number(match[2]) !== cached) {
      throw new Error(
        `expected ${aggregated} days aggregated and ${cached} from the cache, got:\n${stdout.trim()}`,
      );
    }
  };
}

/**
 * The Node flags of `npm run data` (package.json's "data" script), so that the
 * benchmark runs the data step exactly as the build does.
 */
function dataNodeFlags(): string[] {
  const packageJson = JSON.parse(readFileSync(join(PROJECT_ROOT, "package.json"), "utf8")) as {
    scripts: Record<string, string>;
  };
  const words = packageJson.scripts.data?.trim().split(/\s+/) ?? [];
  if (words[0] !== "node" || words[words.length - 1] !== "scripts/data.mjs") {
    throw new Error(
      `package.json: expected the "data" script to be "node … scripts/data.mjs", got ${words.join(" ")}`,
    );
  }
  return words.slice(1, -1);
}

/**
 * The floor and processDay scripts as plain JavaScript bundles, like `npm run data`
 * (scripts/data-bundle.mjs): measured the same way, none of them pays for Node's
 * TypeScript stripping.
 */
async function bundleBenchScripts(work: string): Promise<{ floor: string; days: string }> {
  const outdir = join(work, "scripts");
  await build({
    entryPoints: {
      floor: join(PROJECT_ROOT, "scripts/bench/floor.ts"),
      days: join(PROJECT_ROOT, "scripts/bench/days.ts"),
    },
    outdir,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node22",
    logLevel: "warning",
    banner: {
      js: 'import { createRequire as __cr } from "node:module"; const require = __cr(import.meta.url);',
    },
  });
  return { floor: join(outdir, "floor.js"), days: join(outdir, "days.js") };
}

function planSteps(
  data: BenchData,
  options: BenchOptions,
  work: string,
  scripts: { floor: string; days: string },
): Step[] {
  const inProject = !relative(PROJECT_ROOT, data.dir).startsWith("..");
  const source = inProject ? relative(PROJECT_ROOT, data.dir) : data.dir;
  const shortLast = addDays(data.first, SHORT_RANGE_DAYS - 1);
  const cache = (name: string, rep: number) => join(work, `run-${rep}`, `cache-${name}`);
  const out = (name: string, rep: number) => join(work, `run-${rep}`, `out-${name}`);
  const dataFlags = dataNodeFlags();
  const dataRun = (name: string, cacheName: string, workers: number, to: string) => (rep: number) => [
    ...dataFlags,
    "scripts/data.mjs",
    ...["--source", source, "--charts", "data/charts.txt", "--upload-config", "data/uploadconfig.json"],
    ...["--from", data.first, "--to", to],
    ...["--cache", cache(cacheName, rep), "--out", out(name, rep)],
    ...["--workers", String(workers), "--progress", "none"],
  ];
  return [
    { key: "node", label: "node -e 0 (baseline)", args: () => ["-e", "0"] },
    {
      key: "floor",
      label: `floor: gunzip + JSON.parse, ${options.days} days`,
      args: () => [scripts.floor, source, data.first, data.last],
      check: expectFiles("floor", options.days),
    },
    {
      key: "days",
      label: `processDay only, ${options.days} days`,
      args: () => [scripts.days, source, data.first, data.last],
      check: expectFiles("days.ts", options.days),
    },
    // What any warm rebuild must do at least, in a fresh process: start Node and read the
    // new day (the floor), or aggregate it and nothing else (processDay, with its config).
    {
      key: "floor1",
      label: `floor: gunzip + JSON.parse, the new day only`,
      args: () => [scripts.floor, source, data.newDay, data.newDay],
      check: expectFiles("floor", 1),
    },
    {
      key: "days1",
      label: `processDay only, the new day only`,
      args: () => [scripts.days, source, data.newDay, data.newDay],
      check: expectFiles("days.ts", 1),
    },
    {
      key: "cold0",
      label: `data, cold, --workers 0, ${options.days} days`,
      args: dataRun("cold0", "cold0", 0, data.last),
      check: expectDays(options.days, 0),
    },
    {
      key: "cold2",
      label: `data, cold, --workers 2, ${options.days} days`,
      args: dataRun("cold2", "cold2", 2, data.last),
      check: expectDays(options.days, 0),
    },
    {
      key: "warm0",
      label: `data, warm + 1 new day, --workers 0`,
      args: dataRun("warm0", "cold0", 0, data.newDay),
      check: expectDays(1, options.days),
    },
    {
      key: "warm2",
      label: `data, warm + 1 new day, --workers 2`,
      args: dataRun("warm2", "cold2", 2, data.newDay),
      check: expectDays(1, options.days),
    },
    {
      key: "short0",
      label: `data, cold, --workers 0, first ${SHORT_RANGE_DAYS} days`,
      args: dataRun("short0", "short0", 0, shortLast),
      check: expectDays(SHORT_RANGE_DAYS, 0),
    },
  ];
}

function commandLine(args: readonly string[], work: string): string {
  const shown = args.map((arg) => arg.replace(work, "$TMP").replace(/run-\d+/, "run-N"));
  return ["node", ...shown].join(" ");
}

/** Runs every step `runs` times, interleaved; returns the figures and each step's last stdout. */
async function runSteps(
  steps: readonly Step[],
  runs: number,
  work: string,
): Promise<{ figures: Map<string, Figure>; outputs: Map<string, string> }> {
  const outputs = new Map<string, string>();
  const figures = new Map<string, Figure>(
    steps.map((step) => [
      step.key,
      {
        label: step.label,
        command: commandLine(step.args(1), work),
        wallSeconds: [],
        cpuSeconds: [],
        maxRssBytes: [],
      },
    ]),
  );
  for (let rep = 1; rep <= runs; rep++) {
    for (const step of steps) {
      const result: Measurement = await measure(step.args(rep), PROJECT_ROOT);
      step.check?.(result.stdout);
      outputs.set(step.key, result.stdout);
      const figure = figures.get(step.key)!;
      figure.wallSeconds.push(result.wallSeconds);
      figure.cpuSeconds.push(result.cpuSeconds);
      figure.maxRssBytes.push(result.maxRssBytes);
      console.log(
        `bench: run ${rep}/${runs}  ${step.label.padEnd(44)} ${result.wallSeconds.toFixed(2).padStart(6)} s` +
          `  ${result.cpuSeconds.toFixed(2).padStart(6)} s CPU  ${megabytes(result.maxRssBytes).padStart(4)} MB`,
      );
    }
    rmSync(join(work, `run-${rep}`), { recursive: true, force: true });
  }
  return { figures, outputs };
}

function evaluateGoals(figures: Map<string, Figure>, options: BenchOptions): Goal[] {
  const figure = (key: string) => figures.get(key)!;
  const floor = figure("floor");
  const cold0 = figure("cold0");
  const cold2 = figure("cold2");
  const floorRatio = bestWall(cold0) / bestWall(floor);
  const pipelineRuns = ["cold0", "cold2", "warm0", "warm2", "short0"].map(figure);
  const peak = Math.max(...pipelineRuns.map(peakRss));
  const shortPeak = peakRss(figure("short0"));
  const longPeak = peakRss(cold0);
  const warm = (warmKey: string, cold: Figure) => bestWall(figure(warmKey)) / bestWall(cold);
  return [
    {
      goal: `full run on one core (--workers 0) within ${FLOOR_RATIO_GOAL}× the floor`,
      measured:
        `${times(floorRatio)} wall (${bestWall(cold0).toFixed(2)} s vs ${bestWall(floor).toFixed(2)} s; ` +
        `run by run ${perRunRatios(cold0, floor, times)}); ` +
        `${times(bestCpu(cold0) / bestCpu(floor))} CPU; processDay alone ${times(bestWall(figure("days")) / bestWall(floor))}; ` +
        `with --workers 2: ${times(bestWall(cold2) / bestWall(floor))} wall`,
      met: floorRatio <= FLOOR_RATIO_GOAL,
    },
    {
      goal: `peak memory under ${megabytes(PEAK_RSS_GOAL_BYTES)} MB`,
      measured: `highest of all data runs ${megabytes(peak)} MB (--workers 0: ${megabytes(peakRss(cold0))} MB, --workers 2: ${megabytes(peakRss(cold2))} MB)`,
      met: peak < PEAK_RSS_GOAL_BYTES,
    },
    {
      goal: `peak memory flat as days grow (${options.days} days at most ${FLAT_RSS_GROWTH}× ${SHORT_RANGE_DAYS} days)`,
      measured: `${megabytes(shortPeak)} MB for ${SHORT_RANGE_DAYS} days, ${megabytes(longPeak)} MB for ${options.days} (${times(longPeak / shortPeak)})`,
      met: longPeak <= FLAT_RSS_GROWTH * shortPeak,
    },
    {
      goal: `warm rebuild + 1 new day under ${percent(WARM_RATIO_GOAL)} of cold`,
      measured:
        `--workers 2: ${percent(warm("warm2", cold2))} (${bestWall(figure("warm2")).toFixed(2)} s; ` +
        `run by run ${perRunRatios(figure("warm2"), cold2, percent)}); ` +
        `--workers 0: ${percent(warm("warm0", cold0))} (${bestWall(figure("warm0")).toFixed(2)} s; ` +
        `run by run ${perRunRatios(figure("warm0"), cold0, percent)}); ` +
        `a fresh process that only reads the new day: ${percent(warm("floor1", cold2))} of cold --workers 2, ` +
        `${percent(warm("floor1", cold0))} of --workers 0; that only aggregates it: ` +
        `${percent(warm("days1", cold2))}, ${percent(warm("days1", cold0))}`,
      met: Math.max(warm("warm2", cold2), warm("warm0", cold0)) < WARM_RATIO_GOAL,
    },
  ];
}

async function main(): Promise<number> {
  let options: BenchOptions | "help";
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    console.error(`bench: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (options === "help") {
    console.log(USAGE);
    return 0;
  }
  const machine = describeMachine();
  const work = mkdtempSync(join(tmpdir(), "countersight-bench-"));
  try {
    const data = prepareData(options, work);
    // Built before timing anything: a data run then finds it (as every run after a source change does).
    await ensureBundle();
    const steps = planSteps(data, options, work, await bundleBenchScripts(work));
    const { figures, outputs } = await runSteps(steps, options.runs, work);
    const goals = evaluateGoals(figures, options);
    console.log(`\n${consoleTable([...figures.values()], goals)}`);

    const floorOutput = JSON.parse(outputs.get("floor")!) as { files: number; bytes: number; lines: number };
    const args = process.argv.slice(2);
    const markdown = renderMarkdown({
      date: new Date().toISOString().slice(0, 16).replace("T", " ") + " UTC",
      machine,
      command: `npm run bench${args.length > 0 ? ` -- ${args.join(" ")}` : ""}`,
      runs: options.runs,
      data:
        `${options.days} days (${data.first} to ${data.last}) of about ${count(options.reports)} reports a day: ` +
        `${floorOutput.files} gzip files, ${(floorOutput.bytes / 1e6).toFixed(1)} MB, ${count(floorOutput.lines)} lines; ` +
        `the warm rebuild adds ${data.newDay}. The files are ${data.origin}.`,
      figures: [...figures.values()],
      goals,
      notes: readFileSync(join(PROJECT_ROOT, "scripts", "bench", "notes.md"), "utf8"),
    });
    writeFileSync(resolve(PROJECT_ROOT, options.report), markdown);
    console.log(`\nbench: wrote ${options.report}`);
    return 0;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

process.exitCode = await main();
