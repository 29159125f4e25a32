import { describe, expect, it } from "vitest";
import { readUpstream } from "../../test/helpers/upstream.ts";
import { parseChartConfig } from "./chartconfig.ts";
import {
  compileUploadConfig,
  deriveUploadConfig,
  parseUploadConfig,
  unlistedChartCounters,
} from "./uploadconfig.ts";
import type { ChartConfig, InputError, UploadConfig } from "./types.ts";

const fixture = (name: "chartconfig.txt" | "uploadconfig.json"): string => readUpstream(name);

function parsedConfig(text: string): UploadConfig {
  const result = parseUploadConfig(text, "upload.json");
  if (!result.ok) throw new Error(`unexpected errors: ${JSON.stringify(result.errors, null, 2)}`);
  return result.config;
}

function parseErrors(text: string): InputError[] {
  const result = parseUploadConfig(text, "upload.json");
  if (result.ok) throw new Error("expected errors, got a valid config");
  return result.errors;
}

function chart(fields: Partial<ChartConfig> & Pick<ChartConfig, "program" | "counter">): ChartConfig {
  return {
    title: fields.counter,
    description: "",
    issues: ["https://go.dev/issue/1"],
    type: "partition",
    module: "",
    depth: 0,
    error: 0,
    version: "",
    line: 1,
    ...fields,
  };
}

const smallConfig: UploadConfig = {
  GOOS: ["linux"],
  GOARCH: ["amd64"],
  GoVersion: ["go1.23.0"],
  SampleRate: 1,
  Programs: [
    {
      Name: "golang.org/x/tools/gopls",
      Versions: ["v0.16.0"],
      Counters: [
        { Name: "gopls/client:{vscode, vim}", Rate: 0.5 },
        { Name: "gopls/mcp", Rate: 1 },
      ],
      Stacks: [{ Name: "crash/crash", Rate: 0.25, Depth: 16 }],
    },
  ],
};

