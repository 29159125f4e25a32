// The upstream configs (golang.org/x/telemetry's chart config and upload
// config) are read where the workplace keeps them, never copied into this
// project. Set COUNTERSIGHT_UPSTREAM to point elsewhere.
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join, resolve } from "node:path";

const root = resolve(fileURLToPath(new URL("../..", import.meta.url)));

export function upstreamDir(): string {
  const candidates = [
    process.env.COUNTERSIGHT_UPSTREAM,
    resolve(root, "../shared/upstream"),
    "/work/shared/upstream",
  ].filter((dir): dir is string => Boolean(dir));
  const found = candidates.find((dir) => existsSync(join(dir, "chartconfig.txt")));
  if (!found) {
    throw new Error(
      `upstream configs not found (looked in ${candidates.join(", ")}); set COUNTERSIGHT_UPSTREAM to the directory holding chartconfig.txt and uploadconfig.json`,
    );
  }
  return found;
}

export function readUpstream(name: "chartconfig.txt" | "uploadconfig.json"): string {
  return readFileSync(join(upstreamDir(), name), "utf8");
}
