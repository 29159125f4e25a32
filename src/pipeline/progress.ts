// Progress of a data run: a redrawn bar on a terminal, plain lines in CI logs.

import { formatBytes } from "./units.ts";

export interface ProgressState {
  daysDone: number;
  daysTotal: number;
  bytes: number;
  reports: number;
  /** Of daysDone, those whose aggregate came from the cache (0 when none). */
  cached?: number;
  phase: string;
}

export interface Progress {
  update(state: ProgressState): void;
  done(): void;
}

/** The bar is redrawn at most this often (ms). */
const REDRAW_MS = 100;
/** Cells of the bar, when the terminal has room; below the least, it is left out. */
const BAR_WIDTH = 24;
const MIN_BAR_WIDTH = 8;
/** Room kept for the text beside the bar ("aggregate: 120/366 days, 11.0 MiB, 240000 reports (52000/s)" is 60). */
const TEXT_ROOM = 64;

/** Where progress goes: process.stderr, or anything with its write and (on a terminal) columns. */
export interface ProgressStream {
  write(text: string): unknown;
  columns?: number;
}

export function createProgress(
  mode: "bar" | "lines" | "none",
  stream: ProgressStream,
  now: () => number = () => performance.now(),
): Progress {
  const started = now();
  let lastLine = 0;
  let lastState: ProgressState | undefined;
  /** The cached days as " (N from cache)", shorter as " (N cached)" for a bar, or left out. */
  const describe = (state: ProgressState, cachedForm: "long" | "short" | "none" = "long"): string => {
    const seconds = Math.max((now() - started) / 1000, 1e-3);
    const rate = Math.round(state.reports / seconds);
    const cached =
      state.cached && cachedForm !== "none"
        ? ` (${state.cached} ${cachedForm === "long" ? "from cache" : "cached"})`
        : "";
    return `${state.phase}: ${state.daysDone}/${state.daysTotal} days${cached}, ${formatBytes(state.bytes)}, ${state.reports} reports (${rate}/s)`;
  };
  if (mode === "none") return { update() {}, done() {} };
  if (mode === "lines") {
    return {
      update(state) {
        lastState = state;
        // One line per 10% of days, so CI logs stay short.
        const step = Math.max(1, Math.ceil(state.daysTotal / 10));
        if (state.daysDone === state.daysTotal || state.daysDone - lastLine >= step) {
          lastLine = state.daysDone;
          stream.write(describe(state) + "\n");
        }
      },
      done() {
        if (lastState && lastLine !== lastState.daysDone) stream.write(describe(lastState) + "\n");
      },
    };
  }
  // The bar: redrawn in place at most every REDRAW_MS (a cold year with workers does a
  // hundred days a second), always on the last day, and kept within the terminal's width:
  // a line that wraps cannot be cleared by "\r", and every redraw would leave a line behind.
  let drawn: ProgressState | undefined;
  let drawnAt = -Infinity;
  const draw = (state: ProgressState) => {
    const room = stream.columns ? stream.columns - 1 : Infinity;
    // The bar gives way first: narrower, then gone when fewer than MIN_BAR_WIDTH cells would be left.
    // Sized for a text of TEXT_ROOM characters (the common case), so that it keeps its width
    // while the numbers grow by a digit; only a longer text narrows it further. Before the bar
    // goes, the count of cached days gets shorter, then goes (the run's summary has it).
    const barWidth = (text: string) => Math.min(BAR_WIDTH, room - 1 - Math.max(text.length, TEXT_ROOM));
    const forms = (["long", "short", "none"] as const).map((form) => describe(state, form));
    // Without room for a bar: the longest form that fits whole, else the shortest, cut.
    const text =
      forms.find((candidate) => barWidth(candidate) >= MIN_BAR_WIDTH) ??
      forms.find((candidate) => candidate.length <= room) ??
      forms[2]!;
    const width = barWidth(text);
    let line = text.slice(0, room);
    if (width >= MIN_BAR_WIDTH) {
      const filled = state.daysTotal ? Math.round((width * state.daysDone) / state.daysTotal) : width;
      line = `${"█".repeat(filled)}${"░".repeat(width - filled)} ${text}`;
    }
    stream.write(`\r\x1b[2K${line}`);
    drawn = state;
    drawnAt = now();
  };
  return {
    update(state) {
      lastState = state;
      if (state.daysDone >= state.daysTotal || now() - drawnAt >= REDRAW_MS) draw(state);
    },
    done() {
      if (!lastState) return;
      if (drawn !== lastState) draw(lastState);
      stream.write("\n");
    },
  };
}
