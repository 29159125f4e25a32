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

/**
 * Weekly shares (oldest first; null for a week with no eligible reports) → a line scaled to
 * its own min and max, so small trends stay visible. Weeks without a share break the line.
 */
export function sparkline(
  values: readonly (number | null)[],
  mainBucket: string,
  width = 120,
  height = 28,
): SparklineModel {
  const pad = 3;
  const known = values.flatMap((v, i) => (v === null ? [] : [{ i, v }]));
  const first = known[0];
  const latest = known.at(-1);
  if (first === undefined || latest === undefined) {
    return {
      width,
      height,
      path: "",
      last: null,
      label: values.length === 0 ? "No weekly data" : "No reports",
    };
  }
  const min = Math.min(...known.map((p) => p.v));
  const max = Math.max(...known.map((p) => p.v));
  const span = max - min;
  const x = (i: number): number =>
    values.length === 1 ? width / 2 : pad + (i * (width - 2 * pad)) / (values.length - 1);
  const y = (v: number): number =>
    span === 0 ? height / 2 : height - pad - ((v - min) * (height - 2 * pad)) / span;
  // A week with a share between two without one is a segment of its own: "h0" gives it a
  // length, which the round line cap draws as a dot.
  const joined = (k: number): boolean => k > 0 && known[k - 1]!.i === known[k]!.i - 1;
  const path = known
    .map(({ i, v }, k) => {
      const point = `${x(i).toFixed(1)},${y(v).toFixed(1)}`;
      if (joined(k)) return `L${point}`;
      return k + 1 < known.length && joined(k + 1) ? `M${point}` : `M${point}h0`;
    })
    .join("");
  const weeks =
    values.length === known.length ? `${values.length} weeks` : `${known.length} of ${values.length} weeks`;
  const latestWeek = latest.i === values.length - 1 ? "" : "; no reports in the latest week";
  return {
    width,
    height,
    path,
    last: { x: x(latest.i), y: y(latest.v) },
    label: `${mainBucket}: ${formatShare(first.v)} to ${formatShare(latest.v)} over ${weeks}${latestWeek}`,
  };
}
