// The cache directory (`--cache`): downloaded day files, and per-day aggregates
// keyed by what they were computed from. Nothing read back is trusted: every
// entry carries a checksum of its bytes (sha256 for downloads; CRC-32 for
// aggregates, which only guards against damage on disk and is read several
// times per run, so it must be cheap), and an entry that fails the check is
// deleted and reported as absent, so the caller downloads or recomputes it.
//
//   raw/<date>.bin         a day's file, as downloaded
//   raw/<date>.json        its metadata (RawMeta); written last, so it commits the entry
//   packs/*.pack           the day entries, sixteen to a file (packs.ts):
//                            aggregates: a day's aggregate (its report sets)
//                            summaries:  a day's summary (counts only), with its status
//   series/<key>.bin       what repeated reports were counted for, from the last run
//   sources/<key>.bin      the hashes of a source directory's files (file-hashes.ts)
// Each entry is a header line {"crc32","length"} and then the payload. Caches made before
// packs kept the day entries as aggregates/<key>.bin and summaries/<key>.bin; those are
// still read (their keys are the same), and new ones go into packs.
//
// Paths are built only from validated dates and hex keys, so no string taken
// from data can make the cache read or write outside its directory.

import { createHash, randomUUID } from "node:crypto";
import { closeSync, fstatSync, readdirSync, readFileSync, readSync, rmSync } from "node:fs";
import { mkdir, open, readdir, rename, rm, stat } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { crc32 } from "node:zlib";
import { alignedLine } from "./framed.ts";
import { checkedEntry, openIfExists, PackStore, type PackLocation } from "./packs.ts";

export interface RawMeta {
  url: string;
  etag?: string;
  lastModified?: string;
  /** sha256 (hex) of the .bin file. */
  sha256: string;
  /** Length of the .bin file. */
  bytes: number;
  /** ISO timestamp of the download. */
  fetchedAt: string;
}

export interface Cache {
  /** Absolute path of the cache directory. */
  dir: string;
  /**
   * A day's downloaded file and its metadata, or undefined when absent, failing its check or
   * over maxBytes (then removed, as when failing its check).
   */
  readRaw(date: string, maxBytes?: number): Promise<{ bytes: Uint8Array; meta: RawMeta } | undefined>;
  writeRaw(
    date: string,
    bytes: Uint8Array,
    source: { url: string; etag?: string; lastModified?: string; fetchedAt?: Date },
  ): Promise<RawMeta>;
  /** Forgets a day's download, so that the next run fetches it whole instead of revalidating it. */
  removeRaw(date: string): Promise<void>;
  /** A computed entry's payload, or undefined when absent or failing its check. */
  readEntry(kind: EntryKind, key: string): Promise<Uint8Array | undefined>;
  /**
   * `use` applied to an entry's payload, read into a buffer the cache reuses, or undefined
   * when the entry is absent or fails its check. For entries wanted only for a moment (a
   * day's aggregate, read back for a few of its reports): reading hundreds of them leaves
   * no garbage. The payload is valid only during `use`, which must not call useEntry.
   */
  useEntry<T>(kind: EntryKind, key: string, use: (payload: Uint8Array) => T): T | undefined;
  /**
   * Writes an entry; a payload given in parts is stored as their concatenation. Readable
   * once this resolves; a day entry is on disk for the next run once flush() has resolved.
   */
  writeEntry(kind: EntryKind, key: string, payload: Uint8Array | readonly Uint8Array[]): Promise<void>;
  /** Commits the day entries written so far (see packs.ts); throws if a pack could not be written. */
  flush(): Promise<void>;
  /** The keys of the entries of a kind of day entry held (for checks and tests). */
  keys(kind: PackedKind): string[];
}

/** The kinds of computed entries, each in its own directory. */
export const ENTRY_KINDS = ["aggregates", "summaries", "series", "sources"] as const;
export type EntryKind = (typeof ENTRY_KINDS)[number];

