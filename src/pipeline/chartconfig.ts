// The chart config: which charts to publish and the counter behind each one, in
// the upstream text format (golang.org/x/telemetry internal/chartconfig), so the
// approved upstream file can be used as is.
//
// Format: records separated by lines that are exactly "---"; "#" starts a comment;
// a field is a line starting with "key:". A counter field may hold one "{…}"
// bucket list, which may span several lines.

import type { ChartConfig, ChartType, InputError } from "./types.ts";
import { isToolchainProgram, isValidGoVersion, isValidSemver } from "./versions.ts";

const FIELD_KEYS = [
  "title",
  "description",
  "issue",
  "type",
  "program",
  "module",
  "counter",
  "depth",
  "error",
  "version",
] as const;
type FieldKey = (typeof FIELD_KEYS)[number];

const REQUIRED_KEYS: readonly FieldKey[] = ["title", "issue", "program", "counter", "type"];
const CHART_TYPES: readonly ChartType[] = ["partition", "stack"];
const ALLOWED_KEYS = FIELD_KEYS.map((key) => `${key}:`).join(", ");

export type ChartConfigResult = { ok: true; charts: ChartConfig[] } | { ok: false; errors: InputError[] };

/**
 * Parses and validates a chart config file. All problems of the file are
 * reported, each with its 1-based line, so one run shows everything to fix.
 */
export function parseChartConfig(text: string, file: string): ChartConfigResult {
  const errors: InputError[] = [];
  const report = (line: number, message: string, field?: string): void => {
    errors.push(field === undefined ? { file, line, message } : { file, line, field, message });
  };

  const charts: ChartConfig[] = [];
  let record = newRecord();
  const finishRecord = (): void => {
    const chart = validateRecord(record, report);
    if (chart !== undefined) charts.push(chart);
    record = newRecord();
  };

  for (const logical of logicalLines(text, report)) {
    if (logical.kind === "separator") finishRecord();
    else if (logical.kind === "rejected") {
      markPresent(record, logical.key, logical.line);
      if (logical.unclosed) record.unclosed = true;
    } else addField(record, logical.content, logical.line, report);
  }
  finishRecord();

  if (errors.length > 0) return { ok: false, errors: errors.sort((a, b) => (a.line ?? 0) - (b.line ?? 0)) };
  return { ok: true, charts };
}

/**
 * Expands a counter expression into the counter names it stands for:
 * "chart:{a,b}" → ["chart:a", "chart:b"]; a name without braces → [name].
 * Bucket names are trimmed and empty ones dropped.
 */
export function expandCounter(expr: string): string[] {
  const trimmed = expr.trim();
  const open = trimmed.indexOf("{");
  if (open < 0) return [trimmed];
  const close = trimmed.indexOf("}", open);
  const prefix = trimmed.slice(0, open);
  return trimmed
    .slice(open + 1, close < 0 ? undefined : close)
    .split(",")
    .map((bucket) => bucket.trim())
    .filter((bucket) => bucket !== "")
    .map((bucket) => prefix + bucket);
}

/**
 * Splits a counter name into its chart and bucket at the first ":". A plain
 * counter such as "go/invocations" is its own chart with one bucket of the same
 * name, as upstream charts it.
 */
export function splitCounterName(name: string): { chart: string; bucket: string } {
  const colon = name.indexOf(":");
  if (colon < 0) return { chart: name, bucket: name };
  return { chart: name.slice(0, colon), bucket: name.slice(colon + 1) };
}

/**
 * The spellings of one counter: `c` and `c:c` are both bucket c of chart c (splitCounterName),
 * so a chart config or an upload config may use either. (A report must use the upload
 * config's spelling, as the upload server checks names as they are.)
 */
export function counterSpellings(name: string): string[] {
  const { chart, bucket } = splitCounterName(name);
  if (chart !== bucket) return [name];
  return name.includes(":") ? [name, chart] : [name, `${name}:${name}`];
}

