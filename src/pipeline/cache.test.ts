import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { aggregateKey, atomicWrite, openCache, sha256 } from "./cache.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

// Above Linux's largest possible pid (2^22), so no process can have it.
const DEAD_PID = 4_194_305;

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "countersight-cache-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function flipByte(path: string, index: number): Promise<void> {
  const file = await readFile(path);
  file[index] = (file[index] ?? 0) ^ 0xff;
  await writeFile(path, file);
}

describe("sha256", () => {
  it("hashes strings and bytes alike, as hex", () => {
    const abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    expect(sha256("abc")).toBe(abc);
    expect(sha256(bytes("abc"))).toBe(abc);
  });

  it("keys aggregates by every part, without parts running together", () => {
    const day = "2026-01-01";
    const key = aggregateKey(day, "a".repeat(64), "b".repeat(64), "v1");
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(aggregateKey(day, "a".repeat(64), "b".repeat(64), "v1")).toBe(key);
    expect(aggregateKey(day, "a".repeat(64), "b".repeat(64), "v2")).not.toBe(key);
    expect(aggregateKey("2026-01-02", "a".repeat(64), "b".repeat(64), "v1")).not.toBe(key);
    expect(aggregateKey(day, "ab", "c", "v1")).not.toBe(aggregateKey(day, "a", "bc", "v1"));
  });
});

describe("atomicWrite", () => {
  it("creates parent directories, replaces the target and leaves no temp file", async () => {
    const path = join(dir, "a", "b", "file.txt");
    await atomicWrite(path, "first");
    await atomicWrite(path, bytes("second"));
    expect(await readFile(path, "utf8")).toBe("second");
    expect(await readdir(join(dir, "a", "b"))).toEqual(["file.txt"]);
  });

  it("removes its temp file when the rename fails", async () => {
    const path = join(dir, "occupied");
    await mkdir(join(path, "child"), { recursive: true });
    await expect(atomicWrite(path, "data")).rejects.toThrow();
    expect(await readdir(dir)).toEqual(["occupied"]);
  });
});

describe("openCache: computed entries", () => {
  it("puts every payload on an 8-byte boundary of the file read back, so its typed arrays need no copy", async () => {
    const cache = await openCache(dir);
    for (const length of [0, 1, 7, 8, 9, 300_000]) {
      const payload = new Uint8Array(length).fill(7);
      await cache.writeEntry("aggregates", "a".repeat(64), payload);
      const read = await cache.readEntry("aggregates", "a".repeat(64));
      expect(read).toEqual(payload);
      expect(read!.byteOffset % 8, `payload of ${length} bytes`).toBe(0);
    }
    // Commits the open pack: its file handle is closed, not left to the garbage collector.
    await cache.flush();
  });
});

