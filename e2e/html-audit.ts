// A static check of a built site's HTML, for the promise that it works under
// the README's Content-Security-Policy and that no string from the data becomes
// markup: no inline <script> (other than JSON data blocks), no <style> element
// or style attribute, no on* event handler attributes, no javascript: URLs in
// href, src, action or formaction.

import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

export function htmlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return htmlFiles(path);
    return name.endsWith(".html") ? [path] : [];
  });
}

const TAG = /<([a-zA-Z][\w-]*)((?:\s+[^\s"'>/=]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'>]+))?)*)\s*\/?>/g;
const ATTRIBUTE = /([^\s"'>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?/g;

/** Problems in one HTML document, each as "<file>: <what>". */
export function auditHtml(file: string, html: string): string[] {
  const problems: string[] = [];
  for (const [, name = "", attributes = ""] of html.matchAll(TAG)) {
    const attrs = new Map(
      [...attributes.matchAll(ATTRIBUTE)].map(([, key = "", a, b, c]) => [
        key.toLowerCase(),
        a ?? b ?? c ?? "",
      ]),
    );
    if (name.toLowerCase() === "script" && attrs.get("type") !== "application/json" && !attrs.has("src")) {
      problems.push(`${file}: inline <script>`);
    }
    if (name.toLowerCase() === "style") problems.push(`${file}: inline <style>`);
    for (const [key, value] of attrs) {
      if (key.startsWith("on")) problems.push(`${file}: event handler ${key} on <${name}>`);
      if (key === "style") problems.push(`${file}: style attribute on <${name}>`);
      if (["href", "src", "action", "formaction"].includes(key) && /^\s*javascript:/i.test(value)) {
        problems.push(`${file}: javascript: URL in ${key} of <${name}>`);
      }
    }
  }
  return problems;
}

/** Audits every .html file under dir. */
export function auditSite(dir: string): { files: number; problems: string[] } {
  const files = htmlFiles(dir);
  return {
    files: files.length,
    problems: files.flatMap((file) => auditHtml(file, readFileSync(file, "utf8"))),
  };
}
