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
    // Each owns its whole buffer (the serialisers allocate it): transfer them, not copies.
    const transfer = [result.aggregate, result.summary].flatMap((bytes) =>
      bytes ? [bytes.buffer as ArrayBuffer] : [],
    );
    parentPort?.postMessage({ id: request.id, result }, transfer);
  } catch (error) {
    parentPort?.postMessage({ id: request.id, error: String((error as Error)?.stack ?? error) });
  }
});
