// The sample-data generator's pure core: a seeded model of Go telemetry
// installs that writes one day of published reports as NDJSON, with no I/O.
//
// Every report is drawn from its own PRNG stream, seeded by (seed, day, index),
// so any day can be generated alone and the same options always give the same
// bytes. Trends (Go version adoption, the GOPATH decline, the darwin stale
// standard library regression and its fix) follow the day's progress through
// the range, from 0 on the first day to 1 on the last.

import { gzipSync, strToU8, zipSync } from "fflate";
import type { ProgramReport, Report, UploadConfig } from "../src/pipeline/types.ts";

// ---------------------------------------------------------------------------
// Options.

export type OutputFormat = "gzip" | "plain" | "zip";
export const OUTPUT_FORMATS: readonly OutputFormat[] = ["gzip", "plain", "zip"];

export interface GenerateOptions {
  /** Last day of the range (YYYY-MM-DD). */
  end: string;
  /** Number of consecutive days, ending with `end`. */
  days: number;
  /** Average reports per day; weekdays get more, weekends fewer. */
  reports: number;
  seed: number;
  format: OutputFormat;
  /**
   * The upload config the reports are uploaded under. What it does not list (counters, program
   * versions, Go versions, platforms) is left out of them, as the telemetry client leaves it
   * out, and a sampled counter is kept only when the report's X is within its rate.
   */
  uploadConfig: UploadConfig;
}

/** The options that produce the committed sample in data/reports. */
export const SAMPLE_DEFAULTS = {
  end: "2026-11-22",
  days: 112,
  reports: 300,
  seed: 1,
  format: "gzip",
} as const satisfies Omit<GenerateOptions, "uploadConfig">;

/** The upload config version most clients report; older clients lag one behind. */
const CONFIG_VERSION = "v0.0.9";
const PREVIOUS_CONFIG_VERSION = "v0.0.8";

/** Share of reports uploaded again: in the same day's file, or in the next day's. */
const SAME_DAY_REUPLOAD_RATE = 0.003;
const NEXT_DAY_REUPLOAD_RATE = 0.002;

/** Where in the range malformed lines appear (fractions of the range), and which ones. */
type MalformedKind = "truncated" | "x-zero" | "negative-count";
const MALFORMED_DAYS: readonly { at: number; kinds: readonly MalformedKind[] }[] = [
  { at: 0.37, kinds: ["truncated"] },
  { at: 0.81, kinds: ["x-zero", "negative-count", "truncated"] },
];

// ---------------------------------------------------------------------------
// Dates, as whole days since 1970-01-01 (UTC).

const MS_PER_DAY = 86_400_000;

export function dayNumber(date: string): number {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!match) throw new Error(`invalid date ${JSON.stringify(date)}: want YYYY-MM-DD`);
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const ms = Date.UTC(year, month - 1, day);
  if (dateOf(ms / MS_PER_DAY) !== date) throw new Error(`invalid date ${JSON.stringify(date)}`);
  return ms / MS_PER_DAY;
}

const dates = new Map<number, string>();

export function dateOf(day: number): string {
  let date = dates.get(day);
  if (date === undefined) {
    date = new Date(day * MS_PER_DAY).toISOString().slice(0, 10);
    dates.set(day, date);
  }
  return date;
}

/** The range's dates, oldest first. */
export function rangeDates(options: Pick<GenerateOptions, "end" | "days">): string[] {
  const last = dayNumber(options.end);
  return Array.from({ length: options.days }, (_, i) => dateOf(last - options.days + 1 + i));
}

export function dayFileName(date: string, format: OutputFormat): string {
  return format === "gzip" ? `${date}.json.gz` : format === "zip" ? `${date}.zip` : `${date}.json`;
}

// ---------------------------------------------------------------------------
// Seeded randomness.

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Mixes integers into one 32-bit seed, so each (seed, day, index) gets its own stream. */
export function hash32(...parts: number[]): number {
  let h = 0x2545f491;
  for (const part of parts) h = fmix32(((h ^ fmix32(part >>> 0)) + 0x9e3779b9) | 0);
  return h;
}

/** Streams used for different purposes, so adding draws to one never shifts another. */
const STREAM = { dayVolume: 1, report: 2, reupload: 3, malformed: 4 } as const;

/** mulberry32, with the draws the model needs. */
export class Rng {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  uint32(): number {
    this.#state = (this.#state + 0x6d2b79f5) | 0;
    let z = this.#state;
    z = Math.imul(z ^ (z >>> 15), z | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    return (z ^ (z >>> 14)) >>> 0;
  }

  /** Uniform in [0, 1). */
  float(): number {
    return this.uint32() / 4_294_967_296;
  }

  /** Uniform in (0, 1] with 53 random bits, so X never is 0 and rarely collides. */
  unitX(): number {
    const high = this.uint32() >>> 5;
    const low = this.uint32() >>> 6;
    return (high * 67_108_864 + low + 1) / 2 ** 53;
  }

  chance(p: number): boolean {
    return this.float() < p;
  }

  /** Uniform integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.float() * (max - min + 1));
  }

  between(min: number, max: number): number {
    return min + this.float() * (max - min);
  }

  normal(): number {
    const u = 1 - this.float();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.float());
  }

  /** A heavy-tailed positive integer around e^mu, clamped to [min, max]. */
  logNormalInt(mu: number, sigma: number, min: number, max: number): number {
    return Math.min(max, Math.max(min, Math.round(Math.exp(mu + sigma * this.normal()))));
  }

