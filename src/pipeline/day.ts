// One day's file, start to finish: decode → validate → aggregate → summarise. Runs
// in a worker thread or in the main thread; pure apart from its input bytes.

import {
  addFlatReport,
  addReport,
  createDayAggregate,
  finishDay,
  recycleDay,
  serializeDay,
  type AggregationPlan,
} from "./aggregate.ts";
import { serializeSummary, summarizeDay } from "./summary.ts";
import { DecodeError, decodeLineBytes, lineText, type DecodeOptions } from "./decode.ts";
import type { Allocate } from "./framed.ts";
import { ReportScanner } from "./scan.ts";
import type { DayStatus, RejectReason, Rejection } from "./types.ts";
import { notUtf8Rejection, tooLongRejection, validateLine, type ValidationPolicy } from "./validate.ts";

/** Reads the start of a line that is not JSON, for a message: bad bytes become U+FFFD. */
const LENIENT_UTF8 = new TextDecoder();

/** Rejections kept per day as examples for the Data page and --strict messages. */
export const SAMPLE_REJECTIONS = 20;

export interface DayResult {
  status: DayStatus;
  /** serializeDay() of the day's aggregate; null when the day failed. */
  aggregate: Uint8Array | null;
  /** serializeSummary() of the day's summary; null when the day failed. */
  summary: Uint8Array | null;
}

export type DayLimits = Omit<DecodeOptions, "file">;

/** A day's status before any line is read (or for a day without a file). */
export function dayStatus(date: string, source: string, status: DayStatus["status"], bytes = 0): DayStatus {
  return {
    date,
    status,
    source,
    bytes,
    decompressed_bytes: 0,
    lines: 0,
    accepted: 0,
    reports: 0,
    rejected: {},
    rejections: [],
  };
}

/**
 * Reads every line of one day's file, keeps the good reports and counts the
 * rejected lines by reason. A line that fails never drops the others; a file
 * that cannot be decompressed fails the day as a whole (its lines cannot be
 * trusted), with a message naming the file. The serialised aggregate and summary
 * are written where `allocate` says (a BufferPool's take), else in new buffers.
 */
export function processDay(
  input: { date: string; source: string; bytes: Uint8Array },
  plan: AggregationPlan,
  policy: ValidationPolicy,
  limits: DayLimits,
  allocate?: Allocate,
): DayResult {
  const status = dayStatus(input.date, input.source, "ok", input.bytes.length);
  const reject = (rejection: Rejection) => {
    const reason: RejectReason = rejection.reason;
    status.rejected[reason] = (status.rejected[reason] ?? 0) + 1;
    if (status.rejections.length < SAMPLE_REJECTIONS) status.rejections.push(rejection);
  };
  // Lines that are not JSON at all, and how the first of them starts: a day with nothing
  // else is not a file of reports (an HTML error page, a binary file). Counted on the slow
  // path only.
  let notJson = 0;
  let notUtf8 = 0;
  let firstNotJson: string | undefined;
  const notJsonLine = (line: { line: number; bytes: Uint8Array; start: number; end: number }) => {
    notJson++;
    const start = line.bytes.subarray(line.start, Math.min(line.end, line.start + 40));
    firstNotJson ??= `line ${line.line} starts ${JSON.stringify(LENIENT_UTF8.decode(start))}`;
  };
  const day = createDayAggregate(input.date, plan);
  const lines = decodeLineBytes(input.bytes, { ...limits, file: input.source });
  const scanner = new ReportScanner(policy, day.names);
  try {
    for (let next = lines.next(); ; next = lines.next()) {
      if (next.done) {
        status.lines = next.value.lines;
        status.decompressed_bytes = next.value.decompressedBytes;
        break;
      }
      const line = next.value;
      if ("tooLong" in line) {
        reject(tooLongRejection(line.line, line.bytes, limits.maxLineBytes));
        continue;
      }
      // Most lines take the fast path; the rest are accepted or rejected by validateLine.
      if (scanner.scan(line.bytes, line.start, line.end)) {
        status.accepted++;
        addFlatReport(day, scanner.report);
        continue;
      }
      const text = lineText(line);
      if (text === undefined) {
        notUtf8++;
        notJsonLine(line);
        reject(notUtf8Rejection(line.line));
        continue;
      }
      const result = validateLine(text, line.line, policy);
      if (!result.ok) {
        if (result.rejection.reason === "not-json") notJsonLine(line);
        reject(result.rejection);
        continue;
      }
      status.accepted++;
      addReport(day, result.report);
    }
    const rejected = Object.values(status.rejected).reduce((sum, n) => sum + (n ?? 0), 0);
    if (notJson > 0 && status.accepted === 0 && notJson === rejected) {
      throw new DecodeError(
        input.source,
        `not a file of reports: none of its ${notJson} lines is ${notUtf8 === notJson ? "UTF-8 text" : "a JSON object"} (${firstNotJson})`,
      );
    }
  } catch (error) {
    if (!(error instanceof DecodeError)) throw error;
    // Its lines cannot be trusted, so the lines read before the failure are not counted,
    // accepted or rejected.
    return {
      status: { ...dayStatus(input.date, input.source, "failed", input.bytes.length), error: error.message },
      aggregate: null,
      summary: null,
    };
  }
  const aggregate = finishDay(day);
  status.reports = aggregate.xs.length;
  const result = {
    status,
    aggregate: serializeDay(aggregate, allocate),
    summary: serializeSummary(summarizeDay(aggregate, plan), allocate),
  };
  recycleDay(day); // the aggregate's lists are views of the day's log, now free for the next day
  return result;
}
