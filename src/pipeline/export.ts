// The export step: chart rows and pages' JSON, written to --out.
// Everything here is deterministic: the same inputs give byte-identical files.

import { lstat, mkdir, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join, resolve, sep } from "node:path";

/** JSON as written to --out: stable key order is the producer's; compact for the site's payloads. */
export function toJson(value: unknown): string {
  return JSON.stringify(value) + "\n";
}

/**
 * Writes a set of files (paths relative to `outDir`) so that `outDir` is
 * replaced as a whole: files go to a sibling staging directory first, which is
 * then renamed into place. A crash mid-write leaves the previous output intact
 * (plus a stale staging directory that the next run removes); a crash between
 * the two renames leaves it moved aside, and recoverOutputDir puts it back.
 */
export async function writeOutputDir(outDir: string, files: Map<string, string>): Promise<void> {
  const target = resolve(outDir);
  const staging = `${target}.staging`;
  const previous = `${target}.previous`;
  await recoverOutputDir(outDir);
  await rm(staging, { recursive: true, force: true });
  await rm(previous, { recursive: true, force: true });
  const paths = [...files.keys()].map((relative) => {
    const path = resolve(staging, relative);
    if (!path.startsWith(staging + sep)) {
      throw new Error(`refusing to write ${JSON.stringify(relative)} outside ${outDir}`);
    }
    return [path, files.get(relative)!] as const;
  });
  for (const dir of new Set(paths.map(([path]) => dirname(path)))) await mkdir(dir, { recursive: true });
  // Independent files: written several at a time (the run mostly waits for the disk here).
  for (let i = 0; i < paths.length; i += 16) {
    await Promise.all(paths.slice(i, i + 16).map(([path, content]) => writeFile(path, content)));
  }
  await mkdir(dirname(target), { recursive: true });
  await rename(target, previous).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== "ENOENT") throw error;
  });
  await rename(staging, target);
  await rm(previous, { recursive: true, force: true });
}

/**
 * Puts the previous output back when a run was killed after moving it aside
 * and before renaming the new one into place: `outDir` is missing and
 * `outDir.previous` holds the last complete output.
 */
export async function recoverOutputDir(outDir: string): Promise<void> {
  const target = resolve(outDir);
  const exists = (path: string) =>
    lstat(path).then(
      () => true,
      (error: NodeJS.ErrnoException) => {
        if (error.code === "ENOENT") return false;
        throw error;
      },
    );
  if (!(await exists(target)) && (await exists(`${target}.previous`))) {
    await rename(`${target}.previous`, target);
  }
}

/** The path of a chart's files, relative to --out. */
export function chartFiles(id: string): { csv: string; json: string } {
  return { csv: join("charts", `${id}.csv`), json: join("charts", `${id}.json`) };
}
