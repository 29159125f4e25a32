// Day entries in packs (packs.ts), through the cache that keeps them: readable as soon as
// written, on disk once flushed, replaced by later writes, and never trusted when damaged.

import { mkdir, mkdtemp, readdir, readFile, rename, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openCache, PACKED_KINDS, sha256 } from "./cache.ts";
import { packedEntries } from "../../test/helpers/run.ts";
import { checkedEntry, MAX_SMALL_PACKS, PACK_ENTRIES, readIndex } from "./packs.ts";

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (payload: Uint8Array | undefined) => (payload ? new TextDecoder().decode(payload) : undefined);
// Above Linux's largest possible pid (2^22), so no process can have it.
const DEAD_PID = 4_194_305;

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "countersight-packs-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const packNames = async () => (await readdir(join(dir, "packs"))).sort();

const entries = () => packedEntries(dir);

describe("packs", () => {
  it(`keeps day entries ${PACK_ENTRIES} to a pack, readable once written and after reopening`, async () => {
    const cache = await openCache(dir);
    const keys = Array.from({ length: 20 }, (_, i) => sha256(`day ${i}`));
    // Written concurrently, as the days phase does (its writes run behind the aggregation).
    await Promise.all(
      keys.flatMap((key, i) => [
        cache.writeEntry("aggregates", key, [bytes(`aggregate `), bytes(`${i}`)]),
        cache.writeEntry("summaries", key, bytes(`summary ${i}`.repeat(i))),
      ]),
    );
    // Before any flush: the last pack is still being written, under a temp name.
    for (const [i, key] of keys.entries()) {
      expect(text(await cache.readEntry("aggregates", key))).toBe(`aggregate ${i}`);
      expect(cache.useEntry("summaries", key, text)).toBe(`summary ${i}`.repeat(i));
    }
    await cache.flush();
    expect((await packNames()).filter((name) => name.endsWith(".pack"))).toHaveLength(3);
    expect((await packNames()).every((name) => name.endsWith(".pack"))).toBe(true);
    expect(await readdir(join(dir, "aggregates"))).toEqual([]);
    expect(await readdir(join(dir, "summaries"))).toEqual([]);

    const again = await openCache(dir);
    expect(again.keys("aggregates").sort()).toEqual([...keys].sort());
    for (const [i, key] of keys.entries()) {
      const payload = await again.readEntry("aggregates", key);
      expect(text(payload)).toBe(`aggregate ${i}`);
      expect(payload!.byteOffset % 8).toBe(0);
      expect(again.useEntry("summaries", key, (entry) => [text(entry), entry.byteOffset % 8])).toEqual([
        `summary ${i}`.repeat(i),
        0,
      ]);
    }
    expect(await again.readEntry("summaries", sha256("absent"))).toBeUndefined();
  });

  it("lets a later entry replace an earlier one, within a pack and across runs", async () => {
    const key = sha256("day");
    const first = await openCache(dir);
    await first.writeEntry("aggregates", key, bytes("one"));
    await first.writeEntry("aggregates", key, bytes("two"));
    expect(text(await first.readEntry("aggregates", key))).toBe("two");
    await first.flush();
    expect(text(await (await openCache(dir)).readEntry("aggregates", key))).toBe("two");
    const second = await openCache(dir);
    await second.writeEntry("aggregates", key, bytes("three"));
    await second.flush();
    expect(await packNames()).toHaveLength(2);
    expect(text(await (await openCache(dir)).readEntry("aggregates", key))).toBe("three");
  });

  it("reports a damaged entry as absent, and rewrites its pack without it at the flush", async () => {
    const keys = Array.from({ length: 10 }, (_, i) => sha256(`day ${i}`));
    const writer = await openCache(dir);
    for (const [i, key] of keys.entries()) await writer.writeEntry("summaries", key, bytes(`summary ${i}`));
    await writer.flush();
    const [damagedPack] = await packNames();
    const victim = (await entries()).find((entry) => entry.key === keys[3])!;
    const file = await readFile(victim.path);
    file[victim.offset + victim.length - 2]! ^= 0x01;
    await writeFile(victim.path, file);

    const cache = await openCache(dir);
    let called = false;
    expect(cache.useEntry("summaries", keys[3]!, () => (called = true))).toBeUndefined();
    expect(called).toBe(false);
    expect(await cache.readEntry("summaries", keys[3]!)).toBeUndefined();
    expect(text(await cache.readEntry("summaries", keys[4]!))).toBe("summary 4");
    await cache.flush();
    expect(await packNames()).not.toContain(damagedPack);
    const left = await entries();
    expect(left.map((entry) => entry.key).sort()).toEqual(keys.filter((_, i) => i !== 3).sort());
    for (const entry of left) expect(checkedEntry(entry.bytes, entry.kind, entry.key)).toBeDefined();
    const reopened = await openCache(dir);
    expect(await reopened.readEntry("summaries", keys[3]!)).toBeUndefined();
    for (const [i, key] of keys.entries())
      if (i !== 3) expect(text(await reopened.readEntry("summaries", key))).toBe(`summary ${i}`);
  });

  it("removes a pack whose index or trailer is damaged when the cache opens", async () => {
    const key = sha256("day");
    for (const damage of [
      // A byte of the index (just before the 64-byte trailer).
      async (path: string) => {
        const file = await readFile(path);
        file[file.length - 70]! ^= 0x01;
        await writeFile(path, file);
      },
      async (path: string) => truncate(path, (await readFile(path)).length - 1),
      async (path: string) => writeFile(path, "not a pack"),
    ]) {
      const cache = await openCache(dir);
      await cache.writeEntry("aggregates", key, bytes("aggregate"));
      await cache.flush();
      const [name] = await packNames();
      await damage(join(dir, "packs", name!));
      const reopened = await openCache(dir);
      expect(await reopened.readEntry("aggregates", key)).toBeUndefined();
      expect(await packNames()).toEqual([]);
    }
  });

  it("merges small packs once there are many, as daily rebuilds make them", async () => {
    const keys = Array.from({ length: MAX_SMALL_PACKS + 5 }, (_, i) => sha256(`day ${i}`));
    let most = 0;
    for (const [i, key] of keys.entries()) {
      // One run a day, each adding the new day's two entries.
      const cache = await openCache(dir);
      await cache.writeEntry("aggregates", key, bytes(`aggregate ${i}`));
      await cache.writeEntry("summaries", key, bytes(`summary ${i}`));
      await cache.flush();
      most = Math.max(most, (await packNames()).length);
    }
    expect(most).toBe(MAX_SMALL_PACKS);
    expect((await packNames()).length).toBeLessThan(MAX_SMALL_PACKS);
    expect((await packNames()).every((name) => name.endsWith(".pack"))).toBe(true);
    const cache = await openCache(dir);
    for (const [i, key] of keys.entries()) {
      expect(text(await cache.readEntry("aggregates", key))).toBe(`aggregate ${i}`);
      expect(text(await cache.readEntry("summaries", key))).toBe(`summary ${i}`);
    }
    for (const entry of await entries())
      expect(checkedEntry(entry.bytes, entry.kind, entry.key)).toBeDefined();
  });

  it("tells a damaged pack (undefined, removed) from one it cannot read (an error, kept)", async () => {
    const cache = await openCache(dir);
    await cache.writeEntry("aggregates", sha256("a"), bytes("payload"));
    await cache.flush();
    const [name] = await packNames();
    const path = join(dir, "packs", name!);
    expect(readIndex(path, PACKED_KINDS)).toHaveLength(1);
    expect(readIndex(join(dir, "packs", "gone.pack"), PACKED_KINDS)).toBeUndefined();
    // Reading a directory fails with EISDIR: an I/O error, not damage.
    await mkdir(join(dir, "packs", "unreadable.pack"));
    expect(() => readIndex(join(dir, "packs", "unreadable.pack"), PACKED_KINDS)).toThrow(/EISDIR/);
    await expect(openCache(dir)).rejects.toThrow(/cannot read .*unreadable\.pack: EISDIR/);
    await truncate(path, (await readFile(path)).length - 70);
    expect(readIndex(path, PACKED_KINDS)).toBeUndefined();
  });

  it("trusts an entry only under the kind and key it was written as", async () => {
    const cache = await openCache(dir);
    await cache.writeEntry("aggregates", sha256("a"), bytes("payload"));
    await cache.flush();
    const [entry] = await entries();
    expect(text(checkedEntry(entry!.bytes, "aggregates", sha256("a")))).toBe("payload");
    expect(checkedEntry(entry!.bytes, "summaries", sha256("a"))).toBeUndefined();
    expect(checkedEntry(entry!.bytes, "aggregates", sha256("b"))).toBeUndefined();
  });

  it("removes a killed writer's temp pack when the cache opens", async () => {
    const cache = await openCache(dir);
    await cache.writeEntry("aggregates", sha256("a"), bytes("payload"));
    await cache.flush();
    const [name] = await packNames();
    const temp = join(dir, "packs", `${name!}.tmp-${DEAD_PID}-0a1b2c3d4e5f`);
    await writeFile(temp, "half a pack");
    await openCache(dir);
    expect(await packNames()).toEqual([name]);
  });

  it("fails the write when a pack cannot be made, and keeps nothing of it", async () => {
    const cache = await openCache(dir);
    await rm(join(dir, "packs"), { recursive: true });
    await expect(cache.writeEntry("aggregates", sha256("a"), bytes("payload"))).rejects.toThrow(/ENOENT/);
    await expect(cache.writeEntry("aggregates", sha256("b"), bytes("payload"))).rejects.toThrow(/ENOENT/);
    await cache.flush();
    expect(await cache.readEntry("aggregates", sha256("a"))).toBeUndefined();
  });
});

describe("day entries of a cache made before packs", () => {
  it("are still read, and deleted when damaged", async () => {
    const key = sha256("old day");
    const cache = await openCache(dir);
    // The old layout: one file per entry, as the series state still is.
    await cache.writeEntry("series", key, bytes("old aggregate"));
    await rename(join(dir, "series", `${key}.bin`), join(dir, "aggregates", `${key}.bin`));
    const old = await openCache(dir);
    expect(text(await old.readEntry("aggregates", key))).toBe("old aggregate");
    expect(old.useEntry("aggregates", key, text)).toBe("old aggregate");
    expect(old.keys("aggregates")).toEqual([key]);
    const path = join(dir, "aggregates", `${key}.bin`);
    await truncate(path, (await readFile(path)).length - 1);
    expect(await old.readEntry("aggregates", key)).toBeUndefined();
    expect(await readdir(join(dir, "aggregates"))).toEqual([]);
  });
});