describe("parseUploadConfig", () => {
  it("parses the upstream file", () => {
    const config = parsedConfig(fixture("uploadconfig.json"));
    expect(config.SampleRate).toBe(1);
    expect(config.GOOS).toContain("linux");
    expect(config.Programs.map((program) => program.Name)).toEqual([
      "cmd/compile",
      "cmd/go",
      "github.com/go-delve/delve/cmd/dlv",
      "github.com/golang/vscode-go/vscgo",
      "golang.org/x/tools/gopls",
      "golang.org/x/vuln/cmd/govulncheck",
    ]);
    const delve = config.Programs[2];
    expect(delve?.Counters).toEqual([]);
    expect(delve?.Stacks).toEqual([
      { Name: "crash/crash", Rate: 1, Depth: 16 },
      { Name: "delve/bug", Rate: 1, Depth: 16 },
    ]);
    expect(config.Programs[1]?.Stacks).toEqual([]);
  });

  it("reads null and absent lists as empty, and an absent SampleRate as 1", () => {
    const config = parsedConfig(
      JSON.stringify({ GOOS: null, Programs: [{ Name: "cmd/go", Versions: null, Counters: null }] }),
    );
    expect(config).toEqual({
      GOOS: [],
      GOARCH: [],
      GoVersion: [],
      SampleRate: 1,
      Programs: [{ Name: "cmd/go", Versions: [], Counters: [], Stacks: [] }],
    });
  });

  it("names the field path of every shape error", () => {
    const programs = [
      { Name: "a", Counters: [] },
      { Name: "b" },
      {
        Name: "c",
        Counters: [{ Name: "c/x", Rate: "x" }, { Rate: 2 }],
        Stacks: [{ Name: "s", Rate: 1, Depth: -1 }],
      },
    ];
    const errors = parseErrors(JSON.stringify({ GOOS: ["linux", 3], SampleRate: 1, Programs: programs }));
    expect(errors.map((error) => error.message)).toEqual([
      "GOOS[1]: expected a string, got 3",
      'Programs[2].Counters[0].Rate: expected a number in [0, 1], got "x"',
      "Programs[2].Counters[1].Name: expected a non-empty string, got nothing (the field is missing)",
      "Programs[2].Counters[1].Rate: expected a number in [0, 1], got 2",
      "Programs[2].Stacks[0].Depth: expected a non-negative integer, got -1",
    ]);
    expect(errors[1]).toMatchObject({ file: "upload.json", field: "Programs[2].Counters[0].Rate" });
  });

  it("reports a wrong type of list or root", () => {
    expect(parseErrors('{"Programs": {}}').map((error) => error.message)).toEqual([
      "Programs: expected an array or null, got an object",
    ]);
    expect(parseErrors("[]").map((error) => error.message)).toEqual([
      "(root): expected an object, got an array",
    ]);
  });

  it("reports a duplicate program", () => {
    const errors = parseErrors(JSON.stringify({ Programs: [{ Name: "cmd/go" }, { Name: "cmd/go" }] }));
    expect(errors).toMatchObject([
      { field: "Programs[1].Name", message: 'Programs[1].Name: duplicate program "cmd/go"' },
    ]);
  });

  it("reports a counter listed twice in a program, also through a bucket list", () => {
    const program = {
      Name: "cmd/go",
      Counters: [
        { Name: "go/mode:{gopath,module}", Rate: 1 },
        { Name: "go/invocations", Rate: 1 },
        { Name: "go/mode:module", Rate: 0.5 },
      ],
      Stacks: [
        { Name: "go/bug", Rate: 1 },
        { Name: "go/bug", Rate: 1 },
        // The same counter under its other spelling.
        { Name: "go/bug:go/bug", Rate: 0.5 },
      ],
    };
    // Another program may list the same names.
    const other = { ...program, Name: "cmd/compile", Counters: [program.Counters[0]], Stacks: [] };
    expect(parseErrors(JSON.stringify({ Programs: [program, other] }))).toMatchObject([
      {
        field: "Programs[0].Counters[2].Name",
        message:
          'Programs[0].Counters[2].Name: counter "go/mode:module" is already listed in Programs[0].Counters[0]',
      },
      {
        field: "Programs[0].Stacks[1].Name",
        message: 'Programs[0].Stacks[1].Name: counter "go/bug" is already listed in Programs[0].Stacks[0]',
      },
      {
        field: "Programs[0].Stacks[2].Name",
        message:
          'Programs[0].Stacks[2].Name: counter "go/bug:go/bug" is already listed in Programs[0].Stacks[0] (as "go/bug", the same counter)',
      },
    ]);
  });

  it("reports a counter name whose bucket list is not closed or not well formed", () => {
    const names = [
      "go/mode:{gopath,module",
      "go/mode:gopath}",
      "go/mode}:{gopath}",
      "go/mode:{gopath,{module}",
      "go/mode:{gopath,}",
      "go/mode:{gopath}x",
      "go/mode:{gopath}{module}",
      "go/mode:{gopath,,module}",
    ];
    const program = { Name: "cmd/go", Counters: names.map((Name) => ({ Name, Rate: 1 })), Stacks: [] };
    const errors = parseErrors(JSON.stringify({ Programs: [program] }));
    expect(errors.map((e) => e.message)).toEqual([
      `Programs[0].Counters[0].Name: missing '}' after the bucket list: "go/mode:{gopath,module"`,
      `Programs[0].Counters[1].Name: unexpected '}' without an opening '{': "go/mode:gopath}"`,
      `Programs[0].Counters[2].Name: unexpected '}' before '{': "go/mode}:{gopath}"`,
      `Programs[0].Counters[3].Name: '{' may appear only once in a counter name: "go/mode:{gopath,{module}"`,
      `Programs[0].Counters[4].Name: unexpected '}' right after ',' (remove the trailing comma): "go/mode:{gopath,}"`,
      `Programs[0].Counters[5].Name: unexpected text "x" after '}' in counter name: "go/mode:{gopath}x"`,
      `Programs[0].Counters[6].Name: '{' may appear only once in a counter name: "go/mode:{gopath}{module}"`,
      `Programs[0].Counters[7].Name: empty bucket in the bucket list: "go/mode:{gopath,,module}"`,
    ]);
    expect(errors.map((e) => e.field)).toEqual(names.map((_, i) => `Programs[0].Counters[${i}].Name`));
    // The well-formed forms pass: a plain name, a bucket list, spaces inside it.
    const good = ["go/invocations", "go/mode:{gopath,module}", "go/flag:{ a, b }"];
    const fine = { Name: "cmd/go", Counters: good.map((Name) => ({ Name, Rate: 1 })) };
    expect(parseUploadConfig(JSON.stringify({ Programs: [fine] }), "upload.json").ok).toBe(true);
  });

  it("names the line of a JSON syntax error", () => {
    const trailingComma = '{\n  "GOOS": [\n    "linux",\n  ],\n  "SampleRate": 1\n}';
    expect(parseErrors(trailingComma)).toEqual([
      { file: "upload.json", line: 4, message: 'not valid JSON: unexpected "]" at column 3' },
    ]);
    const unquoted = '{\n  "SampleRate": 1,\n  Programs: []\n}';
    expect(parseErrors(unquoted)[0]).toMatchObject({
      line: 3,
      message: 'not valid JSON: unexpected "P" at column 3',
    });
    const truncated = '{\n  "GOOS": ["linux"';
    expect(parseErrors(truncated)[0]).toMatchObject({
      line: 2,
      message: "not valid JSON: unexpected end of input at column 19",
    });
    expect(parseErrors('{"a": 1}\n}')[0]).toMatchObject({ line: 2 });
    const newlineInString = '{\n  "GOOS": ["li\nnux"]\n}';
    expect(parseErrors(newlineInString)[0]).toMatchObject({
      line: 2,
      message: 'not valid JSON: unexpected "\\n" at column 15',
    });
  });
});

