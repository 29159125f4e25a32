// Property-based tests with a fixed seed: arbitrary lines and arbitrary bytes
// never make validation, decoding or a day's processing throw anything but
// what they promise, and every accepted report survives re-serialisation.

import { gzipSync, strToU8, zipSync } from "fflate";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { buildPlan, deserializeDay, planCharts } from "../src/pipeline/aggregate.ts";
import { parseChartConfig } from "../src/pipeline/chartconfig.ts";
import { processDay } from "../src/pipeline/day.ts";
import { DecodeError, decodeLines, DEFAULT_LIMITS } from "../src/pipeline/decode.ts";
import type { RejectReason } from "../src/pipeline/types.ts";
import { compileUploadConfig } from "../src/pipeline/uploadconfig.ts";
import { validateLine, type ValidationPolicy } from "../src/pipeline/validate.ts";
import { readFile } from "node:fs/promises";
import { anyLine, reportLine } from "./helpers/lines.ts";
import { CHARTS, sampleUploadConfig } from "./helpers/run.ts";

const SEED = 20260601;
const RUNS = 200;

const upload = await sampleUploadConfig();
const chartConfig = parseChartConfig(await readFile(CHARTS, "utf8"), CHARTS);
if (!chartConfig.ok) throw new Error("the sample chart config does not parse");
const plan = buildPlan(
  planCharts({ upload, chartConfigs: chartConfig.charts, chartId: (program, name) => `${program}--${name}` }),
);
const policies: Record<string, ValidationPolicy> = {
  "no upload config": { uploadConfig: null },
  "the sample upload config": { uploadConfig: compileUploadConfig(upload, true) },
};

const REASONS: readonly RejectReason[] = [
  "not-json",
  "too-long",
  "wrong-type",
  "missing-field",
  "bad-date",
  "bad-x",
  "bad-count",
  "unknown-program",
  "unknown-build",
  "unknown-counter",
];

describe("validateLine on arbitrary lines", () => {
  it.each(Object.keys(policies))(
    "never throws, and every accepted report re-serialises to a line accepted as the same report (%s)",
    (policyName) => {
      const policy = policies[policyName]!;
      let accepted = 0;
      fc.assert(
        fc.property(anyLine, (line) => {
          const result = validateLine(line, 7, policy);
          if (!result.ok) {
            expect(REASONS).toContain(result.rejection.reason);
            expect(result.rejection.line).toBe(7);
            return;
          }
          accepted++;
          const again = validateLine(JSON.stringify(result.report), 7, policy);
          expect(again).toEqual(result);
          if (again.ok) {
            // Equal as values and as text: nothing (-0, say) is lost when written back.
            expect(JSON.stringify(again.report)).toBe(JSON.stringify(result.report));
            for (const [i, entry] of again.report.Programs.entries()) {
              for (const [name, value] of Object.entries(entry.Counters)) {
                expect(Object.is(value, result.report.Programs[i]!.Counters[name]), name).toBe(true);
              }
            }
          }
        }),
        { seed: SEED, numRuns: 4 * RUNS },
      );
      // The arbitraries must reach the accepting paths, not only the rejections.
      expect(accepted).toBeGreaterThan(RUNS / 10);
    },
  );
});

