// Packs: the per-day cache entries (day aggregates and summaries) kept many to a file.
//
// A cold year writes two entries a day, and creating a file costs the filesystem of the
// machine the benchmarks ran on 0.9 ms of kernel time whatever its size: 730 files slowed
// the days phase by 0.3-0.8 s a year, where appending the same bytes to one file cost
// nothing that could be told from not writing them (BENCHMARKS.md, seventh round). So these
// entries are appended to a pack of at most PACK_ENTRIES of them, written under a temp name
// and renamed once complete, as every cache file is: a pack is there whole or not at all.
// A run killed mid-pack loses at most that pack's days, which the next run aggregates again.
//
//   packs/<time>-<sequence>-<pid>-<random>.pack
//     entries, each at an 8-byte boundary: a header line {"crc32","length","kind","key"}
//       padded to 8 bytes, then the payload (the cache's entry format, plus kind and key)
//     the index: JSON [[kind, key, offset, length], …], length counting header and payload
//     a trailer line of TRAILER_BYTES: {"index","length","crc32"} of the index, space-padded
//
// Packs are named so that they sort in the order they were made, and an entry of a later
// pack replaces one with the same kind and key in an earlier. An entry is trusted only if
// its checksum holds and its header names the kind and key asked for; a damaged entry is
// forgotten, and its pack rewritten without it at the next flush.

