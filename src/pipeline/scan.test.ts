// The scanner is validation's fast path, so it is held to validateLine: a line it
// accepts must be one validateLine accepts, read as the same report, and a line it
// refuses is left to validateLine. Property tests with fixed seeds, on the fuzz
// tests' lines and on lines written the ways JSON allows but JSON.stringify never
// writes (spaces, escapes, repeated keys), plus hand-made cases for each refusal.

import { gzipSync, strToU8 } from "fflate";
import fc from "fast-check";
import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import {
  anyLine,
  count,
  counterName,
  date,
  program,
  reportLine,
  stackName,
  x as reportId,
} from "../../test/helpers/lines.ts";
import { CHARTS, sampleUploadConfig } from "../../test/helpers/run.ts";
import {
  addReport,
  buildPlan,
  createDayAggregate,
  finishDay,
  planCharts,
  serializeDay,
} from "./aggregate.ts";
import { parseChartConfig } from "./chartconfig.ts";
import { processDay } from "./day.ts";
import { DEFAULT_LIMITS } from "./decode.ts";
import { ReportScanner } from "./scan.ts";
import type { FlatReport, Report } from "./types.ts";
import { compileUploadConfig } from "./uploadconfig.ts";
import { validateLine, type ValidationPolicy } from "./validate.ts";

const SEED = 20261201;
const RUNS = 400;

const upload = await sampleUploadConfig();
const policies: Record<string, ValidationPolicy> = {
  "no upload config": { uploadConfig: null },
  "the sample upload config": { uploadConfig: compileUploadConfig(upload, true) },
};

/** A report as plain lists, in the order its counters and stacks are walked. */
interface Walked {
  X: number;
  entries: {
    fields: string[];
    counters: [string, number][];
    stacks: [string, number][];
  }[];
}

function walkedFlat(report: FlatReport): Walked {
  return {
    X: report.X,
    entries: report.entries.slice(0, report.entryCount).map((entry) => ({
      fields: [entry.Program, entry.Version, entry.GoVersion, entry.GOOS, entry.GOARCH],
      counters: entry.counterNames
        .slice(0, entry.counterCount)
        .map((name, i): [string, number] => [name, entry.counterValues[i]!]),
      stacks: entry.stackNames
        .slice(0, entry.stackCount)
        .map((name, i): [string, number] => [name, entry.stackValues[i]!]),
    })),
  };
}

function walkedReport(report: Report): Walked {
  const pairs = (counts: Record<string, number>) => {
    const list: [string, number][] = [];
    for (const name in counts) list.push([name, counts[name]!]);
    return list;
  };
  return {
    X: report.X,
    entries: report.Programs.map((entry) => ({
      fields: [entry.Program, entry.Version, entry.GoVersion, entry.GOOS, entry.GOARCH],
      counters: pairs(entry.Counters),
      stacks: pairs(entry.Stacks),
    })),
  };
}

/**
 * Scans `line` with `scanner` and checks it against validateLine; true when the
 * scanner accepted it. The line is placed inside a larger buffer, as the decoder
 * hands it over, so that reading past its end would be noticed.
 */
function scanAgrees(scanner: ReportScanner, line: string, policy: ValidationPolicy): boolean {
  const bytes = strToU8(`"}]${line}\n{"X":1}`);
  const start = 3;
  const end = bytes.length - 8;
  const accepted = scanner.scan(bytes, start, end);
  if (!accepted) return false;
  const result = validateLine(line, 1, policy);
  expect(result.ok, line).toBe(true);
  if (!result.ok) return true;
  const scanned = walkedFlat(scanner.report);
  expect(scanned, line).toEqual(walkedReport(result.report));
  for (const entry of scanned.entries)
    for (const [, value] of [...entry.counters, ...entry.stacks]) expect(Object.is(value, -0)).toBe(false);
  return true;
}

// ---------------------------------------------------------------------------
// Lines that only the scanner's edge cases tell apart.

