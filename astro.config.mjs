// @ts-check
import { defineConfig } from "astro/config";
import sitemap from "@astrojs/sitemap";

// The site can live under a sub-path (for example GitHub Pages project sites):
// set COUNTERSIGHT_BASE=/countersight/ and COUNTERSIGHT_SITE=https://example.org at build time.
const base = process.env.COUNTERSIGHT_BASE ?? "/";
const site = process.env.COUNTERSIGHT_SITE ?? "https://countersight.example";

/**
 * Observable Plot pulls d3-geo (map projections) and d3-scale-chromatic (named
 * colour schemes) into every chart bundle, but the site draws no maps and always
 * passes explicit colours. In the production build both are replaced by stubs
 * whose functions throw if ever called (except the few Plot calls while loading,
 * which are re-exported for real); this keeps the Plot chunk a page loads when
 * the reader first interacts with a chart about 15 KB (gzipped) smaller (74 KB
 * instead of 89 KB), so a chart page stays below 85 KB of JavaScript even after
 * interaction. The browser tests draw every chart kind with the built bundle.
 * If a chart ever needs a projection or a named scheme, remove the module from
 * this list.
 * @returns {Promise<import("vite").Plugin>}
 */
async function stubUnusedD3() {
  /** Module → exports Plot calls at load time, which stay real. @type {Record<string, string[]>} */
  const unused = { "d3-geo": ["geoTransform"], "d3-scale-chromatic": [] };
  const stubs = new Map();
  for (const [name, keep] of Object.entries(unused)) {
    const exports = Object.keys(await import(name)).filter((key) => !keep.includes(key));
    const body = exports.map(
      (key) =>
        `export function ${key}() { throw new Error("${name} (${key}) is stubbed out in astro.config.mjs"); }`,
    );
    if (keep.length > 0) body.push(`export { ${keep.join(", ")} } from "${name}";`);
    stubs.set(`\0stub:${name}`, body.join("\n"));
  }
  return {
    name: "countersight:stub-unused-d3",
    enforce: "pre",
    apply: "build",
    resolveId(id, importer) {
      const stub = `\0stub:${id}`;
      // The stub's own re-exports resolve to the real module.
      return stubs.has(stub) && importer !== stub ? stub : undefined;
    },
    load: (id) => stubs.get(id),
  };
}

export default defineConfig({
  output: "static",
  site,
  base,
  trailingSlash: "always",
  integrations: [sitemap()],
  build: { inlineStylesheets: "never" },
  // Lossless HTML whitespace compression instead of Astro 7's default JSX rules,
  // which drop the space at a line break before an inline element: Prettier
  // reflows prose in .astro files, and "with <code>x</code>" must keep its space.
  compressHTML: true,
  vite: {
    // Never inline small scripts into the HTML: the site must work under
    // `Content-Security-Policy: script-src 'self'`.
    build: { assetsInlineLimit: 0 },
    plugins: [await stubUnusedD3()],
  },
});
