// sortIds and mergeIds against the plain definition: every (id, day) pair, sorted by id
// then day. Property tests with a fixed seed, on uniform ids (the real case), on ids
// crowded into a few buckets (the comparison-sort path) and on ids shared between days.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { mergeIds, sortIds, type DayIds, type IdRun } from "./ids.ts";

const SEED = 20261202;

function reference(daysIds: readonly DayIds[]): [number, number][] {
  const pairs = daysIds.flatMap(({ ids, day }) => Array.from(ids, (x) => [x, day] as [number, number]));
  return pairs.sort(([x, d], [y, e]) => x - y || d - e);
}

const pairsOf = (run: IdRun) => Array.from(run.ids, (x, k) => [x, run.days[k]!] as [number, number]);

// A day's ids are distinct; days share some (re-uploads). `pool` decides the spread. The
// days are numbered out of order (7i mod 13), as sortIds must not rely on their order.
const daysIds = (pool: fc.Arbitrary<number>) =>
  fc
    .array(fc.uniqueArray(pool, { maxLength: 80 }), { maxLength: 12 })
    .map((lists) => lists.map((ids, i) => ({ ids: Float64Array.from(ids), day: (7 * i) % 13 })));

const uniform = fc.double({ min: Number.MIN_VALUE, max: 1, noNaN: true });
// Few distinct values, all in one or two buckets, so days share many and buckets overflow.
const crowded = fc.integer({ min: 0, max: 60 }).map((k) => 0.5 + k * 1e-9);
const edges = fc.constantFrom(1, Number.MIN_VALUE, 0.5, 1 - Number.EPSILON / 2, 0.25);
const mixed = fc.oneof(uniform, crowded, edges);

describe("sortIds", () => {
  it("sorts by id, then day, for uniform, crowded and edge ids", () => {
    for (const pool of [uniform, crowded, mixed]) {
      fc.assert(
        fc.property(daysIds(pool), (input) => {
          expect(pairsOf(sortIds(input))).toEqual(reference(input));
        }),
        { seed: SEED, numRuns: 300 },
      );
    }
  });

  it("takes days in any order, and days with no ids", () => {
    const input = [
      { ids: Float64Array.of(0.9, 0.1), day: 7 },
      { ids: new Float64Array(0), day: 1 },
      { ids: Float64Array.of(0.1, 1, 0.5), day: 2 },
    ];
    const sorted = sortIds(input);
    expect(Array.from(sorted.ids)).toEqual([0.1, 0.1, 0.5, 0.9, 1]);
    expect(Array.from(sorted.days)).toEqual([2, 7, 2, 7, 2]);
    expect(sortIds([]).ids.length).toBe(0);
  });

  it("sorts a large uniform input (many buckets) like the reference", () => {
    let seed = 1;
    const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    const input = Array.from({ length: 50 }, (_, day) => ({
      ids: Float64Array.from({ length: 2000 }, () => random()),
      day,
    }));
    // Shared ids across days, as re-uploads are.
    input[30]!.ids.set(input[3]!.ids.subarray(0, 40), 0);
    expect(pairsOf(sortIds(input))).toEqual(reference(input));
  });
});

describe("mergeIds", () => {
  it("equals sorting everything, however the days are split", () => {
    fc.assert(
      fc.property(daysIds(mixed), fc.array(fc.boolean(), { minLength: 12, maxLength: 12 }), (input, side) => {
        const a = sortIds(input.filter((_, i) => side[i]));
        const b = sortIds(input.filter((_, i) => !side[i]));
        expect(pairsOf(mergeIds(a, b))).toEqual(reference(input));
        expect(pairsOf(mergeIds(b, a))).toEqual(reference(input));
      }),
      { seed: SEED, numRuns: 400 },
    );
  });
});