import { randomUUID } from "node:crypto";
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { mkdir, open, readdir, rename, rm, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { crc32 } from "node:zlib";

/** Entries a pack holds at most: 8 days of a cold run, so a kill loses at most 8 days' work. */
export const PACK_ENTRIES = 16;

/**
 * Packs of at most half that many entries that are let be before they are merged: a daily
 * rebuild adds one pack of two entries a day, and each run reads every pack's index.
 */
export const MAX_SMALL_PACKS = 32;

const TRAILER_BYTES = 64;
const PACK_SUFFIX = ".pack";
// Temp packs are named as cache.ts's atomicWrite names its temp files, so that openCache's
// sweep of a killed writer's temp files removes them too.
const TEMP_MARKER = ".tmp-";
const KEY = /^[0-9a-f]{64}$/;

type IndexEntry = [kind: string, key: string, offset: number, length: number];

class Pack {
  /** Its final path once committed, its temp path while written. */
  file: string;
  /** While written: the descriptor it is written (and read) through. */
  fd: number | undefined;
  /** Its entries written so far (or all of them, for a pack read from disk). */
  readonly entries: IndexEntry[];
  /** Gone: its entries can no longer be read. */
  dead = false;
  // While written:
  readonly path: string;
  handle: Promise<FileHandle> | undefined;
  length = 0;
  reserved = 0;
  writing = 0;
  committing = false;

  constructor(file: string, path: string, entries: IndexEntry[] = []) {
    this.file = file;
    this.path = path;
    this.entries = entries;
  }
}

/** Where an entry is: `length` bytes at `offset` of its pack. */
export interface PackLocation {
  pack: Pack;
  offset: number;
  length: number;
}

const idOf = (kind: string, key: string) => `${kind}/${key}`;
const aligned = (n: number) => Math.ceil(n / 8) * 8;

let sequence = 0;

export class PackStore {
  private readonly dir: string;
  private readonly index = new Map<string, PackLocation>();
  private current: Pack | undefined;
  private readonly commits = new Set<Promise<void>>();
  private readonly writes = new Set<Promise<void>>();
  private readonly damagedPacks = new Set<Pack>();
  /** The packs on disk that this store knows of. */
  private readonly committed = new Set<Pack>();
  private failure: unknown;

  private constructor(dir: string) {
    this.dir = dir;
  }

  /**
   * The packs of `dir` (made if missing), indexed; a pack whose trailer or index fails its
   * check is removed. Temp packs are left to the cache's sweep of stale temp files.
   */
  static async open(dir: string, kinds: readonly string[]): Promise<PackStore> {
    await mkdir(dir, { recursive: true });
    const store = new PackStore(dir);
    const names = (await readdir(dir)).filter((name) => name.endsWith(PACK_SUFFIX)).sort();
    for (const name of names) {
      const path = join(dir, name);
      let entries: IndexEntry[] | undefined;
      try {
        entries = readIndex(path, kinds);
      } catch (error) {
        throw new Error(`cache: cannot read ${path}: ${(error as Error).message}`, { cause: error });
      }
      if (entries === undefined) {
        await rm(path, { force: true });
        continue;
      }
      const pack = new Pack(path, path, entries);
      store.committed.add(pack);
      for (const [kind, key, offset, length] of entries)
        store.index.set(idOf(kind, key), { pack, offset, length });
    }
    return store;
  }

  get(kind: string, key: string): PackLocation | undefined {
    return this.index.get(idOf(kind, key));
  }

  /** The keys of `kind` held. */
  keys(kind: string): string[] {
    const prefix = `${kind}/`;
    return [...this.index.keys()].filter((id) => id.startsWith(prefix)).map((id) => id.slice(prefix.length));
  }

  /**
   * The entry's bytes (header line and payload), read into `buffer` when it is large enough
   * (else into a new one); undefined when its pack is gone or holds fewer bytes than that.
   */
  read(location: PackLocation, buffer?: Uint8Array): { bytes: Uint8Array; buffer: Uint8Array } | undefined {
    const { pack, offset, length } = location;
    if (pack.dead) return undefined;
    if (!buffer || buffer.length < length)
      buffer = new Uint8Array(Math.max(length, 2 * (buffer?.length ?? 0)));
    const fd = pack.fd ?? openIfExists(pack.file);
    if (fd === undefined) return undefined;
    try {
      return readFully(fd, buffer, length, offset)
        ? { bytes: buffer.subarray(0, length), buffer }
        : undefined;
    } finally {
      if (fd !== pack.fd) closeSync(fd);
    }
  }

  /** Forgets a damaged entry; its pack is rewritten without it at the next flush. */
  damaged(location: PackLocation, kind: string, key: string): void {
    if (this.index.get(idOf(kind, key)) === location) this.index.delete(idOf(kind, key));
    if (location.pack.fd === undefined && !location.pack.dead) this.damagedPacks.add(location.pack);
  }

  /**
   * Appends an entry (its header line and payload, as parts) to the pack being written;
   * readable once this resolves. A full pack is committed when its last write is done.
   */
  write(kind: string, key: string, parts: readonly Uint8Array[]): Promise<void> {
    const done = this.append(kind, key, parts);
    this.writes.add(done);
    void done.then(
      () => this.writes.delete(done),
      () => this.writes.delete(done),
    );
    return done;
  }

  private async append(kind: string, key: string, parts: readonly Uint8Array[]): Promise<void> {
    this.throwFailure();
    let length = 0;
    for (const part of parts) length += part.byteLength;
    const pack = (this.current ??= this.startPack());
    const offset = pack.length;
    pack.length = aligned(offset + length);
    if (++pack.reserved >= PACK_ENTRIES) this.current = undefined;
    pack.writing++;
    try {
      const handle = await pack.handle!;
      let position = offset;
      for (const part of parts) {
        await writeAll(handle, part, position);
        position += part.byteLength;
      }
      pack.entries.push([kind, key, offset, length]);
      this.index.set(idOf(kind, key), { pack, offset, length });
    } catch (error) {
      if (this.current === pack) this.current = undefined;
      throw error;
    } finally {
      if (--pack.writing === 0 && this.current !== pack) this.commit(pack);
    }
  }

  /**
   * Commits the pack being written and waits for every commit. Then rewrites the entries of
   * the damaged packs, and of the small ones once there are more than MAX_SMALL_PACKS of
   * them, into new packs, and removes those packs. Throws the first failure.
   */
  async flush(): Promise<void> {
    await this.commitCurrent();
    this.throwFailure();
    const small = [...this.committed].filter((pack) => pack.entries.length <= PACK_ENTRIES / 2);
    const rewritten = new Set([...this.damagedPacks, ...(small.length > MAX_SMALL_PACKS ? small : [])]);
    this.damagedPacks.clear();
    if (rewritten.size === 0) return;
    for (const pack of rewritten) {
      for (const [kind, key] of pack.entries) {
        const location = this.index.get(idOf(kind, key));
        if (location?.pack !== pack) continue; // replaced by a later pack
        const read = this.read(location);
        if (read === undefined || checkedEntry(read.bytes, kind, key) === undefined) {
          this.index.delete(idOf(kind, key));
          continue;
        }
        await this.write(kind, key, [read.bytes]);
      }
    }
    await this.commitCurrent();
    this.throwFailure();
    // Only now that their entries are in packs of their own.
    for (const pack of rewritten) {
      this.forget(pack);
      await rm(pack.file, { force: true });
    }
  }

  private async commitCurrent(): Promise<void> {
    const pack = this.current;
    // Writes still in flight commit their pack themselves once it is no longer current.
    this.current = undefined;
    while (this.writes.size > 0) await Promise.allSettled([...this.writes]);
    if (pack && pack.writing === 0) this.commit(pack);
    while (this.commits.size > 0) await Promise.allSettled([...this.commits]);
  }

  private startPack(): Pack {
    const name = `${Date.now().toString(36).padStart(9, "0")}-${(sequence++).toString(36).padStart(4, "0")}-${process.pid}-${randomUUID().slice(-12)}${PACK_SUFFIX}`;
    const path = join(this.dir, name);
    const temp = `${path}${TEMP_MARKER}${process.pid}-${randomUUID().slice(-12)}`;
    const pack = new Pack(temp, path);
    pack.handle = open(temp, "wx+").then((handle) => {
      pack.fd = handle.fd;
      return handle;
    });
    // A failed open fails the writes that await it; this only keeps it from going unhandled.
    pack.handle.catch(() => {});
    return pack;
  }

  /** Writes the pack's index and trailer and renames it into place (in the background). */
  private commit(pack: Pack): void {
    if (pack.committing) return;
    pack.committing = true;
    const done = (async () => {
      let handle: FileHandle;
      try {
        handle = await pack.handle!;
      } catch {
        pack.dead = true;
        return; // the writes reported it
      }
      try {
        if (pack.entries.length > 0) {
          const index = new TextEncoder().encode(JSON.stringify(pack.entries));
          const trailer = trailerLine({ index: pack.length, length: index.length, crc32: crc32(index) });
          await writeAll(handle, index, pack.length);
          await writeAll(handle, trailer, pack.length + index.length);
          await rename(pack.file, pack.path);
          pack.file = pack.path;
          this.committed.add(pack);
        } else pack.dead = true;
      } catch (error) {
        this.forget(pack);
        this.failure ??= error;
      } finally {
        // Readers open the file by name from here on: renamed, or gone.
        pack.fd = undefined;
        await handle.close().catch(() => {});
        if (pack.file !== pack.path) await rm(pack.file, { force: true });
      }
    })();
    this.commits.add(done);
    void done.finally(() => this.commits.delete(done));
  }

  private forget(pack: Pack): void {
    pack.dead = true;
    this.committed.delete(pack);
    for (const [kind, key] of pack.entries) {
      if (this.index.get(idOf(kind, key))?.pack === pack) this.index.delete(idOf(kind, key));
    }
  }

  private throwFailure(): void {
    if (this.failure === undefined) return;
    const failure = this.failure;
    this.failure = undefined;
    throw failure;
  }
}

async function writeAll(handle: FileHandle, bytes: Uint8Array, position: number): Promise<void> {
  let written = 0;
  while (written < bytes.byteLength) {
    const { bytesWritten } = await handle.write(
      bytes,
      written,
      bytes.byteLength - written,
      position + written,
    );
    written += bytesWritten;
  }
}

function trailerLine(fields: { index: number; length: number; crc32: number }): Uint8Array {
  const line = new Uint8Array(TRAILER_BYTES).fill(0x20);
  line.set(new TextEncoder().encode(JSON.stringify(fields)));
  line[TRAILER_BYTES - 1] = 0x0a;
  return line;
}

/**
 * A pack's index: [kind, key, offset, length] of each entry, in the order written; undefined
 * when its trailer or index does not hold together, or names a kind not in `kinds`, or the
 * pack is gone. Throws when it cannot be read (an I/O error is not a damaged pack: the pack
 * would be removed for it).
 */
export function readIndex(path: string, kinds: readonly string[]): IndexEntry[] | undefined {
  const fd = openIfExists(path);
  if (fd === undefined) return undefined;
  try {
    const size = fstatSync(fd).size;
    if (size < TRAILER_BYTES) return undefined;
    const trailer = readAt(fd, size - TRAILER_BYTES, TRAILER_BYTES);
    const fields = parseJson(trailer) as { index?: unknown; length?: unknown; crc32?: unknown } | undefined;
    const { index, length, crc32: expected } = fields ?? {};
    if (!Number.isSafeInteger(index) || !Number.isSafeInteger(length)) return undefined;
    if ((index as number) + (length as number) !== size - TRAILER_BYTES || (index as number) < 0)
      return undefined;
    const bytes = readAt(fd, index as number, length as number);
    if (crc32(bytes) !== expected) return undefined;
    const entries = parseJson(bytes);
    if (!Array.isArray(entries)) return undefined;
    for (const entry of entries as unknown[]) {
      if (!Array.isArray(entry) || entry.length !== 4) return undefined;
      const [kind, key, offset, entryLength] = entry as unknown[];
      if (typeof kind !== "string" || !kinds.includes(kind) || typeof key !== "string" || !KEY.test(key))
        return undefined;
      if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(entryLength)) return undefined;
      if ((offset as number) < 0 || (offset as number) + (entryLength as number) > (index as number))
        return undefined;
    }
    return entries as IndexEntry[];
  } catch (error) {
    if (error instanceof ShortRead) return undefined;
    throw error;
  } finally {
    closeSync(fd);
  }
}

