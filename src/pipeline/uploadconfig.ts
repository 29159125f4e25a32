// The upload config: which programs, counters and stacks a report may carry, and
// the sampling rate of each (golang.org/x/telemetry internal/config UploadConfig).
// Validation uses it to reject unknown programs and counters; aggregation uses
// the rates to count only the reports that were eligible to carry a counter.

import { canonicalCounterName, counterBraceProblem, counterSpellings, expandCounter } from "./chartconfig.ts";
import type { ChartConfig, CounterConfig, InputError, ProgramConfig, UploadConfig } from "./types.ts";

export type UploadConfigResult = { ok: true; config: UploadConfig } | { ok: false; errors: InputError[] };

/**
 * Parses an upload config JSON file. Lists that are null or absent (as Go
 * writes nil slices, or leaves them out) read as empty; an absent SampleRate
 * reads as 1 (no sampling). All shape errors are reported, each naming the
 * field path, for example "Programs[2].Counters[0].Rate".
 */
export function parseUploadConfig(text: string, file: string): UploadConfigResult {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { ok: false, errors: [jsonSyntaxError(text, file, error)] };
  }
  const errors: InputError[] = [];
  const complain: Complain = (path, message) =>
    errors.push({ file, field: path, message: `${path}: ${message}` });
  const config = readUploadConfig(json, complain);
  return errors.length > 0 ? { ok: false, errors } : { ok: true, config };
}

/** Whether reports carry the chart's counter in Stacks (with frames) rather than in Counters. */
export function isStackCounter(chart: Pick<ChartConfig, "type" | "depth">): boolean {
  return chart.type === "stack" && chart.depth > 0;
}

/**
 * The upload config to use when none is given: every configured chart's
 * counter, at rate 1, under its program (programs in first-seen order).
 * Partition charts go to Counters, stack charts with a depth to Stacks.
 * GOOS, GOARCH, GoVersion and Versions are empty, meaning "not restricted".
 */
export function deriveUploadConfig(charts: ChartConfig[]): UploadConfig {
  const programs = new Map<string, ProgramConfig>();
  for (const chart of charts) {
    let program = programs.get(chart.program);
    if (program === undefined) {
      program = { Name: chart.program, Versions: [], Counters: [], Stacks: [] };
      programs.set(chart.program, program);
    }
    // Upstream's config generator files a counter under Stacks only when it
    // has a depth: "stack" charts without one are uploaded as plain counters.
    if (isStackCounter(chart)) program.Stacks.push({ Name: chart.counter, Rate: 1, Depth: chart.depth });
    else program.Counters.push({ Name: chart.counter, Rate: 1 });
  }
  return { GOOS: [], GOARCH: [], GoVersion: [], SampleRate: 1, Programs: [...programs.values()] };
}

/** Rate lookups for one program of a compiled upload config. */
export interface CompiledProgram {
  /**
   * Sampling rate of a counter as named in a report ("chart:bucket" or a plain
   * name), or undefined when the config does not list it. A bucket missing
   * from its chart's list is unknown even if the chart is listed.
   */
  counterRate(counterName: string): number | undefined;
  /** Same as counterRate for a report's stack name ("counter\nframe\nframe…"); only the counter part is looked up. */
  stackRate(stackName: string): number | undefined;
  /** Whether the program's Versions list the version (an empty list restricts nothing). */
  hasVersion(version: string): boolean;
}

/** An upload config prepared for constant-time lookups on the hot path of validation and aggregation. */
export interface CompiledUploadConfig {
  /** Whether the config's lists restrict what a report may carry (a real upload config was given). */
  readonly restricted: boolean;
  /** The program's lookups; undefined for an unlisted program, but only when restricted. */
  program(name: string): CompiledProgram | undefined;
  /** Whether GOOS lists the value (an empty list restricts nothing); the same for the next two. */
  hasGOOS(goos: string): boolean;
  hasGOARCH(goarch: string): boolean;
  hasGoVersion(goVersion: string): boolean;
}

/**
 * Compiles an upload config into maps keyed by expanded counter names.
 * restricted is true for a real upload config file: unlisted programs and
 * counters are unknown. When false (a derived config), any program and counter
 * is accepted, at its configured rate when listed and at rate 1 otherwise.
 */
export function compileUploadConfig(config: UploadConfig, restricted: boolean): CompiledUploadConfig {
  const unlistedRate = restricted ? undefined : 1;
  const programs = new Map<string, CompiledProgram>();
  for (const program of config.Programs) {
    programs.set(program.Name, compileProgram(program, unlistedRate));
  }
  const anyProgram: CompiledProgram = { counterRate: () => 1, stackRate: () => 1, hasVersion: () => true };
  return {
    restricted,
    program: (name) => programs.get(name) ?? (restricted ? undefined : anyProgram),
    hasGOOS: listed(config.GOOS),
    hasGOARCH: listed(config.GOARCH),
    hasGoVersion: listed(config.GoVersion),
  };
}

