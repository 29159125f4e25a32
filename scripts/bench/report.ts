// The benchmark's figures, as a console table and as BENCHMARKS.md. Pure
// apart from describeMachine, which reads /proc/cpuinfo.

import { readFileSync } from "node:fs";
import { cpus, loadavg, release, totalmem } from "node:os";

export interface Machine {
  cpu: string;
  cores: number;
  memoryBytes: number;
  node: string;
  kernel: string;
  /** 1-minute load average when the benchmark started, a hint of other work on a shared machine. */
  loadAtStart: number;
  /** Passed on to every measured process. */
  nodeOptions: string;
}

export function describeMachine(): Machine {
  let cpu = cpus()[0]?.model ?? "unknown";
  try {
    const model = /^model name\s*:\s*(.+)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"));
    if (model?.[1]) cpu = model[1].trim();
  } catch {
    // Not Linux: os.cpus() has the model too.
  }
  return {
    cpu,
    cores: cpus().length,
    memoryBytes: totalmem(),
    node: process.version,
    kernel: `${process.platform} ${release()}`,
    loadAtStart: loadavg()[0] ?? 0,
    nodeOptions: process.env.NODE_OPTIONS ?? "",
  };
}

/** One measured thing, run several times. */
export interface Figure {
  label: string;
  /** The child's command line, relative to the project. */
  command: string;
  wallSeconds: number[];
  cpuSeconds: number[];
  maxRssBytes: number[];
}

/** Times are the best run (least disturbed by other work), memory the worst. */
export function bestWall(figure: Figure): number {
  return Math.min(...figure.wallSeconds);
}

export function bestCpu(figure: Figure): number {
  return Math.min(...figure.cpuSeconds);
}

export function peakRss(figure: Figure): number {
  return Math.max(...figure.maxRssBytes);
}

export interface Goal {
  goal: string;
  measured: string;
  met: boolean;
}

export interface BenchReport {
  date: string;
  machine: Machine;
  /** How the benchmark was started, e.g. "npm run bench -- --days 365". */
  command: string;
  runs: number;
  data: string;
  figures: Figure[];
  goals: Goal[];
  notes: string;
}

export const seconds = (value: number) => value.toFixed(2);
/** Decimal megabytes (10^6 bytes), the unit of the memory goal. */
export const megabytes = (bytes: number) => (bytes / 1e6).toFixed(0);
export const percent = (ratio: number) => `${(100 * ratio).toFixed(1)}%`;
export const times = (ratio: number) => `${ratio.toFixed(2)}×`;

/**
 * a's time over b's in each run (the measurements of a run are interleaved, so a run's two
 * met the same disturbance more nearly than two best times of different runs did).
 */
export function perRunRatios(a: Figure, b: Figure, format: (ratio: number) => string): string {
  return a.wallSeconds.map((seconds, run) => format(seconds / b.wallSeconds[run]!)).join(", ");
}

function figureCells(figure: Figure): string[] {
  return [
    figure.label,
    seconds(bestWall(figure)),
    seconds(bestCpu(figure)),
    megabytes(peakRss(figure)),
    figure.wallSeconds.map(seconds).join(", "),
  ];
}

const FIGURE_HEADER = [
  "measurement",
  "wall s (best)",
  "CPU s (best)",
  "peak RSS MB (max)",
  "wall s, each run",
];

/** A plain-text table for the terminal. */
export function consoleTable(figures: readonly Figure[], goals: readonly Goal[]): string {
  const rows = [FIGURE_HEADER, ...figures.map(figureCells)];
  const widths = FIGURE_HEADER.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  const line = (row: string[]) =>
    row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join("  ");
  const goalLines = goals.map((goal) => `${goal.met ? "met   " : "MISSED"}  ${goal.goal}: ${goal.measured}`);
  return [line(rows[0]!), ...rows.slice(1).map(line), "", ...goalLines].join("\n");
}

/** A Markdown table; the columns listed in `numeric` are right-aligned. */
function markdownTable(header: string[], rows: string[][], numeric: readonly number[] = []): string {
  const escape = (cell: string) => cell.replaceAll("|", "\\|");
  return [
    `| ${header.map(escape).join(" | ")} |`,
    `| ${header.map((_, i) => (numeric.includes(i) ? "---:" : "---")).join(" | ")} |`,
    ...rows.map((row) => `| ${row.map(escape).join(" | ")} |`),
  ].join("\n");
}

export function renderMarkdown(report: BenchReport): string {
  const { machine } = report;
  const gib = (machine.memoryBytes / 1024 ** 3).toFixed(1);
  return `# Benchmarks

Written by \`npm run bench\` (scripts/bench.ts) on ${report.date}; running it again overwrites this
file. The commentary at the end comes from scripts/bench/notes.md.

The figures are from a **shared machine**: other jobs may have been using its CPU. Every
measurement ran ${report.runs} times, interleaved with the others; a time is the **best** (least
disturbed) run, a peak memory the **highest** run. The other runs' times are listed too.

## Machine

| | |
| --- | --- |
| CPU | ${machine.cpu} |
| cores | ${machine.cores} |
| memory | ${gib} GiB |
| Node.js | ${machine.node} |
| OS | ${machine.kernel} |
| load average at start (1 min) | ${machine.loadAtStart.toFixed(2)} |
| NODE_OPTIONS | ${machine.nodeOptions ? `\`${machine.nodeOptions}\`` : "(not set)"} |

## Data

${report.data}

## Figures

Wall time is from spawning the child process to its exit, so Node's start-up is included. CPU
is user plus system time of all the process's threads. Peak RSS is the child's own
\`process.resourceUsage().maxRSS\` at exit, in decimal MB (10^6 bytes), worker threads included.

${markdownTable(FIGURE_HEADER, report.figures.map(figureCells), [1, 2, 3, 4])}

## Goals

${markdownTable(
  ["goal", "measured", "met"],
  report.goals.map((goal) => [goal.goal, goal.measured, goal.met ? "met" : "**missed**"]),
)}

## Command

\`\`\`sh
${report.command}
\`\`\`

Each measurement is a child process, run as \`node --import scripts/bench/usage.mjs …\` with:

${report.figures.map((figure) => `- ${figure.label}: \`${figure.command}\``).join("\n")}

${report.notes.trim()}
`;
}