/** Valid reports only, with no unknown field: lines the fast path must take. */
const plainEntry = fc.record(
  {
    Program: program,
    Version: fc.constantFrom("go1.24.7", "v0.17.1", "devel +abc", "", "é ✓"),
    GoVersion: fc.constantFrom("go1.24.7", "go1.23.12", "go1.25rc1", ""),
    GOOS: fc.constantFrom("linux", "darwin", "windows", 'quote"d', "back\\slash"),
    GOARCH: fc.constantFrom("amd64", "arm64", "tab\there"),
    Counters: fc.option(fc.dictionary(counterName, count, { maxKeys: 5 })),
    Stacks: fc.option(fc.dictionary(stackName, count, { maxKeys: 2 })),
  },
  { requiredKeys: ["Program", "Version", "GoVersion", "GOOS", "GOARCH"] },
);
const plainReport = fc.record(
  {
    Week: date,
    LastWeek: fc.oneof(date, fc.constant(""), fc.constant(null)),
    X: reportId,
    // null: Go's nil slice, a report whose every entry the client left out.
    Programs: fc.oneof({ weight: 9, arbitrary: fc.array(plainEntry, { maxLength: 3 }) }, fc.constant(null)),
    Config: fc.oneof(fc.constantFrom("v0.0.9", ""), fc.constant(null)),
  },
  { requiredKeys: ["Week", "X", "Programs"] },
);

/** A name JSON.parse would list before the others: the scanner must leave such reports alone. */
function hasIndexName(value: unknown): boolean {
  if (typeof value !== "object" || value === null) return false;
  if (Array.isArray(value)) return value.some(hasIndexName);
  return Object.entries(value).some(
    ([key, inner]) => (/^(0|[1-9]\d{0,9})$/.test(key) && Number(key) < 2 ** 32 - 1) || hasIndexName(inner),
  );
}

/** The same report laid out with JSON whitespace between every token. */
const respacedLine = fc
  .tuple(plainReport, fc.constantFrom(" ", "\t", "\r", " \t "), fc.integer({ min: 0, max: 4 }))
  .map(([value, space, indent]) => JSON.stringify(value, null, indent).replaceAll("\n", space));

/** Characters of string tokens (keys and values) written as \u escapes. */
const escapedLine = fc
  .tuple(reportLine, fc.array(fc.nat(), { minLength: 1, maxLength: 4 }))
  .map(([line, picks]) => {
    let token = 0;
    return line.replace(/"((?:[^"\\]|\\.)*)"/g, (whole, inner: string) => {
      token++;
      if (!picks.some((pick) => pick % 12 === token % 12) || inner.length === 0) return whole;
      const at = picks[0]! % inner.length;
      if (inner[at] === "\\" || (at > 0 && inner[at - 1] === "\\")) return whole;
      const escape = `\\u${inner.charCodeAt(at).toString(16).padStart(4, "0")}`;
      return `"${inner.slice(0, at)}${escape}${inner.slice(at + 1)}"`;
    });
  });

/** A key given twice: JSON.parse keeps the last value at the first key's place. */
const repeatedKeyLine = fc
  .tuple(reportLine, fc.constantFrom("counter", "field", "top"), counterName, count)
  .map(([line, where, name, value]) => {
    if (where === "counter") {
      // The entry's first counter again, or a new one when it has none.
      const first = /"Counters":\{("(?:[^"\\]|\\.)*"):/.exec(line)?.[1] ?? JSON.stringify(name);
      return line.replace('"Counters":{', `"Counters":{${first}:${value},`);
    }
    if (where === "field") return line.replace('"GOOS":', '"GOOS":"plan9","GOOS":');
    return line.replace(/}$/, ',"X":0.5}');
  });

const edgeLine = fc.oneof(
  { weight: 2, arbitrary: plainReport.map((value) => JSON.stringify(value)) },
  { weight: 2, arbitrary: respacedLine },
  { weight: 2, arbitrary: escapedLine },
  { weight: 1, arbitrary: repeatedKeyLine },
  { weight: 3, arbitrary: anyLine },
);