/**
 * Membership in one of the config's value lists. Upstream's server rejects a report whose
 * program build (Version, GoVersion, GOOS, GOARCH) is not listed; an empty list here
 * restricts nothing instead, as in a derived config (upstream's own lists are never empty).
 */
function listed(values: readonly string[]): (value: string) => boolean {
  if (values.length === 0) return () => true;
  const set = new Set(values);
  return (value) => set.has(value);
}

function compileProgram(program: ProgramConfig, unlistedRate: number | undefined): CompiledProgram {
  const counterRates = ratesByName(program.Counters);
  const stackRates = ratesByName(program.Stacks);
  return {
    counterRate: (counterName) => counterRates.get(counterName) ?? unlistedRate,
    stackRate: (stackName) => stackRates.get(stackCounterName(stackName)) ?? unlistedRate,
    hasVersion: listed(program.Versions),
  };
}

/** Rate of every counter name an expression expands to; a later expression wins. */
function ratesByName(counters: CounterConfig[]): Map<string, number> {
  const rates = new Map<string, number>();
  for (const counter of counters) {
    for (const name of expandCounter(counter.Name)) rates.set(name, counter.Rate);
  }
  return rates;
}

/** The counter a stack was recorded under: the part of the stack name before its first frame. */
function stackCounterName(stackName: string): string {
  const newline = stackName.indexOf("\n");
  return newline < 0 ? stackName : stackName.slice(0, newline);
}

// ---------------------------------------------------------------------------
// Shape checking of the parsed JSON.

type Complain = (path: string, message: string) => void;

function readUploadConfig(json: unknown, complain: Complain): UploadConfig {
  const root = readObject(json, "(root)", complain) ?? {};
  const config: UploadConfig = {
    GOOS: readStringList(root.GOOS, "GOOS", complain),
    GOARCH: readStringList(root.GOARCH, "GOARCH", complain),
    GoVersion: readStringList(root.GoVersion, "GoVersion", complain),
    SampleRate: root.SampleRate == null ? 1 : readRate(root.SampleRate, "SampleRate", complain),
    Programs: readList(root.Programs, "Programs", complain, readProgram),
  };
  const seen = new Set<string>();
  config.Programs.forEach((program, index) => {
    if (program.Name !== "" && seen.has(program.Name)) {
      complain(`Programs[${index}].Name`, `duplicate program "${program.Name}"`);
    }
    seen.add(program.Name);
    // A counter listed twice would get whichever rate was read last: say so instead. "c" and
    // "c:c" are one counter (one bucket of one chart), so listing both is listing it twice.
    for (const kind of ["Counters", "Stacks"] as const) {
      const listedAt = new Map<string, { at: number; name: string }>();
      program[kind].forEach((counter, at) => {
        if (counterBraceProblem(counter.Name) !== undefined) return; // said in readCounter
        for (const name of expandCounter(counter.Name)) {
          const key = canonicalCounterName(name);
          const first = listedAt.get(key);
          if (first === undefined) listedAt.set(key, { at, name });
          else if (first.at !== at) {
            const as = first.name === name ? "" : ` (as "${first.name}", the same counter)`;
            complain(
              `Programs[${index}].${kind}[${at}].Name`,
              `counter "${name}" is already listed in Programs[${index}].${kind}[${first.at}]${as}`,
            );
          }
        }
      });
    }
  });
  return config;
}

function readProgram(value: unknown, path: string, complain: Complain): ProgramConfig | undefined {
  const program = readObject(value, path, complain);
  if (program === undefined) return undefined;
  return {
    Name: readName(program.Name, `${path}.Name`, complain),
    Versions: readStringList(program.Versions, `${path}.Versions`, complain),
    Counters: readList(program.Counters, `${path}.Counters`, complain, readCounter),
    Stacks: readList(program.Stacks, `${path}.Stacks`, complain, readCounter),
  };
}

function readCounter(value: unknown, path: string, complain: Complain): CounterConfig | undefined {
  const counter = readObject(value, path, complain);
  if (counter === undefined) return undefined;
  const result: CounterConfig = {
    Name: readName(counter.Name, `${path}.Name`, complain),
    Rate: readRate(counter.Rate, `${path}.Rate`, complain),
  };
  // Upstream expands "a:{x,y" as if it were closed; a name cut short is more likely a typo.
  const braces = counterBraceProblem(result.Name);
  if (braces !== undefined) complain(`${path}.Name`, `${braces}: ${JSON.stringify(result.Name)}`);
  if (counter.Depth != null) {
    const depth = counter.Depth;
    if (typeof depth === "number" && Number.isInteger(depth) && depth >= 0) result.Depth = depth;
    else complain(`${path}.Depth`, `expected a non-negative integer, got ${describeValue(depth)}`);
  }
  return result;
}

function readObject(value: unknown, path: string, complain: Complain): Record<string, unknown> | undefined {
  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    return value as Record<string, unknown>;
  }
  complain(path, `expected an object, got ${describeValue(value)}`);
  return undefined;
}

