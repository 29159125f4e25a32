// Writes a deterministic sample of published telemetry day files.
//
//   npm run generate -- [--out data/reports] [--days 112] [--end 2026-11-22]
//                       [--reports 300] [--seed 1] [--format gzip|plain|zip]
//                       [--upload-config data/uploadconfig.json]
//
// With no options it rewrites the committed sample in data/reports byte for
// byte. Days are generated and written one at a time, so long ranges stream.

import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import type { UploadConfig } from "../src/pipeline/types.ts";
import { Generator, OUTPUT_FORMATS, SAMPLE_DEFAULTS, dayNumber, modelGaps } from "./generate-lib.ts";
import type { GenerateOptions, OutputFormat } from "./generate-lib.ts";

export { Generator, generateDay, SAMPLE_DEFAULTS } from "./generate-lib.ts";
export type { GenerateOptions, OutputFormat } from "./generate-lib.ts";

const PROJECT_ROOT = fileURLToPath(new URL("..", import.meta.url));
export const DEFAULT_OUT = join(PROJECT_ROOT, "data", "reports");
export const DEFAULT_UPLOAD_CONFIG = join(PROJECT_ROOT, "data", "uploadconfig.json");

export function readUploadConfig(path: string = DEFAULT_UPLOAD_CONFIG): UploadConfig {
  return JSON.parse(readFileSync(path, "utf8")) as UploadConfig;
}

export interface RangeOptions extends GenerateOptions {
  /** Directory for the day files; created if missing. */
  out: string;
}

export interface RangeSummary {
  days: number;
  /** Distinct reports, lines written (reports + re-uploads + malformed), and bytes written. */
  reports: number;
  lines: number;
  reuploads: number;
  malformed: number;
  bytes: number;
}

/** Generates every day of the range and writes it to `out` as soon as it is made. */
export function generateRange(options: RangeOptions): RangeSummary {
  const generator = new Generator(options);
  mkdirSync(options.out, { recursive: true });
  const summary: RangeSummary = { days: 0, reports: 0, lines: 0, reuploads: 0, malformed: 0, bytes: 0 };
  for (const date of generator.dates()) {
    const day = generator.day(date);
    writeFileSync(join(options.out, day.name), day.bytes);
    summary.days++;
    summary.reports += day.reports;
    summary.lines += day.lines.length;
    summary.reuploads += day.reuploads;
    summary.malformed += day.malformed;
    summary.bytes += day.bytes.length;
  }
  return summary;
}

const USAGE = `Usage: npm run generate -- [options]

Writes one file of sample telemetry reports per day (NDJSON, one report a line).
With no options it regenerates the committed sample in data/reports exactly.

Options:
  --out DIR             output directory (default: data/reports)
  --days N              number of days (default: ${SAMPLE_DEFAULTS.days})
  --end YYYY-MM-DD      last day of the range (default: ${SAMPLE_DEFAULTS.end})
  --reports N           average reports per day (default: ${SAMPLE_DEFAULTS.reports})
  --seed N              PRNG seed, 0 to 4294967295 (default: ${SAMPLE_DEFAULTS.seed})
  --format F            gzip (DATE.json.gz), plain (DATE.json) or zip (DATE.zip) (default: ${SAMPLE_DEFAULTS.format})
  --upload-config FILE  the upload config the reports go out under: what it does not list
                        (counters, versions, platforms) is left out, as the telemetry
                        client leaves it out (default: data/uploadconfig.json)
  --help                show this help
`;

/** Parses command-line arguments; throws an Error with a message for the user. */
export function parseOptions(args: string[]): RangeOptions | "help" {
  const { values } = parseArgs({
    args,
    options: {
      out: { type: "string", default: DEFAULT_OUT },
      days: { type: "string", default: String(SAMPLE_DEFAULTS.days) },
      end: { type: "string", default: SAMPLE_DEFAULTS.end },
      reports: { type: "string", default: String(SAMPLE_DEFAULTS.reports) },
      seed: { type: "string", default: String(SAMPLE_DEFAULTS.seed) },
      format: { type: "string", default: SAMPLE_DEFAULTS.format },
      "upload-config": { type: "string", default: DEFAULT_UPLOAD_CONFIG },
      help: { type: "boolean", default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) return "help";

  const integer = (name: string, text: string, min: number, max: number): number => {
    const value = Number(text);
    if (!/^\d+$/.test(text) || value < min || value > max) {
      throw new Error(`--${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(text)}`);
    }
    return value;
  };
  dayNumber(values.end);
  if (!OUTPUT_FORMATS.includes(values.format as OutputFormat)) {
    throw new Error(
      `--format must be one of ${OUTPUT_FORMATS.join(", ")}, got ${JSON.stringify(values.format)}`,
    );
  }
  return {
    out: values.out,
    days: integer("days", values.days, 1, 100_000),
    end: values.end,
    reports: integer("reports", values.reports, 1, 10_000_000),
    seed: integer("seed", values.seed, 0, 0xffff_ffff),
    format: values.format as OutputFormat,
    uploadConfig: readUploadConfig(values["upload-config"]),
  };
}

/** How many of an upload config's gaps the summary names. */
const MAX_GAPS_SHOWN = 5;

function main(): void {
  let options: RangeOptions | "help";
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    console.error(`generate: ${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
    process.exit(2);
  }
  if (options === "help") {
    console.log(USAGE);
    return;
  }
  const started = performance.now();
  const summary = generateRange(options);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const megabytes = (summary.bytes / 1e6).toFixed(2);
  console.log(
    `generate: ${summary.days} days, ${summary.reports} reports in ${summary.lines} lines ` +
      `(${summary.reuploads} re-uploads, ${summary.malformed} malformed), ${megabytes} MB ` +
      `in ${options.out} (${seconds}s)`,
  );
  const gaps = modelGaps(options.uploadConfig);
  if (gaps.length > 0) {
    const shown = gaps.slice(0, MAX_GAPS_SHOWN).join("; ");
    const rest = gaps.length > MAX_GAPS_SHOWN ? `; and ${gaps.length - MAX_GAPS_SHOWN} more` : "";
    console.log(
      `generate: the upload config does not list ${gaps.length} of the model's counters, versions ` +
        `and platforms, so the reports leave them out, as the telemetry client would: ${shown}${rest}`,
    );
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