describe("ReportScanner against validateLine", () => {
  it.each(Object.keys(policies))(
    "accepts only lines validateLine accepts, as the same report in the same order (%s)",
    (policyName) => {
      const policy = policies[policyName]!;
      const scanner = new ReportScanner(policy);
      let accepted = 0;
      fc.assert(
        fc.property(edgeLine, (line) => {
          if (scanAgrees(scanner, line, policy)) accepted++;
        }),
        { seed: SEED, numRuns: 4 * RUNS },
      );
      // The fast path must be taken, not refused every time.
      expect(accepted).toBeGreaterThan(RUNS / 4);
    },
  );

  it("takes every well-formed report JSON.stringify writes, however spaced, unless a name is an index", () => {
    const policy = policies["no upload config"]!;
    const scanner = new ReportScanner(policy);
    fc.assert(
      fc.property(
        fc.oneof(
          plainReport.map((value) => JSON.stringify(value)),
          respacedLine,
        ),
        (line) => {
          if (hasIndexName(JSON.parse(line))) return;
          expect(scanAgrees(scanner, line, policy), line).toBe(true);
        },
      ),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it("reads the sample day files' lines on the fast path", async () => {
    const policy = policies["the sample upload config"]!;
    const scanner = new ReportScanner(policy);
    const { gunzipSync, strFromU8 } = await import("fflate");
    const file = new URL("../../data/reports/2026-09-01.json.gz", import.meta.url);
    const lines = strFromU8(gunzipSync(await readFile(file)))
      .split("\n")
      .filter(Boolean);
    const taken = lines.filter((line) => scanAgrees(scanner, line, policy)).length;
    const valid = lines.filter((line) => validateLine(line, 1, policy).ok).length;
    expect(lines.length).toBeGreaterThan(100);
    expect(taken).toBe(valid);
  });
});

describe("ReportScanner reads X as JSON.parse does", () => {
  const policy = policies["no upload config"]!;
  const scanner = new ReportScanner(policy);
  const xOf = (text: string) => {
    const line = `{"Week":"2026-06-01","X":${text},"Programs":[]}`;
    expect(scanAgrees(scanner, line, policy), line).toBe(true);
    return scanner.report.X;
  };

  it("for every double JSON.stringify writes, and for decimals of any length", () => {
    const decimal = fc
      .tuple(fc.constantFrom("0", "1"), fc.string({ unit: fc.constantFrom(..."0123456789"), maxLength: 30 }))
      .map(([integer, fraction]) => (fraction === "" ? integer : `${integer}.${fraction}`))
      .filter((text) => Number(text) > 0 && Number(text) <= 1);
    fc.assert(
      fc.property(fc.oneof(reportId.map(String), decimal), (text) => {
        expect(Object.is(xOf(text), Number(text)), text).toBe(true);
      }),
      { seed: SEED, numRuns: 4 * RUNS },
    );
  });

  it.each([
    "1",
    "1.0",
    "0.1",
    "0.3",
    "0.000001",
    "1e-7",
    "5e-324",
    "0.12345678901234567890",
    "1.000000000000000000001",
  ])("%s", (text) => {
    expect(xOf(text)).toBe(Number(text));
  });
});

describe("ReportScanner leaves to validateLine", () => {
  const policy = policies["no upload config"]!;
  const base = (counters: string, rest = "") =>
    `{"Week":"2026-06-01","X":0.5,"Programs":[{"Program":"cmd/go","Version":"go1.25.1","GoVersion":"go1.25.1","GOOS":"linux","GOARCH":"amd64","Counters":${counters}${rest}}]}`;
  const scans = (line: string) => {
    const scanner = new ReportScanner(policy);
    return scanAgrees(scanner, line, policy);
  };

  it("takes a plain report, with Counters and Stacks as maps, null or absent", () => {
    expect(scans(base('{"go/invocations":3,"go/mode:module":0}'))).toBe(true);
    expect(scans(base("null", ',"Stacks":null'))).toBe(true);
    expect(scans(base("{}", ',"Stacks":{"crash/crash\\nmain.main:+1":2}'))).toBe(true);
    expect(scans('{"Week":"2026-06-01","LastWeek":null,"X":1,"Programs":[],"Config":null}')).toBe(true);
    expect(scans('{"Week":"2026-06-01","X":0.5,"Programs":null}')).toBe(true);
  });

  it.each([
    ["a repeated counter", '{"a":1,"a":2}'],
    ["the same counter spelled two ways", '{"a":1,"\\u0061":2}'],
    ["an array-index counter name", '{"b":1,"0":2}'],
    ["a negative count", '{"a":-1}'],
    ["minus zero", '{"a":-0}'],
    ["a fraction", '{"a":1.0}'],
    ["an exponent", '{"a":1e3}'],
    ["a count above 2^53 - 1", '{"a":9007199254740992}'],
    ["a count of 17 digits", '{"a":10000000000000000}'],
    ["a leading zero", '{"a":01}'],
    ["a string count", '{"a":"1"}'],
    ["a count cut short", '{"a":}'],
  ])("%s", (_, counters) => {
    expect(scans(base(counters))).toBe(false);
  });

  it.each([
    ["an unknown field", '{"Week":"2026-06-01","X":0.5,"Programs":[],"Extra":1}'],
    ["an escaped key", '{"Week":"2026-06-01","\\u0058":0.5,"Programs":[]}'],
    ["a missing X", '{"Week":"2026-06-01","Programs":[]}'],
    ["X of 0", '{"Week":"2026-06-01","X":0,"Programs":[]}'],
    ["X above 1", '{"Week":"2026-06-01","X":1.5,"Programs":[]}'],
    ["X overflowing", '{"Week":"2026-06-01","X":1e999,"Programs":[]}'],
    ["a bad date", '{"Week":"2026-02-30","X":0.5,"Programs":[]}'],
    ["a null Week", '{"Week":null,"X":0.5,"Programs":[]}'],
    ["trailing text", '{"Week":"2026-06-01","X":0.5,"Programs":[]} x'],
    ["two objects", '{"Week":"2026-06-01","X":0.5,"Programs":[]}{}'],
    ["a raw control character", '{"Week":"2026-06-01","X":0.5,"Programs":[],"Config":"a\tb"}'],
    ["a bad escape", '{"Week":"2026-06-01","X":0.5,"Programs":[{"Program":"\\x"}]}'],
    ["a trailing comma", '{"Week":"2026-06-01","X":0.5,"Programs":[],}'],
  ])("%s", (_, line) => {
    expect(scans(line)).toBe(false);
  });

  it("names the upload config does not allow", () => {
    const restricted = policies["the sample upload config"]!;
    const scanner = new ReportScanner(restricted);
    expect(scanAgrees(scanner, base('{"go/invocations":1}'), restricted)).toBe(true);
    expect(scanAgrees(scanner, base('{"no/such/counter":1}'), restricted)).toBe(false);
    expect(scanAgrees(scanner, base("{}").replace("cmd/go", "cmd/nope"), restricted)).toBe(false);
    // A build the config does not list; asked twice, as the scanner keeps each answer for the day.
    for (const [listed, unlisted] of [
      ['"Version":"go1.25.1"', '"Version":"go1.25.99"'],
      ['"GoVersion":"go1.25.1"', '"GoVersion":"go1.99.0"'],
      ['"GOOS":"linux"', '"GOOS":"nope"'],
      ['"GOARCH":"amd64"', '"GOARCH":"nope"'],
    ] as const) {
      const line = base('{"go/invocations":1}').replace(listed, unlisted);
      expect(scanAgrees(scanner, line, restricted), unlisted).toBe(false);
      expect(scanAgrees(scanner, line, restricted), unlisted).toBe(false);
      expect(scanAgrees(scanner, base('{"go/invocations":1}'), restricted)).toBe(true);
    }
  });

  it("bytes that are not UTF-8", () => {
    const scanner = new ReportScanner(policy);
    const bytes = strToU8(base('{"go/invocations":1}').replace("linux", "lin\u00e9x"));
    const at = bytes.indexOf(0xc3);
    bytes[at] = 0xff;
    expect(scanner.scan(bytes, 0, bytes.length)).toBe(false);
  });
});

describe("processDay with the fast path", () => {
  it("builds the aggregate validateLine and addReport alone would build", async () => {
    const parsed = parseChartConfig(await readFile(CHARTS, "utf8"), CHARTS);
    if (!parsed.ok) throw new Error("the sample chart config does not parse");
    const plan = buildPlan(
      planCharts({ upload, chartConfigs: parsed.charts, chartId: (name, chart) => `${name}--${chart}` }),
    );
    const policy = policies["the sample upload config"]!;
    fc.assert(
      fc.property(fc.array(edgeLine, { maxLength: 20 }), (lines) => {
        const text = lines.join("\n");
        const result = processDay(
          { date: "2026-06-01", source: "day.json.gz", bytes: gzipSync(strToU8(text)) },
          plan,
          policy,
          DEFAULT_LIMITS,
        );
        if (result.status.status === "failed") return;
        const slow = createDayAggregate("2026-06-01", plan);
        for (const line of text.split("\n")) {
          const trimmed = line.endsWith("\r") ? line.slice(0, -1) : line;
          if (/^[ \t\r\v\f]*$/.test(trimmed)) continue;
          const validated = validateLine(trimmed, 1, policy);
          if (validated.ok) addReport(slow, validated.report);
        }
        expect(result.aggregate).toEqual(serializeDay(finishDay(slow)));
      }),
      { seed: SEED, numRuns: RUNS / 2 },
    );
  });
});
