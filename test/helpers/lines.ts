// Report lines for property tests: well-formed reports, reports with fields
// replaced by any JSON value or left out, text-level mutations of report lines,
// and arbitrary text. Shared by the fuzz tests and the scanner's tests.

import fc from "fast-check";

export const date = fc
  .date({ min: new Date("1999-12-25T00:00:00Z"), max: new Date("2100-03-01T00:00:00Z"), noInvalidDate: true })
  .map((d) => d.toISOString().slice(0, 10));
export const counterName = fc.oneof(
  fc.constantFrom(
    "go/invocations",
    "go/mode:module",
    "go/mode:gopath",
    "go/buildcache:hit",
    "gopls/client:vscode",
    "compile/invocations",
    "__proto__",
    "constructor",
    "hasOwnProperty",
    "",
  ),
  fc.string({ maxLength: 12 }),
);
export const stackName = fc.oneof(
  fc.constantFrom("gopls/bug\nmain.main:+1", "crash/crash\nruntime.panic:+3\nmain.main:+1", "compile/bug"),
  fc.string({ maxLength: 12 }),
);
export const count = fc.oneof(fc.nat(), fc.constantFrom(0, 1, Number.MAX_SAFE_INTEGER));
export const program = fc.oneof(
  fc.constantFrom(
    "cmd/go",
    "cmd/compile",
    "golang.org/x/tools/gopls",
    "github.com/go-delve/delve/cmd/dlv",
    "golang.org/x/vuln/cmd/govulncheck",
  ),
  fc.string({ maxLength: 12 }),
);

/** Each field valid most of the time, otherwise any JSON value; some fields may be left out. */
export function field<T>(valid: fc.Arbitrary<T>): fc.Arbitrary<T | fc.JsonValue> {
  return fc.oneof({ weight: 6, arbitrary: valid }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) });
}

export const programReport = fc.record(
  {
    Program: field(program),
    Version: field(fc.constantFrom("go1.24.7", "go1.25rc1", "v0.17.1", "devel +abc", "")),
    GoVersion: field(fc.constantFrom("go1.24.7", "go1.23.12", "go1.25rc1", "weird", "")),
    GOOS: field(fc.constantFrom("linux", "darwin", "windows", "<script>alert(1)</script>")),
    GOARCH: field(fc.constantFrom("amd64", "arm64", "=cmd|' /C calc'!A0")),
    Counters: field(fc.option(fc.dictionary(counterName, field(count), { maxKeys: 4 }))),
    Stacks: field(fc.option(fc.dictionary(stackName, field(count), { maxKeys: 2 }))),
  },
  { requiredKeys: ["Program", "Version", "GoVersion", "GOOS", "GOARCH"] },
);
export const x = fc.oneof(
  fc.double({ min: Number.MIN_VALUE, max: 1, noNaN: true }),
  fc.constantFrom(1, Number.MIN_VALUE, 0.5),
);
export const report = fc.record(
  {
    Week: field(date),
    LastWeek: field(fc.oneof(date, fc.constant(""), fc.constant(null))),
    X: field(x),
    Programs: field(fc.array(field(programReport), { maxLength: 3 })),
    Config: field(fc.oneof(fc.constantFrom("v0.0.9", ""), fc.constant(null))),
    Extra: fc.jsonValue({ maxDepth: 1 }),
  },
  { requiredKeys: ["Week", "X", "Programs"] },
);
export const reportLine = report.map((value) => JSON.stringify(value));

/** Tokens that break JSON in interesting ways: numbers JSON.stringify never writes, cut strings, nesting. */
export const TOKENS = [
  "-0",
  "1e999",
  "-1",
  "2.5",
  "NaN",
  '"',
  "\\",
  "{",
  "}",
  "[",
  "]",
  ",",
  ":",
  "null",
  "\\u0000",
  "\ud800",
];
export const mutatedLine = fc
  .tuple(
    reportLine,
    fc.array(
      fc.record({
        at: fc.nat(),
        op: fc.constantFrom("insert", "replace", "delete", "cut"),
        token: fc.constantFrom(...TOKENS),
      }),
      { minLength: 1, maxLength: 4 },
    ),
  )
  .map(([line, edits]) => {
    let text = line;
    for (const { at, op, token } of edits) {
      const i = at % (text.length + 1);
      if (op === "insert") text = text.slice(0, i) + token + text.slice(i);
      else if (op === "replace") text = text.slice(0, i) + token + text.slice(i + token.length);
      else if (op === "delete") text = text.slice(0, i) + text.slice(i + 1);
      else text = text.slice(0, i);
    }
    return text;
  });
/** Counts JSON can write but JSON.stringify never does, swapped in for a real one. */
export const oddCountLine = fc
  .tuple(
    reportLine,
    fc.constantFrom("-0", "0.0", "1e3", "1E+2", "-0.0", "9007199254740993", "1e-7", "-1e999"),
  )
  .map(([line, odd]) => line.replace(/":(\d+)([,}])/, `":${odd}$2`));

export const anyLine = fc.oneof(
  { weight: 3, arbitrary: reportLine },
  { weight: 3, arbitrary: mutatedLine },
  { weight: 2, arbitrary: oddCountLine },
  { weight: 1, arbitrary: fc.jsonValue().map((value) => JSON.stringify(value) ?? "") },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 60 }) },
);
