// Small hand-made reports for the aggregation tests.
import type { ProgramReport, Report, UploadConfig } from "../../src/pipeline/types.ts";

export const GOPLS = "golang.org/x/tools/gopls";

/** A program entry with ordinary metadata; override any field. */
export function entry(program: string, fields: Partial<ProgramReport> = {}): ProgramReport {
  return {
    Program: program,
    Version: "v0.16.2",
    GoVersion: "go1.23.1",
    GOOS: "linux",
    GOARCH: "amd64",
    Counters: {},
    Stacks: {},
    ...fields,
  };
}

/** A report identified by `x`. Its Week does not matter: windows go by publication day. */
export function report(x: number, ...programs: ProgramReport[]): Report {
  return { Week: "2024-06-01", LastWeek: "", X: x, Programs: programs, Config: "v0.0.1" };
}

/** An upload config that restricts nothing (as derived from a chart config). */
export const unrestricted: UploadConfig = {
  GOOS: [],
  GOARCH: [],
  GoVersion: [],
  SampleRate: 1,
  Programs: [],
};

/** Chart ids for tests: readable rather than URL-safe. */
export const id = (program: string, name: string) => `${program}:${name}`;
