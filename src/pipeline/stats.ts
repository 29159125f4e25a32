// Shares and their uncertainty: what fraction of eligible reports have a bucket.

/** The normal quantile for a two-sided 95% interval. */
export const Z_95 = 1.959963984540054;

export interface Interval {
  low: number;
  high: number;
}

/**
 * Wilson score interval for `successes` out of `trials` (95% unless z is given).
 * Unlike the normal approximation it stays inside [0, 1] and is sensible at 0 and n.
 *
 *   wilsonInterval(5, 10)  // { low: 0.2366…, high: 0.7634… }
 *   wilsonInterval(0, 10)  // { low: 0, high: 0.2775… }
 *
 * With no trials there is no information: the interval is [0, 0], matching a share of 0.
 * Successes above trials (only possible with bad data: a report carrying a counter its X
 * should have excluded) are taken as trials, so the interval is computed on min(successes, trials).
 */
export function wilsonInterval(successes: number, trials: number, z: number = Z_95): Interval {
  if (trials <= 0) return { low: 0, high: 0 };
  const k = Math.min(Math.max(successes, 0), trials);
  const p = k / trials;
  const z2 = z * z;
  const denominator = 1 + z2 / trials;
  const center = (p + z2 / (2 * trials)) / denominator;
  const halfWidth = (z / denominator) * Math.sqrt((p * (1 - p)) / trials + z2 / (4 * trials * trials));
  // At k = 0 and k = n the bounds are exactly 0 and 1; avoid rounding noise around them.
  const low = k === 0 ? 0 : Math.max(0, center - halfWidth);
  const high = k === trials ? 1 : Math.min(1, center + halfWidth);
  return { low, high };
}

export interface Share {
  /** reports / eligible, 0 when nothing is eligible. */
  share: number;
  share_low: number;
  share_high: number;
}

/**
 * The share of eligible reports that have a bucket, with its 95% Wilson interval.
 * The share itself is the plain ratio (it can exceed 1 only with bad data, which then
 * stays visible); the interval uses min(reports, eligible).
 */
export function shareOf(reports: number, eligible: number): Share {
  const { low, high } = wilsonInterval(reports, eligible);
  return { share: eligible > 0 ? reports / eligible : 0, share_low: low, share_high: high };
}