/** One name for all spellings of a counter: "chart:bucket" ("c" and "c:c" are both "c:c"). */
export function canonicalCounterName(name: string): string {
  const { chart, bucket } = splitCounterName(name);
  return `${chart}:${bucket}`;
}

type Report = (line: number, message: string, field?: string) => void;

/** A source line with its comment removed, and a multi-line counter field joined into one line. */
type LogicalLine =
  | { kind: "separator"; line: number }
  | { kind: "field"; content: string; line: number }
  // A line rejected for its braces. Its key still counts as present, so the
  // record is not also reported as missing that field.
  // `unclosed`: a bucket list never closed, which took in the record's later lines.
  | { kind: "rejected"; key: FieldKey | undefined; line: number; unclosed?: boolean };

/**
 * Turns the text into logical lines, joining a counter's "{…}" bucket list
 * that spans several lines (newlines inside braces are ignored, each
 * continuation line is trimmed). Brace problems are reported here.
 */
function logicalLines(text: string, report: Report): LogicalLine[] {
  const result: LogicalLine[] = [];
  // The counter field being joined while inside its braces, and the line it started on.
  let openCounter: { text: string; line: number } | undefined;
  const reject = (
    line: number,
    message: string,
    key: FieldKey | undefined,
    fieldLine = line,
    unclosed = false,
  ): void => {
    report(line, message, key);
    result.push({ kind: "rejected", key, line: fieldLine, ...(unclosed && { unclosed }) });
  };

  for (const [index, rawLine] of text.split(/\r?\n/).entries()) {
    const line = index + 1;
    if (rawLine === "---") {
      if (openCounter !== undefined) {
        const message = `record ended inside the bucket list opened on line ${openCounter.line}: missing '}'`;
        reject(line, message, "counter", openCounter.line, true);
        openCounter = undefined;
      }
      result.push({ kind: "separator", line });
      continue;
    }
    const content = stripComment(rawLine);

    let counter: { text: string; line: number };
    if (openCounter === undefined) {
      const open = content.indexOf("{");
      if (open < 0) {
        if (content.includes("}")) reject(line, "unexpected '}' without an opening '{'", keyOf(content));
        else result.push({ kind: "field", content, line });
        continue;
      }
      const problem = openingBraceProblem(content, open);
      if (problem !== undefined) {
        reject(line, problem, keyOf(content));
        continue;
      }
      counter = { text: content.trimEnd(), line };
    } else {
      if (content.includes("{")) {
        const message = `'{' may appear only once in a counter field (one was opened on line ${openCounter.line})`;
        reject(line, message, "counter", openCounter.line);
        openCounter = undefined;
        continue;
      }
      counter = { text: openCounter.text + content.trim(), line: openCounter.line };
    }

    const close = counter.text.indexOf("}");
    if (close < 0) {
      openCounter = counter;
      continue;
    }
    openCounter = undefined;
    const problem = closingBraceProblem(counter.text, close);
    if (problem !== undefined) reject(line, problem, "counter", counter.line);
    else result.push({ kind: "field", content: counter.text, line: counter.line });
  }

  if (openCounter !== undefined) {
    const message = "file ended inside the bucket list opened on this line: missing '}'";
    reject(openCounter.line, message, "counter", openCounter.line, true);
  }
  return result;
}

/** What is wrong with a line holding a '{' at open, outside any bucket list, if anything. */
function openingBraceProblem(content: string, open: number): string | undefined {
  if (content.slice(0, open).includes("}")) return "unexpected '}' before '{'";
  if (!content.startsWith("counter:")) return "'{' is only allowed in a counter field";
  if (content.includes("{", open + 1)) return "'{' may appear only once in a counter field";
  return undefined;
}

/** What is wrong with a joined counter field whose first '}' is at close, if anything. */
function closingBraceProblem(joined: string, close: number): string | undefined {
  if (joined.includes("}", close + 1)) return "unexpected second '}' in counter field";
  if (joined.slice(0, close).endsWith(","))
    return "unexpected '}' right after ',' (remove the trailing comma)";
  const rest = joined.slice(close + 1).trim();
  if (rest !== "") return `unexpected text ${JSON.stringify(rest)} after '}' in counter field`;
  // Upstream would chart an empty bucket (the counter "chart:"); far more likely a typo.
  const list = joined.slice(joined.indexOf("{") + 1, close).split(",");
  // (A list of nothing, "{}", has no buckets at all: said where the record is checked.)
  if (list.length > 1 && list.some((bucket) => bucket.trim() === ""))
    return "empty bucket in the bucket list";
  return undefined;
}