describe("openCache: raw downloads", () => {
  it("round-trips a day's bytes and metadata", async () => {
    const cache = await openCache(dir);
    const fetchedAt = new Date("2024-03-01T12:00:00Z");
    const meta = await cache.writeRaw("2024-02-29", bytes("day file"), {
      url: "https://x.example/2024-02-29.json",
      etag: '"e1"',
      fetchedAt,
    });
    expect(meta).toEqual({
      url: "https://x.example/2024-02-29.json",
      etag: '"e1"',
      sha256: sha256("day file"),
      bytes: 8,
      fetchedAt: "2024-03-01T12:00:00.000Z",
    });
    const entry = await cache.readRaw("2024-02-29");
    expect(entry?.meta).toEqual(meta);
    expect(new TextDecoder().decode(entry?.bytes)).toBe("day file");
    expect((await readdir(join(dir, "raw"))).sort()).toEqual(["2024-02-29.bin", "2024-02-29.json"]);
    expect(await cache.readRaw("2024-03-01")).toBeUndefined();
  });

  it("detects a flipped byte and removes the entry", async () => {
    const cache = await openCache(dir);
    await cache.writeRaw("2024-01-01", bytes("some report lines"), { url: "u" });
    await flipByte(join(dir, "raw", "2024-01-01.bin"), 3);
    expect(await cache.readRaw("2024-01-01")).toBeUndefined();
    expect(await readdir(join(dir, "raw"))).toEqual([]);
  });

  it("detects truncated metadata and removes the entry", async () => {
    const cache = await openCache(dir);
    await cache.writeRaw("2024-01-01", bytes("some report lines"), { url: "u" });
    const metaPath = join(dir, "raw", "2024-01-01.json");
    const text = await readFile(metaPath, "utf8");
    await writeFile(metaPath, text.slice(0, text.length / 2));
    expect(await cache.readRaw("2024-01-01")).toBeUndefined();
    expect(await readdir(join(dir, "raw"))).toEqual([]);
  });

  it("does not trust metadata of the wrong shape, or half an entry", async () => {
    const cache = await openCache(dir);
    await cache.writeRaw("2024-01-01", bytes("abc"), { url: "u" });
    const metaPath = join(dir, "raw", "2024-01-01.json");
    const meta = JSON.parse(await readFile(metaPath, "utf8"));
    await writeFile(metaPath, JSON.stringify({ ...meta, bytes: "3" }));
    expect(await cache.readRaw("2024-01-01")).toBeUndefined();

    // A write killed between the bin and the metadata leaves only the bin.
    await cache.writeRaw("2024-01-02", bytes("abc"), { url: "u" });
    await rm(join(dir, "raw", "2024-01-02.json"));
    expect(await cache.readRaw("2024-01-02")).toBeUndefined();

    await cache.writeRaw("2024-01-03", bytes("abc"), { url: "u" });
    await rm(join(dir, "raw", "2024-01-03.bin"));
    expect(await cache.readRaw("2024-01-03")).toBeUndefined();
    expect(await readdir(join(dir, "raw"))).toEqual([]);
  });

  it("forgets, without reading it, a copy over maxBytes or whose bin is not the size its metadata says", async () => {
    const cache = await openCache(dir);
    await cache.writeRaw("2024-01-01", bytes("0123456789"), { url: "u", etag: '"1"' });
    expect((await cache.readRaw("2024-01-01", 10))?.meta.bytes).toBe(10);
    expect(await cache.readRaw("2024-01-01", 9)).toBeUndefined();
    expect(await readdir(join(dir, "raw"))).toEqual([]);

    await cache.writeRaw("2024-01-02", bytes("0123456789"), { url: "u" });
    await writeFile(join(dir, "raw", "2024-01-02.bin"), "0123456789 and more");
    expect(await cache.readRaw("2024-01-02")).toBeUndefined();
    expect(await readdir(join(dir, "raw"))).toEqual([]);
  });

  it("replaces an entry on rewrite", async () => {
    const cache = await openCache(dir);
    await cache.writeRaw("2024-01-01", bytes("old"), { url: "u", etag: '"1"' });
    await cache.writeRaw("2024-01-01", bytes("newer"), { url: "u", lastModified: "yesterday" });
    const entry = await cache.readRaw("2024-01-01");
    expect(entry?.meta.etag).toBeUndefined();
    expect(entry?.meta.lastModified).toBe("yesterday");
    expect(entry?.meta.bytes).toBe(5);
  });

  it("forgets an entry on removeRaw, so no validators are left to revalidate it", async () => {
    const cache = await openCache(dir);
    await cache.writeRaw("2024-01-01", bytes("cut sho"), { url: "u", etag: '"1"' });
    await cache.removeRaw("2024-01-01");
    expect(await cache.readRaw("2024-01-01")).toBeUndefined();
    expect(await readdir(join(dir, "raw"))).toEqual([]);
    await cache.removeRaw("2024-01-02");
  });
});

// Entries kept one to a file: the series state and the source hashes (and the day entries of
// caches made before packs).
describe("openCache: entries in files", () => {
  const key = sha256("some content");

  it("round-trips a payload, including an empty one", async () => {
    const cache = await openCache(dir);
    await cache.writeEntry("aggregates", key, bytes("aggregate\nwith lines\n"));
    expect(new TextDecoder().decode(await cache.readEntry("aggregates", key))).toBe(
      "aggregate\nwith lines\n",
    );
    const emptyKey = sha256("empty");
    await cache.writeEntry("aggregates", emptyKey, new Uint8Array());
    expect(await cache.readEntry("aggregates", emptyKey)).toEqual(new Uint8Array());
    expect(await cache.readEntry("aggregates", sha256("absent"))).toBeUndefined();
  });

  it("detects a flipped payload byte and deletes the file", async () => {
    const cache = await openCache(dir);
    await cache.writeEntry("series", key, bytes("payload bytes"));
    const path = join(dir, "series", `${key}.bin`);
    const file = await readFile(path);
    await flipByte(path, file.length - 2);
    expect(await cache.readEntry("series", key)).toBeUndefined();
    expect(await readdir(join(dir, "series"))).toEqual([]);
  });

  it("detects a truncated file, a broken header and a file that is not ours", async () => {
    const cache = await openCache(dir);
    const path = join(dir, "series", `${key}.bin`);
    for (const corrupt of [
      (file: Buffer) => file.subarray(0, file.length - 1),
      (file: Buffer) => file.subarray(0, 10),
      () => Buffer.from("x".repeat(1000)),
      () => Buffer.from('{"sha256":1}\npayload'),
    ]) {
      await cache.writeEntry("series", key, bytes("payload bytes"));
      await writeFile(path, corrupt(await readFile(path)));
      expect(await cache.readEntry("series", key)).toBeUndefined();
      expect(await readdir(join(dir, "series"))).toEqual([]);
    }
  });
});

