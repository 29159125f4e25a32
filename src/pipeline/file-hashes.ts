// File hashes: the sha256 of a source directory's day files, remembered by file identity.
//
// A day's cache entries are keyed by its file's content hash. Reading and hashing a year of
// files on every rebuild would cost more than everything else a warm rebuild does, so, as
// git's index and rsync do, a hash is reused while the file's size, modification and
// change times and inode are those it was hashed with. Any write to a file changes its
// change time (which no user can set back), so a rewritten file is read again. A file
// changed within the last few seconds when it was hashed is not remembered: a second write
// in the same clock tick could otherwise go unseen.
//
//   const hashes = await openFileHashes(cache, sourceDir);
//   const known = await hashes.known(path);     // sha256, or undefined: read and hash it
//   hashes.remember(path, sha256(bytes));       // after reading it
//   await hashes.save();

import { stat } from "node:fs/promises";
import type { Stats } from "node:fs";
import { sha256, type Cache } from "./cache.ts";

/** How old a file's last change must be for its hash to be remembered. */
const SETTLED_MS = 3000;

type Identity = [size: number, mtimeMs: number, ctimeMs: number, ino: number];

interface Entry {
  identity: Identity;
  sha256: string;
}

export interface FileHashes {
  /** The file's sha256 if it is unchanged since it was hashed; undefined otherwise. */
  known(path: string): Promise<string | undefined>;
  /** Records the hash of a file just read (its identity from the last known() call). */
  remember(path: string, hash: string): void;
  /** Writes the hashes of the files seen in this run (and only those) to the cache. */
  save(): Promise<void>;
}

function identityOf(info: Stats): Identity {
  return [info.size, info.mtimeMs, info.ctimeMs, info.ino];
}

function sameIdentity(a: Identity, b: Identity): boolean {
  return a.every((value, i) => value === b[i]);
}

function parseEntries(bytes: Uint8Array | undefined): Map<string, Entry> {
  if (!bytes) return new Map();
  try {
    const entries = JSON.parse(new TextDecoder().decode(bytes)) as [string, Identity, string][];
    return new Map(entries.map(([path, identity, hash]) => [path, { identity, sha256: hash }]));
  } catch {
    return new Map(); // Only a memo: the files are hashed again.
  }
}

export async function openFileHashes(cache: Cache, dir: string, now = () => Date.now()): Promise<FileHashes> {
  const key = sha256(`file hashes\n${dir}`);
  const previous = parseEntries(await cache.readEntry("sources", key));
  const seen = new Map<string, Identity>();
  const next = new Map<string, Entry>();
  return {
    async known(path) {
      let info: Stats;
      try {
        info = await stat(path);
      } catch {
        return undefined; // Reading it will say what is wrong.
      }
      const identity = identityOf(info);
      seen.set(path, identity);
      const entry = previous.get(path);
      if (!entry || !sameIdentity(entry.identity, identity)) return undefined;
      next.set(path, entry);
      return entry.sha256;
    },
    remember(path, hash) {
      const identity = seen.get(path);
      if (!identity || now() - Math.max(identity[1], identity[2]) < SETTLED_MS) return;
      next.set(path, { identity, sha256: hash });
    },
    async save() {
      const entries = [...next]
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([path, e]) => [path, e.identity, e.sha256]);
      await cache.writeEntry("sources", key, new TextEncoder().encode(JSON.stringify(entries)));
    },
  };
}