describe("processDay on arbitrary days", () => {
  it("never throws; every line is accepted, rejected or blank (or none is JSON: failed); the aggregate reads back", () => {
    const policy = policies["the sample upload config"]!;
    fc.assert(
      fc.property(fc.array(anyLine, { maxLength: 12 }), fc.boolean(), (lines, compress) => {
        const text = lines.join("\n");
        const plain = strToU8(text);
        const bytes = compress ? gzipSync(plain) : plain;
        const result = processDay(
          { date: "2026-02-01", source: "fuzz.json", bytes },
          plan,
          policy,
          DEFAULT_LIMITS,
        );
        // What decode sees: the text as UTF-8 (lone surrogates become U+FFFD), split at "\n".
        const decoded = new TextDecoder().decode(plain).split("\n");
        if (decoded.at(-1) === "") decoded.pop();
        const nonBlank = decoded.filter((line) => !/^[ \t\r\v\f]*$/.test(line));
        const status = result.status;
        const validated = nonBlank.map((line) =>
          validateLine(line.endsWith("\r") ? line.slice(0, -1) : line, 1, policy),
        );
        // A day none of whose lines is a JSON object is not a file of reports: it fails.
        if (validated.length > 0 && validated.every((v) => !v.ok && v.rejection.reason === "not-json")) {
          expect(status.status).toBe("failed");
          expect(status.error).toMatch(
            /^fuzz\.json: not a file of reports: none of its \d+ lines is (a JSON object|UTF-8 text)/,
          );
          expect(result.aggregate).toBeNull();
          return;
        }
        expect(status.status).toBe("ok");
        expect(status.lines).toBe(decoded.length);
        const rejected = Object.values(status.rejected).reduce((sum, n) => sum + (n ?? 0), 0);
        expect(status.accepted + rejected).toBe(nonBlank.length);
        const expectedAccepted = validated.filter((v) => v.ok).length;
        expect(status.accepted).toBe(expectedAccepted);
        const aggregate = deserializeDay(result.aggregate!);
        expect(aggregate.xs.length).toBe(status.reports);
        expect(status.reports).toBeLessThanOrEqual(status.accepted);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });
});

// ---------------------------------------------------------------------------
// Bytes: random buffers, random buffers behind gzip and zip magic numbers, and
// real gzip and zip files with flipped bytes or cut short.

const GZIP_HEADER = [0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0x03];
const withPrefix = (prefix: number[]) =>
  fc.uint8Array({ maxLength: 400 }).map((rest) => new Uint8Array([...prefix, ...rest]));
const sampleText = fc
  .array(fc.oneof(reportLine, fc.string({ maxLength: 30 })), { maxLength: 6 })
  .map((lines) => strToU8(lines.join("\n")));
const damaged = (encode: (text: Uint8Array) => Uint8Array) =>
  fc
    .tuple(
      sampleText,
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { maxLength: 3 }),
      fc.option(fc.nat()),
    )
    .map(([text, flips, cut]) => {
      const bytes = encode(text);
      for (const [at, mask] of flips) bytes[at % bytes.length] = bytes[at % bytes.length]! ^ mask;
      return cut === null ? bytes : bytes.subarray(0, cut % (bytes.length + 1));
    });
const anyBytes = fc.oneof(
  fc.uint8Array({ maxLength: 600 }),
  withPrefix(GZIP_HEADER),
  withPrefix([0x50, 0x4b, 0x03, 0x04]),
  withPrefix([0x50, 0x4b, 0x05, 0x06]),
  damaged((text) => gzipSync(text)),
  damaged((text) => zipSync({ "day.json": text })),
  damaged((text) => zipSync({ "a.json": text, "b.json": text })),
  sampleText,
);

describe("decodeLines on arbitrary bytes", () => {
  it("yields well-formed lines or throws DecodeError, nothing else", () => {
    let threw = 0;
    let decoded = 0;
    fc.assert(
      fc.property(anyBytes, fc.integer({ min: 1, max: 80 }), (bytes, maxLineBytes) => {
        const lines = decodeLines(bytes, { file: "fuzz.bin", maxLineBytes, maxDecompressedBytes: 1 << 20 });
        let last = 0;
        try {
          for (let step = lines.next(); ; step = lines.next()) {
            if (step.done) {
              expect(step.value.lines).toBeGreaterThanOrEqual(last);
              expect(step.value.decompressedBytes).toBeGreaterThanOrEqual(0);
              decoded++;
              return;
            }
            const line = step.value;
            expect(line.line).toBeGreaterThan(last);
            last = line.line;
            if ("tooLong" in line) expect(line.bytes).toBeGreaterThan(maxLineBytes);
            else if (!("notUtf8" in line)) {
              expect(line.text).not.toContain("\n");
              expect(strToU8(line.text).length).toBeLessThanOrEqual(maxLineBytes);
            }
          }
        } catch (error) {
          if (!(error instanceof DecodeError)) throw error;
          expect(error.message.startsWith("fuzz.bin: ")).toBe(true);
          threw++;
        }
      }),
      { seed: SEED, numRuns: 2 * RUNS },
    );
    // Both outcomes must be exercised for the property to mean anything.
    expect(threw).toBeGreaterThan(RUNS / 10);
    expect(decoded).toBeGreaterThan(RUNS / 10);
  });

  it("processDay turns any bytes into an ok or failed day, never an exception", () => {
    const policy = policies["no upload config"]!;
    fc.assert(
      fc.property(anyBytes, (bytes) => {
        const result = processDay(
          { date: "2026-02-01", source: "fuzz.bin", bytes },
          plan,
          policy,
          DEFAULT_LIMITS,
        );
        if (result.status.status === "failed") {
          expect(result.aggregate).toBeNull();
          expect(result.status.error).toMatch(/^fuzz\.bin: /);
        } else {
          expect(result.status.status).toBe("ok");
          expect(deserializeDay(result.aggregate!).xs.length).toBe(result.status.reports);
        }
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });
});