/**
 * What is wrong with the braces of a counter name written on one line (an upload config's
 * Counters and Stacks), if anything: the rules of a chart config's counter field.
 */
export function counterBraceProblem(name: string): string | undefined {
  const open = name.indexOf("{");
  const close = name.indexOf("}");
  if (open < 0) return close < 0 ? undefined : "unexpected '}' without an opening '{'";
  if (name.slice(0, open).includes("}")) return "unexpected '}' before '{'";
  if (name.includes("{", open + 1)) return "'{' may appear only once in a counter name";
  if (close < 0) return "missing '}' after the bucket list";
  return closingBraceProblem(name, close)?.replace("counter field", "counter name");
}

function stripComment(line: string): string {
  const hash = line.indexOf("#");
  return hash < 0 ? line : line.slice(0, hash);
}

/** The field key a line starts with, if any. */
function keyOf(content: string): FieldKey | undefined {
  return FIELD_KEYS.find((key) => content.startsWith(`${key}:`));
}

/** A record being read: its field values as written, and where each came from. */
interface RecordDraft {
  /** Line of the first field, even a rejected one; undefined while the record is empty. */
  firstLine: number | undefined;
  /** Keys that appeared (with their first line), including those whose value was rejected. */
  present: Map<FieldKey, number>;
  values: Map<FieldKey, { text: string; line: number }>;
  issues: { text: string; line: number }[];
  /** A bucket list was never closed: the fields after it were taken in, not missing. */
  unclosed: boolean;
}

function newRecord(): RecordDraft {
  return { firstLine: undefined, present: new Map(), values: new Map(), issues: [], unclosed: false };
}

function markPresent(record: RecordDraft, key: FieldKey | undefined, line: number): void {
  if (key === undefined) return;
  record.firstLine ??= line;
  if (!record.present.has(key)) record.present.set(key, line);
}

/** Reads one "key: value" line into the record. Blank lines and empty values set nothing, as upstream. */
function addField(record: RecordDraft, content: string, line: number, report: Report): void {
  const key = keyOf(content);
  const value = (key === undefined ? content : content.slice(key.length + 1)).trim();
  if (value === "") return;
  if (key === undefined) {
    const problem = unknownLineProblem(value, content);
    report(line, problem.message, problem.field);
    markPresent(record, problem.misplaced, line);
    return;
  }

  const firstSeen = record.present.get(key);
  markPresent(record, key, line);
  if (key === "issue") {
    record.issues.push({ text: value, line });
    return;
  }
  if (firstSeen !== undefined) {
    report(line, `field "${key}" may not be repeated (first set on line ${firstSeen})`, key);
    return;
  }
  if (key === "depth" && !/^[+-]?\d+$/.test(value)) {
    report(line, `invalid int value ${JSON.stringify(value)} for field "depth"`, key);
    return;
  }
  if (key === "error" && !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(value)) {
    report(line, `invalid float value ${JSON.stringify(value)} for field "error"`, key);
    return;
  }
  record.values.set(key, { text: value, line });
}

/** Explains a non-blank line that does not start with a known key. */
function unknownLineProblem(
  trimmed: string,
  content: string,
): { message: string; field?: string; misplaced?: FieldKey } {
  if (trimmed === "---") {
    return {
      message: `invalid line ${JSON.stringify(content)}: a record separator is "---" alone on its line, with no spaces or comment`,
    };
  }
  const indentedKey = keyOf(trimmed);
  if (indentedKey !== undefined) {
    return {
      message: `field "${indentedKey}" must start at the beginning of the line`,
      field: indentedKey,
      misplaced: indentedKey,
    };
  }
  const unknownKey = /^([A-Za-z][\w-]*):(\s|$)/.exec(trimmed)?.[1];
  if (unknownKey !== undefined) {
    return { message: `unknown key "${unknownKey}"; allowed keys are ${ALLOWED_KEYS}`, field: unknownKey };
  }
  return {
    message: `invalid line ${JSON.stringify(trimmed)}: lines must be "---", blank, a comment, or start with one of ${ALLOWED_KEYS}`,
  };
}

