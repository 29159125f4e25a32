import { describe, expect, it } from "vitest";
import type { RejectReason } from "./types.ts";
import { tooLongRejection, validateLine, type ValidationPolicy } from "./validate.ts";

const open: ValidationPolicy = { uploadConfig: null };

/** A report as golang.org/x/telemetry uploads it, to be modified per test. */
function upload(): Record<string, unknown> {
  return {
    Week: "2024-06-03",
    LastWeek: "2024-05-27",
    X: 0.25,
    Programs: [
      {
        Program: "cmd/go",
        Version: "go1.22.3",
        GoVersion: "go1.22.3",
        GOOS: "linux",
        GOARCH: "amd64",
        Counters: { "go/invocations": 12, "go/build/flag/buildmode:exe": 3 },
        Stacks: { "crash/crash\nruntime.main:+3": 1 },
      },
      {
        Program: "golang.org/x/tools/gopls",
        Version: "v0.15.3",
        GoVersion: "go1.22.1",
        GOOS: "darwin",
        GOARCH: "arm64",
        Counters: { "gopls/client:vscode": 1 },
        Stacks: {},
      },
    ],
    Config: "v0.0.1",
  };
}

function programs(report: Record<string, unknown>): Record<string, unknown>[] {
  return report.Programs as Record<string, unknown>[];
}

function rejection(report: unknown, policy: ValidationPolicy = open, line = 7) {
  const result = validateLine(typeof report === "string" ? report : JSON.stringify(report), line, policy);
  if (result.ok) throw new Error("expected a rejection");
  return result.rejection;
}

function expectRejection(
  report: unknown,
  reason: RejectReason,
  detail: string,
  policy: ValidationPolicy = open,
) {
  expect(rejection(report, policy)).toEqual({ reason, line: 7, detail });
}

/** A report changed by `edit`, which gets the report and its first program. */
function edited(edit: (report: Record<string, unknown>, program: Record<string, unknown>) => void) {
  const report = upload();
  const first = programs(report)[0];
  if (first === undefined) throw new Error("upload() has programs");
  edit(report, first);
  return report;
}

describe("validateLine accepts", () => {
  it("a report as uploaded, unchanged", () => {
    const result = validateLine(JSON.stringify(upload()), 1, open);
    expect(result).toEqual({ ok: true, report: upload() });
  });

  it("a report that re-serialises to the same JSON", () => {
    const text = JSON.stringify(upload());
    const result = validateLine(text, 1, open);
    expect(result.ok && JSON.stringify(result.report)).toBe(text);
  });

  it("missing or null optional fields, filled with defaults", () => {
    const report = edited((report, program) => {
      delete report.LastWeek;
      report.Config = null;
      program.Counters = null;
      delete program.Stacks;
    });
    const result = validateLine(JSON.stringify(report), 1, open);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.report.LastWeek).toBe("");
    expect(result.report.Config).toBe("");
    expect({ ...result.report.Programs[0]?.Counters }).toEqual({});
    expect({ ...result.report.Programs[0]?.Stacks }).toEqual({});
  });

  it("an empty LastWeek, a leap day, X = 1 and zero counts", () => {
    const report = edited((report, program) => {
      report.LastWeek = "";
      report.Week = "2024-02-29";
      report.X = 1;
      program.Counters = { "go/invocations": 0 };
    });
    expect(validateLine(JSON.stringify(report), 1, open).ok).toBe(true);
  });

  it("no programs", () => {
    expect(validateLine(JSON.stringify({ ...upload(), Programs: [] }), 1, open).ok).toBe(true);
  });

  it("null Programs, as Go writes a report whose every entry the client left out, read as none", () => {
    // The upload server decodes it into a nil slice, accepts it and publishes it as it came.
    const nothing = () => false;
    const nothingAllowed: ValidationPolicy = {
      uploadConfig: { program: () => undefined, hasGOOS: nothing, hasGOARCH: nothing, hasGoVersion: nothing },
    };
    for (const policy of [open, nothingAllowed]) {
      const result = validateLine(JSON.stringify({ ...upload(), Programs: null }), 1, policy);
      expect(result).toEqual({ ok: true, report: { ...upload(), Programs: [] } });
    }
  });

  it("counts up to 2^53 - 1", () => {
    const report = edited((_, program) => (program.Counters = { big: Number.MAX_SAFE_INTEGER }));
    expect(validateLine(JSON.stringify(report), 1, open).ok).toBe(true);
  });
});

