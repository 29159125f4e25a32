// Validate: one line of a day file → a Report, or a Rejection saying why not.
//
// Runs on every line of every day, so it walks the parsed value once, with no
// regular expressions and no exceptions beyond JSON.parse's own.

import type { ProgramReport, RejectReason, Rejection, Report } from "./types.ts";

/** The sampling rates of one program's counters in the upload config. */
export interface ProgramRates {
  counterRate(counter: string): number | undefined;
  stackRate(stack: string): number | undefined;
  hasVersion(version: string): boolean;
}

/** What validation needs from an upload config (see uploadconfig.ts). */
export interface UploadConfigRates {
  program(name: string): ProgramRates | undefined;
  hasGOOS(goos: string): boolean;
  hasGOARCH(goarch: string): boolean;
  hasGoVersion(goVersion: string): boolean;
}

export interface ValidationPolicy {
  /** null when no upload config restricts programs and counters */
  uploadConfig: null | UploadConfigRates;
}

export type Validation = { ok: true; report: Report } | { ok: false; rejection: Rejection };

/** Values shown in a rejection's detail are cut to this many characters. */
const MAX_SHOWN_CHARS = 80;

/**
 * The report on one line, checked against the report schema and, when the
 * policy has an upload config, against the programs and counters it allows.
 *
 * The report is rebuilt from the known fields only, so it re-serialises to a
 * valid report: unknown keys are dropped, absent or null LastWeek and Config
 * become "", absent or null Counters and Stacks become {}, null Programs
 * becomes []. Counters and Stacks have no prototype, so any counter name,
 * "__proto__" included, is an ordinary key; look names up with `in` or
 * Object.hasOwn, never assign them to a `{}`.
 *
 * The first problem found is the rejection: the line's shape (not-json,
 * wrong-type, missing-field, bad-date, bad-x, bad-count) is checked for the
 * whole report before the upload config (unknown-program, unknown-build, unknown-counter).
 */
export function validateLine(text: string, line: number, policy: ValidationPolicy): Validation {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return reject(
      "not-json",
      line,
      `not valid JSON (${cut(error instanceof Error ? error.message : String(error))})`,
    );
  }
  if (!isRecord(parsed)) return reject("not-json", line, `top level: ${show(parsed)} is not an object`);

  const report = reportOf(parsed);
  if (report instanceof Problem) return reject(report.reason, line, report.detail);
  if (policy.uploadConfig !== null) {
    const problem = uploadConfigProblem(report, policy.uploadConfig);
    if (problem !== undefined) return reject(problem.reason, line, problem.detail);
  }
  return { ok: true, report };
}

/** The rejection of a line whose bytes are not UTF-8: not JSON text (RFC 8259 §8.1). */
export function notUtf8Rejection(line: number): Rejection {
  return { reason: "not-json", line, detail: "not valid JSON (its bytes are not UTF-8)" };
}

/** The rejection of a line that decode found longer than the line limit. */
export function tooLongRejection(line: number, bytes: number, limit: number): Rejection {
  return { reason: "too-long", line, detail: `line is ${bytes} bytes, above the ${limit}-byte limit` };
}

class Problem {
  readonly reason: RejectReason;
  readonly detail: string;

  constructor(reason: RejectReason, detail: string) {
    this.reason = reason;
    this.detail = detail;
  }
}

function reject(reason: RejectReason, line: number, detail: string): Validation {
  return { ok: false, rejection: { reason, line, detail } };
}

