// Geometry of the tiny trend lines drawn at build time as inline SVG, so the
// chart list shows trends without JavaScript.

import { formatShare } from "./format.ts";

export interface SparklineModel {
  width: number;
  height: number;
  /** SVG path data, empty when there is nothing to draw. */
  path: string;
  /** The latest point, drawn as a dot. */
  last: { x: number; y: number } | null;
  /** Text alternative, for example "vscode: 60.1% to 63.0% over 16 weeks". */
  label: string;
}

/** Weekly shares (oldest first) → a line scaled to its own min and max, so small trends stay visible. */
export function sparkline(values: number[], mainBucket: string, width = 120, height = 28): SparklineModel {
  const pad = 3;
  if (values.length === 0) return { width, height, path: "", last: null, label: "No weekly data" };
  const min = Math.min(...values);
  const max = Math.max(...values);
  const span = max - min;
  const x = (i: number): number =>
    values.length === 1 ? width / 2 : pad + (i * (width - 2 * pad)) / (values.length - 1);
  const y = (v: number): number =>
    span === 0 ? height / 2 : height - pad - ((v - min) * (height - 2 * pad)) / span;
  const points = values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`);
  const lastValue = values[values.length - 1] ?? 0;
  const firstValue = values[0] ?? 0;
  return {
    width,
    height,
    path: `M${points.join("L")}`,
    last: { x: x(values.length - 1), y: y(lastValue) },
    label: `${mainBucket}: ${formatShare(firstValue)} to ${formatShare(lastValue)} over ${values.length} weeks`,
  };
}
