import { describe, expect, it } from "vitest";
import { createProgress, type ProgressState } from "./progress.ts";

/** A terminal or a log: what was written, and a clock the test moves. */
function fakeStream(columns?: number) {
  const writes: string[] = [];
  let time = 0;
  return {
    stream: { write: (text: string) => writes.push(text), columns },
    writes,
    now: () => time,
    advance: (ms: number) => void (time += ms),
  };
}

const state = (daysDone: number, daysTotal = 10): ProgressState => ({
  phase: "aggregate",
  daysDone,
  daysTotal,
  bytes: 1024 * daysDone,
  reports: 2000 * daysDone,
});

/** The lines a terminal shows for a bar's writes: each write after "\r\x1b[2K" replaces the line. */
const drawnLines = (writes: readonly string[]) =>
  writes.filter((w) => w.startsWith("\r\x1b[2K")).map((w) => w.slice("\r\x1b[2K".length));

/** The lines a bar draws on a terminal this wide for days 1…total, one every `ms`, of `step` days each. */
function barRun(columns: number, total: number, ms: number, step = 1): string[] {
  const t = fakeStream(columns);
  const progress = createProgress("bar", t.stream, t.now);
  for (let day = step; day <= total; day += step) {
    t.advance(ms);
    progress.update(state(day, total));
  }
  return drawnLines(t.writes);
}

describe("the progress bar", () => {
  it("shows days, bytes and reports per second, and ends its line when done", () => {
    const t = fakeStream(120);
    const progress = createProgress("bar", t.stream, t.now);
    t.advance(2000);
    progress.update(state(5));
    progress.done();
    expect(drawnLines(t.writes)).toEqual([
      "████████████░░░░░░░░░░░░ aggregate: 5/10 days, 5.0 KiB, 10000 reports (5000/s)",
    ]);
    expect(t.writes.at(-1)).toBe("\n");
  });

  it("says how many of the days came from the cache, once some have", () => {
    const t = fakeStream();
    const progress = createProgress("lines", t.stream, t.now);
    t.advance(1000);
    progress.update({ ...state(10), cached: 0 });
    progress.update({ ...state(10, 20), daysDone: 20, daysTotal: 20, cached: 19 });
    expect(t.writes).toEqual([
      "aggregate: 10/10 days, 10.0 KiB, 20000 reports (20000/s)\n",
      "aggregate: 20/20 days (19 from cache), 10.0 KiB, 20000 reports (20000/s)\n",
    ]);
  });

  it("never draws a line wider than the terminal, which would wrap and leave a copy at every redraw", () => {
    for (const columns of [80, 60, 40, 20]) {
      const lines = barRun(columns, 10_000, 200, 1000);
      expect(lines.length).toBe(10);
      for (const line of lines) expect(line.length).toBeLessThan(columns);
    }
    // At 80 columns, with a year's numbers: a shorter bar beside the whole description, one width throughout.
    const lines = barRun(80, 366, 150);
    for (const line of lines)
      expect(line).toMatch(/^[█░]{8,23} aggregate: \d+\/366 days, .* reports \(\d+\/s\)$/);
    expect(new Set(lines.map((line) => line.indexOf(" "))).size).toBe(1);
    // Days from the cache make the text longer: its count gets shorter, then goes, before the bar.
    for (const [reports, columns, shown] of [
      [240_000, 120, " (100 from cache)"],
      [24_000, 80, " (100 cached)"],
      [240_000, 80, ""],
    ] as const) {
      const t = fakeStream(columns);
      const progress = createProgress("bar", t.stream, t.now);
      t.advance(1000);
      progress.update({ ...state(121, 366), reports, bytes: reports * 50, cached: 100 });
      const [line] = drawnLines(t.writes);
      expect(line).toMatch(/^[█░]{8,24} aggregate: /);
      expect(line).toContain(`121/366 days${shown}, `);
      expect(line!.length).toBeLessThan(columns);
    }
    // Too narrow for a bar: the text without the count of cached days, whole, not the long one cut.
    const narrow = fakeStream(66);
    const progress = createProgress("bar", narrow.stream, narrow.now);
    narrow.advance(1000);
    progress.update({ ...state(121, 366), reports: 240_000, bytes: 12e6, cached: 100 });
    expect(drawnLines(narrow.writes)).toEqual([
      "aggregate: 121/366 days, 11.4 MiB, 240000 reports (240000/s)",
    ]);
    // Wide enough for all of it: the bar and the whole description.
    const wide = fakeStream(200);
    createProgress("bar", wide.stream, wide.now).update(state(10_000, 10_000));
    expect(drawnLines(wide.writes)[0]).toMatch(/^█{24} aggregate: 10000\/10000 days, .* reports \(\d+\/s\)$/);
  });

  it("redraws at most every 100 ms, yet always shows the last day", () => {
    const lines = barRun(120, 100, 10);
    // Drawn on the first day, then once per 100 ms of the second it took, and on the last day.
    expect(lines.length).toBeGreaterThanOrEqual(10);
    expect(lines.length).toBeLessThanOrEqual(11);
    expect(lines.at(-1)).toContain("100/100 days");
  });

  it("draws the latest state before it ends, if a redraw was skipped", () => {
    const t = fakeStream(120);
    const progress = createProgress("bar", t.stream, t.now);
    progress.update(state(1, 100));
    t.advance(10);
    progress.update(state(2, 100)); // within 100 ms: not drawn yet
    progress.done();
    expect(drawnLines(t.writes).map((line) => line.match(/\d+\/100/)?.[0])).toEqual(["1/100", "2/100"]);
    expect(t.writes.at(-1)).toBe("\n");
  });
});

describe("progress lines and none", () => {
  it("writes one line per tenth of the days, and the last", () => {
    const t = fakeStream();
    const progress = createProgress("lines", t.stream, t.now);
    for (let day = 1; day <= 25; day++) progress.update(state(day, 25));
    progress.done();
    expect(t.writes.map((line) => line.match(/(\d+)\/25/)?.[1])).toEqual([
      "3",
      "6",
      "9",
      "12",
      "15",
      "18",
      "21",
      "24",
      "25",
    ]);
    for (const line of t.writes) expect(line.endsWith("\n")).toBe(true);
  });

  it("writes the state it stopped at when the run ends early", () => {
    const t = fakeStream();
    const progress = createProgress("lines", t.stream, t.now);
    for (let day = 1; day <= 4; day++) progress.update(state(day, 25));
    progress.done();
    expect(t.writes.map((line) => line.match(/(\d+)\/25/)?.[1])).toEqual(["3", "4"]);
  });

  it("writes nothing with none", () => {
    const t = fakeStream(80);
    const progress = createProgress("none", t.stream, t.now);
    progress.update(state(1));
    progress.done();
    expect(t.writes).toEqual([]);
  });
});
