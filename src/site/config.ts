// Site choices that are editorial rather than derived from data.

/** Charts featured on the home page, matched by chart name and program; missing ones are skipped. */
export const FEATURED_CHARTS: readonly { program: string; name: string }[] = [
  { program: "cmd/go", name: "go/mode" },
  { program: "cmd/go", name: "go/build/flag/buildmode" },
  { program: "cmd/go", name: "go/buildcache" },
];

/** How many buckets a mini bar chart on a program page shows (largest shares first). */
export const MINI_BARS = 5;