function reportOf(parsed: Record<string, unknown>): Report | Problem {
  const week = requiredString(parsed.Week, "Week");
  if (week instanceof Problem) return week;
  if (!isDate(week)) return badDate("Week", week);
  const lastWeek = optionalString(parsed.LastWeek, "LastWeek");
  if (lastWeek instanceof Problem) return lastWeek;
  if (lastWeek !== "" && !isDate(lastWeek)) return badDate("LastWeek", lastWeek);
  const x = parsed.X;
  if (x === undefined) return missing("X");
  if (typeof x !== "number") return wrongType("X", x, "a number");
  // Not finite only after JSON.parse overflows, as in 1e999.
  if (!(x > 0 && x <= 1 && Number.isFinite(x)))
    return new Problem("bad-x", `X: ${show(x)} is outside (0, 1]`);
  const config = optionalString(parsed.Config, "Config");
  if (config instanceof Problem) return config;

  // Go writes a nil slice as null: a report whose every program entry the client left out
  // (none is listed in the upload config) is uploaded, accepted and published that way.
  const programsValue = parsed.Programs === null ? [] : parsed.Programs;
  if (programsValue === undefined) return missing("Programs");
  if (!Array.isArray(programsValue)) return wrongType("Programs", programsValue, "an array");
  const programs: ProgramReport[] = [];
  for (let i = 0; i < programsValue.length; i++) {
    const program = programReportOf(programsValue[i], i);
    if (program instanceof Problem) return program;
    programs.push(program);
  }
  return { Week: week, LastWeek: lastWeek, X: x, Programs: programs, Config: config };
}

/**
 * Program entry `index`. Paths in problems are built only once a problem is
 * found: building them up front would cost several strings per entry of every line.
 */
function programReportOf(value: unknown, index: number): ProgramReport | Problem {
  if (!isRecord(value)) return wrongType(entryPath(index), value, "an object");
  const { Program: program, Version: version, GoVersion: goVersion, GOOS: goos, GOARCH: goarch } = value;
  if (typeof program !== "string") return notString(program, entryPath(index, "Program"));
  if (typeof version !== "string") return notString(version, entryPath(index, "Version"));
  if (typeof goVersion !== "string") return notString(goVersion, entryPath(index, "GoVersion"));
  if (typeof goos !== "string") return notString(goos, entryPath(index, "GOOS"));
  if (typeof goarch !== "string") return notString(goarch, entryPath(index, "GOARCH"));
  const counters = countsOf(value.Counters, index, "Counters");
  if (counters instanceof Problem) return counters;
  const stacks = countsOf(value.Stacks, index, "Stacks");
  if (stacks instanceof Problem) return stacks;
  return {
    Program: program,
    Version: version,
    GoVersion: goVersion,
    GOOS: goos,
    GOARCH: goarch,
    Counters: counters,
    Stacks: stacks,
  };
}

/**
 * A name → count map with no prototype. Counts are the week's increments of a
 * uint64 counter, so they must be whole, non-negative and exact in a double.
 * The parsed object itself is kept, with its prototype removed: copying it into
 * an Object.create(null) would make a dictionary-mode object, several times
 * slower to build and to walk on every line of every day.
 */
function countsOf(
  value: unknown,
  index: number,
  field: "Counters" | "Stacks",
): Record<string, number> | Problem {
  // Go writes a nil map as null.
  if (value === undefined || value === null) return Object.create(null);
  if (!isRecord(value)) return wrongType(entryPath(index, field), value, "an object");
  // Before reading any key, so that no name can reach Object.prototype.
  Object.setPrototypeOf(value, null);
  for (const name in value) {
    const count = value[name];
    if (typeof count !== "number")
      return wrongType(`${entryPath(index, field)}[${quote(name)}]`, count, "a number");
    if (!Number.isSafeInteger(count) || count < 0)
      return badCount(`${entryPath(index, field)}[${quote(name)}]`, count);
    // A -0 (valid JSON) becomes 0, so the report re-serialises to the same counts.
    if (count === 0) value[name] = 0;
  }
  return value as Record<string, number>;
}

function uploadConfigProblem(report: Report, uploadConfig: UploadConfigRates): Problem | undefined {
  for (let i = 0; i < report.Programs.length; i++) {
    const program = report.Programs[i];
    if (program === undefined) continue;
    const rates = uploadConfig.program(program.Program);
    if (rates === undefined) {
      return new Problem(
        "unknown-program",
        `Programs[${i}].Program: ${quote(program.Program)} is not in the upload config`,
      );
    }
    const build = unlistedBuildField(program, rates, uploadConfig);
    if (build !== undefined) {
      return new Problem(
        "unknown-build",
        `Programs[${i}].${build}: ${quote(program[build])} is not in the upload config`,
      );
    }
    for (const name in program.Counters) {
      if (typeof rates.counterRate(name) !== "number") {
        return new Problem(
          "unknown-counter",
          `Programs[${i}].Counters[${quote(name)}] is not in the upload config`,
        );
      }
    }
    for (const name in program.Stacks) {
      if (typeof rates.stackRate(name) !== "number") {
        return new Problem(
          "unknown-counter",
          `Programs[${i}].Stacks[${quote(name)}] is not in the upload config`,
        );
      }
    }
  }
  return undefined;
}

