import { mkdtemp, rm, stat, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, expect, test } from "vitest";
import { openCache, sha256 } from "./cache.ts";
import { openFileHashes } from "./file-hashes.ts";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "file-hashes-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

// A clock well after every file's last change, so that hashes are remembered.
const later = () => Date.now() + 60_000;

test("a file's hash is reused while the file is unchanged, and forgotten when it is rewritten", async () => {
  const cache = await openCache(join(dir, "cache"));
  const file = join(dir, "2024-01-01.json");
  await writeFile(file, "one");

  const first = await openFileHashes(cache, dir, later);
  expect(await first.known(file)).toBeUndefined();
  first.remember(file, sha256("one"));
  await first.save();

  const second = await openFileHashes(cache, dir, later);
  expect(await second.known(file)).toBe(sha256("one"));
  await second.save();

  // Same size, and the modification time put back: the change time still moves.
  const before = await stat(file);
  await new Promise((resolve) => setTimeout(resolve, 20));
  await writeFile(file, "two");
  await utimes(file, before.atime, before.mtime);
  const third = await openFileHashes(cache, dir, later);
  expect(await third.known(file)).toBeUndefined();
});

test("a file changed moments ago is hashed again next time, and files not seen are dropped", async () => {
  const cache = await openCache(join(dir, "cache"));
  const fresh = join(dir, "2024-01-02.json");
  const old = join(dir, "2024-01-03.json");
  await writeFile(fresh, "fresh");
  await writeFile(old, "old");

  const first = await openFileHashes(cache, dir, () => Date.now());
  await first.known(fresh);
  first.remember(fresh, sha256("fresh"));
  await first.save();
  expect(await (await openFileHashes(cache, dir, later)).known(fresh)).toBeUndefined();

  const second = await openFileHashes(cache, dir, later);
  await second.known(old);
  second.remember(old, sha256("old"));
  await second.save();
  const third = await openFileHashes(cache, dir, later);
  expect(await third.known(old)).toBe(sha256("old"));
  await third.save(); // fresh was not asked for: gone
  expect(await (await openFileHashes(cache, dir, later)).known(fresh)).toBeUndefined();
});

test("a damaged or foreign index is ignored", async () => {
  const cache = await openCache(join(dir, "cache"));
  await cache.writeEntry("sources", sha256(`file hashes\n${dir}`), new TextEncoder().encode("{not json"));
  const file = join(dir, "2024-01-01.json");
  await writeFile(file, "x");
  expect(await (await openFileHashes(cache, dir, later)).known(file)).toBeUndefined();
});
