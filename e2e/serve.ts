// A static file server for the browser tests: serves a built site (dist/) under
// a base path, the way a static host would, and sends the strict
// Content-Security-Policy the README promises, so every browser test runs
// under it. Written here because Astro refuses to run two `astro preview`
// servers of one project at once, and the tests serve three builds.
//
//   node e2e/serve.ts --dir dist --base / --port 4322
//
// Requests outside the base path, and files that do not exist, get the site's
// 404.html with status 404. A directory without its trailing slash is
// redirected to it (the site is built with trailingSlash: "always").

import { readFile, stat } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { extname, join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

/** The policy the README documents under "Deploying"; e2e/site.spec.ts checks that the two agree. */
export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'self'; frame-ancestors 'none'";

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".csv": "text/csv; charset=utf-8",
  ".svg": "image/svg+xml",
  ".xml": "application/xml; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".map": "application/json; charset=utf-8",
  ".webmanifest": "application/manifest+json",
};

export interface ServeOptions {
  /** The built site. */
  dir: string;
  /** The base path the site was built for, such as "/" or "/countersight/". */
  base: string;
}

/** "/countersight" or "countersight/" → "/countersight/". */
export function normalizeBase(base: string): string {
  const trimmed = base.replace(/^\/+|\/+$/g, "");
  return trimmed === "" ? "/" : `/${trimmed}/`;
}

/** What a request path resolves to: a file to send, a redirect, or not found. */
export type Resolution =
  { kind: "file"; path: string } | { kind: "redirect"; location: string } | { kind: "not-found" };

/** Maps a request path (URL-encoded, without the query) to a file under dir. */
export async function resolveRequest(urlPath: string, options: ServeOptions): Promise<Resolution> {
  const base = normalizeBase(options.base);
  if (!urlPath.startsWith(base)) return { kind: "not-found" };
  let relative: string;
  try {
    relative = decodeURIComponent(urlPath.slice(base.length));
  } catch {
    return { kind: "not-found" };
  }
  const root = resolve(options.dir);
  const path = resolve(root, relative);
  if (relative.includes("\0") || (path !== root && !path.startsWith(root + sep))) {
    return { kind: "not-found" };
  }
  const found = await stat(path).catch(() => undefined);
  if (found?.isDirectory()) {
    if (!urlPath.endsWith("/")) return { kind: "redirect", location: `${urlPath}/` };
    const index = join(path, "index.html");
    return (await stat(index).catch(() => undefined))?.isFile()
      ? { kind: "file", path: index }
      : { kind: "not-found" };
  }
  return found?.isFile() ? { kind: "file", path } : { kind: "not-found" };
}

export function createStaticServer(options: ServeOptions) {
  const notFoundPage = join(options.dir, "404.html");
  return createServer((request: IncomingMessage, response: ServerResponse) => {
    void handle(request, response).catch((error: unknown) => {
      console.error(`serve: ${request.url}: ${(error as Error).message}`);
      if (!response.headersSent) response.writeHead(500, { "Content-Type": "text/plain" });
      response.end("internal error\n");
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const headers: Record<string, string> = {
      "Content-Security-Policy": CONTENT_SECURITY_POLICY,
      "X-Content-Type-Options": "nosniff",
      "Cache-Control": "no-store",
    };
    if (request.method !== "GET" && request.method !== "HEAD") {
      response.writeHead(405, { ...headers, Allow: "GET, HEAD", "Content-Type": "text/plain" });
      response.end("method not allowed\n");
      return;
    }
    const urlPath = new URL(request.url ?? "/", "http://localhost").pathname;
    const resolution = await resolveRequest(urlPath, options);
    if (resolution.kind === "redirect") {
      response.writeHead(301, { ...headers, Location: resolution.location });
      response.end();
      return;
    }
    const found = resolution.kind === "file";
    const status = found ? 200 : 404;
    const file = found ? resolution.path : notFoundPage;
    const body = await readFile(file).catch(() => Buffer.from("not found\n"));
    const type = CONTENT_TYPES[extname(file)] ?? "application/octet-stream";
    response.writeHead(status, { ...headers, "Content-Type": type, "Content-Length": body.length });
    response.end(request.method === "HEAD" ? undefined : body);
  }
}

function main(): void {
  const { values } = parseArgs({
    options: {
      dir: { type: "string", default: "dist" },
      base: { type: "string", default: "/" },
      port: { type: "string", default: "4322" },
      host: { type: "string", default: "127.0.0.1" },
    },
  });
  const options = { dir: values.dir, base: normalizeBase(values.base) };
  const port = Number(values.port);
  createStaticServer(options).listen(port, values.host, () => {
    console.log(`serve: ${options.dir} at http://${values.host}:${port}${options.base}`);
  });
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
