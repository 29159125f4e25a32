import { chromium } from "playwright-core";
const b = await chromium.launch({ executablePath: "/usr/bin/chromium" });
const p = await b.newPage({ viewport: { width: 1280, height: 900 } });
for (const [path, file] of JSON.parse(process.argv[2])) {
  await p.goto("http://127.0.0.1:4321" + path, { waitUntil: "networkidle" });
  await p.screenshot({ path: file, fullPage: true });
}
await b.close();