/** Reads a list whose null or absent value means empty; items that fail readItem are left out. */
function readList<T>(
  value: unknown,
  path: string,
  complain: Complain,
  readItem: (item: unknown, path: string, complain: Complain) => T | undefined,
): T[] {
  if (value == null) return [];
  if (!Array.isArray(value)) {
    complain(path, `expected an array or null, got ${describeValue(value)}`);
    return [];
  }
  const items: T[] = [];
  value.forEach((item: unknown, index) => {
    const read = readItem(item, `${path}[${index}]`, complain);
    if (read !== undefined) items.push(read);
  });
  return items;
}

function readStringList(value: unknown, path: string, complain: Complain): string[] {
  return readList(value, path, complain, (item, itemPath) => {
    if (typeof item === "string") return item;
    complain(itemPath, `expected a string, got ${describeValue(item)}`);
    return undefined;
  });
}

function readName(value: unknown, path: string, complain: Complain): string {
  if (typeof value === "string" && value !== "") return value;
  complain(path, `expected a non-empty string, got ${describeValue(value)}`);
  return "";
}

function readRate(value: unknown, path: string, complain: Complain): number {
  if (typeof value === "number" && value >= 0 && value <= 1) return value;
  complain(path, `expected a number in [0, 1], got ${describeValue(value)}`);
  return 0;
}

function describeValue(value: unknown): string {
  if (value === undefined) return "nothing (the field is missing)";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object" && value !== null) return "an object";
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

// ---------------------------------------------------------------------------
// Locating JSON syntax errors. V8's messages give a position for some errors
// only ("Unexpected token ']', … is not valid JSON" has none, and that is the
// message for the most common mistake, a trailing comma), so the first error is
// found by a strict scan of the text instead.

function jsonSyntaxError(text: string, file: string, error: unknown): InputError {
  const offset = jsonErrorOffset(text);
  if (offset === undefined) {
    return { file, message: `not valid JSON: ${error instanceof Error ? error.message : String(error)}` };
  }
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  const column = offset - before.lastIndexOf("\n");
  const found = offset >= text.length ? "end of input" : JSON.stringify(text.charAt(offset));
  return { file, line, message: `not valid JSON: unexpected ${found} at column ${column}` };
}

// A string up to its closing quote: characters other than control characters,
// quote and backslash, or escapes. Matching stops where a string goes wrong.
const JSON_STRING_BODY = /"(?:[\u0020\u0021\u0023-\u005b\u005d-\uffff]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*/y;
const JSON_NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/** Offset of the first JSON syntax error in text, or undefined if the text is valid JSON. */
function jsonErrorOffset(text: string): number | undefined {
  let at = 0;
  const skipSpace = (): void => {
    while (at < text.length && " \t\n\r".includes(text.charAt(at))) at++;
  };
  const match = (pattern: RegExp): boolean => {
    pattern.lastIndex = at;
    if (!pattern.test(text)) return false;
    at = pattern.lastIndex;
    return true;
  };
  const literal = (word: string): boolean => {
    if (!text.startsWith(word, at)) return false;
    at += word.length;
    return true;
  };
  const punctuation = (char: string): boolean => {
    skipSpace();
    return literal(char);
  };
  // Each reader returns false where the text stops being JSON, leaving `at` there.
  const sequence = (close: string, readItem: () => boolean): boolean => {
    if (punctuation(close)) return true;
    do {
      if (!readItem()) return false;
    } while (punctuation(","));
    return punctuation(close);
  };
  const string = (): boolean => match(JSON_STRING_BODY) && literal('"');
  const member = (): boolean => {
    skipSpace();
    return string() && punctuation(":") && value();
  };
  const value = (): boolean => {
    skipSpace();
    if (literal("{")) return sequence("}", member);
    if (literal("[")) return sequence("]", value);
    if (text.charAt(at) === '"') return string();
    return match(JSON_NUMBER) || literal("true") || literal("false") || literal("null");
  };
  if (!value()) return at;
  skipSpace();
  return at < text.length ? at : undefined;
}

/**
 * The counters of each configured chart that a restricting upload config does not list:
 * a report carrying one is rejected (unknown-counter), so their buckets can only be 0.
 * Upstream draws its charts from the upload config, where they do not exist; here the chart
 * config says what is drawn, and the run's summary names them.
 */
export function unlistedChartCounters(
  charts: readonly ChartConfig[],
  config: CompiledUploadConfig,
): { chart: ChartConfig; names: string[] }[] {
  if (!config.restricted) return [];
  const found: { chart: ChartConfig; names: string[] }[] = [];
  for (const chart of charts) {
    const program = config.program(chart.program);
    // A name is listed under either of its spellings ("c" or "c:c"), as buildPlan counts both.
    const listed = (name: string) =>
      program !== undefined &&
      counterSpellings(name).some(
        (spelling) =>
          program.counterRate(spelling) !== undefined ||
          (chart.type === "stack" && program.stackRate(spelling) !== undefined),
      );
    const names = expandCounter(chart.counter).filter((name) => !listed(name));
    if (names.length > 0) found.push({ chart, names });
  }
  return found;
}
