import { defineConfig } from "vitest/config";

// Under CI (.ci/run) a JSON report is written too, so the run can end with "N passed, N failed".
const reports = process.env.COUNTERSIGHT_TEST_REPORTS;

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "scripts/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 60_000,
    reporters: reports ? ["default", "json"] : ["default"],
    outputFile: reports ? { json: `${reports}/vitest.json` } : undefined,
  },
});