  pick<T>(choices: Weighted<T>): T {
    let u = this.float() * choices.total;
    for (const [value, weight] of choices.entries) {
      u -= weight;
      if (u < 0) return value;
    }
    const last = choices.entries[choices.entries.length - 1];
    if (!last) throw new Error("pick from an empty distribution");
    return last[0];
  }
}

/** A discrete distribution: values with non-negative weights. */
export interface Weighted<T> {
  entries: readonly (readonly [T, number])[];
  total: number;
}

function weighted<T>(entries: readonly (readonly [T, number])[]): Weighted<T> {
  const kept = entries.filter(([, weight]) => weight > 0);
  return { entries: kept, total: kept.reduce((sum, [, weight]) => sum + weight, 0) };
}

function fromRecord<K extends string>(record: Record<K, number>): Weighted<K> {
  return weighted(Object.entries(record) as [K, number][]);
}

// ---------------------------------------------------------------------------
// The model: who uploads, with what, and what their counters say.

export const PROGRAM = {
  go: "cmd/go",
  compile: "cmd/compile",
  dlv: "github.com/go-delve/delve/cmd/dlv",
  gopls: "golang.org/x/tools/gopls",
  govulncheck: "golang.org/x/vuln/cmd/govulncheck",
} as const;

const GOOS_SHARE = fromRecord({
  linux: 0.55,
  darwin: 0.25,
  windows: 0.18,
  freebsd: 0.011,
  openbsd: 0.004,
  android: 0.002,
  netbsd: 0.002,
  illumos: 0.001,
});

const GOARCH_SHARE_BY_GOOS: Record<string, Weighted<string>> = {
  linux: fromRecord({ amd64: 0.8, arm64: 0.16, arm: 0.02, "386": 0.01, riscv64: 0.005, ppc64le: 0.005 }),
  darwin: fromRecord({ arm64: 0.82, amd64: 0.18 }),
  windows: fromRecord({ amd64: 0.92, arm64: 0.04, "386": 0.04 }),
  freebsd: fromRecord({ amd64: 0.85, arm64: 0.15 }),
  openbsd: fromRecord({ amd64: 0.9, arm64: 0.1 }),
  android: fromRecord({ arm64: 1 }),
  netbsd: fromRecord({ amd64: 1 }),
  illumos: fromRecord({ amd64: 1 }),
};

/**
 * A release and when it appeared, in range progress units (0 = first day,
 * 1 = last day; negative = before the range).
 */
interface Release {
  version: string;
  at: number;
  prerelease?: boolean;
}

/** How quickly users move to a new release, in range progress units. */
interface Uptake {
  /** Time for a new release to reach most of its eventual users. */
  ramp: number;
  /** Time for a superseded release to lose most of its users. */
  decay: number;
  /** Fraction of a release's users who never move on. */
  holdouts: number;
}

type GoLine = "go1.23" | "go1.24" | "go1.25";

const GO_RELEASES: Record<GoLine, readonly Release[]> = {
  "go1.23": [
    { version: "go1.23.8", at: -0.9 },
    { version: "go1.23.9", at: -0.6 },
    { version: "go1.23.10", at: -0.35 },
    { version: "go1.23.11", at: -0.1 },
    { version: "go1.23.12", at: 0.3 },
  ],
  "go1.24": [
    { version: "go1.24.4", at: -0.9 },
    { version: "go1.24.5", at: -0.6 },
    { version: "go1.24.6", at: -0.35 },
    { version: "go1.24.7", at: -0.1 },
    { version: "go1.24.8", at: 0.3 },
    { version: "go1.24.9", at: 0.55 },
    { version: "go1.24.10", at: 0.8 },
  ],
  "go1.25": [
    { version: "go1.25rc1", at: -0.15, prerelease: true },
    { version: "go1.25rc2", at: 0.0, prerelease: true },
    { version: "go1.25.0", at: 0.1 },
    { version: "go1.25.1", at: 0.3 },
    { version: "go1.25.2", at: 0.55 },
    { version: "go1.25.3", at: 0.8 },
  ],
};

/**
 * The darwin regression the stale-stdlib chart watches for: these versions
 * rebuild the standard library on macOS, fixed in go1.24.9 and go1.25.2.
 */
function hasDarwinStaleStdlibBug(goVersion: string): boolean {
  const match = /^go1\.(24|25)(?:\.(\d+)|rc\d+)$/.exec(goVersion);
  if (!match) return false;
  if (match[2] === undefined) return true;
  return Number(match[2]) < (match[1] === "24" ? 9 : 2);
}

const GO_UPTAKE: Uptake = { ramp: 0.08, decay: 0.12, holdouts: 0.15 };

const GOPLS_RELEASES: readonly Release[] = [
  { version: "v0.16.2", at: -1.2 },
  { version: "v0.17.1", at: -0.8 },
  { version: "v0.18.1", at: -0.45 },
  { version: "v0.19.0", at: -0.15 },
  { version: "v0.19.1", at: 0.08 },
  { version: "v0.20.0-pre.1", at: 0.35, prerelease: true },
  { version: "v0.20.0-pre.2", at: 0.45, prerelease: true },
  { version: "v0.20.0", at: 0.55 },
  { version: "v0.20.1", at: 0.85 },
];
const GOPLS_UPTAKE: Uptake = { ramp: 0.05, decay: 0.1, holdouts: 0.3 };

const GOVULNCHECK_RELEASES: readonly Release[] = [
  { version: "v1.1.2", at: -1.0 },
  { version: "v1.1.3", at: -0.5 },
  { version: "v1.1.4", at: 0.4 },
];

const DLV_RELEASES: readonly Release[] = [
  { version: "v1.24.0", at: -1.0 },
  { version: "v1.24.1", at: -0.7 },
  { version: "v1.24.2", at: -0.4 },
  { version: "v1.25.0", at: 0.05 },
  { version: "v1.25.1", at: 0.4 },
  { version: "v1.25.2", at: 0.8 },
];
const TOOL_UPTAKE: Uptake = { ramp: 0.1, decay: 0.2, holdouts: 0.25 };

/** Prereleases are tried by few, and abandoned once anything newer ships. */
const PRERELEASE_APPEAL = 0.04;

/** Who runs which release at a moment: releases already out, weighted by uptake. */
function releaseMix(releases: readonly Release[], t: number, uptake: Uptake): Weighted<string> {
  const out = releases.filter((release) => release.at <= t);
  return weighted(
    out.map((release, i) => {
      let weight =
        (release.prerelease ? PRERELEASE_APPEAL : 1) * (1 - Math.exp(-(t - release.at) / uptake.ramp));
      for (const newer of out.slice(i + 1)) {
        if (newer.prerelease && !release.prerelease) continue;
        const holdouts = release.prerelease ? 0.02 : uptake.holdouts;
        weight *= holdouts + (1 - holdouts) * Math.exp(-(t - newer.at) / uptake.decay);
      }
      // A release out for an instant still has its first few users.
      return [release.version, Math.max(weight, 1e-3)] as const;
    }),
  );
}

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/** Share of each Go release line at a moment: go1.25 ships early in the range and overtakes go1.24. */
function goLineMix(t: number): Weighted<GoLine> {
  return fromRecord({
    "go1.23": Math.max(0.02, 0.3 - 0.2 * t),
    "go1.24": Math.max(0.05, 0.62 - 0.27 * t),
    "go1.25": GO_RELEASES["go1.25"].some((release) => release.at <= t)
      ? 0.03 + 0.55 * sigmoid((t - 0.4) / 0.12)
      : 0,
  });
}

/** Share of cmd/go reports with any GOPATH-mode invocation: slowly declining, 9% → 6%. */
function gopathShare(t: number): number {
  return 0.09 - 0.03 * t;
}

const BUILDMODE_SHARE = fromRecord({
  exe: 40,
  default: 30,
  pie: 18,
  "c-shared": 6,
  "c-archive": 3.5,
  archive: 1.2,
  plugin: 0.8,
  shared: 1.1,
});

function editorMix(t: number): Weighted<string> {
  return fromRecord({
    vscode: 0.5 - 0.06 * t,
    "vscode-insiders": 0.02,
    vscodium: 0.02,
    "code-server": 0.01,
    cursor: 0.06 + 0.06 * t,
    windsurf: 0.012 + 0.01 * t,
    zed: 0.03 + 0.02 * t,
    neovim: 0.16,
    govim: 0.015,
    "coc.nvim": 0.02,
    eglot: 0.035,
    sublimetext: 0.012,
    helix: 0.03,
    other: 0.03,
  });
}
const GOTOOLCHAIN_SHARE = fromRecord({ auto: 0.68, local: 0.2, path: 0.08, other: 0.04 });
const VULN_SCAN_SHARE = fromRecord({ symbol: 0.78, package: 0.14, module: 0.08 });
const VULN_MODE_SHARE = fromRecord({ source: 0.84, binary: 0.11, extract: 0.02, query: 0.02, convert: 0.01 });
const VULN_FORMAT_SHARE = fromRecord({ text: 0.7, json: 0.19, sarif: 0.09, openvex: 0.02 });
const DLV_COMMAND_SHARE = fromRecord({
  dap: 0.55,
  debug: 0.18,
  test: 0.12,
  exec: 0.06,
  attach: 0.05,
  connect: 0.02,
  core: 0.01,
  trace: 0.01,
});

/** A stack counter value: its frames, and which program versions can hit it. */
interface Stack {
  frames: readonly string[];
  affects?: (version: string) => boolean;
}

/** Versions released before `version`, in release order (string order misleads: v0.9 > v0.10). */
function releasedBefore(releases: readonly Release[], version: string): (candidate: string) => boolean {
  const position = (v: string) => releases.findIndex((release) => release.version === v);
  return (candidate) => position(candidate) < position(version);
}

const FATALF = ["cmd/compile/internal/base.FatalfAt:+3", "cmd/compile/internal/base.Fatalf:+1"];
const COMPILE_WORKER = [
  "cmd/compile/internal/ssagen.Compile:+12",
  "cmd/compile/internal/gc.compileFunctions.func5.1:+1",
  "cmd/compile/internal/gc.compileFunctions.func3.1:+2",
];
const COMPILER_MAIN = ["cmd/compile/internal/gc.Main:+175", "main.main:+12", "runtime.main:+125"];

/** compile/bug stacks, most frequent first. */
const COMPILE_BUGS: readonly Stack[] = [
  {
    frames: [
      ...FATALF,
      "cmd/compile/internal/ssagen.(*ssafn).Fatalf:+4",
      "cmd/compile/internal/ssa.(*Func).Fatalf:+7",
      "cmd/compile/internal/ssa.(*regAllocState).regalloc:+694",
      "cmd/compile/internal/ssa.regalloc:+4",
      "cmd/compile/internal/ssa.Compile:+85",
      "cmd/compile/internal/ssagen.buildssa:+316",
      ...COMPILE_WORKER,
    ],
    // A register allocator regression in go1.25.0 and go1.25.1.
    affects: (version) => version === "go1.25.0" || version === "go1.25.1",
  },
  {
    frames: [
      ...FATALF,
      "cmd/compile/internal/ssagen.(*state).Fatalf:+3",
      "cmd/compile/internal/ssagen.(*state).stmt:+412",
      "cmd/compile/internal/ssagen.(*state).stmtList:+2",
      "cmd/compile/internal/ssagen.(*state).stmt:+18",
      "cmd/compile/internal/ssagen.buildssa:+291",
      ...COMPILE_WORKER,
    ],
  },
  {
    frames: [
      ...FATALF,
      "cmd/compile/internal/noder.(*reader).expr:+287",
      "cmd/compile/internal/noder.(*reader).stmt1:+62",
      "cmd/compile/internal/noder.(*reader).stmts:+9",
      "cmd/compile/internal/noder.(*reader).funcBody.func1:+11",
      "cmd/compile/internal/ir.WithFunc:+7",
      "cmd/compile/internal/noder.(*reader).funcBody:+7",
      "cmd/compile/internal/noder.(*reader).funcExt:+56",
      "cmd/compile/internal/noder.(*reader).method:+31",
      "cmd/compile/internal/noder.readPackage:+25",
      "cmd/compile/internal/noder.unified:+52",
      "cmd/compile/internal/noder.LoadPackage:+88",
      ...COMPILER_MAIN,
    ],
  },
  {
    frames: [
      ...FATALF,
      "cmd/compile/internal/escape.(*escape).exprSkipInit:+236",
      "cmd/compile/internal/escape.(*escape).expr:+2",
      "cmd/compile/internal/escape.(*escape).stmt:+133",
      "cmd/compile/internal/escape.(*escape).block:+3",
      "cmd/compile/internal/escape.(*batch).walkFunc:+27",
      "cmd/compile/internal/escape.Batch:+44",
      "cmd/compile/internal/ir.(*bottomUpVisitor).visit:+57",
      "cmd/compile/internal/ir.VisitFuncsBottomUp:+13",
      "cmd/compile/internal/escape.Funcs:+1",
      "cmd/compile/internal/gc.Main:+224",
      "main.main:+12",
      "runtime.main:+125",
    ],
  },
  {
    frames: [
      "cmd/compile/internal/types2.(*Checker).handleBailout:+12",
      "cmd/compile/internal/types2.(*Checker).checkFiles.deferwrap1:+0",
      "runtime.gopanic:+69",
      "cmd/compile/internal/types2.(*unifier).nify:+315",
      "cmd/compile/internal/types2.(*unifier).unify:+1",
      "cmd/compile/internal/types2.(*Checker).infer:+189",
      "cmd/compile/internal/types2.(*Checker).arguments:+165",
      "cmd/compile/internal/types2.(*Checker).callExpr:+308",
      "cmd/compile/internal/types2.(*Checker).exprInternal:+357",
      "cmd/compile/internal/types2.(*Checker).rawExpr:+17",
      "cmd/compile/internal/types2.(*Checker).expr:+4",
      "cmd/compile/internal/types2.(*Checker).stmt:+108",
      "cmd/compile/internal/types2.(*Checker).stmtList:+8",
      "cmd/compile/internal/types2.(*Checker).funcBody:+31",
      "cmd/compile/internal/types2.(*Checker).funcDecl.func1:+1",
      "cmd/compile/internal/types2.(*Checker).processDelayed:+29",
    ],
    affects: (version) => version.startsWith("go1.25"),
  },
];

const GOPLS = "golang.org/x/tools/gopls/internal";
const GOPLS_BUG_REPORT = [`${GOPLS}/util/bug.report:+35`, `${GOPLS}/util/bug.Reportf:+1`];

/** gopls/bug stacks, most frequent first. */
const GOPLS_BUGS: readonly Stack[] = [
  {
    frames: [
      ...GOPLS_BUG_REPORT,
      `${GOPLS}/cache.(*Snapshot).PackageDiagnostics:+41`,
      `${GOPLS}/server.(*server).diagnose:+87`,
      `${GOPLS}/server.(*server).diagnoseChangedViews.func1:+6`,
      "runtime.goexit:+0",
    ],
  },
  {
    frames: [
      ...GOPLS_BUG_REPORT,
      `${GOPLS}/golang/completion.(*completer).expectedCallParamType:+23`,
      `${GOPLS}/golang/completion.expectedCandidate:+64`,
      `${GOPLS}/golang/completion.(*completer).collectCompletions:+112`,
      `${GOPLS}/golang/completion.Completion:+143`,
      `${GOPLS}/server.(*server).Completion:+32`,
      `${GOPLS}/protocol.serverDispatch:+220`,
    ],
    affects: releasedBefore(GOPLS_RELEASES, "v0.20.0-pre.1"),
  },
  {
    frames: [
      ...GOPLS_BUG_REPORT,
      `${GOPLS}/cache/parsego.fixAST:+38`,
      `${GOPLS}/cache/parsego.Parse:+61`,
      `${GOPLS}/cache.parseGoImpl:+27`,
      `${GOPLS}/cache.(*parseCache).startParse.func1:+11`,
      "runtime.goexit:+0",
    ],
  },
  {
    frames: [
      ...GOPLS_BUG_REPORT,
      `${GOPLS}/golang.renameOrdinary:+61`,
      `${GOPLS}/golang.Rename:+58`,
      `${GOPLS}/server.(*server).Rename:+20`,
      `${GOPLS}/protocol.serverDispatch:+545`,
    ],
  },
  {
    frames: [
      ...GOPLS_BUG_REPORT,
      `${GOPLS}/golang.hover:+254`,
      `${GOPLS}/golang.Hover:+4`,
      `${GOPLS}/server.(*server).Hover:+28`,
      `${GOPLS}/protocol.serverDispatch:+340`,
    ],
    affects: (version) => !releasedBefore(GOPLS_RELEASES, "v0.20.0-pre.1")(version),
  },
];

const GO_PANIC_NIL = ["runtime.gopanic:+69", "runtime.panicmem:+1", "runtime.sigpanic:+19"];

/** gopls crash/crash stacks, most frequent first. */
const GOPLS_CRASHES: readonly Stack[] = [
  {
    frames: [
      ...GO_PANIC_NIL,
      "go/types.(*Checker).objDecl:+12",
      "go/types.(*Checker).packageObjects:+98",
      "go/types.(*Checker).checkFiles:+53",
      "go/types.(*Checker).Files:+6",
      `${GOPLS}/cache.typeCheckImpl:+19`,
      `${GOPLS}/cache.(*typeCheckBatch).checkPackage:+127`,
      `${GOPLS}/cache.(*typeCheckBatch).getPackage:+24`,
      `${GOPLS}/cache.(*Snapshot).forEachPackage.func1:+10`,
      "golang.org/x/sync/errgroup.(*Group).Go.func1:+5",
      "runtime.goexit:+0",
    ],
  },
  {
    frames: [
      "runtime.gopanic:+69",
      "runtime.goPanicIndex:+2",
      `${GOPLS}/protocol.(*Mapper).OffsetPosition:+17`,
      `${GOPLS}/golang.semanticTokens:+44`,
      `${GOPLS}/server.(*server).semanticTokens:+38`,
      `${GOPLS}/protocol.serverDispatch:+812`,
      `${GOPLS}/lsprpc.(*streamServer).ServeStream.func1:+9`,
      "golang.org/x/tools/internal/jsonrpc2.(*conn).run.func1:+19",
      "runtime.goexit:+0",
    ],
    affects: (version) => version.startsWith("v0.19"),
  },
  {
    frames: [
      "runtime.throw:+2",
      "runtime.fatalthrow.func1:+7",
      "runtime.fatalthrow:+21",
      "runtime.throw:+5",
      "runtime.sysMap:+6",
      "runtime.(*mheap).grow:+55",
      "runtime.(*mheap).allocSpan:+241",
      "runtime.(*mheap).alloc.func1:+10",
      "runtime.systemstack:+5",
    ],
  },
];

/** dlv crash/crash stacks, most frequent first. */
const DLV_CRASHES: readonly Stack[] = [
  {
    frames: [
      ...GO_PANIC_NIL,
      "github.com/go-delve/delve/pkg/proc.(*Variable).loadValueInternal:+41",
      "github.com/go-delve/delve/pkg/proc.(*Variable).loadValue:+1",
      "github.com/go-delve/delve/pkg/proc.(*EvalScope).EvalExpression:+13",
      "github.com/go-delve/delve/service/debugger.(*Debugger).EvalVariableInScope:+22",
      "github.com/go-delve/delve/service/dap.(*Session).onEvaluateRequest:+83",
      "github.com/go-delve/delve/service/dap.(*Session).handleRequest:+143",
      "github.com/go-delve/delve/service/dap.(*Session).ServeDAPCodec:+65",
      "github.com/go-delve/delve/service/dap.(*Server).runSession:+8",
      "runtime.goexit:+0",
    ],
  },
  {
    frames: [
      "runtime.gopanic:+69",
      "runtime.goPanicSliceB:+2",
      "github.com/go-delve/delve/pkg/dwarf/line.(*StateMachine).next:+31",
      "github.com/go-delve/delve/pkg/dwarf/line.(*DebugLineInfo).LineToPCs:+19",
      "github.com/go-delve/delve/pkg/proc.(*BinaryInfo).LineToPC:+12",
      "github.com/go-delve/delve/pkg/proc.FindFileLocation:+24",
      "github.com/go-delve/delve/service/debugger.(*Debugger).CreateBreakpoint:+61",
      "github.com/go-delve/delve/service/dap.(*Session).setBreakpoints:+97",
      "runtime.goexit:+0",
    ],
    affects: releasedBefore(DLV_RELEASES, "v1.25.1"),
  },
  {
    frames: [
      ...GO_PANIC_NIL,
      "github.com/go-delve/delve/pkg/proc/native.(*nativeThread).resume:+4",
      "github.com/go-delve/delve/pkg/proc/native.(*nativeProcess).resume:+28",
      "github.com/go-delve/delve/pkg/proc.Continue:+93",
      "github.com/go-delve/delve/service/debugger.(*Debugger).Command:+87",
      "runtime.goexit:+0",
    ],
  },
];

/** Stack frequencies fall off like 1/rank (Zipf). */
function stackMix(stacks: readonly Stack[], version: string): Weighted<Stack> {
  const possible = stacks.filter((stack) => stack.affects?.(version) ?? true);
  return weighted(possible.map((stack, rank) => [stack, 1 / (rank + 1) ** 1.1] as const));
}

function stackKey(counter: string, stack: Stack): string {
  return [counter, ...stack.frames].join("\n");
}

/** Every counter and stack counter the model can emit, per program (for checking configs). */
export function modelCounters(): Record<string, { counters: string[]; stacks: string[] }> {
  const buckets = (chart: string, mix: Weighted<string>) =>
    mix.entries.map(([bucket]) => `${chart}:${bucket}`);
  return {
    [PROGRAM.go]: {
      counters: [
        "go/invocations",
        "go/mode:gopath",
        "go/mode:module",
        ...buckets("go/build/flag/buildmode", BUILDMODE_SHARE),
        "go/buildcache:hit",
        "go/buildcache:miss",
        "go/stdlib/stale:fresh",
        "go/stdlib/stale:stale",
      ],
      stacks: [],
    },
    [PROGRAM.compile]: { counters: ["compile/invocations"], stacks: ["compile/bug"] },
    [PROGRAM.gopls]: {
      counters: [
        ...buckets("gopls/client", editorMix(0)),
        ...buckets("gopls/gotoolchain", GOTOOLCHAIN_SHARE),
      ],
      stacks: ["gopls/bug", "crash/crash"],
    },
    [PROGRAM.govulncheck]: {
      counters: [
        ...buckets("govulncheck/scan", VULN_SCAN_SHARE),
        ...buckets("govulncheck/mode", VULN_MODE_SHARE),
        ...buckets("govulncheck/format", VULN_FORMAT_SHARE),
      ],
      stacks: [],
    },
    [PROGRAM.dlv]: { counters: buckets("delve/command", DLV_COMMAND_SHARE), stacks: ["crash/crash"] },
  };
}

/** Every version the model can report, per program, plus the Go versions programs are built with. */
export function modelVersions(): { programs: Record<string, string[]>; goVersions: string[] } {
  const goVersions = Object.values(GO_RELEASES).flatMap((releases) => releases.map((r) => r.version));
  const versions = (releases: readonly Release[]) => releases.map((release) => release.version);
  return {
    programs: {
      [PROGRAM.go]: goVersions,
      [PROGRAM.compile]: goVersions,
      [PROGRAM.gopls]: versions(GOPLS_RELEASES),
      [PROGRAM.govulncheck]: versions(GOVULNCHECK_RELEASES),
      [PROGRAM.dlv]: versions(DLV_RELEASES),
    },
    goVersions,
  };
}

export function modelPlatforms(): { goos: string[]; goarch: string[] } {
  const goarch = new Set(
    Object.values(GOARCH_SHARE_BY_GOOS).flatMap((mix) => mix.entries.map(([arch]) => arch)),
  );
  return { goos: GOOS_SHARE.entries.map(([goos]) => goos), goarch: [...goarch] };
}

// ---------------------------------------------------------------------------
// Upload config lookups.

/** "chart:{a,b}" → ["chart:a", "chart:b"]; a plain name stays as it is. */
export function expandCounter(expression: string): string[] {
  const compact = expression.replace(/\s+/g, "");
  const match = /^([^{}]*)\{([^{}]*)\}$/.exec(compact);
  if (!match) return [compact];
  const prefix = match[1] ?? "";
  return (match[2] ?? "")
    .split(",")
    .filter((bucket) => bucket !== "")
    .map((bucket) => prefix + bucket);
}

/** Sampling rates by program and counter (stack counters by their name before the frames). */
function sampleRates(config: UploadConfig): Map<string, Map<string, number>> {
  const rates = new Map<string, Map<string, number>>();
  for (const program of config.Programs) {
    const programRates = new Map<string, number>();
    for (const counter of [...(program.Counters ?? []), ...(program.Stacks ?? [])]) {
      for (const name of expandCounter(counter.Name)) programRates.set(name, counter.Rate);
    }
    rates.set(program.Name, programRates);
  }
  return rates;
}

/**
 * What the model emits that the upload config does not list: counters, program versions, Go
 * versions and platforms. The generator leaves those out, as the telemetry client does; for
 * the project's own config (data/uploadconfig.json) the list must be empty, or the sample would
 * lose part of the model.
 */
export function modelGaps(config: UploadConfig): string[] {
  const problems: string[] = [];
  const rates = sampleRates(config);
  for (const [program, { counters, stacks }] of Object.entries(modelCounters())) {
    for (const name of [...counters, ...stacks]) {
      if (!rates.get(program)?.has(name)) problems.push(`${program}: no counter ${name}`);
    }
  }
  const { programs, goVersions } = modelVersions();
  for (const [program, versions] of Object.entries(programs)) {
    const allowed = new Set(config.Programs.find((p) => p.Name === program)?.Versions ?? []);
    for (const version of versions)
      if (!allowed.has(version)) problems.push(`${program}: no version ${version}`);
  }
  const allowedGoVersions = new Set(config.GoVersion);
  for (const version of goVersions)
    if (!allowedGoVersions.has(version)) problems.push(`no GoVersion ${version}`);
  const { goos, goarch } = modelPlatforms();
  for (const name of goos) if (!config.GOOS.includes(name)) problems.push(`no GOOS ${name}`);
  for (const name of goarch) if (!config.GOARCH.includes(name)) problems.push(`no GOARCH ${name}`);
  return problems;
}

/** Which program entries an upload config lets through: program, version, Go version and platform listed. */
function programFilter(config: UploadConfig): (program: ProgramReport) => boolean {
  const versions = new Map(config.Programs.map((p) => [p.Name, new Set(p.Versions ?? [])]));
  const goVersions = new Set(config.GoVersion);
  const goos = new Set(config.GOOS);
  const goarch = new Set(config.GOARCH);
  return (p) =>
    (versions.get(p.Program)?.has(p.Version) ?? false) &&
    goVersions.has(p.GoVersion) &&
    goos.has(p.GOOS) &&
    goarch.has(p.GOARCH);
}

// ---------------------------------------------------------------------------
// Reports.

/** What one moment of the range looks like: the distributions that drift over time. */
interface Moment {
  t: number;
  goLines: Weighted<GoLine>;
  goReleases: Record<GoLine, Weighted<string>>;
  /** Releases as they were a while ago, when tools now in use were installed. */
  earlierGoReleases: Record<GoLine, Weighted<string>>;
  gopls: Weighted<string>;
  govulncheck: Weighted<string>;
  dlv: Weighted<string>;
  editors: Weighted<string>;
}

/** How far back, in range progress, tools built by an older toolchain were installed. */
const TOOL_INSTALL_AGE = 0.4;

function goReleaseMix(t: number): Record<GoLine, Weighted<string>> {
  return {
    "go1.23": releaseMix(GO_RELEASES["go1.23"], t, GO_UPTAKE),
    "go1.24": releaseMix(GO_RELEASES["go1.24"], t, GO_UPTAKE),
    "go1.25": releaseMix(GO_RELEASES["go1.25"], t, GO_UPTAKE),
  };
}

function momentAt(t: number): Moment {
  return {
    t,
    goLines: goLineMix(t),
    goReleases: goReleaseMix(t),
    earlierGoReleases: goReleaseMix(t - TOOL_INSTALL_AGE),
    gopls: releaseMix(GOPLS_RELEASES, t, GOPLS_UPTAKE),
    govulncheck: releaseMix(GOVULNCHECK_RELEASES, t, TOOL_UPTAKE),
    dlv: releaseMix(DLV_RELEASES, t, TOOL_UPTAKE),
    editors: editorMix(t),
  };
}

/** The machine and toolchain behind one report; all its programs share it. */
interface Install {
  goos: string;
  goarch: string;
  goVersion: string;
  /** How much the go command ran this week. */
  goInvocations: number;
}

/** Counters of one program before sampling, in emission order. */
type Counts = Map<string, number>;

function add(counts: Counts, name: string, count: number): void {
  if (count > 0) counts.set(name, (counts.get(name) ?? 0) + count);
}

function goCounters(rng: Rng, install: Install, t: number): Counts {
  const counts: Counts = new Map();
  const invocations = install.goInvocations;
  add(counts, "go/invocations", invocations);

  if (rng.chance(gopathShare(t))) {
    if (invocations > 1 && rng.chance(0.45)) {
      const gopath = rng.int(1, invocations - 1);
      add(counts, "go/mode:gopath", gopath);
      add(counts, "go/mode:module", invocations - gopath);
    } else {
      add(counts, "go/mode:gopath", invocations);
    }
  } else {
    add(counts, "go/mode:module", invocations);
  }

  if (rng.chance(install.goos === "linux" ? 0.17 : 0.12)) {
    const modes = rng.chance(0.15) ? 2 : 1;
    for (let i = 0; i < modes; i++) {
      add(
        counts,
        `go/build/flag/buildmode:${rng.pick(BUILDMODE_SHARE)}`,
        1 + Math.floor(rng.float() * invocations * 0.3),
      );
    }
  }

  const stale = install.goos === "darwin" && hasDarwinStaleStdlibBug(install.goVersion) ? 0.7 : 0.004;
  const builds = Math.max(1, Math.round(invocations * rng.between(0.3, 0.8)));
  const staleBuilds = rng.chance(stale) ? Math.max(1, Math.round(builds * rng.between(0.6, 1))) : 0;
  add(counts, "go/stdlib/stale:fresh", builds - staleBuilds);
  add(counts, "go/stdlib/stale:stale", staleBuilds);

  const actions = builds * rng.int(20, 400);
  const missRate = Math.min(0.95, 0.03 + 0.25 * rng.float() ** 2 + (staleBuilds > 0 ? 0.2 : 0));
  const misses = Math.round(actions * missRate);
  add(counts, "go/buildcache:hit", actions - misses);
  add(counts, "go/buildcache:miss", misses);
  return counts;
}

function compileCounters(rng: Rng, install: Install | null): Counts {
  const counts: Counts = new Map();
  const invocations = install
    ? Math.round(install.goInvocations * rng.between(3, 40))
    : rng.logNormalInt(5, 1.2, 1, 100_000);
  add(counts, "compile/invocations", Math.max(1, invocations));
  return counts;
}

function goplsCounters(rng: Rng, moment: Moment): Counts {
  const counts: Counts = new Map();
  const editors = rng.chance(0.02) ? 2 : 1;
  for (let i = 0; i < editors; i++)
    add(counts, `gopls/client:${rng.pick(moment.editors)}`, rng.logNormalInt(1.5, 1, 1, 200));
  add(counts, `gopls/gotoolchain:${rng.pick(GOTOOLCHAIN_SHARE)}`, rng.logNormalInt(1.5, 1, 1, 200));
  return counts;
}

function govulncheckCounters(rng: Rng): Counts {
  const counts: Counts = new Map();
  const runs = rng.logNormalInt(1, 1, 1, 200);
  add(counts, `govulncheck/scan:${rng.pick(VULN_SCAN_SHARE)}`, runs);
  add(counts, `govulncheck/mode:${rng.pick(VULN_MODE_SHARE)}`, runs);
  add(counts, `govulncheck/format:${rng.pick(VULN_FORMAT_SHARE)}`, runs);
  if (runs > 1 && rng.chance(0.1)) add(counts, `govulncheck/format:${rng.pick(VULN_FORMAT_SHARE)}`, 1);
  return counts;
}

function dlvCounters(rng: Rng): Counts {
  const counts: Counts = new Map();
  add(counts, `delve/command:${rng.pick(DLV_COMMAND_SHARE)}`, rng.logNormalInt(1.8, 1, 1, 300));
  if (rng.chance(0.2))
    add(counts, `delve/command:${rng.pick(DLV_COMMAND_SHARE)}`, rng.logNormalInt(0.5, 0.8, 1, 50));
  return counts;
}

/** Stack counters hit this week: usually none, sometimes one, rarely two. */
function stackCounters(
  rng: Rng,
  counter: string,
  stacks: readonly Stack[],
  version: string,
  frequency: number,
): Counts {
  const counts: Counts = new Map();
  if (!rng.chance(frequency)) return counts;
  const mix = stackMix(stacks, version);
  const hits = rng.chance(0.15) ? 2 : 1;
  for (let i = 0; i < hits; i++)
    add(counts, stackKey(counter, rng.pick(mix)), rng.chance(0.7) ? 1 : rng.int(2, 6));
  return counts;
}

/** Days between the end of a report's week and its upload. */
const WEEK_LAG = weighted([
  [0, 25],
  [1, 35],
  [2, 17],
  [3, 9],
  [4, 6],
  [5, 5],
  [6, 3],
]);

/** A report as the client uploads it, and as the day files publish it. */
export type UploadedReport = Omit<Report, "Programs"> & { Programs: ProgramReport[] | null };

/** One generator for a range: day files are pure functions of the options and the date. */
export class Generator {
  readonly options: GenerateOptions;
  readonly #first: number;
  readonly #rates: Map<string, Map<string, number>>;
  readonly #admits: (program: ProgramReport) => boolean;
  readonly #moments = new Map<number, Moment>();
  readonly #malformed = new Map<number, readonly MalformedKind[]>();