describe("deriveUploadConfig", () => {
  it("lists every chart's counter under its program, at rate 1, with no restrictions", () => {
    const charts = [
      chart({ program: "golang.org/x/tools/gopls", counter: "gopls/client:{vscode,vim}" }),
      chart({ program: "cmd/go", counter: "go/invocations" }),
      chart({ program: "golang.org/x/tools/gopls", counter: "crash/crash", type: "stack", depth: 16 }),
    ];
    expect(deriveUploadConfig(charts)).toEqual({
      GOOS: [],
      GOARCH: [],
      GoVersion: [],
      SampleRate: 1,
      Programs: [
        {
          Name: "golang.org/x/tools/gopls",
          Versions: [],
          Counters: [{ Name: "gopls/client:{vscode,vim}", Rate: 1 }],
          Stacks: [{ Name: "crash/crash", Rate: 1, Depth: 16 }],
        },
        { Name: "cmd/go", Versions: [], Counters: [{ Name: "go/invocations", Rate: 1 }], Stacks: [] },
      ],
    });
  });

  it("files a stack chart without a depth under Counters, as upstream's generator does", () => {
    const derived = deriveUploadConfig([
      chart({ program: "golang.org/x/tools/gopls", counter: "gopls/mcp", type: "stack", depth: 0 }),
    ]);
    expect(derived.Programs[0]?.Counters).toEqual([{ Name: "gopls/mcp", Rate: 1 }]);
    expect(derived.Programs[0]?.Stacks).toEqual([]);
  });

  it("covers every counter of the upstream upload config derived from the upstream charts", () => {
    const parsed = parseChartConfig(fixture("chartconfig.txt"), "chartconfig.txt");
    if (!parsed.ok) throw new Error("upstream chart config should parse");
    const derived = compileUploadConfig(deriveUploadConfig(parsed.charts), true);
    const gopls = derived.program("golang.org/x/tools/gopls");
    expect(gopls?.counterRate("gopls/client:vscode")).toBe(1);
    expect(gopls?.stackRate("gopls/bug\ngolang.org/x/tools/gopls/internal/bug.Report:+1")).toBe(1);
    expect(derived.program("cmd/go")?.counterRate("go/build/flag/buildmode:shared")).toBe(1);
  });
});