/** The day entries, written by the hundred in a cold run: kept in packs. */
export const PACKED_KINDS = ["aggregates", "summaries"] as const;
export type PackedKind = (typeof PACKED_KINDS)[number];
const isPacked = (kind: EntryKind): kind is PackedKind => (PACKED_KINDS as readonly string[]).includes(kind);

export function sha256(data: Uint8Array | string): string {
  return createHash("sha256").update(data).digest("hex");
}

/**
 * Key of a day's aggregate: it changes whenever the day's date, content, the config
 * or the aggregation code changes. The date is a part because an aggregate is the
 * day's (its windows are placed by it): two days with the same bytes (two empty
 * files, a file renamed to another date) have aggregates of their own. The parts
 * are joined with a newline so that different parts cannot run together.
 */
export function aggregateKey(
  date: string,
  contentHash: string,
  configHash: string,
  codeVersion: string,
): string {
  return sha256(`${date}\n${contentHash}\n${configHash}\n${codeVersion}`);
}

const TEMP_MARKER = ".tmp-";

/**
 * Replaces `path` with `data` all at once: readers see the old file or the new
 * one, never a part. Writes a uniquely named temp file beside the target and
 * renames it over the target; the temp file is removed on failure.
 *
 * No fsync: a rename is atomic for readers whatever is on disk, and every entry
 * carries a checksum that is checked on each read, so a file that a power cut
 * left empty or short is found out and computed again, never used. Syncing each
 * of the two entries a day writes made a cold run wait on the disk (about 0.15 s
 * of 365 days).
 */
