// Worker thread for processDay: the plan is built once per worker from plain
// data; each message is one day's bytes (transferred, not copied).

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
  id: number;
  date: string;
  source: string;
  bytes: Uint8Array;
}

const data = workerData as DayWorkerData;
const plan = buildPlan(data.charts);
const policy = {
  uploadConfig: data.uploadConfig ? compileUploadConfig(data.uploadConfig, true) : null,
};

parentPort?.on("message", (request: DayRequest) => {
  try {
    const result = processDay(request, plan, policy, data.limits);
    // Copied, not transferred: a transfer detaches the buffer, and the first detached buffer
    // makes V8 check for detachment on every typed-array access of this thread from then on
    // (decoding and aggregating are typed-array code). Copying 300 KB a day costs far less.
    parentPort?.postMessage({ id: request.id, result });
  } catch (error) {
    parentPort?.postMessage({ id: request.id, error: String((error as Error)?.stack ?? error) });
  }
});