  constructor(options: GenerateOptions) {
    if (!Number.isInteger(options.days) || options.days < 1)
      throw new Error(`days must be a positive integer`);
    if (!Number.isInteger(options.reports) || options.reports < 1)
      throw new Error(`reports must be a positive integer`);
    if (!OUTPUT_FORMATS.includes(options.format)) throw new Error(`unknown format ${options.format}`);
    this.options = options;
    this.#first = dayNumber(options.end) - options.days + 1;
    this.#rates = sampleRates(options.uploadConfig);
    this.#admits = programFilter(options.uploadConfig);
    for (const { at, kinds } of MALFORMED_DAYS) {
      const day = this.#first + Math.floor(at * (options.days - 1));
      this.#malformed.set(day, [...(this.#malformed.get(day) ?? []), ...kinds]);
    }
  }

  dates(): string[] {
    return rangeDates(this.options);
  }

  /** Progress through the range: 0 on the first day, 1 on the last. */
  #progress(day: number): number {
    return (day - this.#first) / Math.max(1, this.options.days - 1);
  }

  #moment(day: number): Moment {
    let moment = this.#moments.get(day);
    if (!moment) {
      moment = momentAt(this.#progress(day));
      this.#moments.set(day, moment);
    }
    return moment;
  }

  /** A counter's sampling rate; 0 (never uploaded) when the upload config does not list it. */
  #rate(program: string, counter: string): number {
    return this.#rates.get(program)?.get(counter) ?? 0;
  }