/**
 * Checks that a finished record is a complete, coherent chart (upstream's
 * Validate) and returns it, or undefined when it is empty or invalid.
 */
function validateRecord(record: RecordDraft, report: Report): ChartConfig | undefined {
  const recordLine = record.firstLine;
  if (recordLine === undefined) return undefined;
  let valid = true;
  const problem = (line: number, message: string, field: FieldKey): void => {
    report(line, message, field);
    valid = false;
  };

  for (const key of REQUIRED_KEYS) {
    if (record.present.has(key)) continue;
    if (record.unclosed) {
      valid = false; // said once, at the bucket list
      continue;
    }
    const why = key === "issue" ? ": at least one issue URL is required" : "";
    problem(recordLine, `missing required field "${key}"${why}`, key);
  }

  const typeField = record.values.get("type");
  const type = CHART_TYPES.find((chartType) => chartType === typeField?.text);
  if (typeField !== undefined && type === undefined) {
    problem(
      typeField.line,
      `unknown chart type "${typeField.text}"; allowed types are ${CHART_TYPES.join(", ")}`,
      "type",
    );
  }

  const depthField = record.values.get("depth");
  const depth = depthField === undefined ? 0 : Number(depthField.text);
  if (depthField !== undefined && depth < 0) {
    problem(depthField.line, `invalid depth ${depth}: must be non-negative`, "depth");
  }
  if (depthField !== undefined && depth !== 0 && type === "partition") {
    problem(
      depthField.line,
      `depth can only be set on "stack" charts, and this chart is "partition"`,
      "depth",
    );
  }

  // As upstream's Validate: a toolchain program's versions are Go versions, any other's semver.
  const versionField = record.values.get("version");
  if (versionField !== undefined) {
    const toolchain = isToolchainProgram(record.values.get("program")?.text ?? "");
    if (!(toolchain ? isValidGoVersion : isValidSemver)(versionField.text)) {
      const kind = toolchain
        ? "Go version, as go1.23.0, for a program under cmd/"
        : "semantic version, as v0.16.0";
      problem(versionField.line, `version "${versionField.text}" is not a valid ${kind}`, "version");
    }
  }

  for (const issue of record.issues) {
    if (!isHttpUrl(issue.text)) problem(issue.line, `issue "${issue.text}" is not an http(s) URL`, "issue");
  }

  const counterField = record.values.get("counter");
  if (counterField !== undefined && expandCounter(counterField.text).length === 0) {
    problem(counterField.line, `counter "${counterField.text}" has no buckets`, "counter");
  }
  // "crash/{crash,malformed}" would be several charts (a chart is the part before ":"):
  // a bucket list goes after "chart:".
  const open = counterField?.text.indexOf("{") ?? -1;
  if (counterField !== undefined && open >= 0 && !counterField.text.slice(0, open).includes(":")) {
    const message = `counter "${counterField.text}": a bucket list must follow the chart name and ':', as in "chart:{a,b}"`;
    problem(counterField.line, message, "counter");
  }

  if (!valid || type === undefined) return undefined;
  const text = (key: FieldKey): string => record.values.get(key)?.text ?? "";
  const errorField = record.values.get("error");
  return {
    title: text("title"),
    description: text("description"),
    issues: record.issues.map((issue) => issue.text),
    type,
    program: text("program"),
    module: text("module"),
    counter: text("counter"),
    depth,
    error: errorField === undefined ? 0 : Number(errorField.text),
    version: text("version"),
    line: recordLine,
  };
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === "http:" || url.protocol === "https:") && url.host !== "";
  } catch {
    return false;
  }
}
