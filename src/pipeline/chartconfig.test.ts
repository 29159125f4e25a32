import { describe, expect, it } from "vitest";
import { readUpstream } from "../../test/helpers/upstream.ts";
import { expandCounter, parseChartConfig, splitCounterName } from "./chartconfig.ts";
import type { ChartConfig, InputError } from "./types.ts";

const upstreamText = readUpstream("chartconfig.txt");

function parsedCharts(text: string): ChartConfig[] {
  const result = parseChartConfig(text, "charts.txt");
  if (!result.ok) throw new Error(`unexpected errors: ${JSON.stringify(result.errors, null, 2)}`);
  return result.charts;
}

function parseErrors(text: string): InputError[] {
  const result = parseChartConfig(text, "charts.txt");
  if (result.ok) throw new Error("expected errors, got a valid config");
  return result.errors;
}

/** A valid record, with extra lines appended to it. */
function record(...extra: string[]): string {
  return [
    "title: Editors",
    "issue: https://go.dev/issue/1",
    "type: partition",
    "program: golang.org/x/tools/gopls",
    "counter: gopls/client:{vscode,vim}",
    ...extra,
  ].join("\n");
}

describe("parseChartConfig on the upstream file", () => {
  const charts = parsedCharts(upstreamText);
  const byCounter = (prefix: string): ChartConfig => {
    const chart = charts.find((candidate) => candidate.counter.startsWith(prefix));
    if (chart === undefined) throw new Error(`no chart with counter ${prefix}`);
    return chart;
  };

  it("reads every record", () => {
    expect(charts).toHaveLength(41);
    expect(charts[0]?.title).toBe("Editor Distribution");
    expect(charts.at(-1)?.counter).toBe("gopls/interactive/command:{modify_tags,implement_interface}");
  });

  it("joins a multi-line counter field and expands it to all its buckets", () => {
    const buildmode = byCounter("go/build/flag/buildmode:");
    expect(buildmode.counter).toBe(
      "go/build/flag/buildmode:{archive,c-archive,c-shared,default,exe,pie,shared,plugin}",
    );
    const buckets = expandCounter(buildmode.counter);
    expect(buckets).toHaveLength(8);
    expect(buckets).toContain("go/build/flag/buildmode:shared");
  });

  it("gives a multi-line counter record the line of its first field", () => {
    const lines = upstreamText.split("\n");
    const buildmode = byCounter("go/build/flag/buildmode:");
    expect(lines[buildmode.line - 1]).toBe("counter: go/build/flag/buildmode:{");
  });

  it("trims trailing comments from issues and other values", () => {
    const editors = byCounter("gopls/client:");
    expect(editors.issues).toEqual([
      "https://go.dev/issue/61038",
      "https://go.dev/issue/62214",
      "https://go.dev/issue/74874",
      "https://go.dev/issue/79713",
    ]);
    expect(editors.version).toBe("v0.13.0");
    expect(editors.line).toBe(4);
  });

  it("reads the depth of stack charts", () => {
    const bugs = byCounter("gopls/bug");
    expect(bugs.type).toBe("stack");
    expect(bugs.depth).toBe(16);
  });

  it("leaves unset optional fields empty", () => {
    const invocations = byCounter("go/invocations");
    expect(invocations.module).toBe("");
    expect(invocations.depth).toBe(0);
    expect(invocations.error).toBe(0);
    const scan = byCounter("govulncheck/scan:");
    expect(scan.version).toBe("");
  });
});

