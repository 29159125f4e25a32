import { readFileSync } from "node:fs";
import { gunzipSync, strFromU8, unzipSync } from "fflate";
import { describe, expect, it } from "vitest";
import type { Report, UploadConfig } from "../src/pipeline/types.ts";
import {
  Generator,
  SAMPLE_DEFAULTS,
  expandCounter,
  generateDay,
  modelCounters,
  modelGaps,
  rangeDates,
} from "./generate-lib.ts";
import type { GenerateOptions } from "./generate-lib.ts";
import { validateLine } from "../src/pipeline/validate.ts";
import { readUpstream } from "../test/helpers/upstream.ts";
import { parseOptions } from "./generate.ts";

const uploadConfig = JSON.parse(
  readFileSync(new URL("../data/uploadconfig.json", import.meta.url), "utf8"),
) as UploadConfig;
const upstreamUploadConfig = JSON.parse(readUpstream("uploadconfig.json")) as UploadConfig;
const chartsText = readFileSync(new URL("../data/charts.txt", import.meta.url), "utf8");

const sample: GenerateOptions = { ...SAMPLE_DEFAULTS, uploadConfig };
const small: GenerateOptions = { ...sample, days: 14, end: "2026-03-15", reports: 60 };

/** All lines of a range, with the date of the file each came from. */
function rangeLines(options: GenerateOptions): { date: string; line: string }[] {
  const generator = new Generator(options);
  return generator.dates().flatMap((date) => generator.dayLines(date).lines.map((line) => ({ date, line })));
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const counts = (record: unknown) =>
  typeof record === "object" &&
  record !== null &&
  !Array.isArray(record) &&
  Object.values(record).every((count) => Number.isInteger(count) && count > 0);

/** Whether a line is a complete, well-formed Report whose X and counts are in range. */
function isValidReport(line: string): boolean {
  let report: Report;
  try {
    report = JSON.parse(line) as Report;
  } catch {
    return false;
  }
  const keys = Object.keys(report).sort().join();
  if (keys !== "Config,LastWeek,Programs,Week,X") return false;
  if (!DATE.test(report.Week) || !(report.LastWeek === "" || DATE.test(report.LastWeek))) return false;
  if (typeof report.X !== "number" || !(report.X > 0 && report.X <= 1)) return false;
  // null, Go's nil slice, when the upload config left out every program entry.
  const programs = report.Programs as Report["Programs"] | null;
  if (
    typeof report.Config !== "string" ||
    !(programs === null || (Array.isArray(programs) && programs.length > 0))
  )
    return false;
  return (programs ?? []).every(
    (program) =>
      Object.keys(program).sort().join() === "Counters,GOARCH,GOOS,GoVersion,Program,Stacks,Version" &&
      [program.Program, program.Version, program.GoVersion, program.GOOS, program.GOARCH].every(
        (field) => typeof field === "string" && field !== "",
      ) &&
      counts(program.Counters) &&
      counts(program.Stacks),
  );
}

/** The few chartconfig fields this test needs, from the upstream text format. */
function parseCharts(text: string): Record<string, string[]>[] {
  return text.split(/^---$/m).map((block) => {
    const record: Record<string, string[]> = {};
    let open: string | null = null;
    for (const raw of block.split("\n")) {
      const line = raw.replace(/\s+#.*$/, "").trim();
      if (line === "" || line.startsWith("#")) continue;
      if (open !== null) {
        open += line;
        if (!line.includes("}")) continue;
        record.counter = [open];
        open = null;
        continue;
      }
      const colon = line.indexOf(":");
      const [key, value] = [line.slice(0, colon), line.slice(colon + 1).trim()];
      if (key === "counter" && value.includes("{") && !value.includes("}")) open = value;
      else (record[key] ??= []).push(value);
    }
    return record;
  });
}

describe("generated day files", () => {
  it("are byte-identical for the same options, in every format", () => {
    const date = "2026-03-10";
    for (const format of ["gzip", "plain", "zip"] as const) {
      const options = { ...small, format };
      expect(generateDay(options, date)).toEqual(generateDay({ ...options }, date));
    }
    expect(generateDay(small, date)).not.toEqual(generateDay({ ...small, seed: 2 }, date));
  });

  it("decode to the same NDJSON text whatever the format", () => {
    const date = "2026-03-10";
    const plain = strFromU8(generateDay({ ...small, format: "plain" }, date));
    expect(plain.endsWith("\n")).toBe(true);
    expect(strFromU8(gunzipSync(generateDay({ ...small, format: "gzip" }, date)))).toBe(plain);
    const zipped = unzipSync(generateDay({ ...small, format: "zip" }, date));
    expect(Object.keys(zipped)).toEqual([`${date}.json`]);
    expect(strFromU8(zipped[`${date}.json`] ?? new Uint8Array())).toBe(plain);
  });

  it("hold valid reports except a few deliberately malformed lines on two days", () => {
    const generator = new Generator(small);
    const malformedByDate = new Map<string, number>();
    for (const date of generator.dates()) {
      const day = generator.dayLines(date);
      const invalid = day.lines.filter((line) => !isValidReport(line)).length;
      expect(invalid).toBe(day.malformed);
      if (invalid > 0) malformedByDate.set(date, invalid);
      expect(day.lines.length).toBe(day.reports + day.reuploads + day.malformed);
    }
    expect(malformedByDate.size).toBe(2);
    for (const invalid of malformedByDate.values()) expect(invalid).toBeGreaterThanOrEqual(1);
    for (const invalid of malformedByDate.values()) expect(invalid).toBeLessThanOrEqual(3);
  });

  it("date each report's week within the six days before its upload", () => {
    for (const { date, line } of rangeLines(small)) {
      if (!isValidReport(line)) continue;
      const report = JSON.parse(line) as Report;
      const lag = (Date.parse(date) - Date.parse(report.Week)) / 86_400_000;
      expect(lag).toBeGreaterThanOrEqual(0);
      expect(lag).toBeLessThanOrEqual(6);
      if (report.LastWeek !== "")
        expect((Date.parse(report.Week) - Date.parse(report.LastWeek)) % (7 * 86_400_000)).toBe(0);
    }
  });

  it.each([
    ["the project's", uploadConfig],
    ["upstream's", upstreamUploadConfig],
  ])("only use programs, versions, platforms and counters %s upload config allows", (_, config) => {
    const programs = new Map(config.Programs.map((program) => [program.Name, program]));
    const namesOf = (list: { Name: string }[] | null) =>
      new Set((list ?? []).flatMap((counter) => expandCounter(counter.Name)));
    let counters = 0;
    for (const { line } of rangeLines({ ...small, uploadConfig: config })) {
      if (!isValidReport(line)) continue;
      const report = JSON.parse(line) as Report;
      for (const program of report.Programs ?? []) {
        const listed = programs.get(program.Program);
        expect(listed, program.Program).toBeDefined();
        if (!listed) continue;
        expect(listed.Versions).toContain(program.Version);
        expect(config.GoVersion).toContain(program.GoVersion);
        expect(config.GOOS).toContain(program.GOOS);
        expect(config.GOARCH).toContain(program.GOARCH);
        for (const name of Object.keys(program.Counters)) expect(namesOf(listed.Counters)).toContain(name);
        for (const name of Object.keys(program.Stacks)) {
          const [counter, ...frames] = name.split("\n");
          expect(namesOf(listed.Stacks)).toContain(counter);
          expect(frames.length).toBeGreaterThan(0);
          expect(frames.length).toBeLessThanOrEqual(16);
        }
        counters += Object.keys(program.Counters).length;
      }
    }
    expect(counters).toBeGreaterThan(1000);
  });

  it("leave out what an upload config does not list, as the telemetry client does; the project's lists all", () => {
    expect(modelGaps(uploadConfig)).toEqual([]);
    const gaps = modelGaps(upstreamUploadConfig);
    expect(gaps).toContain("cmd/go: no counter go/mode:gopath");
    // The same reports, by X, under either config: only their contents differ (under upstream's,
    // some keep no program entry at all, as the client would upload them).
    const xs = (config: UploadConfig) =>
      rangeLines({ ...small, uploadConfig: config }).map(({ line }) => /"X":([^,]*)/.exec(line)?.[1]);
    expect(xs(upstreamUploadConfig)).toEqual(xs(uploadConfig));
    const lines = rangeLines({ ...small, uploadConfig: upstreamUploadConfig }).map(({ line }) => line);
    expect(lines.filter((line) => line.includes('"Programs":null')).length).toBeGreaterThan(0);
    expect(rangeLines(small).some(({ line }) => line.includes('"Programs":null'))).toBe(false);
  });

  it("keep every malformed line malformed, even where the upload config left a report no entry", () => {
    // Seed 82 gives a day whose negative-count line was drawn from such a report.
    for (let seed = 80; seed < 90; seed++) {
      const generator = new Generator({
        ...small,
        end: "2026-11-22",
        days: 1,
        reports: 120,
        seed,
        uploadConfig: upstreamUploadConfig,
      });
      const day = generator.dayLines(generator.dates()[0]!);
      const rejected = day.lines.filter((line, i) => !validateLine(line, i + 1, { uploadConfig: null }).ok);
      expect(rejected.length, `seed ${seed}`).toBe(day.malformed);
    }
  });

  it("include a sampled counter only in reports with X at most its rate", () => {
    const rates = uploadConfig.Programs.flatMap((program) =>
      program.Counters.filter((counter) => counter.Rate < 1).flatMap((counter) =>
        expandCounter(counter.Name).map((name) => ({ program: program.Name, name, rate: counter.Rate })),
      ),
    );
    expect(rates.length).toBeGreaterThan(0);
    const seen = new Map<string, number>();
    for (const { line } of rangeLines(small)) {
      if (!isValidReport(line)) continue;
      const report = JSON.parse(line) as Report;
      for (const { program, name, rate } of rates) {
        const present = report.Programs.some((p) => p.Program === program && name in p.Counters);
        if (present) {
          expect(report.X).toBeLessThanOrEqual(rate);
          seen.set(name, (seen.get(name) ?? 0) + 1);
        }
      }
    }
    expect(seen.get("go/buildcache:hit")).toBeGreaterThan(0);
  });

  it("show GOPATH mode declining from the first week to the last", () => {
    const generator = new Generator(sample);
    const dates = generator.dates();
    const gopathShare = (week: string[]) => {
      let goReports = 0;
      let gopathReports = 0;
      for (const date of week) {
        for (const line of generator.dayLines(date).lines) {
          if (!isValidReport(line)) continue;
          const go = (JSON.parse(line) as Report).Programs.filter((p) => p.Program === "cmd/go");
          if (go.length === 0) continue;
          goReports++;
          if (go.some((p) => "go/mode:gopath" in p.Counters)) gopathReports++;
        }
      }
      return gopathReports / goReports;
    };
    const first = gopathShare(dates.slice(0, 7));
    const last = gopathShare(dates.slice(-7));
    expect(first).toBeGreaterThan(0.075);
    expect(last).toBeLessThan(0.07);
    expect(last).toBeLessThan(first);
  });

  it("repeat re-uploaded reports as identical lines with the same X, on the same or the next day", () => {
    const byX = new Map<number, { date: string; line: string }[]>();
    for (const entry of rangeLines({ ...sample, days: 14, end: "2026-03-15" })) {
      if (!isValidReport(entry.line)) continue;
      const x = (JSON.parse(entry.line) as Report).X;
      byX.set(x, [...(byX.get(x) ?? []), entry]);
    }
    const repeated = [...byX.values()].filter((copies) => copies.length > 1);
    expect(repeated.length).toBeGreaterThan(5);
    let nextDay = 0;
    for (const [original, ...copies] of repeated) {
      for (const copy of copies) {
        expect(copy.line).toBe(original?.line);
        const days = (Date.parse(copy.date) - Date.parse(original?.date ?? "")) / 86_400_000;
        expect([0, 1]).toContain(days);
        if (days === 1) nextDay++;
      }
    }
    expect(nextDay).toBeGreaterThan(0);
  });
});

describe("sample configs", () => {
  const charts = parseCharts(chartsText);

  it("give every chart a title, description, issue, type and program", () => {
    expect(charts.length).toBeGreaterThanOrEqual(12);
    for (const chart of charts) {
      for (const field of ["title", "description", "issue", "type", "program", "counter"]) {
        expect(chart[field], `${chart.title?.[0]}: ${field}`).toBeDefined();
      }
      for (const issue of chart.issue ?? []) expect(issue).toMatch(/^https:\/\/go\.dev\/issue\/\d+$/);
      const program = chart.program?.[0] ?? "";
      if (!program.startsWith("cmd/")) expect(chart.module, program).toBeDefined();
      if (chart.type?.[0] === "stack") expect(chart.depth).toEqual(["16"]);
    }
  });

  it("agree: the upload config lists exactly the charts' counters, per program", () => {
    const fromCharts = new Map<string, { counters: string[]; stacks: string[] }>();
    for (const chart of charts) {
      const program = chart.program?.[0] ?? "";
      const entry = fromCharts.get(program) ?? { counters: [], stacks: [] };
      const counter = (chart.counter?.[0] ?? "").replace(/\s+/g, "");
      (chart.type?.[0] === "stack" ? entry.stacks : entry.counters).push(counter);
      fromCharts.set(program, entry);
    }
    const fromUpload = new Map(
      uploadConfig.Programs.map((program) => [
        program.Name,
        { counters: program.Counters.map((c) => c.Name), stacks: program.Stacks.map((c) => c.Name) },
      ]),
    );
    expect(fromUpload).toEqual(fromCharts);
    for (const program of uploadConfig.Programs) {
      for (const stack of program.Stacks) expect(stack.Depth).toBe(16);
    }
  });

  it("agree with what the generator emits", () => {
    const expanded = Object.fromEntries(
      uploadConfig.Programs.map((program) => [
        program.Name,
        {
          counters: program.Counters.flatMap((c) => expandCounter(c.Name)).sort(),
          stacks: program.Stacks.flatMap((c) => expandCounter(c.Name)).sort(),
        },
      ]),
    );
    const emitted = Object.fromEntries(
      Object.entries(modelCounters()).map(([program, { counters, stacks }]) => [
        program,
        { counters: [...counters].sort(), stacks: [...stacks].sort() },
      ]),
    );
    expect(emitted).toEqual(expanded);
  });
});

describe("generate CLI options", () => {
  it("default to the committed sample", () => {
    const options = parseOptions([]);
    expect(options).not.toBe("help");
    if (options === "help") return;
    expect(options).toMatchObject(SAMPLE_DEFAULTS);
    expect(rangeDates(options)).toHaveLength(112);
    expect(rangeDates(options).at(-1)).toBe("2026-11-22");
  });

  it("reject bad values with a message", () => {
    expect(() => parseOptions(["--format", "bz2"])).toThrow(/--format/);
    expect(() => parseOptions(["--days", "0"])).toThrow(/--days/);
    expect(() => parseOptions(["--end", "2026-02-30"])).toThrow(/invalid date/);
  });
});