describe("validateLine normalises", () => {
  it("by dropping unknown keys at every level", () => {
    const report = edited((report, program) => {
      report.Extra = { deep: [1, 2, 3] };
      program.Unknown = "x";
    });
    const result = validateLine(JSON.stringify(report), 1, open);
    expect(result).toEqual({ ok: true, report: upload() });
    if (!result.ok) return;
    expect(Object.keys(result.report)).toEqual(["Week", "LastWeek", "X", "Programs", "Config"]);
    expect(Object.keys(result.report.Programs[0] ?? {})).toEqual([
      "Program",
      "Version",
      "GoVersion",
      "GOOS",
      "GOARCH",
      "Counters",
      "Stacks",
    ]);
  });

  it("into a report that serialises with every field", () => {
    const text =
      '{"Week":"2024-06-03","X":0.5,"Programs":[{"Program":"p","Version":"v","GoVersion":"g","GOOS":"o","GOARCH":"a","Counters":null}],"Zzz":1}';
    const result = validateLine(text, 1, open);
    expect(result.ok && JSON.parse(JSON.stringify(result.report))).toEqual({
      Week: "2024-06-03",
      LastWeek: "",
      X: 0.5,
      Programs: [
        { Program: "p", Version: "v", GoVersion: "g", GOOS: "o", GOARCH: "a", Counters: {}, Stacks: {} },
      ],
      Config: "",
    });
  });
});

describe("validateLine reads -0 as 0", () => {
  it("so an accepted report re-serialises to the same counts", () => {
    const text = JSON.stringify(upload()).replace('"go/invocations":12', '"go/invocations":-0');
    const result = validateLine(text, 1, open);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(Object.is(result.report.Programs[0]?.Counters["go/invocations"], 0)).toBe(true);
    expect(validateLine(JSON.stringify(result.report), 1, open)).toEqual(result);
  });
});