  /** Reports uploaded on a day: about `reports`, more on weekdays, growing slowly. */
  reportsOn(day: number): number {
    const rng = new Rng(hash32(this.options.seed, STREAM.dayVolume, day));
    const weekday = (day + 4) % 7;
    const weekly = weekday === 0 || weekday === 6 ? 0.875 : 1.05;
    const growth = 0.95 + 0.1 * this.#progress(day);
    return Math.max(1, Math.round(this.options.reports * weekly * growth * (1 + 0.04 * rng.normal())));
  }

  /** One program's counters as uploaded: sampled counters only when X ≤ their rate. */
  #programReport(
    program: string,
    version: string,
    install: Install,
    x: number,
    counts: Counts,
    stacks: Counts,
  ): ProgramReport {
    const keep = (entries: Counts, name: (key: string) => string) => {
      const kept: Record<string, number> = {};
      for (const [key, count] of entries) if (x <= this.#rate(program, name(key))) kept[key] = count;
      return kept;
    };
    return {
      Program: program,
      Version: version,
      GoVersion: install.goVersion,
      GOOS: install.goos,
      GOARCH: install.goarch,
      Counters: keep(counts, (key) => key),
      Stacks: keep(stacks, (key) => key.slice(0, key.indexOf("\n"))),
    };
  }

  /** The index-th report uploaded on a day. */
  report(day: number, index: number): UploadedReport {
    const rng = new Rng(hash32(this.options.seed, STREAM.report, day, index));
    const moment = this.#moment(day);
    const x = rng.unitX();
    const week = day - rng.pick(WEEK_LAG);
    const history = rng.float();
    const lastWeek = history < 0.84 ? dateOf(week - 7) : history < 0.89 ? dateOf(week - 14) : "";

    const goos = rng.pick(GOOS_SHARE);
    const goarch = rng.pick(GOARCH_SHARE_BY_GOOS[goos] ?? fromRecord({ amd64: 1 }));
    const line = rng.pick(moment.goLines);
    const install: Install = {
      goos,
      goarch,
      goVersion: rng.pick(moment.goReleases[line]),
      goInvocations: rng.logNormalInt(2.8, 1.2, 1, 500),
    };
    // Tools installed with `go install` a while ago were built by an older toolchain.
    const toolInstall = (): Install => {
      const earlier = moment.earlierGoReleases[line];
      return rng.chance(0.2) && earlier.total > 0 ? { ...install, goVersion: rng.pick(earlier) } : install;
    };
    // Upgrading the toolchain mid-week leaves counters for both versions.
    const released = moment.goReleases[line].entries.map(([version]) => version);
    const nextRelease = released[released.indexOf(install.goVersion) + 1];
    const upgrade = nextRelease && rng.chance(0.02) ? nextRelease : null;

    const hasGo = rng.chance(0.9);
    const hasCompile = rng.chance(hasGo ? 0.8 : 0.05);
    const hasGopls = rng.chance(goos === "darwin" ? 0.5 : 0.42);
    const hasDlv = rng.chance(0.11);
    // Reports carry at most four programs; govulncheck gives way.
    const hasGovulncheck = rng.chance(0.07) && !(hasGo && hasCompile && hasGopls && hasDlv);

    const programs: ProgramReport[] = [];
    const toolchain = (
      program: string,
      counts: (install: Install) => Counts,
      stacks: (version: string) => Counts,
    ) => {
      programs.push(
        this.#programReport(
          program,
          install.goVersion,
          install,
          x,
          counts(install),
          stacks(install.goVersion),
        ),
      );
      if (upgrade) {
        const upgraded = {
          ...install,
          goVersion: upgrade,
          goInvocations: Math.max(1, install.goInvocations >> 2),
        };
        programs.push(this.#programReport(program, upgrade, upgraded, x, counts(upgraded), stacks(upgrade)));
      }
    };
    if (hasCompile) {
      toolchain(
        PROGRAM.compile,
        (installed) => compileCounters(rng, hasGo ? installed : null),
        (version) => stackCounters(rng, "compile/bug", COMPILE_BUGS, version, 0.012),
      );
    }
    if (hasGo || !(hasCompile || hasGopls || hasGovulncheck || hasDlv)) {
      toolchain(
        PROGRAM.go,
        (installed) => goCounters(rng, installed, moment.t),
        () => new Map(),
      );
    }
    if (hasDlv) {
      const version = rng.pick(moment.dlv);
      const stacks = stackCounters(rng, "crash/crash", DLV_CRASHES, version, 0.03);
      programs.push(this.#programReport(PROGRAM.dlv, version, toolInstall(), x, dlvCounters(rng), stacks));
    }
    if (hasGopls) {
      const version = rng.pick(moment.gopls);
      const stacks = new Map([
        ...stackCounters(rng, "gopls/bug", GOPLS_BUGS, version, 0.05),
        ...stackCounters(rng, "crash/crash", GOPLS_CRASHES, version, 0.012),
      ]);
      programs.push(
        this.#programReport(PROGRAM.gopls, version, toolInstall(), x, goplsCounters(rng, moment), stacks),
      );
    }
    if (hasGovulncheck) {
      const version = rng.pick(moment.govulncheck);
      programs.push(
        this.#programReport(
          PROGRAM.govulncheck,
          version,
          toolInstall(),
          x,
          govulncheckCounters(rng),
          new Map(),
        ),
      );
    }
    programs.sort((a, b) => (a.Program < b.Program ? -1 : a.Program > b.Program ? 1 : 0));
    const uploaded = programs.filter(this.#admits);

    return {
      Week: dateOf(week),
      LastWeek: lastWeek,
      X: x,
      // As the telemetry client uploads it: only the program entries the upload config lists,
      // and none as null (Go's nil slice).
      Programs: uploaded.length > 0 ? uploaded : null,
      Config: rng.chance(0.85 + 0.12 * moment.t) ? CONFIG_VERSION : PREVIOUS_CONFIG_VERSION,
    };
  }

  /** Whether a report is uploaded twice, and the stream that places the copy. */
  #reupload(day: number, index: number): { when: "same-day" | "next-day" | null; rng: Rng } {
    const rng = new Rng(hash32(this.options.seed, STREAM.reupload, day, index));
    const u = rng.float();
    const when =
      u < SAME_DAY_REUPLOAD_RATE
        ? "same-day"
        : u < SAME_DAY_REUPLOAD_RATE + NEXT_DAY_REUPLOAD_RATE
          ? "next-day"
          : null;
    return { when, rng };
  }

  /** The day's file as lines: its reports, re-uploads, and any deliberately malformed lines. */
  dayLines(date: string): DayLines {
    const day = dayNumber(date);
    const count = this.reportsOn(day);
    const lines = Array.from({ length: count }, (_, i) => JSON.stringify(this.report(day, i)));
    const inserts: { at: number; line: string }[] = [];
    let reuploads = 0;

    for (let i = 0; i < count; i++) {
      const { when, rng } = this.#reupload(day, i);
      if (when === "same-day") {
        inserts.push({ at: rng.int(i + 1, count), line: lines[i] ?? "" });
        reuploads++;
      }
    }
    if (day > this.#first) {
      const previous = day - 1;
      const previousCount = this.reportsOn(previous);
      for (let i = 0; i < previousCount; i++) {
        const { when, rng } = this.#reupload(previous, i);
        if (when === "next-day") {
          inserts.push({ at: rng.int(0, count), line: JSON.stringify(this.report(previous, i)) });
          reuploads++;
        }
      }
    }

    const malformed = this.#malformed.get(day) ?? [];
    malformed.forEach((kind, k) => {
      const rng = new Rng(hash32(this.options.seed, STREAM.malformed, day, k));
      inserts.push({ at: rng.int(0, count), line: malformedLine(kind, this.report(day, count + k)) });
    });

    const merged: string[] = [];
    const byPosition = inserts
      .map((insert, order) => ({ ...insert, order }))
      .sort((a, b) => a.at - b.at || a.order - b.order);
    let next = 0;
    for (let i = 0; i <= count; i++) {
      while (next < byPosition.length && (byPosition[next]?.at ?? Infinity) <= i)
        merged.push(byPosition[next++]?.line ?? "");
      if (i < count) merged.push(lines[i] ?? "");
    }
    return { date, lines: merged, reports: count, reuploads, malformed: malformed.length };
  }

  /** The day's file, encoded in the options' format. */
  day(date: string): DayFile {
    const content = this.dayLines(date);
    return {
      ...content,
      name: dayFileName(date, this.options.format),
      bytes: encodeDay(content.lines, date, this.options.format),
    };
  }
}