describe("parseChartConfig", () => {
  it("skips empty records, blank lines and comments", () => {
    const text = [
      "---",
      "# only a comment",
      "",
      "---",
      record("   # indented comment"),
      "---",
      "---",
      "",
    ].join("\n");
    const charts = parsedCharts(text);
    expect(charts).toHaveLength(1);
    expect(charts[0]).toEqual({
      title: "Editors",
      description: "",
      issues: ["https://go.dev/issue/1"],
      type: "partition",
      program: "golang.org/x/tools/gopls",
      module: "",
      counter: "gopls/client:{vscode,vim}",
      depth: 0,
      error: 0,
      version: "",
      line: 5,
    });
  });

  it("reads description, module, version, error and CRLF line endings", () => {
    const text = record("description: a d", "module: golang.org/x/tools", "version: v0.1.0", "error: 0.05");
    const [chart] = parsedCharts(text.replaceAll("\n", "\r\n"));
    expect(chart).toMatchObject({
      description: "a d",
      module: "golang.org/x/tools",
      version: "v0.1.0",
      error: 0.05,
    });
  });

  it("accepts a depth of 0 on a partition chart, as if unset", () => {
    expect(parsedCharts(record("depth: 0"))[0]?.depth).toBe(0);
  });

  it("reports an unknown key and lists the allowed keys", () => {
    const [error] = parseErrors(record("colour: red"));
    expect(error).toMatchObject({ file: "charts.txt", line: 6, field: "colour" });
    expect(error?.message).toContain('unknown key "colour"');
    expect(error?.message).toContain(
      "title:, description:, issue:, type:, program:, module:, counter:, depth:",
    );
  });

  it("reports a line that is not a field", () => {
    const [error] = parseErrors(record("just some words"));
    expect(error).toMatchObject({ line: 6 });
    expect(error?.message).toContain('invalid line "just some words"');
  });

  it("says what is wrong with a separator that has spaces around it", () => {
    const [error] = parseErrors(record("---   "));
    expect(error).toMatchObject({ line: 6 });
    expect(error?.message).toBe(
      'invalid line "---   ": a record separator is "---" alone on its line, with no spaces or comment',
    );
  });

  it("reports an indented field", () => {
    const [error] = parseErrors(record("  description: indented"));
    expect(error).toMatchObject({ line: 6, field: "description" });
    expect(error?.message).toContain("must start at the beginning of the line");
  });

  it("reports a repeated field that is not repeatable", () => {
    const [error] = parseErrors(record("title: Again"));
    expect(error).toMatchObject({ line: 6, field: "title" });
    expect(error?.message).toBe('field "title" may not be repeated (first set on line 1)');
  });

  it("allows repeated issues", () => {
    expect(parsedCharts(record("issue: https://go.dev/issue/2"))[0]?.issues).toHaveLength(2);
  });

  it("reports '}' without '{'", () => {
    const [error] = parseErrors(record("description: closing } only"));
    expect(error).toMatchObject({ line: 6, field: "description" });
    expect(error?.message).toContain("unexpected '}' without an opening '{'");
  });

  it("reports '}' before '{'", () => {
    const errors = parseErrors(["counter: a:}{b}", "title: t"].join("\n"));
    expect(errors[0]).toMatchObject({ line: 1, field: "counter" });
    expect(errors[0]?.message).toContain("unexpected '}' before '{'");
  });

  it("reports '{' outside a counter field", () => {
    const [error] = parseErrors(record("description: uses {braces}"));
    expect(error).toMatchObject({ line: 6, field: "description" });
    expect(error?.message).toContain("'{' is only allowed in a counter field");
  });

  it("reports a second '{' in a counter field, on one line or across lines", () => {
    const [sameLine] = parseErrors(record().replace("{vscode,vim}", "{vscode,{vim}"));
    expect(sameLine).toMatchObject({ line: 5, field: "counter" });
    expect(sameLine?.message).toContain("'{' may appear only once in a counter field");

    const [laterLine] = parseErrors(record().replace("{vscode,vim}", "{\n  vscode,\n  {vim}"));
    expect(laterLine).toMatchObject({ line: 7, field: "counter" });
    expect(laterLine?.message).toContain(
      "'{' may appear only once in a counter field (one was opened on line 5)",
    );
  });

  it("reports a second '}' in a counter field", () => {
    const [error] = parseErrors(record().replace("{vscode,vim}", "{vscode,vim}}"));
    expect(error).toMatchObject({ line: 5, field: "counter" });
    expect(error?.message).toContain("unexpected second '}'");
  });

  it("reports '}' right after ','", () => {
    const [error] = parseErrors(record().replace("{vscode,vim}", "{\n  vscode,\n  vim,\n}"));
    expect(error).toMatchObject({ line: 8, field: "counter" });
    expect(error?.message).toContain("unexpected '}' right after ','");
  });

  it("reports an empty bucket in the list, on one line or across lines", () => {
    for (const list of ["{vscode,,vim}", "{,vscode}", "{vscode, ,vim}", "{\n  vscode,\n  ,\n  vim}"]) {
      const errors = parseErrors(record().replace("{vscode,vim}", list));
      expect(errors, list).toHaveLength(1);
      expect(errors[0], list).toMatchObject({ field: "counter", message: "empty bucket in the bucket list" });
    }
  });

  it("reports text after the closing '}'", () => {
    const [error] = parseErrors(record().replace("{vscode,vim}", "{vscode,vim}x"));
    expect(error).toMatchObject({ line: 5, field: "counter" });
    expect(error?.message).toContain("unexpected text \"x\" after '}'");
  });

  it("reports a record that ends inside a bucket list", () => {
    const text = record().replace("{vscode,vim}", "{\n  vscode,") + "\n---\n" + record();
    const [error] = parseErrors(text);
    expect(error).toMatchObject({ line: 7, field: "counter" });
    expect(error?.message).toContain("record ended inside the bucket list opened on line 5: missing '}'");
  });

  it("reports a file that ends inside a bucket list, at the line that opened it", () => {
    const [error] = parseErrors(record("counter: more:{a,"));
    expect(error).toMatchObject({ line: 6, field: "counter" });
    expect(error?.message).toContain("file ended inside the bucket list");
  });

  it("says only that a bucket list is not closed when it took in the record's later fields", () => {
    const text =
      "title: T\ncounter: go/mode:{gopath,\nmodule\ntype: partition\nprogram: cmd/go\nissue: https://go.dev/issue/1\n";
    expect(parseErrors(text).map((e) => `${e.line}: ${e.message}`)).toEqual([
      "2: file ended inside the bucket list opened on this line: missing '}'",
    ]);
    const ended = text + "---\n" + "title: U\n";
    expect(parseErrors(ended).map((e) => `${e.line}: ${e.message}`)).toEqual([
      "7: record ended inside the bucket list opened on line 2: missing '}'",
      // The next record is read on its own.
      '8: missing required field "issue": at least one issue URL is required',
      '8: missing required field "program"',
      '8: missing required field "counter"',
      '8: missing required field "type"',
    ]);
  });

  it("reports an invalid int", () => {
    const [error] = parseErrors(record("depth: deep"));
    expect(error).toMatchObject({ line: 6, field: "depth" });
    expect(error?.message).toBe('invalid int value "deep" for field "depth"');
  });

  it("reports an invalid float", () => {
    const [error] = parseErrors(record("error: 5%"));
    expect(error).toMatchObject({ line: 6, field: "error" });
    expect(error?.message).toBe('invalid float value "5%" for field "error"');
  });

  it("reports each missing required field at the record's first line", () => {
    const errors = parseErrors(["# header", "", "description: nothing else"].join("\n"));
    expect(errors.map((error) => error.field)).toEqual(["title", "issue", "program", "counter", "type"]);
    expect(errors.every((error) => error.line === 3)).toBe(true);
    expect(errors[0]?.message).toBe('missing required field "title"');
    expect(errors[1]?.message).toContain("at least one issue URL is required");
  });

  it("treats a field with an empty value as missing", () => {
    const errors = parseErrors(record().replace("title: Editors", "title:   # to do"));
    expect(errors).toMatchObject([{ line: 2, field: "title", message: 'missing required field "title"' }]);
  });

  it("does not also report as missing a field whose value was rejected", () => {
    const errors = parseErrors(record().replace("{vscode,vim}", "{vscode,vim,}"));
    expect(errors).toHaveLength(1);
    expect(errors[0]?.message).toContain("right after ','");
  });

  it("reports an unknown chart type", () => {
    const [error] = parseErrors(record().replace("type: partition", "type: bar"));
    expect(error).toMatchObject({ line: 3, field: "type" });
    expect(error?.message).toBe('unknown chart type "bar"; allowed types are partition, stack');
  });

  it("reports a negative depth", () => {
    const [error] = parseErrors(record("depth: -1").replace("type: partition", "type: stack"));
    expect(error).toMatchObject({ line: 6, field: "depth" });
    expect(error?.message).toBe("invalid depth -1: must be non-negative");
  });

  it("reports a depth on a partition chart", () => {
    const [error] = parseErrors(record("depth: 16"));
    expect(error).toMatchObject({ line: 6, field: "depth" });
    expect(error?.message).toContain('depth can only be set on "stack" charts');
  });

  it("reports a version that is not semver, or not a Go version for a program under cmd/", () => {
    for (const version of ["v0.16.0", "v1", "v0.20.0-pre.1"])
      expect(parsedCharts(record(`version: ${version}`))).toHaveLength(1);
    expect(parseErrors(record("version: 0.16.0"))).toMatchObject([
      { line: 6, field: "version", message: 'version "0.16.0" is not a valid semantic version, as v0.16.0' },
    ]);
    const goRecord = (version: string) =>
      record(`version: ${version}`)
        .replace("golang.org/x/tools/gopls", "cmd/go")
        .replace("gopls/client", "go/mode");
    for (const version of ["go1.23rc1", "go1.27", "go1.23.0"])
      expect(parsedCharts(goRecord(version))).toHaveLength(1);
    expect(parseErrors(goRecord("v1.23.0"))).toMatchObject([
      {
        line: 6,
        field: "version",
        message: 'version "v1.23.0" is not a valid Go version, as go1.23.0, for a program under cmd/',
      },
    ]);
  });

  it("reports an issue that is not an http(s) URL", () => {
    const errors = parseErrors(record("issue: go.dev/issue/2", "issue: ftp://go.dev/issue/3"));
    expect(errors).toMatchObject([
      { line: 6, field: "issue", message: 'issue "go.dev/issue/2" is not an http(s) URL' },
      { line: 7, field: "issue", message: 'issue "ftp://go.dev/issue/3" is not an http(s) URL' },
    ]);
  });

  it("reports a bucket list before the chart's ':', which would make several charts", () => {
    for (const counter of ["crash/{crash,malformed}", "go/{build,test}"]) {
      const errors = parseErrors(record().replace("gopls/client:{vscode,vim}", counter));
      expect(errors.map((e) => e.message)).toEqual([
        `counter "${counter}": a bucket list must follow the chart name and ':', as in "chart:{a,b}"`,
      ]);
    }
  });

  it("reports a counter with an empty bucket list", () => {
    const [error] = parseErrors(record().replace("{vscode,vim}", "{}"));
    expect(error).toMatchObject({ line: 5, field: "counter" });
    expect(error?.message).toContain("has no buckets");
  });

  it("collects the errors of all records, in line order", () => {
    const text = [record("colour: red"), "---", record("depth: x"), "---", "title: lonely"].join("\n");
    const errors = parseErrors(text);
    expect(errors.map((error) => [error.line, error.field])).toEqual([
      [6, "colour"],
      [13, "depth"],
      [15, "issue"],
      [15, "program"],
      [15, "counter"],
      [15, "type"],
    ]);
    expect(errors.every((error) => error.file === "charts.txt")).toBe(true);
  });
});

describe("expandCounter", () => {
  it("expands a bucket list", () => {
    expect(expandCounter("chart:{a,b,c}")).toEqual(["chart:a", "chart:b", "chart:c"]);
  });

  it("returns a name without braces as is", () => {
    expect(expandCounter("go/invocations")).toEqual(["go/invocations"]);
    expect(expandCounter("gopls/renamekind:package")).toEqual(["gopls/renamekind:package"]);
  });

  it("trims bucket names and drops empty ones", () => {
    expect(expandCounter(" chart:{ a , b,, c } ")).toEqual(["chart:a", "chart:b", "chart:c"]);
    expect(expandCounter("chart:{}")).toEqual([]);
  });
});

describe("splitCounterName", () => {
  it("cuts at the first ':'", () => {
    expect(splitCounterName("gopls/client:vscode")).toEqual({ chart: "gopls/client", bucket: "vscode" });
    expect(splitCounterName("a:b:c")).toEqual({ chart: "a", bucket: "b:c" });
  });

  it("makes a plain counter its own chart and bucket", () => {
    expect(splitCounterName("go/invocations")).toEqual({ chart: "go/invocations", bucket: "go/invocations" });
  });
});
