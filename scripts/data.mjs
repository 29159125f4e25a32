// `npm run data`: runs scripts/data.ts from its bundle (see data-bundle.mjs).
import { ensureBundle } from "./data-bundle.mjs";

const { entry } = await ensureBundle();
await import(entry);