describe("openCache: useEntry", () => {
  const key = sha256("some content");
  const text = (payload: Uint8Array) => new TextDecoder().decode(payload);

  it("gives use the payload readEntry gives, in a reused buffer of any later size", async () => {
    const cache = await openCache(dir);
    const entries = ["a long payload ".repeat(1000), "short", "", "medium ".repeat(50)];
    for (const [i, payload] of entries.entries())
      await cache.writeEntry("aggregates", sha256(`${i}`), bytes(payload));
    const buffers = new Set<ArrayBufferLike>();
    for (const [i, payload] of entries.entries()) {
      const seen = cache.useEntry("aggregates", sha256(`${i}`), (entry) => {
        buffers.add(entry.buffer);
        // Typed-array views of a payload need it 8-byte aligned, as readEntry's is.
        expect(entry.byteOffset % 8).toBe(0);
        return text(entry);
      });
      expect(seen).toBe(payload);
      expect(text((await cache.readEntry("aggregates", sha256(`${i}`)))!)).toBe(payload);
    }
    // The first (largest) read sized the buffer; the others reused it.
    expect(buffers.size).toBe(1);
    expect(cache.useEntry("aggregates", sha256("absent"), text)).toBeUndefined();
  });

  it("reports a damaged entry as absent and deletes it, without calling use", async () => {
    const cache = await openCache(dir);
    const path = join(dir, "series", `${key}.bin`);
    for (const corrupt of [
      (file: Buffer) => file.subarray(0, file.length - 1),
      (file: Buffer) => Buffer.concat([file, Buffer.from("x")]),
      (file: Buffer) => Buffer.from(file.map((byte, i) => (i === file.length - 2 ? byte ^ 1 : byte))),
    ]) {
      await cache.writeEntry("series", key, bytes("payload bytes"));
      await writeFile(path, corrupt(await readFile(path)));
      let called = false;
      expect(cache.useEntry("series", key, () => (called = true))).toBeUndefined();
      expect(called).toBe(false);
      expect(await readdir(join(dir, "series"))).toEqual([]);
    }
  });

  it("refuses to be called from its own callback, which would overwrite the payload in use", async () => {
    const cache = await openCache(dir);
    await cache.writeEntry("aggregates", key, bytes("payload bytes"));
    expect(() => cache.useEntry("aggregates", key, () => cache.useEntry("aggregates", key, text))).toThrow(
      /from its own callback/,
    );
    // And it is usable again afterwards.
    expect(cache.useEntry("aggregates", key, text)).toBe("payload bytes");
  });
});

describe("openCache: paths", () => {
  it("refuses dates and keys that are not plainly a date or a sha256", async () => {
    const cache = await openCache(dir);
    for (const date of ["../x", "2024-01-01/../../x", "2024-1-1", "", "2024-01-01.bin"]) {
      await expect(cache.readRaw(date)).rejects.toThrow(/not a YYYY-MM-DD date/);
      await expect(cache.writeRaw(date, bytes("x"), { url: "u" })).rejects.toThrow(/not a YYYY-MM-DD date/);
    }
    for (const key of ["../../etc/passwd", "A".repeat(64), "a".repeat(63), `${"a".repeat(64)}/x`]) {
      await expect(cache.readEntry("aggregates", key)).rejects.toThrow(/not a sha256 hex key/);
      await expect(cache.writeEntry("aggregates", key, bytes("x"))).rejects.toThrow(/not a sha256 hex key/);
    }
    expect((await readdir(dir)).sort()).toEqual([
      "aggregates",
      "packs",
      "raw",
      "series",
      "sources",
      "summaries",
    ]);
    expect(await readdir(join(dir, "raw"))).toEqual([]);
    expect(await readdir(join(dir, "aggregates"))).toEqual([]);
  });

  it("removes temp files left by a killed writer when it opens", async () => {
    await mkdir(join(dir, "raw"), { recursive: true });
    await mkdir(join(dir, "aggregates"), { recursive: true });
    const leftovers = [
      join(dir, "raw", `2024-01-01.bin.tmp-${DEAD_PID}-0a1b2c`),
      join(dir, "aggregates", `${"c".repeat(64)}.bin.tmp-${DEAD_PID}-3d4e5f`),
      join(dir, "raw", "2024-01-02.json.tmp-not-a-pid"),
    ];
    // A live writer's temp file stays, unless it is too old to be in progress.
    const inProgress = join(dir, "raw", `2024-01-03.bin.tmp-${process.pid}-aaaaaa`);
    const abandoned = join(dir, "raw", `2024-01-04.bin.tmp-${process.pid}-bbbbbb`);
    for (const path of [...leftovers, inProgress, abandoned]) await writeFile(path, "partial");
    const twoHoursAgo = new Date(Date.now() - 2 * 60 * 60 * 1000);
    await utimes(abandoned, twoHoursAgo, twoHoursAgo);
    await writeFile(join(dir, "raw", "2024-01-05.bin"), "kept");

    await openCache(dir);
    expect((await readdir(join(dir, "raw"))).sort()).toEqual([
      `2024-01-03.bin.tmp-${process.pid}-aaaaaa`,
      "2024-01-05.bin",
    ]);
    expect(await readdir(join(dir, "aggregates"))).toEqual([]);
  });
});
