// Version normalisation: how a bucket's raw value becomes the bucket a chart shows.
//
// These are ports of golang.org/x/telemetry godev/cmd/worker (normalizeCounterName,
// goMajorMinor, cutInt), golang.org/x/mod/semver (MajorMinor, Compare) and go/version
// (Compare), so that our bucket names and orders are exactly upstream's.

/**
 * How a chart's raw bucket values are normalised.
 * - "program-version": the built-in Version chart ("devel", Go versions, module semvers).
 * - "go-version": the built-in GoVersion chart.
 * - "none": every other chart; the bucket is the raw value.
 */
export type BucketNormalization = "program-version" | "go-version" | "none";

/**
 * The bucket a raw value belongs to (upstream normalizeCounterName):
 * Version keeps "devel", reduces Go versions with goMajorMinor and module versions to
 * semver major.minor; GoVersion reduces with goMajorMinor; anything else is unchanged.
 * A value that cannot be reduced becomes "".
 *
 *   normalizeBucket("program-version", "v0.16.2")  // "v0.16"
 *   normalizeBucket("go-version", "go1.21rc2")     // "go1.21"
 */
export function normalizeBucket(normalization: BucketNormalization, raw: string): string {
  switch (normalization) {
    case "program-version":
      if (raw === "devel") return raw;
      return raw.startsWith("go") ? goMajorMinor(raw) : semverMajorMinor(raw);
    case "go-version":
      return goMajorMinor(raw);
    case "none":
      return raw;
  }
}

/**
 * "go<major>.<minor>" of a Go version, or "" when there are not two numbers.
 *
 *   goMajorMinor("go1.20.1")   // "go1.20"
 *   goMajorMinor("go1.9.2rc2") // "go1.9"
 *   goMajorMinor("devel")      // ""
 *
 * Like upstream it drops the first two bytes without looking at them and skips one byte
 * between the numbers whatever it is; it works on UTF-8 bytes, as Go does, so that even a
 * non-ASCII value gets upstream's answer (where upstream would panic, we return "").
 */
export function goMajorMinor(version: string): string {
  const bytes = new TextEncoder().encode(version);
  if (bytes.length < 2) return "";
  const majorEnd = cutInt(bytes, 2);
  if (majorEnd < 0 || majorEnd >= bytes.length) return "";
  const minorEnd = cutInt(bytes, majorEnd + 1);
  if (minorEnd < 0) return "";
  const text = (start: number, end: number) => String.fromCharCode(...bytes.subarray(start, end));
  return `go${text(2, majorEnd)}.${text(majorEnd + 1, minorEnd)}`;
}

/**
 * End of the decimal number at bytes[start…], or -1 if there is none or it has a leading
 * zero (upstream cutInt: "0" is a number, "01" is not).
 */
function cutInt(bytes: Uint8Array, start: number): number {
  let end = start;
  while (end < bytes.length && isDigit(bytes[end]!)) end++;
  if (end === start || (bytes[start] === 0x30 && end - start !== 1)) return -1;
  return end;
}

function isDigit(code: number): boolean {
  return code >= 0x30 && code <= 0x39;
}

// ---------------------------------------------------------------------------
// Semantic versions (golang.org/x/mod/semver): "v" MAJOR [. MINOR [. PATCH [-PRE] [+BUILD]]].

interface Semver {
  major: string;
  minor: string;
  patch: string;
  prerelease: string;
}

/**
 * "vMAJOR.MINOR" of a semantic version, or "" when it is not valid semver.
 *
 *   semverMajorMinor("v1.2.3-pre.1") // "v1.2"
 *   semverMajorMinor("v2")           // "v2.0"
 *   semverMajorMinor("1.2.3")        // ""
 */
export function semverMajorMinor(version: string): string {
  const parsed = parseSemver(version);
  return parsed ? `v${parsed.major}.${parsed.minor}` : "";
}

/**
 * Upstream telemetry.IsToolchainProgram: every program under cmd/ (cmd/go, cmd/compile,
 * cmd/vet…). A toolchain program's version is the Go version: it has no Version chart,
 * and a chart config gives its versions as Go versions.
 */
export function isToolchainProgram(program: string): boolean {
  return program.startsWith("cmd/");
}

/** golang.org/x/mod/semver.IsValid: "v1", "v1.2", "v1.2.3", "v1.2.3-pre+build". */
export function isValidSemver(version: string): boolean {
  return parseSemver(version) !== undefined;
}

function parseSemver(version: string): Semver | undefined {
  if (version[0] !== "v") return undefined;
  const major = semverInt(version, 1);
  if (!major) return undefined;
  if (major.end === version.length) return { major: major.n, minor: "0", patch: "0", prerelease: "" };
  if (version[major.end] !== ".") return undefined;
  const minor = semverInt(version, major.end + 1);
  if (!minor) return undefined;
  if (minor.end === version.length) return { major: major.n, minor: minor.n, patch: "0", prerelease: "" };
  if (version[minor.end] !== ".") return undefined;
  const patch = semverInt(version, minor.end + 1);
  if (!patch) return undefined;
  let rest = version.slice(patch.end);
  let prerelease = "";
  if (rest[0] === "-") {
    const plus = rest.indexOf("+");
    prerelease = plus < 0 ? rest : rest.slice(0, plus);
    if (!validIdentifiers(prerelease.slice(1), true)) return undefined;
    rest = rest.slice(prerelease.length);
  }
  if (rest[0] === "+") {
    if (!validIdentifiers(rest.slice(1), false)) return undefined;
    rest = "";
  }
  if (rest !== "") return undefined;
  return { major: major.n, minor: minor.n, patch: patch.n, prerelease };
}

