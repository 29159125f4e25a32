// @ts-check
import { defineConfig } from "astro/config";
import sitemap from "@astrojs/sitemap";

// The site can live under a sub-path (for example GitHub Pages project sites):
// set COUNTERSIGHT_BASE=/countersight/ and COUNTERSIGHT_SITE=https://example.org at build time.
const base = process.env.COUNTERSIGHT_BASE ?? "/";
const site = process.env.COUNTERSIGHT_SITE ?? "https://countersight.example";

export default defineConfig({
  output: "static",
  site,
  base,
  trailingSlash: "always",
  integrations: [sitemap()],
  build: { inlineStylesheets: "never" },
});