/**
 * The first field of the program's build that the upload config does not list, as
 * upstream's server checks each entry ("unknown program build"); undefined if none.
 */
function unlistedBuildField(
  program: ProgramReport,
  rates: ProgramRates,
  uploadConfig: UploadConfigRates,
): "Version" | "GoVersion" | "GOOS" | "GOARCH" | undefined {
  if (!rates.hasVersion(program.Version)) return "Version";
  if (!uploadConfig.hasGoVersion(program.GoVersion)) return "GoVersion";
  if (!uploadConfig.hasGOOS(program.GOOS)) return "GOOS";
  if (!uploadConfig.hasGOARCH(program.GOARCH)) return "GOARCH";
  return undefined;
}

/** The path of program entry `index`, or of one of its fields, as problems name it. */
function entryPath(index: number, field?: string): string {
  return field === undefined ? `Programs[${index}]` : `Programs[${index}].${field}`;
}

function requiredString(value: unknown, path: string): string | Problem {
  return typeof value === "string" ? value : notString(value, path);
}

/** The problem with a required string field whose value is not a string. */
function notString(value: unknown, path: string): Problem {
  return value === undefined ? missing(path) : wrongType(path, value, "a string");
}

/** Absent or null (Go's zero value) reads as "". */
function optionalString(value: unknown, path: string): string | Problem {
  if (typeof value === "string") return value;
  if (value === undefined || value === null) return "";
  return wrongType(path, value, "a string");
}

function missing(path: string): Problem {
  return new Problem("missing-field", `${path} is missing`);
}

function wrongType(path: string, value: unknown, expected: string): Problem {
  return new Problem("wrong-type", `${path}: ${show(value)} is not ${expected}`);
}

function badDate(path: string, value: string): Problem {
  return new Problem("bad-date", `${path}: ${quote(value)} is not a YYYY-MM-DD date`);
}

function badCount(path: string, count: number): Problem {
  const why = !Number.isFinite(count)
    ? "is not finite"
    : count < 0
      ? "is negative"
      : !Number.isInteger(count)
        ? "is not a whole number"
        : "is above 2^53 - 1, the largest exact count";
  return new Problem("bad-count", `${path}: ${show(count)} ${why}`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** True for a real calendar date written YYYY-MM-DD, such as 2024-02-29 but not 2023-02-29. */
function isDate(text: string): boolean {
  if (text.length !== 10 || text.charCodeAt(4) !== 0x2d || text.charCodeAt(7) !== 0x2d) return false;
  return isCalendarDate(digitsAt(text, 0, 4), digitsAt(text, 5, 7), digitsAt(text, 8, 10));
}

/** True when year (0–9999), month and day name a real date; a negative part is never one. */
export function isCalendarDate(year: number, month: number, day: number): boolean {
  if (year < 0 || month < 1 || month > 12 || day < 1) return false;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const daysInMonth =
    month === 2 ? (leap ? 29 : 28) : month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
  return day <= daysInMonth;
}

/** The decimal number in text[start, end), or -1 if a character is not a digit. */
function digitsAt(text: string, start: number, end: number): number {
  let value = 0;
  for (let i = start; i < end; i++) {
    const digit = text.charCodeAt(i) - 0x30;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

/** A parsed JSON value, short: strings and numbers as written, objects and arrays elided. */
function show(value: unknown): string {
  if (typeof value === "string") return quote(value);
  if (typeof value === "number" || typeof value === "boolean" || value === null) return String(value);
  return Array.isArray(value) ? "[…]" : "{…}";
}

function quote(text: string): string {
  return text.length > MAX_SHOWN_CHARS
    ? `${JSON.stringify(text.slice(0, MAX_SHOWN_CHARS))}…`
    : JSON.stringify(text);
}

function cut(text: string): string {
  return text.length > MAX_SHOWN_CHARS ? `${text.slice(0, MAX_SHOWN_CHARS)}…` : text;
}
