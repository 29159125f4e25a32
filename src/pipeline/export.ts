// The export step: chart rows and pages' JSON, written to --out.
// Everything here is deterministic: the same inputs give byte-identical files.

import {
  lstat,
  mkdir,
  open,
  readdir,
  readFile,
  realpath,
  rename,
  rm,
  stat,
  writeFile,
} from "node:fs/promises";
import { basename, dirname, isAbsolute, join, relative as relativePath, resolve, sep } from "node:path";
import { isRunning } from "./cache.ts";

/** JSON as written to --out: stable key order is the producer's; compact for the site's payloads. */
export function toJson(value: unknown): string {
  return JSON.stringify(value) + "\n";
}

/** Files being written to a staging directory, then put in place of `outDir` as a whole. */
export interface OutputDir {
  /**
   * Writes one file (a path relative to `outDir`); several may be in flight at once. Content
   * given in parts is written as their concatenation, part by part (all.csv is megabytes:
   * joined, it and its UTF-8 bytes were both held at the end of the run).
   */
  write(relative: string, content: string | readonly string[]): Promise<void>;
  /** Waits for every write, then replaces `outDir` with the staging directory. */
  commit(): Promise<void>;
}

/** Writes in flight at most: the run mostly waits for the disk here. */
const WRITES_IN_FLIGHT = 16;

/**
 * Starts replacing `outDir` as a whole: files go to a sibling staging directory first,
 * which commit() renames into place. Files are written as they are made, so that a run
 * does not hold all of them at once (5-6 MB of text for a year). A crash mid-write
 * leaves the previous output intact (plus a stale staging directory that the next run
 * removes); a crash between the two renames leaves it moved aside, and
 * recoverOutputDir puts it back.
 */
export async function openOutputDir(outDir: string): Promise<OutputDir> {
  const target = resolve(outDir);
  const staging = `${target}.staging`;
  const previous = `${target}.previous`;
  await recoverOutputDir(outDir);
  await rm(staging, { recursive: true, force: true });
  await rm(previous, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  // Each directory is made once; the writes into it wait for that.
  const dirs = new Map<string, Promise<unknown>>([[staging, Promise.resolve()]]);
  const inFlight = new Set<Promise<void>>();
  let failure: unknown;
  const written = async (path: string, content: string | readonly string[]) => {
    const dir = dirname(path);
    let made = dirs.get(dir);
    if (!made) dirs.set(dir, (made = mkdir(dir, { recursive: true })));
    await made;
    if (typeof content === "string") return writeFile(path, content);
    const file = await open(path, "w");
    try {
      for (const part of content) await file.writeFile(part);
    } finally {
      await file.close();
    }
  };
  return {
    async write(relative, content) {
      const path = resolve(staging, relative);
      if (!path.startsWith(staging + sep)) {
        throw new Error(`refusing to write ${JSON.stringify(relative)} outside ${outDir}`);
      }
      if (failure) throw failure;
      while (inFlight.size >= WRITES_IN_FLIGHT) await Promise.race(inFlight);
      const write = written(path, content).then(
        () => void inFlight.delete(write),
        (error: unknown) => {
          inFlight.delete(write);
          failure ??= error;
        },
      );
      inFlight.add(write);
    },
    async commit() {
      await Promise.all(inFlight);
      if (failure) throw failure;
      await mkdir(dirname(target), { recursive: true });
      await rename(target, previous).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== "ENOENT") throw error;
      });
      await rename(staging, target);
      await rm(previous, { recursive: true, force: true });
    },
  };
}

