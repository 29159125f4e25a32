// Command-line options of `npm run data`, parsed and checked at the edge.

import { parseArgs } from "node:util";

export interface DataOptions {
  /** A local directory, or a URL template containing {date}. */
  source: string;
  /** Chart config file (upstream chartconfig text format). */
  charts: string;
  /** Upload config JSON; null derives one from the chart config. */
  uploadConfig: string | null;
  from: string | null;
  to: string | null;
  cache: string;
  out: string;
  /** Any rejected line or failed day makes the run fail. */
  strict: boolean;
  /** Worker threads for per-day aggregation (0 = in the main thread). */
  workers: number;
  /** Progress display: a bar on a TTY, plain lines otherwise, or nothing. */
  progress: "bar" | "lines" | "none";
}

export const DEFAULTS = {
  source: "data/reports",
  charts: "data/charts.txt",
  uploadConfig: "data/uploadconfig.json",
  cache: ".cache/countersight",
  out: "public/data",
} as const;

export const USAGE = `Usage: npm run data -- [options]

  --source <dir|url>      directory of daily files, or a URL template with {date}
                          (default ${DEFAULTS.source}); e.g. 'https://telemetry.go.dev/data/{date}'
  --charts <file>         chart config, upstream chartconfig format (default ${DEFAULTS.charts})
  --upload-config <file>  upload config JSON (default ${DEFAULTS.uploadConfig} with the default
                          charts; otherwise none: derived from the chart config)
  --from YYYY-MM-DD       first day (URL sources default to 12 weeks before --to)
  --to YYYY-MM-DD         last day (URL sources default to yesterday, UTC, or the
                          last day before it that the server has)
  --cache <dir>           download and aggregate cache (default ${DEFAULTS.cache})
  --out <dir>             output directory read by the site (default ${DEFAULTS.out})
  --strict                fail on any rejected line or unreadable day
  --workers <n>           aggregation threads (default: 2 on multi-core machines, else 0),
                          started once more than 4 days need aggregating
  --progress bar|lines|none
  -h, --help`;

export class UsageError extends Error {}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** A real calendar date in YYYY-MM-DD form. */
export function isDate(text: string): boolean {
  if (!DATE.test(text)) return false;
  const date = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === text;
}

const OPTIONS = {
  source: { type: "string" },
  charts: { type: "string" },
  "upload-config": { type: "string" },
  from: { type: "string" },
  to: { type: "string" },
  cache: { type: "string" },
  out: { type: "string" },
  strict: { type: "boolean" },
  workers: { type: "string" },
  progress: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;
const STRING_OPTIONS = Object.entries(OPTIONS)
  .filter(([, option]) => option.type === "string")
  .map(([name]) => `--${name}`);
const PATH_OPTIONS = ["source", "charts", "upload-config", "cache", "out"] as const;

/**
 * "--workers -1" as "--workers=-1": parseArgs takes a value that starts with "-" for an
 * option and stops with advice about syntax; joined, the value gets its own message.
 */
function joinDashValues(argv: readonly string[]): string[] {
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const next = argv[i + 1];
    if (arg === "--") return [...args, ...argv.slice(i)];
    if (STRING_OPTIONS.includes(arg) && next !== undefined && /^-[\d.]/.test(next)) {
      args.push(`${arg}=${next}`);
      i++;
    } else args.push(arg);
  }
  return args;
}

export function parseDataOptions(argv: string[], isTTY: boolean, cores: number): DataOptions | "help" {
  let parsed;
  try {
    parsed = parseArgs({
      args: joinDashValues(argv),
      strict: true,
      tokens: true,
      options: OPTIONS,
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const values = parsed.values;
  if (values.help) return "help";
  // parseArgs keeps the last of an option given twice: a run over the wrong range would follow.
  const given = new Set<string>();
  for (const token of parsed.tokens) {
    if (token.kind !== "option") continue;
    if (given.has(token.name)) throw new UsageError(`--${token.name} is given more than once`);
    given.add(token.name);
  }
  for (const key of PATH_OPTIONS) {
    if (values[key] === "") throw new UsageError(`--${key}: the path is empty`);
  }
  for (const key of ["from", "to"] as const) {
    const value = values[key];
    if (value === undefined || isDate(value)) continue;
    throw new UsageError(
      DATE.test(value)
        ? `--${key}: ${JSON.stringify(value)} is not a date of the calendar`
        : `--${key}: ${JSON.stringify(value)} is not a YYYY-MM-DD date`,
    );
  }
  if (values.from && values.to && values.from > values.to) {
    throw new UsageError(`--from ${values.from} is after --to ${values.to}`);
  }
  const charts = values.charts ?? DEFAULTS.charts;
  // The default upload config belongs to the default chart config; with a
  // chart config of one's own, an upload config must be named explicitly.
  const uploadConfig =
    values["upload-config"] ?? (values.charts === undefined ? DEFAULTS.uploadConfig : null);
  let workers = cores > 1 ? 2 : 0;
  if (values.workers !== undefined) {
    // Digits only: Number() would also read "" as 0 and "1e1" as 10.
    workers = /^\d{1,2}$/.test(values.workers) ? Number(values.workers) : NaN;
    if (!Number.isInteger(workers) || workers < 0 || workers > 64) {
      throw new UsageError(`--workers: ${JSON.stringify(values.workers)} is not a whole number from 0 to 64`);
    }
  }
  const progress = values.progress ?? (isTTY ? "bar" : "lines");
  if (progress !== "bar" && progress !== "lines" && progress !== "none") {
    throw new UsageError(`--progress: expected bar, lines or none, got ${JSON.stringify(progress)}`);
  }
  return {
    source: values.source ?? DEFAULTS.source,
    charts,
    uploadConfig,
    from: values.from ?? null,
    to: values.to ?? null,
    cache: values.cache ?? DEFAULTS.cache,
    out: values.out ?? DEFAULTS.out,
    strict: values.strict ?? false,
    workers,
    progress,
  };
}