export async function atomicWrite(
  path: string,
  data: Uint8Array | string | readonly Uint8Array[],
): Promise<void> {
  // randomUUID draws from a buffered pool of random bytes: far cheaper than randomBytes per write.
  const temp = `${path}${TEMP_MARKER}${process.pid}-${randomUUID().slice(-12)}`;
  try {
    const file = await open(temp, "wx").catch(async (error: NodeJS.ErrnoException) => {
      // The directory is made by openCache; it is made again only if it went away.
      if (error.code !== "ENOENT") throw error;
      await mkdir(dirname(path), { recursive: true });
      return open(temp, "wx");
    });
    try {
      // writeFile on a handle writes from the current position, and all of it.
      if (Array.isArray(data)) for (const part of data as readonly Uint8Array[]) await file.writeFile(part);
      else await file.writeFile(data as Uint8Array | string);
    } finally {
      await file.close();
    }
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const KEY = /^[0-9a-f]{64}$/;

function assertDate(date: string): void {
  if (!DATE.test(date)) throw new Error(`cache: ${JSON.stringify(date)} is not a YYYY-MM-DD date`);
}

function assertKey(key: string): void {
  if (!KEY.test(key)) throw new Error(`cache: ${JSON.stringify(key)} is not a sha256 hex key`);
}

/** Opens (creating if needed) the cache at `dir`, and removes temp files left by killed writers. */
export async function openCache(dir: string): Promise<Cache> {
  const root = resolve(dir);
  const rawDir = join(root, "raw");
  for (const sub of ["raw", ...ENTRY_KINDS, "packs"]) {
    await mkdir(join(root, sub), { recursive: true });
    await removeStaleTemps(join(root, sub));
  }
  const packs = await PackStore.open(join(root, "packs"), PACKED_KINDS);
  // Day entries of a cache made before packs, if any: looked for only where there are some.
  const legacy = new Map<EntryKind, boolean>();
  for (const kind of PACKED_KINDS)
    legacy.set(
      kind,
      (await readdir(join(root, kind))).some((name) => name.endsWith(".bin")),
    );
  /** A packed entry's payload, read into `buffer` when large enough; undefined (and the entry forgotten) when it fails its check. */
  const readPacked = (location: PackLocation, kind: EntryKind, key: string, buffer?: Uint8Array) => {
    const read = packs.read(location, buffer);
    const payload = read && checkedEntry(read.bytes, kind, key);
    if (!read || !payload) {
      packs.damaged(location, kind, key);
      return undefined;
    }
    return { payload, buffer: read.buffer };
  };

  const rawPaths = (date: string) => {
    assertDate(date);
    return { bin: join(rawDir, `${date}.bin`), meta: join(rawDir, `${date}.json`) };
  };
  const entryPath = (kind: EntryKind, key: string) => {
    if (!ENTRY_KINDS.includes(kind)) throw new Error(`cache: ${JSON.stringify(kind)} is not an entry kind`);
    assertKey(key);
    return join(root, kind, `${key}.bin`);
  };

  // useEntry's buffer: as large as the largest entry it has read.
  let scratch: Uint8Array = new Uint8Array(0);
  let scratchInUse = false;

  return {
    dir: root,

    async readRaw(date, maxBytes = Infinity) {
      const paths = rawPaths(date);
      const forget = async () => {
        await Promise.all([rm(paths.meta, { force: true }), rm(paths.bin, { force: true })]);
        return undefined;
      };
      const metaText = await readIfExists(paths.meta);
      const meta = metaText === undefined ? undefined : parseRawMeta(metaText);
      // The size is checked before the bytes are read: a copy over the limit (kept by a
      // version with a higher one) or a bin that is not the size its metadata says is not
      // read into memory at all.
      const size = await stat(paths.bin).then(
        (stats) => stats.size,
        () => undefined,
      );
      if (metaText === undefined && size === undefined) return undefined;
      if (meta === undefined || size !== meta.bytes || size > maxBytes) return forget();
      const bytes = await readIfExists(paths.bin);
      if (bytes === undefined || meta.bytes !== bytes.byteLength || meta.sha256 !== sha256(bytes))
        return forget();
      return { bytes, meta };
    },

    async writeRaw(date, bytes, source) {
      const paths = rawPaths(date);
      const meta: RawMeta = {
        url: source.url,
        ...(source.etag !== undefined && { etag: source.etag }),
        ...(source.lastModified !== undefined && { lastModified: source.lastModified }),
        sha256: sha256(bytes),
        bytes: bytes.byteLength,
        fetchedAt: (source.fetchedAt ?? new Date()).toISOString(),
      };
      // Uncommit the old entry first, so a crash between the two writes
      // leaves no metadata describing the wrong bytes.
      await rm(paths.meta, { force: true });
      await atomicWrite(paths.bin, bytes);
      await atomicWrite(paths.meta, JSON.stringify(meta) + "\n");
      return meta;
    },

    async removeRaw(date) {
      const paths = rawPaths(date);
      // Metadata first: it commits the entry.
      await rm(paths.meta, { force: true });
      await rm(paths.bin, { force: true });
    },

    async readEntry(kind, key) {
      const path = entryPath(kind, key);
      if (isPacked(kind)) {
        const location = packs.get(kind, key);
        if (location) return readPacked(location, kind, key)?.payload;
        if (!legacy.get(kind)) return undefined;
      }
      const file = await readIfExists(path);
      if (file === undefined) return undefined;
      const payload = checkedEntry(file);
      if (payload === undefined) await rm(path, { force: true });
      return payload;
    },

    useEntry(kind, key, use) {
      if (scratchInUse) throw new Error("cache: useEntry called from its own callback");
      const path = entryPath(kind, key);
      let payload: Uint8Array | undefined;
      const location = isPacked(kind) ? packs.get(kind, key) : undefined;
      if (location) {
        const read = readPacked(location, kind, key, scratch);
        if (!read) return undefined;
        scratch = read.buffer;
        payload = read.payload;
      } else {
        if (isPacked(kind) && !legacy.get(kind)) return undefined;
        const file = readInto(path, scratch);
        if (file === undefined) return undefined;
        scratch = file.buffer;
        payload = checkedEntry(file.bytes);
        if (payload === undefined) {
          rmSync(path, { force: true });
          return undefined;
        }
      }
      scratchInUse = true;
      try {
        return use(payload);
      } finally {
        scratchInUse = false;
      }
    },

    async writeEntry(kind, key, payload) {
      const path = entryPath(kind, key);
      // Parts are written one after the other, never copied into one buffer (a series state is megabytes).
      const parts = Array.isArray(payload) ? payload : [payload];
      let checksum = 0;
      let length = 0;
      for (const part of parts) {
        checksum = crc32(part, checksum);
        length += part.byteLength;
      }
      // Padded so that the payload starts on an 8-byte boundary of the file read back.
      if (isPacked(kind)) {
        // The kind and key too: a pack's entry is trusted only under the name it was written as.
        const header = alignedLine(JSON.stringify({ crc32: checksum, length, kind, key }));
        await packs.write(kind, key, [header, ...parts]);
        return;
      }
      const header = alignedLine(JSON.stringify({ crc32: checksum, length }));
      await atomicWrite(path, [header, ...parts]);
    },

    flush: () => packs.flush(),

    keys(kind) {
      const files = readdirSync(join(root, kind))
        .filter((name) => KEY.test(name.slice(0, -4)) && name.endsWith(".bin"))
        .map((name) => name.slice(0, -4));
      return [...new Set([...packs.keys(kind), ...files])];
    },
  };
}

/**
 * The file's bytes, or undefined when there is none. Read synchronously: cache entries
 * are small local files, hundreds of them are read one after another by the series, and a
 * promise-based read costs several thread-pool round trips each (about 0.1 s of waiting
 * over a cold year). The bytes are the read buffer itself, not a copy.
 */
async function readIfExists(path: string): Promise<Uint8Array | undefined> {
  try {
    const bytes = readFileSync(path);
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

/**
 * The file's bytes, read into `buffer` (or a larger one when it is too small), or undefined
 * when there is no file. A file replaced meanwhile is read whole as it was: renames swap
 * files, they do not change the one open here.
 */
function readInto(path: string, buffer: Uint8Array): { bytes: Uint8Array; buffer: Uint8Array } | undefined {
  const fd = openIfExists(path);
  if (fd === undefined) return undefined;
  try {
    const size = fstatSync(fd).size;
    if (size > buffer.length) buffer = new Uint8Array(Math.max(size, 2 * buffer.length));
    let length = 0;
    while (length < size) {
      const read = readSync(fd, buffer, length, size - length, null);
      if (read === 0) break;
      length += read;
    }
    return { bytes: buffer.subarray(0, length), buffer };
  } finally {
    closeSync(fd);
  }
}

function parseRawMeta(bytes: Uint8Array): RawMeta | undefined {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null) return undefined;
  const meta = value as Record<string, unknown>;
  const optionalString = (field: unknown) => field === undefined || typeof field === "string";
  if (
    typeof meta.url !== "string" ||
    typeof meta.sha256 !== "string" ||
    !KEY.test(meta.sha256) ||
    typeof meta.bytes !== "number" ||
    !Number.isSafeInteger(meta.bytes) ||
    meta.bytes < 0 ||
    typeof meta.fetchedAt !== "string" ||
    !optionalString(meta.etag) ||
    !optionalString(meta.lastModified)
  ) {
    return undefined;
  }
  return value as RawMeta;
}

// No single write takes this long; an older temp file is left over even if its
// pid now belongs to a live process (pids are reused, in containers especially).
const STALE_TEMP_MS = 60 * 60 * 1000;

/**
 * Removes `*.tmp-<pid>-*` files left by killed writers: those whose writer is
 * no longer running, or that are over an hour old. Temp files of a live
 * writer (another run sharing the cache) are left alone.
 */
async function removeStaleTemps(dir: string): Promise<void> {
  for (const name of await readdir(dir)) {
    const index = name.lastIndexOf(TEMP_MARKER);
    if (index < 0) continue;
    const path = join(dir, name);
    const pid = Number(name.slice(index + TEMP_MARKER.length).split("-")[0]);
    if (Number.isInteger(pid) && pid > 0 && isRunning(pid)) {
      const modified = await stat(path).then(
        (info) => info.mtimeMs,
        () => Date.now(),
      );
      if (Date.now() - modified < STALE_TEMP_MS) continue;
    }
    await rm(path, { force: true });
  }
}

/** Whether a process of this id exists (ours or another user's). */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