describe("compileUploadConfig", () => {
  describe("restricted", () => {
    const compiled = compileUploadConfig(smallConfig, true);
    const gopls = compiled.program("golang.org/x/tools/gopls");

    it("knows only the listed programs", () => {
      expect(compiled.restricted).toBe(true);
      expect(gopls).toBeDefined();
      expect(compiled.program("cmd/go")).toBeUndefined();
    });

    it("finds the rate of a bucket of a braced expression", () => {
      expect(gopls?.counterRate("gopls/client:vscode")).toBe(0.5);
      expect(gopls?.counterRate("gopls/client:vim")).toBe(0.5);
    });

    it("finds the rate of a plain counter", () => {
      expect(gopls?.counterRate("gopls/mcp")).toBe(1);
    });

    it("does not know an unlisted bucket of a listed chart, nor the chart name alone", () => {
      expect(gopls?.counterRate("gopls/client:emacs")).toBeUndefined();
      expect(gopls?.counterRate("gopls/client")).toBeUndefined();
      expect(gopls?.counterRate("gopls/other")).toBeUndefined();
    });

    it("keeps counters and stacks apart", () => {
      expect(gopls?.counterRate("crash/crash")).toBeUndefined();
      expect(gopls?.stackRate("gopls/mcp")).toBeUndefined();
    });

    it("looks up a stack by the counter before its frames", () => {
      expect(gopls?.stackRate("crash/crash\nruntime.main:+12\nmain.main:+3")).toBe(0.25);
      expect(gopls?.stackRate("crash/crash")).toBe(0.25);
      expect(gopls?.stackRate("crash/other\nruntime.main:+12")).toBeUndefined();
    });

    it("knows only the listed builds: Versions per program, GOOS, GOARCH and GoVersion", () => {
      expect(gopls?.hasVersion("v0.16.0")).toBe(true);
      expect(gopls?.hasVersion("v0.16.1")).toBe(false);
      expect([compiled.hasGOOS("linux"), compiled.hasGOOS("plan9")]).toEqual([true, false]);
      expect([compiled.hasGOARCH("amd64"), compiled.hasGOARCH("arm64")]).toEqual([true, false]);
      expect([compiled.hasGoVersion("go1.23.0"), compiled.hasGoVersion("go1.23")]).toEqual([true, false]);
    });

    it("reads an empty list as no restriction", () => {
      const open = compileUploadConfig(
        { ...smallConfig, GOOS: [], Programs: [{ ...smallConfig.Programs[0]!, Versions: [] }] },
        true,
      );
      expect(open.hasGOOS("plan9")).toBe(true);
      expect(open.program("golang.org/x/tools/gopls")?.hasVersion("v9.9.9")).toBe(true);
      expect(open.hasGOARCH("arm64")).toBe(false);
    });

    it("expands braced stack expressions", () => {
      const config: UploadConfig = {
        ...smallConfig,
        Programs: [
          { Name: "p", Versions: [], Counters: [], Stacks: [{ Name: "s:{a,b}", Rate: 1, Depth: 4 }] },
        ],
      };
      expect(compileUploadConfig(config, true).program("p")?.stackRate("s:b\nframe")).toBe(1);
    });
  });

  describe("not restricted", () => {
    const compiled = compileUploadConfig(smallConfig, false);

    it("accepts any program, counter and stack at rate 1", () => {
      expect(compiled.restricted).toBe(false);
      const other = compiled.program("example.com/anything");
      expect(other?.counterRate("whatever:bucket")).toBe(1);
      expect(other?.stackRate("whatever\nframe")).toBe(1);
      expect(other?.hasVersion("v0.0.0-anything")).toBe(true);
    });

    it("keeps the configured rate of a listed counter", () => {
      const gopls = compiled.program("golang.org/x/tools/gopls");
      expect(gopls?.counterRate("gopls/client:vscode")).toBe(0.5);
      expect(gopls?.counterRate("gopls/client:emacs")).toBe(1);
      expect(gopls?.stackRate("crash/crash\nframe")).toBe(0.25);
    });
  });
});

describe("unlistedChartCounters", () => {
  const gopls = "golang.org/x/tools/gopls";
  const charts = [
    chart({ program: gopls, counter: "gopls/client:{vscode,vim,emacs}", line: 3 }),
    chart({ program: gopls, counter: "gopls/mcp", type: "stack", line: 9 }), // a counter upstream
    chart({ program: gopls, counter: "crash/crash", type: "stack", depth: 16, line: 15 }),
    chart({ program: "cmd/vet", counter: "vet/runs", line: 21 }), // a program not listed
  ];

  it("names the counters of each chart that a restricting upload config does not list", () => {
    const found = unlistedChartCounters(charts, compileUploadConfig(smallConfig, true));
    expect(found.map(({ chart, names }) => [chart.line, names])).toEqual([
      [3, ["gopls/client:emacs"]],
      [21, ["vet/runs"]],
    ]);
  });

  it("takes a counter as listed under either spelling, c or c:c", () => {
    const config: UploadConfig = {
      ...smallConfig,
      Programs: [
        {
          Name: gopls,
          Versions: [],
          Counters: [
            { Name: "gopls/restart:gopls/restart", Rate: 1 },
            { Name: "gopls/open", Rate: 1 },
          ],
          Stacks: [],
        },
      ],
    };
    const spelled = [
      chart({ program: gopls, counter: "gopls/restart", line: 3 }),
      chart({ program: gopls, counter: "gopls/open:gopls/open", line: 9 }),
      chart({ program: gopls, counter: "gopls/close:gopls/close", line: 15 }),
    ];
    const found = unlistedChartCounters(spelled, compileUploadConfig(config, true));
    expect(found.map(({ chart, names }) => [chart.line, names])).toEqual([[15, ["gopls/close:gopls/close"]]]);
  });

  it("names none without a restricting config", () => {
    expect(unlistedChartCounters(charts, compileUploadConfig(smallConfig, false))).toEqual([]);
  });

  it("finds the upstream chart config's counters that the upstream upload config dropped", () => {
    const parsed = parseChartConfig(fixture("chartconfig.txt"), "chartconfig.txt");
    if (!parsed.ok) throw new Error("the upstream chart config does not parse");
    const upload = compileUploadConfig(parsedConfig(fixture("uploadconfig.json")), true);
    const found = unlistedChartCounters(parsed.charts, upload);
    expect(found.flatMap(({ names }) => names)).toContain("vscode-go/command/trigger:impl-command_palette");
    for (const { chart, names } of found) {
      for (const name of names)
        expect(upload.program(chart.program)?.counterRate(name), name).toBeUndefined();
    }
  });
});
