import { describe, expect, it } from "vitest";
import { isDate, parseDataOptions, UsageError } from "./options.ts";

describe("parseDataOptions", () => {
  it("defaults serve the embedded sample with its upload config", () => {
    const options = parseDataOptions([], false, 2);
    expect(options).toMatchObject({
      source: "data/reports",
      charts: "data/charts.txt",
      uploadConfig: "data/uploadconfig.json",
      out: "public/data",
      strict: false,
      progress: "lines",
      workers: 2,
    });
  });

  it("derives the upload config when a chart config of one's own is given", () => {
    const options = parseDataOptions(["--charts", "x.txt"], true, 1);
    expect(options).toMatchObject({ uploadConfig: null, progress: "bar", workers: 0 });
  });

  it("rejects dates that are not dates, and reversed ranges", () => {
    expect(() => parseDataOptions(["--from", "2024-02-30"], false, 2)).toThrow(/--from: "2024-02-30"/);
    expect(() => parseDataOptions(["--from", "2024-03-02", "--to", "2024-03-01"], false, 2)).toThrow(
      /after --to/,
    );
  });

  it("takes --workers as a whole number from 0 to 64, written in digits", () => {
    expect(parseDataOptions(["--workers", "0"], false, 2)).toMatchObject({ workers: 0 });
    expect(parseDataOptions(["--workers", "64"], false, 2)).toMatchObject({ workers: 64 });
    for (const bad of ["", "1e1", "0x2", " 2", "2.0", "65", "two"]) {
      expect(() => parseDataOptions(["--workers", bad], false, 2), bad).toThrow(
        `--workers: ${JSON.stringify(bad)} is not a whole number from 0 to 64`,
      );
    }
  });

  it("gives a value that starts with '-' to its option, so that the value's own check speaks", () => {
    expect(() => parseDataOptions(["--workers", "-1"], false, 2)).toThrow(
      '--workers: "-1" is not a whole number from 0 to 64',
    );
    expect(() => parseDataOptions(["--from", "-2024-01-01"], false, 2)).toThrow(
      '--from: "-2024-01-01" is not a YYYY-MM-DD date',
    );
    // A flag after an option is still an option missing its value.
    expect(() => parseDataOptions(["--out", "--strict"], false, 2)).toThrow(/argument is ambiguous/);
    // After "--", nothing is joined.
    expect(() => parseDataOptions(["--", "--workers", "-1"], false, 2)).toThrow(/positional/);
  });

  it("tells a date of the wrong form from one not in the calendar", () => {
    expect(() => parseDataOptions(["--from", "2026-02-30"], false, 2)).toThrow(
      '--from: "2026-02-30" is not a date of the calendar',
    );
    expect(() => parseDataOptions(["--to", "2026-9-1"], false, 2)).toThrow(
      '--to: "2026-9-1" is not a YYYY-MM-DD date',
    );
  });

  it("refuses an option given twice, and an empty path", () => {
    expect(() => parseDataOptions(["--from", "2026-01-01", "--from", "2026-02-01"], false, 2)).toThrow(
      "--from is given more than once",
    );
    expect(() => parseDataOptions(["--strict", "--strict"], false, 2)).toThrow(
      "--strict is given more than once",
    );
    for (const key of ["source", "charts", "upload-config", "cache", "out"]) {
      expect(() => parseDataOptions([`--${key}`, ""], false, 2)).toThrow(`--${key}: the path is empty`);
      expect(() => parseDataOptions([`--${key}=`], false, 2)).toThrow(`--${key}: the path is empty`);
    }
  });

  it("rejects unknown flags with a usage error", () => {
    expect(() => parseDataOptions(["--sauce", "x"], false, 2)).toThrow(UsageError);
  });
});

describe("isDate", () => {
  it.each([
    ["2024-02-29", true],
    ["2023-02-29", false],
    ["2024-13-01", false],
    ["24-01-01", false],
    ["2024-01-01T00:00", false],
  ])("%s → %s", (text, expected) => {
    expect(isDate(text)).toBe(expected);
  });
});
