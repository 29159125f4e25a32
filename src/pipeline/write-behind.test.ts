import { describe, expect, test } from "vitest";
import { WriteBehind } from "./write-behind.ts";

/** A write that finishes (or fails) when the test says. */
function controlled() {
  let finish!: () => void;
  let fail!: (error: Error) => void;
  let started = false;
  const promise = new Promise<void>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  return {
    write: () => {
      started = true;
      return promise;
    },
    finish,
    fail,
    get started() {
      return started;
    },
  };
}

/** Whether `promise` has settled once pending callbacks have run. */
async function isSettled(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  void promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  for (let i = 0; i < 10; i++) await Promise.resolve();
  return settled;
}

describe("WriteBehind", () => {
  test("add() returns at once below the limit, and waits while the limit is in flight", async () => {
    const writes = new WriteBehind(3);
    const a = controlled();
    const b = controlled();
    const c = controlled();
    await writes.add(a.write);
    await writes.add(b.write);
    expect(writes.pending).toBe(2);
    const third = writes.add(c.write);
    expect(c.started).toBe(true);
    expect(await isSettled(third)).toBe(false); // three in flight: the caller waits
    b.finish();
    await third;
    expect(writes.pending).toBe(2);
    a.finish();
    c.finish();
    await writes.done();
    expect(writes.pending).toBe(0);
  });

  test("done() waits for every write", async () => {
    const writes = new WriteBehind(8);
    const order: string[] = [];
    const slow = controlled();
    await writes.add(async () => {
      await slow.write();
      order.push("slow");
    });
    await writes.add(async () => {
      order.push("fast");
    });
    const done = writes.done();
    expect(await isSettled(done)).toBe(false);
    slow.finish();
    await done;
    expect(order).toEqual(["fast", "slow"]);
  });

  test("a failed write is thrown by the next add() and by done(), never lost", async () => {
    const writes = new WriteBehind(8);
    const failing = controlled();
    await writes.add(failing.write);
    failing.fail(new Error("disk full"));
    await writes.settled(); // never throws
    let ran = false;
    await expect(
      writes.add(async () => {
        ran = true;
      }),
    ).rejects.toThrow("disk full");
    expect(ran).toBe(false); // nothing new starts after a failure
    await expect(writes.done()).rejects.toThrow("disk full");
  });

  test("the first failure is the one thrown", async () => {
    const writes = new WriteBehind(8);
    const first = controlled();
    const second = controlled();
    await writes.add(first.write);
    await writes.add(second.write);
    first.fail(new Error("first"));
    await Promise.resolve();
    second.fail(new Error("second"));
    await expect(writes.done()).rejects.toThrow("first");
  });

  test("a failure while add() waits for room is thrown by that add()", async () => {
    const writes = new WriteBehind(1);
    const failing = controlled();
    const waiting = writes.add(failing.write);
    failing.fail(new Error("gone"));
    await expect(waiting).rejects.toThrow("gone");
  });

  test("a limit below 1 is refused", () => {
    expect(() => new WriteBehind(0)).toThrow(/limit 0/);
  });
});
