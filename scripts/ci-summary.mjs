// Sums the JSON reports that Vitest and Playwright write under
// $COUNTERSIGHT_TEST_REPORTS and prints the CI's last line: "N passed, N failed".
// Lint/type-check failures and a test command that failed without reporting
// (for example a build error before the browser tests) count as failures too.
import { readFileSync, existsSync } from "node:fs";
import { join } from "node:path";

const [dir, lintFailed, testStatus] = process.argv.slice(2);
let passed = 0;
let failed = Number(lintFailed) ? 1 : 0;

const vitestFile = join(dir, "vitest.json");
if (existsSync(vitestFile)) {
  const v = JSON.parse(readFileSync(vitestFile, "utf8"));
  passed += v.numPassedTests;
  failed += v.numFailedTests + (v.numFailedTestSuites ?? 0);
} else {
  console.error("no Vitest report: the unit tests did not run");
  failed += 1;
}

const playwrightFile = join(dir, "playwright.json");
if (existsSync(playwrightFile)) {
  const p = JSON.parse(readFileSync(playwrightFile, "utf8"));
  passed += p.stats.expected + (p.stats.flaky ?? 0);
  failed += p.stats.unexpected + (p.errors?.length ?? 0);
} else {
  console.error("no Playwright report: the browser tests did not run");
  failed += 1;
}

if (Number(testStatus) !== 0 && failed === 0) failed = 1;
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