/** Writes a set of files (paths relative to `outDir`) in place of `outDir`, as openOutputDir does. */
export async function writeOutputDir(outDir: string, files: Map<string, string>): Promise<void> {
  const out = await openOutputDir(outDir);
  for (const [relative, content] of files) await out.write(relative, content);
  await out.commit();
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

/** Another run holds the lock of the output directory. */
export class OutputDirLocked extends Error {}

/**
 * Takes the lock of `outDir` (the file `outDir.lock`, holding the process id) for as long
 * as a run may write it: two runs on one --out would remove each other's staging directory
 * and commit an incomplete one. A lock whose process is gone (a killed run) is taken over.
 * Returns the release.
 */
export async function lockOutputDir(outDir: string): Promise<() => Promise<void>> {
  const target = resolve(outDir);
  const lock = `${target}.lock`;
  await mkdir(dirname(target), { recursive: true });
  // Long enough for an empty lock to age into a stale one, and a takeover to end.
  const deadline = Date.now() + 3 * LOCK_WRITE_MS;
  while (Date.now() < deadline) {
    try {
      const file = await open(lock, "wx");
      try {
        await file.writeFile(`${process.pid}\n`);
      } finally {
        await file.close();
      }
      heldLocks.add(lock);
      return async () => {
        heldLocks.delete(lock);
        await rm(lock, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const seen = await lockState(lock);
    if (seen.kind === "held") {
      throw new OutputDirLocked(
        `--out ${outDir} is being written by another run (process ${seen.pid}); ` +
          `if no run is going on, delete ${lock}`,
      );
    }
    if (seen.kind === "foreign") {
      throw new OutputDirLocked(
        `--out ${outDir}: ${lock} exists and is not a lock of a run (it is kept); give another --out`,
      );
    }
    if (seen.kind === "stale") await takeOver(lock, seen.text);
    else await new Promise((wake) => setTimeout(wake, 50)); // gone or being written: try again
  }
  throw new OutputDirLocked(`--out ${outDir}: cannot take the lock ${lock}`);
}

type LockState =
  | { kind: "gone" | "young" }
  | { kind: "held"; pid: number }
  /** A killed run's: its process is gone, or it was left empty long ago. */
  | { kind: "stale"; text: string }
  | { kind: "foreign" };

async function lockState(lock: string): Promise<LockState> {
  let text: string;
  let age: number;
  try {
    text = await readFile(lock, "utf8");
    age = Date.now() - (await stat(lock)).mtimeMs;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { kind: "gone" };
    throw error;
  }
  if (text === "") return age > LOCK_WRITE_MS ? { kind: "stale", text } : { kind: "young" };
  if (!/^\d+\n$/.test(text)) return { kind: "foreign" };
  const pid = Number(text);
  // Our own process id is a run of this process, or of an earlier life of the id (a
  // container restarted): only the former holds it.
  const alive = pid === process.pid ? heldLocks.has(lock) : isRunning(pid);
  return alive ? { kind: "held", pid } : { kind: "stale", text };
}

/** How long a run may take between creating its lock and writing its id into it. */
const LOCK_WRITE_MS = 2_000;

/**
 * Removes a stale lock if it is still the one seen. Takeovers go one at a time, through
 * `<lock>.takeover`: two runs that both saw it stale must not remove it twice, the second
 * time the lock the first one has just made.
 */
async function takeOver(lock: string, seen: string): Promise<void> {
  const guard = `${lock}.takeover`;
  try {
    await (await open(guard, "wx")).close();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    // Another run's takeover, or one a kill left behind.
    const age = await stat(guard).then(
      (stats) => Date.now() - stats.mtimeMs,
      () => 0,
    );
    if (age > 10 * LOCK_WRITE_MS) await rm(guard, { force: true });
    else await new Promise((wake) => setTimeout(wake, 50));
    return;
  }
  try {
    const now = await readFile(lock, "utf8").catch(() => undefined);
    if (now === seen) await rm(lock, { force: true });
  } finally {
    await rm(guard, { force: true });
  }
}

/** The locks this process holds. */
const heldLocks = new Set<string>();

/** What a run writes at the top of --out: a file, or a directory of .csv and .json files. */
export const OUTPUT_FILES = ["index.json", "all.csv", "days.json", "participation.json", "config.json"];
export const OUTPUT_DIRS = ["charts"];

/**
 * Why `outDir` must not be replaced, if it must not: a run replaces --out as a whole, so it
 * refuses an --out that is or holds one of `keep` (the source directory, the cache, the
 * configs), and an existing --out holding anything a run does not write (a previous
 * output, or an empty directory, is fine). `keep` maps a path to what it is.
 */
export async function outputDirProblem(
  outDir: string,
  keep: ReadonlyMap<string, string>,
): Promise<string | undefined> {
  // Real paths, also of paths not made yet: the deepest existing ancestor's, then the rest.
  const real = async (path: string): Promise<string> => {
    const absolute = resolve(path);
    const parent = dirname(absolute);
    const found = await realpath(absolute).catch(() => undefined);
    if (found !== undefined) return found;
    return parent === absolute ? absolute : join(await real(parent), basename(absolute));
  };
  // --out itself is renamed and replaced, not followed: a symbolic link there is replaced as
  // a link, and what it points to is left alone.
  const absoluteOut = resolve(outDir);
  const target = join(await real(dirname(absoluteOut)), basename(absoluteOut));
  for (const [path, what] of keep) {
    const kept = await real(path);
    const from = relativePath(target, kept);
    const outside = from === ".." || from.startsWith(`..${sep}`) || isAbsolute(from);
    if (!outside) {
      return `--out ${outDir} would replace ${what} ${path}: --out is replaced as a whole, so give it a directory of its own`;
    }
  }
  const info = await lstat(target).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return undefined;
    throw error;
  });
  if (!info || info.isSymbolicLink()) return undefined;
  if (!info.isDirectory()) return `--out ${outDir} is not a directory`;
  const strangers: string[] = [];
  for (const entry of await readdir(target, { withFileTypes: true })) {
    if (entry.isFile() && (OUTPUT_FILES.includes(entry.name) || leftByFileManager(entry.name))) continue;
    if (entry.isDirectory() && OUTPUT_DIRS.includes(entry.name)) {
      const inner = await readdir(join(target, entry.name), { withFileTypes: true });
      const odd = inner.filter(
        (file) => !file.isFile() || !(/\.(csv|json)$/.test(file.name) || leftByFileManager(file.name)),
      );
      strangers.push(...odd.map((file) => join(entry.name, file.name)));
      continue;
    }
    strangers.push(entry.name);
  }
  if (strangers.length === 0) return undefined;
  strangers.sort();
  const listed =
    strangers.slice(0, 3).join(", ") + (strangers.length > 3 ? `, … (${strangers.length} in all)` : "");
  return (
    `--out ${outDir} holds files a run does not write (${listed}); --out is replaced as a whole, ` +
    `so give it an empty or new directory, or a previous output`
  );
}

/** What a file manager leaves behind may be replaced; anything else of the reader's, a .git say, may not. */
function leftByFileManager(name: string): boolean {
  return name === ".DS_Store";
}

/** The path of a chart's files, relative to --out. */
export function chartFiles(id: string): { csv: string; json: string } {
  return { csv: join("charts", `${id}.csv`), json: join("charts", `${id}.json`) };
}
