// Report ids (X) with the day each was seen on, sorted: how the series finds the reports
// uploaded on several days (equal ids are neighbours).
//
// Sorted means by id, then by day. A cold run sorts a year of ids (every day's, in no
// order); a daily rebuild merges one new day's into the year it kept. Both are linear in
// practice: X is uniform in (0, 1] (the client draws it so), so distributing ids by their
// leading bits leaves a handful per bucket; a skewed input only costs a comparison sort
// of its crowded buckets.

/** Ids ascending, ties by day ascending; `days[k]` is the day of `ids[k]`. */
export interface IdRun {
  ids: Float64Array;
  days: Uint32Array;
}

/** One day's ids, in any order. */
export interface DayIds {
  ids: ArrayLike<number>;
  day: number;
}

/** Buckets holding more than this are sorted by comparison, not by insertion. */
const INSERTION_LIMIT = 32;

/**
 * The ids of `daysIds` sorted. A day's ids must be distinct (a day lists each report
 * once); ids are expected in (0, 1], and anything else still sorts correctly, only slower.
 */
export function sortIds(daysIds: readonly DayIds[]): IdRun {
  let total = 0;
  for (const { ids } of daysIds) total += ids.length;
  const ids = new Float64Array(total);
  const days = new Uint32Array(total);
  if (total === 0) return { ids, days };
  // Bucket of an id: its leading bits; 1 (the largest X) goes into the last bucket. About
  // four ids a bucket: sorting a year of ids took 35-50 ms so, 75-100 ms with one a bucket
  // (whose counts no longer fit the processor's caches).
  let bits = 1;
  while (bits < 22 && 1 << (bits + 2) < total) bits++;
  const buckets = 1 << bits;
  const bucketOf = (x: number) => (x > 0 ? (x < 1 ? Math.floor(x * buckets) : buckets - 1) : 0);
  const starts = new Uint32Array(buckets + 1);
  for (const { ids: dayIds } of daysIds) {
    for (let k = 0; k < dayIds.length; k++) starts[bucketOf(dayIds[k]!) + 1]!++;
  }
  for (let b = 0; b < buckets; b++) starts[b + 1]! += starts[b]!;
  // Placed in the order of daysIds: a stable distribution. Sorting the buckets then only
  // compares ids within one.
  const next = starts.slice(0, buckets);
  for (const { ids: dayIds, day } of daysIds) {
    for (let k = 0; k < dayIds.length; k++) {
      const at = next[bucketOf(dayIds[k]!)]!++;
      ids[at] = dayIds[k]!;
      days[at] = day;
    }
  }
  for (let b = 0; b < buckets; b++) {
    const start = starts[b]!;
    const end = starts[b + 1]!;
    if (end - start <= 1) continue;
    if (end - start <= INSERTION_LIMIT) insertionSort(ids, days, start, end);
    else comparisonSort(ids, days, start, end);
  }
  return { ids, days };
}

const before = (x: number, dx: number, y: number, dy: number) => x < y || (x === y && dx < dy);

function insertionSort(ids: Float64Array, days: Uint32Array, start: number, end: number): void {
  for (let i = start + 1; i < end; i++) {
    const x = ids[i]!;
    const d = days[i]!;
    let j = i;
    while (j > start && before(x, d, ids[j - 1]!, days[j - 1]!)) {
      ids[j] = ids[j - 1]!;
      days[j] = days[j - 1]!;
      j--;
    }
    ids[j] = x;
    days[j] = d;
  }
}

function comparisonSort(ids: Float64Array, days: Uint32Array, start: number, end: number): void {
  const order = Array.from({ length: end - start }, (_, k) => start + k);
  order.sort((a, b) => ids[a]! - ids[b]! || days[a]! - days[b]!);
  const sortedIds = Float64Array.from(order, (k) => ids[k]!);
  const sortedDays = Uint32Array.from(order, (k) => days[k]!);
  ids.set(sortedIds, start);
  days.set(sortedDays, start);
}

/**
 * Two sorted runs merged into one (one of them, when the other is empty). Each element of
 * the shorter is placed by a binary search in the longer, whose stretches in between are
 * copied whole: merging a day into a year costs the copy of the year and a few thousand
 * searches.
 */
export function mergeIds(a: IdRun, b: IdRun): IdRun {
  const [long, short] = a.ids.length >= b.ids.length ? [a, b] : [b, a];
  if (short.ids.length === 0) return long;
  const total = long.ids.length + short.ids.length;
  const ids = new Float64Array(total);
  const days = new Uint32Array(total);
  let from = 0; // next element of `long` to copy
  let to = 0;
  for (let k = 0; k < short.ids.length; k++) {
    const x = short.ids[k]!;
    const d = short.days[k]!;
    // First element of long at or after `from` that does not sort before (x, d).
    let lo = from;
    let hi = long.ids.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (before(long.ids[mid]!, long.days[mid]!, x, d)) lo = mid + 1;
      else hi = mid;
    }
    ids.set(long.ids.subarray(from, lo), to);
    days.set(long.days.subarray(from, lo), to);
    to += lo - from;
    from = lo;
    ids[to] = x;
    days[to++] = d;
  }
  ids.set(long.ids.subarray(from), to);
  days.set(long.days.subarray(from), to);
  return { ids, days };
}
