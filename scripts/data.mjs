// `npm run data`: runs scripts/data.ts from its bundle (see data-bundle.mjs).
import { ensureBundle } from "./data-bundle.mjs";

// The pipeline needs Node 22.12+ (ArrayBuffer.prototype.transfer, worker features): `npm run`
// and `npx node` put the project's own Node 22 (the `node` package) first; a machine's older
// `node` started directly would fail later with a stack trace.
const [major, minor] = process.versions.node.split(".").map(Number);
if (major < 22 || (major === 22 && minor < 12)) {
  console.error(
    `npm run data: needs Node.js 22.12 or newer, and this is ${process.version}; ` +
      "run it as `npm run data -- …` or `npx node scripts/data.mjs …`, which use the project's own Node 22",
  );
  process.exit(2);
}

const { entry } = await ensureBundle();
await import(entry);
