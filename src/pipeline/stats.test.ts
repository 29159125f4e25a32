import { expect, test } from "vitest";
import { shareOf, wilsonInterval } from "./stats.ts";

test.each([
  [5, 10, 0.2366, 0.7634],
  [0, 10, 0, 0.2775],
  [10, 10, 0.7225, 1],
  [1, 1, 0.2065, 1],
  [50, 100, 0.4038, 0.5962],
])("Wilson 95%% interval of %i/%i is [%f, %f]", (successes, trials, low, high) => {
  const interval = wilsonInterval(successes, trials);
  expect(interval.low).toBeCloseTo(low, 4);
  expect(interval.high).toBeCloseTo(high, 4);
});

test("the Wilson interval is exactly 0 at no successes and exactly 1 at all successes", () => {
  expect(wilsonInterval(0, 7).low).toBe(0);
  expect(wilsonInterval(7, 7).high).toBe(1);
});

test("with no trials the interval is [0, 0]", () => {
  expect(wilsonInterval(0, 0)).toEqual({ low: 0, high: 0 });
});

test("successes above trials (bad data) are computed as successes = trials", () => {
  expect(wilsonInterval(12, 10)).toEqual(wilsonInterval(10, 10));
});

test("a share is reports over eligible reports, 0 when nothing is eligible", () => {
  expect(shareOf(5, 10)).toMatchObject({ share: 0.5 });
  expect(shareOf(3, 0)).toEqual({ share: 0, share_low: 0, share_high: 0 });
});

test("a share above 1 stays visible while its interval is clamped to [0, 1]", () => {
  const share = shareOf(12, 10);
  expect(share.share).toBe(1.2);
  expect(share.share_high).toBe(1);
});