/** A file that ends before the bytes its trailer promised (cut short since it was sized). */
class ShortRead extends Error {}

function readAt(fd: number, position: number, length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  if (!readFully(fd, bytes, length, position)) throw new ShortRead(`short read at ${position}`);
  return bytes;
}

/** Reads `length` bytes at `position` into the start of `buffer`; false if the file ends first. */
function readFully(fd: number, buffer: Uint8Array, length: number, position: number): boolean {
  for (let filled = 0; filled < length;) {
    const read = readSync(fd, buffer, filled, length - filled, position + filled);
    if (read === 0) return false;
    filled += read;
  }
  return true;
}

/** A descriptor of `path` open for reading, or undefined when there is no such file. */
export function openIfExists(path: string): number | undefined {
  try {
    return openSync(path, "r");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

function parseJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    return undefined;
  }
}

const NEWLINE = 0x0a;
// The header is a short JSON line; an entry without a newline this early is not ours.
const MAX_HEADER = 256;

/**
 * The payload of an entry's bytes (header line, then payload) when its checksum and length
 * hold and, when `kind` and `key` are given, its header names them; else undefined.
 */
export function checkedEntry(entry: Uint8Array, kind?: string, key?: string): Uint8Array | undefined {
  const newline = entry.subarray(0, MAX_HEADER).indexOf(NEWLINE);
  if (newline < 0) return undefined;
  const header = parseJson(entry.subarray(0, newline));
  if (typeof header !== "object" || header === null) return undefined;
  const fields = header as Record<string, unknown>;
  if (kind !== undefined && (fields.kind !== kind || fields.key !== key)) return undefined;
  const payload = entry.subarray(newline + 1);
  if (fields.length !== payload.byteLength || fields.crc32 !== crc32(payload)) return undefined;
  return payload;
}
