// Progress of a data run: a redrawn bar on a terminal, plain lines in CI logs.

import { formatBytes } from "./units.ts";

export interface ProgressState {
  daysDone: number;
  daysTotal: number;
  bytes: number;
  reports: number;
  phase: string;
}

export interface Progress {
  update(state: ProgressState): void;
  done(): void;
}

export function createProgress(
  mode: "bar" | "lines" | "none",
  stream: NodeJS.WriteStream,
  now: () => number = () => performance.now(),
): Progress {
  const started = now();
  let lastLine = 0;
  let lastState: ProgressState | undefined;
  const describe = (state: ProgressState): string => {
    const seconds = Math.max((now() - started) / 1000, 1e-3);
    const rate = Math.round(state.reports / seconds);
    return `${state.phase}: ${state.daysDone}/${state.daysTotal} days, ${formatBytes(state.bytes)}, ${state.reports} reports (${rate}/s)`;
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
  return {
    update(state) {
      lastState = state;
      const width = 24;
      const filled = state.daysTotal ? Math.round((width * state.daysDone) / state.daysTotal) : width;
      const bar = "█".repeat(filled) + "░".repeat(width - filled);
      stream.write(`\r\x1b[2K${bar} ${describe(state)}`);
    },
    done() {
      if (lastState) stream.write("\n");
    },
  };
}
