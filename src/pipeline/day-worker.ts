// Worker thread for processDay: the plan is built once per worker from plain
// data; each message is one day, whose bytes the main thread has put in this worker's
// shared input buffer (see DayMessage).

import { parentPort, workerData } from "node:worker_threads";
import { buildPlan, type PlannedChart } from "./aggregate.ts";
import { processDay, type DayLimits } from "./day.ts";
import type { UploadConfig } from "./types.ts";
import { compileUploadConfig } from "./uploadconfig.ts";

export interface DayWorkerData {
  charts: PlannedChart[];
  /** The upload config when it restricts reports; null when derived. */
  uploadConfig: UploadConfig | null;
  limits: DayLimits;
}

export interface DayRequest {
  date: string;
  source: string;
  bytes: Uint8Array;
}

/**
 * One day for a worker: its bytes are the first `length` of the worker's input buffer,
 * a SharedArrayBuffer the main thread fills before each message and replaces (`input`)
 * when a day does not fit. A buffer moved to the worker by transfer instead became the
 * worker's garbage after the day: it outlived the young generation while the day was
 * aggregated, so it was freed only by the worker's rare full collections. With two
 * workers, 30-40 MB of day files waited so by the end of a year (measured).
 */
export interface DayMessage {
  id: number;
  date: string;
  source: string;
  length: number;
  input?: SharedArrayBuffer;
}

const data = workerData as DayWorkerData;
const plan = buildPlan(data.charts);
const policy = {
  uploadConfig: data.uploadConfig ? compileUploadConfig(data.uploadConfig, true) : null,
};

let shared: Uint8Array<ArrayBufferLike> = new Uint8Array(0);
// The day is copied out of the shared buffer into one of this worker's own, reused: code
// such as TextDecoder refuses views of shared memory, and the copy is a memcpy.
let own = new Uint8Array(0);

parentPort?.on("message", (request: DayMessage) => {
  try {
    if (request.input) shared = new Uint8Array(request.input);
    if (own.length < request.length) own = new Uint8Array(shared.length);
    const bytes = own.subarray(0, request.length);
    bytes.set(shared.subarray(0, request.length));
    const result = processDay(
      { date: request.date, source: request.source, bytes },
      plan,
      policy,
      data.limits,
    );
    // Copied, not transferred: a transfer detaches the buffer, and the first detached buffer
    // makes V8 check for detachment on every typed-array access of this thread from then on
    // (decoding and aggregating are typed-array code). Copying 300 KB a day costs far less.
    parentPort?.postMessage({ id: request.id, result });
  } catch (error) {
    parentPort?.postMessage({ id: request.id, error: String((error as Error)?.stack ?? error) });
  }
});
