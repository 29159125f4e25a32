import { describe, expect, test } from "vitest";
import {
  compareGoVersions,
  compareSemver,
  goMajorMinor,
  isValidGoVersion,
  isValidSemver,
  normalizeBucket,
  semverMajorMinor,
} from "./versions.ts";

describe("goMajorMinor", () => {
  test.each([
    ["go1.20.1", "go1.20"],
    ["go1.21rc2", "go1.21"],
    ["go1.9.2rc2", "go1.9"],
    ["go1.22", "go1.22"],
    ["go1.0", "go1.0"],
    ["go1.23.0-X:nocoverageredesign", "go1.23"],
    ["devel", ""],
    ["devel go1.24-abcdef Mon Jan 1", ""],
    ["go1", ""],
    ["go", ""],
    ["", ""],
    ["go1.", ""],
    ["go1.01", ""],
    ["go01.2", ""],
    // Upstream drops the first two bytes unchecked and skips one byte between the numbers.
    ["xx1.5", "go1.5"],
    ["go1-5", "go1.5"],
    // …on UTF-8 bytes: a two-byte separator leaves a continuation byte, not a number.
    ["go1é20", ""],
  ])("%j → %j", (version, expected) => {
    expect(goMajorMinor(version)).toBe(expected);
  });
});

describe("semverMajorMinor", () => {
  test.each([
    ["v0.16.2", "v0.16"],
    ["v1.2.3-pre.1", "v1.2"],
    ["v1.2.3+build.5", "v1.2"],
    ["v0.0.0-20240101000000-abcdef123456", "v0.0"],
    ["v2", "v2.0"],
    ["v1.2", "v1.2"],
    ["v1.2-pre", ""],
    ["1.2.3", ""],
    ["v01.2.3", ""],
    ["v1.2.3-01", ""],
    ["v1.2.3-", ""],
    ["v1.2.3+", ""],
    ["(devel)", ""],
    ["", ""],
  ])("%j → %j", (version, expected) => {
    expect(semverMajorMinor(version)).toBe(expected);
  });
});

describe("normalizeBucket", () => {
  test.each([
    ["program-version", "devel", "devel"],
    ["program-version", "go1.21.3", "go1.21"],
    ["program-version", "v0.16.2", "v0.16"],
    ["program-version", "(devel)", ""],
    ["go-version", "go1.24.3", "go1.24"],
    ["go-version", "devel", ""],
    ["none", "go1.24.3", "go1.24.3"],
    ["none", "vscode", "vscode"],
  ] as const)("%s: %j → %j", (normalization, raw, expected) => {
    expect(normalizeBucket(normalization, raw)).toBe(expected);
  });
});

test("compareSemver sorts invalid versions first, then by semver precedence", () => {
  const versions = ["v1.10.0", "v1.2.0", "devel", "v1.2.0-rc.1", "", "v0.16", "v1.2.0-rc.10", "v1.2.0-rc.2"];
  expect(versions.sort(compareSemver)).toEqual([
    "",
    "devel",
    "v0.16",
    "v1.2.0-rc.1",
    "v1.2.0-rc.2",
    "v1.2.0-rc.10",
    "v1.2.0",
    "v1.10.0",
  ]);
});

test("compareSemver breaks precedence ties lexically", () => {
  expect(["v1.2.0", "v1.2"].sort(compareSemver)).toEqual(["v1.2", "v1.2.0"]);
});

test("compareGoVersions sorts invalid versions first, then like go/version", () => {
  const versions = ["go1.21.0", "go1.9", "go1.21", "", "go1.10", "go1.21rc1", "other", "go1.21beta2"];
  expect(versions.sort(compareGoVersions)).toEqual([
    "",
    "other",
    "go1.9",
    "go1.10",
    "go1.21",
    "go1.21beta2",
    "go1.21rc1",
    "go1.21.0",
  ]);
});

describe("isValidSemver and isValidGoVersion", () => {
  test("accept what golang.org/x/mod/semver and go/version accept", () => {
    for (const version of ["v1", "v1.2", "v1.2.3", "v0.20.0-pre.1", "v1.2.3+build.5", "v1.2.3-rc.1+b"])
      expect(isValidSemver(version), version).toBe(true);
    for (const version of ["1.2.3", "v01.2.3", "v1.2.3-", "v1.2-pre", "v1.2.3-01", "go1.23.0", ""])
      expect(isValidSemver(version), version).toBe(false);
    for (const version of ["go1", "go1.21", "go1.21rc2", "go1.21.3", "go1.23rc1"])
      expect(isValidGoVersion(version), version).toBe(true);
    for (const version of ["1.21", "go1.21.", "go1.021", "go1.21.3rc1", "go1.9.2rc2", "v1.21.0", "devel", ""])
      expect(isValidGoVersion(version), version).toBe(false);
  });
});