describe("validateLine keeps prototypes out of counter maps", () => {
  const text =
    '{"Week":"2024-06-03","X":0.5,"Programs":[{"Program":"p","Version":"v","GoVersion":"g","GOOS":"o","GOARCH":"a",' +
    '"Counters":{"__proto__":5,"constructor":2,"toString":1,"hasOwnProperty":3},"Stacks":{"__proto__":{"polluted":1}}}]}';

  it("rejects a __proto__ whose value is not a count, without touching any prototype", () => {
    expect(rejection(text)).toEqual({
      reason: "wrong-type",
      line: 7,
      detail: 'Programs[0].Stacks["__proto__"]: {…} is not a number',
    });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("keeps __proto__, constructor and toString as ordinary counter names", () => {
    const result = validateLine(text.replace('{"__proto__":{"polluted":1}}', '{"__proto__":4}'), 1, open);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const program = result.report.Programs[0];
    expect(program).toBeDefined();
    if (program === undefined) return;
    expect(Object.getPrototypeOf(program.Counters)).toBeNull();
    expect(Object.keys(program.Counters)).toEqual(["__proto__", "constructor", "toString", "hasOwnProperty"]);
    expect(program.Counters["__proto__"]).toBe(5);
    expect(program.Counters["constructor"]).toBe(2);
    expect(Object.hasOwn(program.Stacks, "__proto__")).toBe(true);
    expect(program.Stacks["__proto__"]).toBe(4);
    expect("valueOf" in program.Counters).toBe(false);
    expect(JSON.parse(JSON.stringify(program.Counters))).toEqual(
      JSON.parse('{"__proto__":5,"constructor":2,"toString":1,"hasOwnProperty":3}'),
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe("validateLine rejects", () => {
  it("not-json: text that does not parse", () => {
    const { reason, detail } = rejection('{"Week":');
    expect(reason).toBe("not-json");
    expect(detail).toMatch(/^not valid JSON \(.+\)$/);
    expect(rejection("x".repeat(10_000)).detail.length).toBeLessThan(120);
  });

  it("not-json: a top level that is not an object", () => {
    expectRejection([upload()], "not-json", "top level: […] is not an object");
    expectRejection("null", "not-json", "top level: null is not an object");
    expectRejection('"2024-06-03"', "not-json", 'top level: "2024-06-03" is not an object');
  });

  it("missing-field: Week, X and Programs", () => {
    expectRejection(
      edited((report) => delete report.Week),
      "missing-field",
      "Week is missing",
    );
    expectRejection(
      edited((report) => delete report.X),
      "missing-field",
      "X is missing",
    );
    expectRejection(
      edited((report) => delete report.Programs),
      "missing-field",
      "Programs is missing",
    );
  });

  it("missing-field: a program's Program, Version, GoVersion, GOOS and GOARCH", () => {
    for (const field of ["Program", "Version", "GoVersion", "GOOS", "GOARCH"]) {
      const report = upload();
      delete programs(report)[1]?.[field];
      expectRejection(report, "missing-field", `Programs[1].${field} is missing`);
    }
  });

  it("wrong-type: top-level fields", () => {
    expectRejection({ ...upload(), Week: 20240603 }, "wrong-type", "Week: 20240603 is not a string");
    expectRejection({ ...upload(), Week: null }, "wrong-type", "Week: null is not a string");
    expectRejection({ ...upload(), LastWeek: 1 }, "wrong-type", "LastWeek: 1 is not a string");
    expectRejection({ ...upload(), X: "0.5" }, "wrong-type", 'X: "0.5" is not a number');
    expectRejection({ ...upload(), Config: ["v1"] }, "wrong-type", "Config: […] is not a string");
    expectRejection({ ...upload(), Programs: {} }, "wrong-type", "Programs: {…} is not an array");
    expectRejection({ ...upload(), Programs: [3] }, "wrong-type", "Programs[0]: 3 is not an object");
  });

  it("wrong-type: program fields and counter maps", () => {
    expectRejection(
      edited((_, program) => (program.GOOS = true)),
      "wrong-type",
      "Programs[0].GOOS: true is not a string",
    );
    expectRejection(
      edited((_, program) => (program.Counters = [1])),
      "wrong-type",
      "Programs[0].Counters: […] is not an object",
    );
    expectRejection(
      edited((_, program) => (program.Counters = { "go/x": "3" })),
      "wrong-type",
      'Programs[0].Counters["go/x"]: "3" is not a number',
    );
    expectRejection(
      edited((_, program) => (program.Stacks = { "crash/crash": null })),
      "wrong-type",
      'Programs[0].Stacks["crash/crash"]: null is not a number',
    );
  });

  it("bad-date: Week and LastWeek that are not calendar dates", () => {
    expectRejection(
      { ...upload(), Week: "2024-13-01" },
      "bad-date",
      'Week: "2024-13-01" is not a YYYY-MM-DD date',
    );
    expectRejection(
      { ...upload(), Week: "2024-02-30" },
      "bad-date",
      'Week: "2024-02-30" is not a YYYY-MM-DD date',
    );
    expectRejection(
      { ...upload(), Week: "2023-02-29" },
      "bad-date",
      'Week: "2023-02-29" is not a YYYY-MM-DD date',
    );
    expectRejection(
      { ...upload(), Week: "2024-6-3" },
      "bad-date",
      'Week: "2024-6-3" is not a YYYY-MM-DD date',
    );
    expectRejection(
      { ...upload(), Week: "2024-06-00" },
      "bad-date",
      'Week: "2024-06-00" is not a YYYY-MM-DD date',
    );
    expectRejection(
      { ...upload(), Week: "2024/06/03" },
      "bad-date",
      'Week: "2024/06/03" is not a YYYY-MM-DD date',
    );
    expectRejection({ ...upload(), Week: "" }, "bad-date", 'Week: "" is not a YYYY-MM-DD date');
    expectRejection(
      { ...upload(), LastWeek: "2024-04-31" },
      "bad-date",
      'LastWeek: "2024-04-31" is not a YYYY-MM-DD date',
    );
  });

  it("bad-x: X outside (0, 1] or not finite", () => {
    expectRejection({ ...upload(), X: 0 }, "bad-x", "X: 0 is outside (0, 1]");
    expectRejection({ ...upload(), X: -0.5 }, "bad-x", "X: -0.5 is outside (0, 1]");
    expectRejection({ ...upload(), X: 1.5 }, "bad-x", "X: 1.5 is outside (0, 1]");
    expectRejection(
      JSON.stringify(upload()).replace('"X":0.25', '"X":1e999'),
      "bad-x",
      "X: Infinity is outside (0, 1]",
    );
  });

  it("bad-count: negative, fractional, infinite and inexact counts", () => {
    const withCount = (count: number | string) =>
      JSON.stringify(upload()).replace('"go/invocations":12', `"go/invocations":${count}`);
    const path = 'Programs[0].Counters["go/invocations"]';
    expectRejection(withCount(-3), "bad-count", `${path}: -3 is negative`);
    expectRejection(withCount(1.5), "bad-count", `${path}: 1.5 is not a whole number`);
    expectRejection(withCount("1e999"), "bad-count", `${path}: Infinity is not finite`);
    expectRejection(
      withCount("9007199254740993"),
      "bad-count",
      `${path}: 9007199254740992 is above 2^53 - 1, the largest exact count`,
    );
    expectRejection(
      edited((_, program) => (program.Stacks = { "crash/crash": -1 })),
      "bad-count",
      'Programs[0].Stacks["crash/crash"]: -1 is negative',
    );
  });

  it("with short details for long values and names", () => {
    const longName = "n".repeat(500);
    const detail = rejection(edited((_, program) => (program.Counters = { [longName]: -1 }))).detail;
    expect(detail).toBe(`Programs[0].Counters["${"n".repeat(80)}"…]: -1 is negative`);
    const week = rejection({ ...upload(), Week: "w".repeat(500) }).detail;
    expect(week).toBe(`Week: "${"w".repeat(80)}"… is not a YYYY-MM-DD date`);
  });

  it("the first problem, in field order", () => {
    expectRejection({ ...upload(), Week: "bad", X: 7 }, "bad-date", 'Week: "bad" is not a YYYY-MM-DD date');
  });
});

describe("validateLine with an upload config", () => {
  const allowed: Record<string, { versions: string[]; counters: string[]; stacks: string[] }> = {
    "cmd/go": {
      versions: ["go1.22.3"],
      counters: ["go/invocations", "go/build/flag/buildmode:exe"],
      stacks: ["crash/crash\nruntime.main:+3"],
    },
    "golang.org/x/tools/gopls": { versions: ["v0.15.3"], counters: ["gopls/client:vscode"], stacks: [] },
  };
  const policy: ValidationPolicy = {
    uploadConfig: {
      program(name) {
        const program = Object.hasOwn(allowed, name) ? allowed[name] : undefined;
        if (program === undefined) return undefined;
        return {
          counterRate: (counter) => (program.counters.includes(counter) ? 0.1 : undefined),
          stackRate: (stack) => (program.stacks.includes(stack) ? 1 : undefined),
          hasVersion: (version) => program.versions.includes(version),
        };
      },
      hasGOOS: (goos) => ["linux", "darwin"].includes(goos),
      hasGOARCH: (goarch) => ["amd64", "arm64"].includes(goarch),
      hasGoVersion: (goVersion) => ["go1.22.1", "go1.22.3"].includes(goVersion),
    },
  };

  it("accepts reports within the config", () => {
    expect(validateLine(JSON.stringify(upload()), 1, policy)).toEqual({ ok: true, report: upload() });
  });

  it("unknown-program: a program the config does not list", () => {
    expectRejection(
      edited((_, program) => (program.Program = "cmd/vet")),
      "unknown-program",
      'Programs[0].Program: "cmd/vet" is not in the upload config',
      policy,
    );
  });

  it("unknown-build: a Version, GoVersion, GOOS or GOARCH the config does not list, as upstream's server rejects", () => {
    const cases: [string, string][] = [
      ["Version", "go1.22.4"],
      ["GoVersion", "go1.22.4"],
      ["GOOS", "plan9"],
      ["GOARCH", "riscv64"],
    ];
    for (const [field, value] of cases) {
      expectRejection(
        edited((_, program) => (program[field] = value)),
        "unknown-build",
        `Programs[0].${field}: "${value}" is not in the upload config`,
        policy,
      );
    }
    // The second entry too; a go version listed for cmd/go is not one of gopls's versions.
    expectRejection(
      edited((report) => (programs(report)[1]!.Version = "go1.22.3")),
      "unknown-build",
      'Programs[1].Version: "go1.22.3" is not in the upload config',
      policy,
    );
  });

  it("unknown-counter: a counter or stack the config does not list for the program", () => {
    expectRejection(
      edited((_, program) => (program.Counters = { "go/invocations": 1, "gopls/client:vscode": 1 })),
      "unknown-counter",
      'Programs[0].Counters["gopls/client:vscode"] is not in the upload config',
      policy,
    );
    expectRejection(
      edited((_, program) => (program.Stacks = { "crash/crash\nother": 1 })),
      "unknown-counter",
      'Programs[0].Stacks["crash/crash\\nother"] is not in the upload config',
      policy,
    );
  });

  it("unknown-counter: __proto__ and constructor are names like any other", () => {
    expectRejection(
      '{"Week":"2024-06-03","X":0.5,"Programs":[{"Program":"cmd/go","Version":"go1.22.3","GoVersion":"go1.22.3","GOOS":"linux","GOARCH":"amd64","Counters":{"__proto__":1}}]}',
      "unknown-counter",
      'Programs[0].Counters["__proto__"] is not in the upload config',
      policy,
    );
    expectRejection(
      edited((_, program) => (program.Program = "constructor")),
      "unknown-program",
      'Programs[0].Program: "constructor" is not in the upload config',
      policy,
    );
  });

  it("checks the report's shape before the config", () => {
    const report = edited((report, program) => {
      program.Program = "cmd/vet";
      const second = programs(report)[1];
      if (second !== undefined) delete second.GOOS;
    });
    expectRejection(report, "missing-field", "Programs[1].GOOS is missing", policy);
  });
});

describe("tooLongRejection", () => {
  it("says how long the line was and the limit", () => {
    expect(tooLongRejection(12, 2_000_000, 1_048_576)).toEqual({
      reason: "too-long",
      line: 12,
      detail: "line is 2000000 bytes, above the 1048576-byte limit",
    });
  });
});
