// The one-screen summary `npm run data` prints at the end of a run.

import { formatBytes } from "./units.ts";
import type { RunSummary } from "./run.ts";

/** Failed days and ignored files are listed up to this many; the rest are counted. */
const MAX_LISTED = 5;

/**
 * Days, input, rejections by reason, charts, outputs and time, one line each; then the
 * failed days and the ignored files, at most MAX_LISTED of each, so a year of failed days
 * still fits a screen (days.json has every one).
 */
export function formatRunReport(summary: RunSummary, seconds: number): string {
  const { days, index } = summary;
  const count = (status: string) => days.filter((day) => day.status === status).length;
  const rejected = new Map<string, number>();
  let lines = 0;
  let accepted = 0;
  let bytes = 0;
  for (const day of days) {
    lines += day.lines;
    accepted += day.accepted;
    bytes += day.bytes;
    for (const [reason, n] of Object.entries(day.rejected))
      rejected.set(reason, (rejected.get(reason) ?? 0) + (n ?? 0));
  }
  const out = [
    `days      ${days.length} in ${index.range.start}…${index.range.end}: ${count("ok")} ok, ${count("missing")} missing, ${count("failed")} failed` +
      ` (${summary.aggregatedDays} aggregated, ${summary.cachedDays} from cache)`,
    `input     ${formatBytes(bytes)}, ${lines} lines, ${accepted} accepted, ${index.reports} distinct reports`,
    `rejected  ${rejected.size === 0 ? "none" : [...rejected].map(([reason, n]) => `${reason} ${n}`).join(", ")}`,
    `charts    ${index.charts.length} for ${index.programs.length} program${index.programs.length === 1 ? "" : "s"}`,
    `output    ${summary.out}/index.json, all.csv, days.json, participation.json, config.json, charts/*.csv|json`,
    `time      ${seconds.toFixed(1)} s`,
  ];
  if (summary.unpublished.length > 0) {
    const listed = summary.unpublished.slice(0, MAX_LISTED).join(", ");
    const more =
      summary.unpublished.length > MAX_LISTED ? ` and ${summary.unpublished.length - MAX_LISTED} more` : "";
    out.push(`left out  ${listed}${more}: not on the server (404) at an end of the default range`);
  }
  for (const warning of summary.warnings.slice(0, MAX_LISTED)) out.push(`warning   ${warning}`);
  if (summary.warnings.length > MAX_LISTED) {
    out.push(`warning   … and ${summary.warnings.length - MAX_LISTED} more charts with such counters`);
  }
  const failed = days.filter((day) => day.status === "failed");
  for (const day of failed.slice(0, MAX_LISTED)) out.push(`failed    ${day.error}`);
  if (failed.length > MAX_LISTED) {
    out.push(`failed    … and ${failed.length - MAX_LISTED} more days (each in ${summary.out}/days.json)`);
  }
  // By reason: the reason once, then up to MAX_LISTED of its files.
  const ignored = new Map<string, string[]>();
  for (const file of summary.ignoredFiles) {
    const names = ignored.get(file.reason) ?? [];
    names.push(file.name);
    ignored.set(file.reason, names);
  }
  for (const [reason, names] of ignored) {
    const more = names.length > MAX_LISTED ? ` and ${names.length - MAX_LISTED} more` : "";
    out.push(`ignored   ${reason}: ${names.slice(0, MAX_LISTED).join(", ")}${more}`);
  }
  return out.join("\n");
}