export interface DayLines {
  date: string;
  /** The file's lines, in upload order, without newlines. */
  lines: string[];
  /** Distinct reports (each X once). */
  reports: number;
  /** Extra lines that repeat a report of this or the previous day. */
  reuploads: number;
  /** Extra lines that are not valid reports. */
  malformed: number;
}

export interface DayFile extends DayLines {
  /** File name, for example "2026-11-22.json.gz". */
  name: string;
  bytes: Uint8Array;
}

/** A program entry whose one counter is negative. */
const NEGATIVE_COUNT_ENTRY: ProgramReport = {
  Program: PROGRAM.go,
  Version: "go1.25.0",
  GoVersion: "go1.25.0",
  GOOS: "linux",
  GOARCH: "amd64",
  Counters: { "go/invocations": -1 },
  Stacks: {},
};

function malformedLine(kind: MalformedKind, report: UploadedReport): string {
  switch (kind) {
    case "truncated": {
      const line = JSON.stringify(report);
      return line.slice(0, Math.floor(line.length * 0.55));
    }
    case "x-zero":
      return JSON.stringify({ ...report, X: 0 });
    case "negative-count": {
      const [first, ...rest] = report.Programs ?? [];
      // A report the upload config left no entry in gets one, to carry the negative count.
      if (!first) return JSON.stringify({ ...report, Programs: [NEGATIVE_COUNT_ENTRY] });
      const [name, count] = Object.entries(first.Counters)[0] ?? ["go/invocations", 1];
      const broken = { ...first, Counters: { ...first.Counters, [name]: -count } };
      return JSON.stringify({ ...report, Programs: [broken, ...rest] });
    }
  }
}

/** The fixed modification time in archives, so files are byte-identical run to run. */
function archiveTime(date: string): Date {
  const [year, month, day] = date.split("-").map(Number);
  // Zip stores local wall-clock time: building it from local parts keeps it independent of TZ.
  return new Date(year ?? 1980, (month ?? 1) - 1, day ?? 1);
}

/** NDJSON text, one report a line, compressed as asked. */
export function encodeDay(lines: readonly string[], date: string, format: OutputFormat): Uint8Array {
  const text = strToU8(lines.length > 0 ? lines.join("\n") + "\n" : "");
  switch (format) {
    case "plain":
      return text;
    case "gzip":
      return gzipSync(text, { level: 9, mtime: 0 });
    case "zip":
      return zipSync({ [`${date}.json`]: [text, { level: 9, mtime: archiveTime(date) }] });
  }
}

/** One day's file for the given options. */
export function generateDay(options: GenerateOptions, date: string): Uint8Array {
  return new Generator(options).day(date).bytes;
}
