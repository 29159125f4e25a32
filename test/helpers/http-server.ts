// A local HTTP server for tests, on 127.0.0.1 and an ephemeral port. Each path
// gets a script of behaviours: the nth request to the path gets the nth
// behaviour, and the last one repeats. Paths without a script answer 404.
// The server records every request and the most requests it had in flight at
// once, so tests can check retries, conditional headers and concurrency.

import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

export type Behaviour =
  | {
      type: "reply";
      status: number;
      headers: Record<string, string>;
      body: Uint8Array;
      /** Wait this long before answering (to hold a request in flight). */
      delayMs: number;
    }
  /** Never answer; the socket stays open until the client gives up or the server closes. */
  | { type: "hang" }
  /** Declare a Content-Length, send fewer bytes, then close the connection. */
  | { type: "truncate"; declaredLength: number; body: Uint8Array }
  /** Anything else: full control of the response. */
  | { type: "handler"; handle: (request: IncomingMessage, response: ServerResponse) => void | Promise<void> };

export interface RecordedRequest {
  method: string;
  /** Path and query as requested. */
  url: string;
  /** Path without the query: what scripts are keyed by. */
  path: string;
  headers: IncomingHttpHeaders;
}

export interface TestServer {
  /** "http://127.0.0.1:<port>" */
  origin: string;
  /** Absolute URL of a path on this server. */
  url(path: string): string;
  /** Script the answers for a path (replacing any earlier script for it). */
  on(path: string, ...behaviours: Behaviour[]): void;
  /** Every request received, in arrival order. */
  readonly requests: readonly RecordedRequest[];
  /** Requests received for one path. */
  hits(path: string): number;
  /** The most requests that were in flight at the same time. */
  readonly maxConcurrent: number;
  /** Stop listening and drop every open connection, hanging ones included. */
  close(): Promise<void>;
}

const encoder = new TextEncoder();

function toBytes(body: string | Uint8Array): Uint8Array {
  return typeof body === "string" ? encoder.encode(body) : body;
}

export function reply(
  status: number,
  body: string | Uint8Array = "",
  headers: Record<string, string> = {},
  options: { delayMs?: number } = {},
): Behaviour {
  return { type: "reply", status, headers, body: toBytes(body), delayMs: options.delayMs ?? 0 };
}

export function redirect(location: string, status = 302): Behaviour {
  return reply(status, "", { location });
}

export function hang(): Behaviour {
  return { type: "hang" };
}

export function truncate(body: string | Uint8Array, declaredLength: number): Behaviour {
  return { type: "truncate", declaredLength, body: toBytes(body) };
}

export function handler(
  handle: (request: IncomingMessage, response: ServerResponse) => void | Promise<void>,
): Behaviour {
  return { type: "handler", handle };
}

/** A file with an ETag, as a static host serves it: 304 when the request already has it. */
export function withEtag(
  bytes: Uint8Array,
  etag: string,
  options: { delayMs?: number; onRequest?: () => void } = {},
): Behaviour {
  return handler(async (request, response) => {
    options.onRequest?.();
    if (options.delayMs) await new Promise((resolve) => setTimeout(resolve, options.delayMs));
    if (response.destroyed) return;
    if (request.headers["if-none-match"] === etag) {
      response.writeHead(304, { etag });
      response.end();
      return;
    }
    response.writeHead(200, { etag, "content-length": String(bytes.length) });
    response.end(bytes);
  });
}

export async function startTestServer(): Promise<TestServer> {
  const scripts = new Map<string, Behaviour[]>();
  const hitsByPath = new Map<string, number>();
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  let inFlight = 0;
  let maxConcurrent = 0;

  async function serve(request: IncomingMessage, response: ServerResponse, behaviour: Behaviour) {
    switch (behaviour.type) {
      case "reply": {
        if (behaviour.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, behaviour.delayMs));
        if (response.destroyed) return;
        response.writeHead(behaviour.status, {
          "content-length": String(behaviour.body.byteLength),
          ...behaviour.headers,
        });
        response.end(behaviour.body);
        return;
      }
      case "hang":
        return;
      case "truncate":
        response.writeHead(200, { "content-length": String(behaviour.declaredLength) });
        response.write(behaviour.body, () => response.socket?.destroy());
        return;
      case "handler":
        await behaviour.handle(request, response);
        return;
    }
  }

  const server = createServer((request, response) => {
    const url = request.url ?? "/";
    const path = url.split("?")[0] ?? url;
    requests.push({ method: request.method ?? "GET", url, path, headers: request.headers });
    const hit = hitsByPath.get(path) ?? 0;
    hitsByPath.set(path, hit + 1);
    inFlight++;
    maxConcurrent = Math.max(maxConcurrent, inFlight);
    // "close" fires once per response, whether it finished or the connection dropped.
    response.on("close", () => inFlight--);
    const script = scripts.get(path);
    const behaviour = script ? (script[Math.min(hit, script.length - 1)] ?? reply(404)) : reply(404);
    serve(request, response, behaviour).catch((error: unknown) => {
      if (!response.headersSent) response.writeHead(500);
      response.end(String(error));
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;

  return {
    origin,
    url: (path) => origin + path,
    on(path, ...behaviours) {
      if (behaviours.length === 0) throw new Error(`on(${path}): give at least one behaviour`);
      scripts.set(path, behaviours);
    },
    requests,
    hits: (path) => hitsByPath.get(path) ?? 0,
    get maxConcurrent() {
      return maxConcurrent;
    },
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve, reject) =>
        server.close((error) => (error ? reject(error) : resolve())),
      );
    },
  };
}
