import { defineConfig } from "@playwright/test";
import { existsSync } from "node:fs";

// Browser tests use the system Chromium (Debian's `chromium` package); no browser is ever downloaded.
const chromium = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
if (!existsSync(chromium)) {
  throw new Error(
    `Chromium not found at ${chromium}. Install it with: sudo apt-get install -y chromium (or set CHROMIUM_PATH).`,
  );
}
// Under CI (.ci/run) a JSON report is written too, so the run can end with "N passed, N failed".
const reports = process.env.COUNTERSIGHT_TEST_REPORTS;

// e2e/serve.ts is TypeScript: it needs Node 22, which npm and npx put first on PATH
// (the project's `node` devDependency). Use the Node running this file when it is new enough.
const node = Number(process.versions.node.split(".")[0]) >= 22 ? process.execPath : "npx node";
const firstPort = Number(process.env.E2E_PORT ?? 4322);

/**
 * The three sites under test, each built into its own directory and served by
 * e2e/serve.ts with the strict Content-Security-Policy of the README:
 * - site: dist/, built by `npm run build` beforehand from the embedded sample;
 * - hostile: built by e2e/build-hostile.ts from test/fixtures/hostile;
 * - base: the sample built for the sub-path /countersight/, reusing public/data.
 */
const sites = [
  {
    name: "site",
    port: firstPort,
    base: (process.env.COUNTERSIGHT_BASE ?? "/").replace(/\/?$/, "/"),
    build: null,
    dir: "dist",
    spec: "site.spec.ts",
  },
  {
    name: "hostile",
    port: firstPort + 1,
    base: "/",
    build: `${node} e2e/build-hostile.ts`,
    dir: ".cache/e2e/dist-hostile",
    spec: "hostile.spec.ts",
  },
  {
    name: "base",
    port: firstPort + 2,
    base: "/countersight/",
    build: "COUNTERSIGHT_BASE=/countersight/ npx astro build --silent --outDir .cache/e2e/dist-base",
    dir: ".cache/e2e/dist-base",
    spec: "base-path.spec.ts",
  },
];

export default defineConfig({
  testDir: "e2e",
  outputDir: "test-results",
  timeout: 30_000,
  workers: 2,
  reporter: reports ? [["list"], ["json", { outputFile: `${reports}/playwright.json` }]] : [["list"]],
  use: {
    launchOptions: {
      executablePath: chromium,
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
  },
  projects: sites.map((site) => ({
    name: site.name,
    testMatch: site.spec,
    use: { baseURL: `http://127.0.0.1:${site.port}${site.base}` },
  })),
  webServer: sites.map((site) => {
    const serve = `${node} e2e/serve.ts --dir ${site.dir} --base ${site.base} --port ${site.port}`;
    return {
      command: site.build ? `${site.build} && ${serve}` : serve,
      url: `http://127.0.0.1:${site.port}${site.base}`,
      reuseExistingServer: false,
      timeout: site.build ? 120_000 : 30_000,
      stdout: "ignore",
      stderr: "pipe",
    };
  }),
});