function semverInt(text: string, start: number): { n: string; end: number } | undefined {
  let end = start;
  while (end < text.length && isDigit(text.charCodeAt(end))) end++;
  if (end === start || (text[start] === "0" && end - start !== 1)) return undefined;
  return { n: text.slice(start, end), end };
}

/** Dot-separated non-empty [0-9A-Za-z-] identifiers; prerelease numbers have no leading zero. */
function validIdentifiers(text: string, numbersWithoutLeadingZero: boolean): boolean {
  return text
    .split(".")
    .every(
      (identifier) =>
        /^[0-9A-Za-z-]+$/.test(identifier) && !(numbersWithoutLeadingZero && /^0[0-9]+$/.test(identifier)),
    );
}

/** Compares decimal strings without leading zeros as numbers. */
function compareDecimal(a: string, b: string): number {
  if (a === b) return 0;
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  return a < b ? -1 : 1;
}

function comparePrerelease(a: string, b: string): number {
  if (a === b) return 0;
  if (a === "") return 1;
  if (b === "") return -1;
  const as = a.slice(1).split(".");
  const bs = b.slice(1).split(".");
  for (let i = 0; i < as.length && i < bs.length; i++) {
    const x = as[i]!;
    const y = bs[i]!;
    if (x === y) continue;
    const xNumeric = /^[0-9]+$/.test(x);
    const yNumeric = /^[0-9]+$/.test(y);
    if (xNumeric !== yNumeric) return xNumeric ? -1 : 1;
    if (xNumeric) return compareDecimal(x, y);
    return x < y ? -1 : 1;
  }
  return as.length < bs.length ? -1 : 1;
}

function compareLexically(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Semantic version precedence, invalid versions first; equal precedence falls back to
 * lexical order so that sorting is deterministic (upstream compareSemver).
 */
export function compareSemver(a: string, b: string): number {
  const x = parseSemver(a);
  const y = parseSemver(b);
  let order = 0;
  if (x && y) {
    order =
      compareDecimal(x.major, y.major) ||
      compareDecimal(x.minor, y.minor) ||
      compareDecimal(x.patch, y.patch) ||
      comparePrerelease(x.prerelease, y.prerelease);
  } else if (x || y) {
    order = x ? 1 : -1;
  }
  return order || compareLexically(a, b);
}

// ---------------------------------------------------------------------------
// Go versions (go/version): "go1.21", "go1.21rc2", "go1.21.3"; invalid ones sort first.

interface GoVersion {
  major: string;
  minor: string;
  patch: string;
  /** "", "alpha", "beta", "rc"; a language version ("go1.21") sorts before its prereleases. */
  kind: string;
  pre: string;
}

const INVALID_GO_VERSION: GoVersion = { major: "", minor: "", patch: "", kind: "", pre: "" };

/** go/version.IsValid: "go1", "go1.21", "go1.21rc2", "go1.21.3". */
export function isValidGoVersion(version: string): boolean {
  return parseGoVersion(version) !== INVALID_GO_VERSION;
}

function parseGoVersion(version: string): GoVersion {
  const dash = version.indexOf("-");
  const text = dash < 0 ? version : version.slice(0, dash);
  if (!text.startsWith("go")) return INVALID_GO_VERSION;
  const major = semverInt(text, 2);
  if (!major) return INVALID_GO_VERSION;
  if (major.end === text.length) return { major: major.n, minor: "0", patch: "0", kind: "", pre: "" };
  if (text[major.end] !== ".") return INVALID_GO_VERSION;
  const minor = semverInt(text, major.end + 1);
  if (!minor) return INVALID_GO_VERSION;
  const base = { major: major.n, minor: minor.n, patch: "", kind: "", pre: "" };
  if (minor.end === text.length) {
    // Before Go 1.21 a missing patch meant ".0"; from 1.21 on "go1.21" is the language version.
    return compareDecimal(minor.n, "21") < 0 ? { ...base, patch: "0" } : base;
  }
  if (text[minor.end] === ".") {
    const patch = semverInt(text, minor.end + 1);
    if (!patch || patch.end !== text.length) return INVALID_GO_VERSION;
    return { ...base, patch: patch.n };
  }
  const prerelease = /^([a-z]+)(.*)$/.exec(text.slice(minor.end));
  if (!prerelease) return INVALID_GO_VERSION;
  const kind = prerelease[1]!;
  const number = prerelease[2]!;
  if (number === "") return { ...base, kind };
  const pre = semverInt(number, 0);
  if (!pre || pre.end !== number.length) return INVALID_GO_VERSION;
  return { ...base, kind, pre: pre.n };
}

/**
 * Go version order (go/version.Compare: go1.21 < go1.21rc1 < go1.21.0 < go1.21.1),
 * invalid versions first; ties fall back to lexical order so that sorting is deterministic.
 */
export function compareGoVersions(a: string, b: string): number {
  const x = parseGoVersion(a);
  const y = parseGoVersion(b);
  return (
    compareDecimal(x.major, y.major) ||
    compareDecimal(x.minor, y.minor) ||
    compareDecimal(x.patch, y.patch) ||
    compareLexically(x.kind, y.kind) ||
    compareDecimal(x.pre, y.pre) ||
    compareLexically(a, b)
  );
}
