import { describe, expect, it } from "vitest";
import { BufferPool } from "./buffers.ts";
import { frame } from "./framed.ts";

describe("BufferPool", () => {
  it("gives views of exactly the length asked for, at the start of their buffer", () => {
    const pool = new BufferPool();
    for (const length of [0, 1, 1000, 65_536, 65_537, 300_000]) {
      const bytes = pool.take(length);
      expect(bytes.length).toBe(length);
      expect(bytes.byteOffset).toBe(0);
      expect(bytes.buffer.byteLength).toBeGreaterThanOrEqual(length);
    }
  });

  it("never hands out a buffer that is taken, and reuses one given back", () => {
    const pool = new BufferPool();
    const a = pool.take(100);
    const b = pool.take(100);
    expect(b.buffer).not.toBe(a.buffer);
    expect(pool.give(a)).toBe(true);
    const c = pool.take(50);
    expect(c.buffer).toBe(a.buffer);
    expect(pool.take(50).buffer).not.toBe(a.buffer); // a's buffer is taken again, by c
  });

  it("takes the smallest free buffer that fits", () => {
    const pool = new BufferPool();
    const small = pool.take(1000); // 64 KB
    const large = pool.take(500_000); // 512 KB
    pool.give(large);
    pool.give(small);
    expect(pool.take(70_000).buffer).toBe(large.buffer);
    pool.give(large);
    expect(pool.take(10).buffer).toBe(small.buffer);
  });

  it("refuses buffers it did not make, and a buffer given back twice", () => {
    const pool = new BufferPool();
    expect(pool.give(new Uint8Array(10))).toBe(false);
    expect(pool.give(new BufferPool().take(10))).toBe(false);
    const bytes = pool.take(10);
    expect(pool.give(bytes)).toBe(true);
    expect(pool.give(bytes)).toBe(false);
    // Given twice, it would have been handed to two takers at once.
    expect(pool.take(10).buffer).not.toBe(pool.take(10).buffer);
  });
});

describe("frame in a reused buffer", () => {
  it("writes the same bytes whatever the buffer held before", () => {
    const pool = new BufferPool();
    const header = { kind: "test", n: 3 };
    const fresh = frame(header, 24);
    fresh.body.set([1, 2, 3], 5);
    const dirty = pool.take(4096);
    dirty.fill(0xab);
    pool.give(dirty);
    const reused = frame(header, 24, (length) => pool.take(length));
    expect(reused.bytes.buffer).toBe(dirty.buffer);
    reused.body.set([1, 2, 3], 5);
    expect(Array.from(reused.bytes)).toEqual(Array.from(fresh.bytes));
  });
});
