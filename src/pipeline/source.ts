// The source step: where each day's report file comes from. `--source` names
// either a local directory of daily files or a URL template with {date}; this
// module lists the days of a directory, or downloads the days of a range with
// retries, timeouts, size limits and conditional requests.

import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { Duplex, Readable } from "node:stream";
import { createBrotliDecompress } from "node:zlib";

export type Source = { kind: "dir"; dir: string } | { kind: "url"; template: string };

/** A `--source` that cannot be used, or a directory that cannot be read as daily files. */
export class SourceInputError extends Error {
  readonly input: string;
  readonly reason: string;
  constructor(input: string, reason: string) {
    super(`--source ${JSON.stringify(input)}: ${reason}`);
    this.name = "SourceInputError";
    this.input = input;
    this.reason = reason;
  }
}

/** A download that finally failed (after retries, or at once when retrying cannot help). */
export class SourceError extends Error {
  readonly url: string;
  readonly reason: string;
  readonly attempts: number;
  constructor(url: string, reason: string, attempts: number) {
    super(`GET ${url} failed: ${reason} after ${attempts} ${attempts === 1 ? "attempt" : "attempts"}`);
    this.name = "SourceError";
    this.url = url;
    this.reason = reason;
    this.attempts = attempts;
  }
}

const DATE_PLACEHOLDER = "{date}";
// A scheme of two or more letters, so that a Windows drive ("C:\reports") reads as a path.
const SCHEME = /^([a-zA-Z][a-zA-Z0-9+.-]+):/;

/**
 * Reads `--source`: an http(s) URL template containing {date}, or else a
 * directory path. Throws SourceInputError naming the problem.
 */
export function parseSource(spec: string): Source {
  if (spec.trim() === "") throw new SourceInputError(spec, "empty; give a directory or a URL template");
  const scheme = SCHEME.exec(spec)?.[1]?.toLowerCase();
  if (scheme === undefined) {
    if (spec.includes(DATE_PLACEHOLDER)) {
      throw new SourceInputError(spec, "a {date} template must be an http:// or https:// URL");
    }
    return { kind: "dir", dir: spec };
  }
  if (scheme !== "http" && scheme !== "https") {
    throw new SourceInputError(
      spec,
      `unsupported scheme "${scheme}:"; use an http:// or https:// URL template, or a directory path`,
    );
  }
  if (!spec.includes(DATE_PLACEHOLDER)) {
    throw new SourceInputError(spec, "URL template has no {date} placeholder");
  }
  let example: URL;
  try {
    example = new URL(urlForDate(spec, "2000-01-01"));
  } catch {
    throw new SourceInputError(spec, "not a valid URL");
  }
  if (example.username !== "" || example.password !== "") {
    throw new SourceInputError(spec, "URL template must not contain credentials");
  }
  return { kind: "url", template: spec };
}

// ---------------------------------------------------------------------------
// Dates.

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DAY_MS = 86_400_000;

/** A real calendar date in YYYY-MM-DD form ("2024-02-30" is not). */
export function isCalendarDate(text: string): boolean {
  if (!DATE.test(text)) return false;
  const date = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === text;
}

function assertDate(text: string, what: string): void {
  if (!isCalendarDate(text))
    throw new RangeError(`${what}: ${JSON.stringify(text)} is not a YYYY-MM-DD date`);
}

function dayNumber(date: string): number {
  return Date.parse(`${date}T00:00:00Z`) / DAY_MS;
}

function dateOfDayNumber(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** Every date from `from` to `to`, both included; empty when `from` is after `to`. */
export function dateRange(from: string, to: string): string[] {
  assertDate(from, "from");
  assertDate(to, "to");
  const dates: string[] = [];
  for (let day = dayNumber(from); day <= dayNumber(to); day++) dates.push(dateOfDayNumber(day));
  return dates;
}

/** The range a URL source fetches by default: the 12 weeks (84 days) ending yesterday, UTC. */
export function defaultRange(today: Date): { from: string; to: string } {
  const yesterday = Math.floor(today.getTime() / DAY_MS) - 1;
  return { from: dateOfDayNumber(yesterday - 83), to: dateOfDayNumber(yesterday) };
}

export function urlForDate(template: string, date: string): string {
  assertDate(date, "date");
  return template.replaceAll(DATE_PLACEHOLDER, date);
}

// ---------------------------------------------------------------------------
// Directory sources.

export interface DayFile {
  date: string;
  path: string;
}

export interface IgnoredFile {
  name: string;
  reason: string;
}

// Exactly a date and one of the known extensions: no prefixes, suffixes or backup copies.
const DAY_FILE = /^(\d{4}-\d{2}-\d{2})(?:\.json|\.json\.gz|\.zip|\.ndjson|\.ndjson\.gz)?$/;
/** DAY_FILE in words, for messages. */
export const DAY_FILE_NAMES = "YYYY-MM-DD with no extension, .json, .json.gz, .ndjson, .ndjson.gz or .zip";

/**
 * The daily files of a directory within [from, to], oldest first. Only plain
 * regular files directly in the directory count (no symlinks, no
 * subdirectories); other entries are returned in `ignored` with why, so the
 * CLI can mention them. Two files for one date is an error naming both.
 */
export async function listDirectoryDays(
  dir: string,
  from?: string,
  to?: string,
): Promise<{ days: DayFile[]; ignored: IgnoredFile[] }> {
  if (from !== undefined) assertDate(from, "from");
  if (to !== undefined) assertDate(to, "to");
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === "ENOENT" ? "directory not found" : code === "ENOTDIR" ? "not a directory" : String(error);
    throw new SourceInputError(dir, reason);
  }
  const byDate = new Map<string, string>();
  const ignored: IgnoredFile[] = [];
  for (const entry of entries) {
    const name = entry.name;
    const match = DAY_FILE.exec(name);
    // The strict pattern also rules out separators and "..": only plain entries of dir are read.
    if (!match) {
      ignored.push({
        name,
        reason: `not a daily file name (${DAY_FILE_NAMES})`,
      });
      continue;
    }
    const date = match[1] as string;
    if (!isCalendarDate(date)) {
      ignored.push({ name, reason: `${date} is not a calendar date` });
      continue;
    }
    if (!entry.isFile()) {
      ignored.push({ name, reason: entry.isSymbolicLink() ? "a symbolic link" : "not a regular file" });
      continue;
    }
    if ((from !== undefined && date < from) || (to !== undefined && date > to)) continue;
    const other = byDate.get(date);
    if (other !== undefined) {
      const [first, second] = [other, name].sort();
      throw new SourceInputError(dir, `two files for ${date}: ${first} and ${second}`);
    }
    byDate.set(date, name);
  }
  const days = [...byDate]
    .map(([date, name]) => ({ date, path: join(dir, name) }))
    .sort((a, b) => (a.date < b.date ? -1 : 1));
  ignored.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { days, ignored };
}

// ---------------------------------------------------------------------------
// Downloads.

export type FetchResult =
  | { status: "ok"; bytes: Uint8Array; etag?: string; lastModified?: string }
  /** The server confirmed the cached copy (named by etag / lastModified) is current. */
  | { status: "not-modified" }
  /** 404 or 410: no file for the day. */
  | { status: "missing" };

export interface FetchOptions {
  /** Limit for one attempt: every redirect hop, the headers and the whole body. Default 30000. */
  timeoutMs?: number;
  /** Attempts after the first. Default 4. */
  retries?: number;
  /** First retry delay; doubles each retry, with jitter. Default 500. */
  backoffMs?: number;
  /** Ceiling of the exponential delay. Default 30000. */
  maxBackoffMs?: number;
  /** Ceiling of a server's Retry-After. Default 60000. */
  maxRetryAfterMs?: number;
  /** Validators of a cached copy: sent as If-None-Match / If-Modified-Since. */
  etag?: string;
  lastModified?: string;
  /** Refuse bodies larger than this. Default MAX_DAY_FILE_BYTES. */
  maxBytes?: number;
  /** Default 5. */
  maxRedirects?: number;
  signal?: AbortSignal;
  /** Uniform in [0, 1), for jitter. Default Math.random. */
  random?: () => number;
  /** Waits between attempts; rejects when the signal aborts. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/**
 * The most bytes a day file may hold, on disk or as downloaded (decoded, when a server
 * applies a content coding although asked for none). A day is held whole while it is
 * aggregated; a real day is a few MB, so 256 MiB is ample, and it bounds what a hostile
 * server can make a run hold.
 */
export const MAX_DAY_FILE_BYTES = 256 * 1024 ** 2;

/** Why one attempt failed, and whether another attempt could succeed. */
class AttemptFailure extends Error {
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;
  constructor(reason: string, retryable: boolean, retryAfterMs?: number) {
    super(reason);
    this.retryable = retryable;
    this.retryAfterMs = retryAfterMs;
  }
}

/**
 * Downloads one day's file. Network errors, timeouts, truncated bodies, 5xx
 * and 429 are retried with exponential backoff (honouring Retry-After); other
 * 4xx, bodies over `maxBytes`, bad redirects and TLS failures no retry can mend
 * (an untrusted certificate, https to a plain HTTP port) fail at once. Redirects are
 * followed by hand so that the hop limit and the http/https check apply to
 * each hop. Throws SourceError when it finally fails.
 */
export async function fetchDay(url: string, options: FetchOptions = {}): Promise<FetchResult> {
  const retries = options.retries ?? 4;
  const backoffMs = options.backoffMs ?? 500;
  const maxBackoffMs = options.maxBackoffMs ?? 30_000;
  const random = options.random ?? Math.random;
  const sleep = options.sleep ?? abortableSleep;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fetchOnce(url, options);
    } catch (error) {
      const failure =
        error instanceof AttemptFailure ? error : new AttemptFailure(describeError(error), false);
      if (!failure.retryable || attempt > retries) throw new SourceError(url, failure.message, attempt);
      // Equal jitter: half the exponential delay is fixed, the other half random,
      // so that parallel downloads failing together do not retry in lockstep.
      const exponential = Math.min(maxBackoffMs, backoffMs * 2 ** (attempt - 1));
      const delay = failure.retryAfterMs ?? exponential / 2 + (exponential / 2) * random();
      try {
        await sleep(delay, options.signal);
      } catch {
        throw new SourceError(url, "aborted", attempt);
      }
    }
  }
}

async function fetchOnce(url: string, options: FetchOptions): Promise<FetchResult> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const maxBytes = options.maxBytes ?? MAX_DAY_FILE_BYTES;
  const maxRedirects = options.maxRedirects ?? 5;
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(), timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout.signal]) : timeout.signal;
  // Identity encoding, so the bytes (and Content-Length) are exactly what the server stores.
  const headers: Record<string, string> = { "accept-encoding": "identity" };
  if (options.etag !== undefined) headers["if-none-match"] = options.etag;
  if (options.lastModified !== undefined) headers["if-modified-since"] = options.lastModified;
  const conditional = options.etag !== undefined || options.lastModified !== undefined;
  try {
    let current = checkScheme(url);
    for (let hop = 0; ; hop++) {
      const response = await get(current, headers, signal);
      const { status } = response;
      if (status === 301 || status === 302 || status === 303 || status === 307 || status === 308) {
        await response.body?.cancel();
        const location = response.headers.get("location");
        if (location === null) throw new AttemptFailure(`HTTP ${status} without a Location header`, false);
        if (hop >= maxRedirects)
          throw new AttemptFailure(`too many redirects (more than ${maxRedirects})`, false);
        let next: URL;
        try {
          next = new URL(location, current);
        } catch {
          throw new AttemptFailure(`redirect to an invalid URL ${JSON.stringify(location)}`, false);
        }
        current = checkScheme(next.href);
        continue;
      }
      if (status === 304) {
        await response.body?.cancel();
        if (!conditional) throw new AttemptFailure("HTTP 304 to a request without validators", false);
        return { status: "not-modified" };
      }
      if (status === 404 || status === 410) {
        await response.body?.cancel();
        return { status: "missing" };
      }
      if (status < 200 || status > 299) {
        await response.body?.cancel();
        const retryable = status === 429 || status >= 500;
        const retryAfterMs =
          status === 429 || status === 503
            ? parseRetryAfter(response.headers.get("retry-after"), options.maxRetryAfterMs ?? 60_000)
            : undefined;
        throw new AttemptFailure(`HTTP ${status}`, retryable, retryAfterMs);
      }
      const bytes = await readBody(response, maxBytes, signal);
      const etag = response.headers.get("etag");
      const lastModified = response.headers.get("last-modified");
      return {
        status: "ok",
        bytes,
        ...(etag !== null && { etag }),
        ...(lastModified !== null && { lastModified }),
      };
    }
  } catch (error) {
    if (error instanceof AttemptFailure) throw error;
    if (options.signal?.aborted) throw new AttemptFailure("aborted", false);
    if (timeout.signal.aborted) throw new AttemptFailure(`timeout after ${timeoutMs} ms`, true);
    const tls = tlsFailure(error);
    if (tls !== undefined) throw new AttemptFailure(tls, false);
    throw new AttemptFailure(`network error: ${describeError(error)}`, true);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * One GET, without following redirects, as a Response whose body is the bytes as sent.
 * Not fetch: it decodes a content coding that a server applies although asked for none,
 * and accepts a gzip stream cut short as complete; readBody decodes strictly.
 */
async function get(url: string, headers: Record<string, string>, signal: AbortSignal): Promise<Response> {
  // Loaded when a run downloads: node:http takes 30-40 ms and some MB to load, which a
  // directory source, or a warm run, need not pay.
  const client = new URL(url).protocol === "https:" ? await import("node:https") : await import("node:http");
  return new Promise((resolve, reject) => {
    const request = client.get(url, { headers, signal }, (message) => {
      const status = message.statusCode ?? 0;
      if (status < 200 || status > 599) {
        message.destroy();
        return reject(new AttemptFailure(`HTTP ${status}`, false));
      }
      try {
        const responseHeaders = new Headers();
        for (const [name, value] of Object.entries(message.headers)) {
          for (const one of [value ?? []].flat()) responseHeaders.append(name, one);
        }
        const noBody = status === 204 || status === 205 || status === 304;
        if (noBody) message.resume();
        const body = noBody ? null : (Readable.toWeb(message) as ReadableStream<Uint8Array>);
        resolve(new Response(body, { status, headers: responseHeaders }));
      } catch (error) {
        // A header value Headers refuses: a failed attempt, not an exception in a callback.
        message.destroy();
        reject(new AttemptFailure(`unreadable response: ${(error as Error).message}`, false));
      }
    });
    request.on("error", reject);
    // A 101 (Switching Protocols) makes the client destroy the socket and emit only "close";
    // whatever ends the request without a response settles the promise (no-ops after resolve).
    request.on("upgrade", (_message, socket) => {
      socket.destroy();
      reject(new AttemptFailure("HTTP 101 (an upgrade) to a GET of a file", false));
    });
    request.on("close", () => reject(new AttemptFailure("connection closed without a response", true)));
    signal.addEventListener("abort", () => reject(signal.reason), { once: true });
  });
}

/** The decoder of a content coding, or undefined for none; throws for one it cannot decode. */
function decoderOf(encoding: string | null): ReadableWritablePair<Uint8Array, Uint8Array> | undefined {
  const coding = encoding?.trim().toLowerCase() ?? "";
  if (coding === "" || coding === "identity") return undefined;
  let decoder: unknown;
  if (coding === "gzip" || coding === "x-gzip") decoder = new DecompressionStream("gzip");
  else if (coding === "deflate") decoder = new DecompressionStream("deflate");
  else if (coding === "br") decoder = Duplex.toWeb(createBrotliDecompress());
  else throw new AttemptFailure(`unsupported Content-Encoding ${JSON.stringify(encoding)}`, false);
  // Both take and give byte chunks; the DOM types name their input BufferSource.
  return decoder as ReadableWritablePair<Uint8Array, Uint8Array>;
}

function checkScheme(url: string): string {
  let protocol: string;
  try {
    protocol = new URL(url).protocol;
  } catch {
    throw new AttemptFailure(`invalid URL ${JSON.stringify(url)}`, false);
  }
  if (protocol !== "http:" && protocol !== "https:") {
    throw new AttemptFailure(`unsupported scheme "${protocol}" in ${url} (only http and https)`, false);
  }
  return url;
}

/**
 * The body as a stream, checked against Content-Length (which counts the bytes as sent),
 * decoded from its content coding if the server applied one, and refused past maxBytes
 * (as sent, and decoded).
 */
async function readBody(response: Response, maxBytes: number, signal: AbortSignal): Promise<Uint8Array> {
  const encoding = response.headers.get("content-encoding");
  const lengthHeader = response.headers.get("content-length");
  const declared = lengthHeader !== null && /^\d+$/.test(lengthHeader) ? Number(lengthHeader) : undefined;
  const tooLarge = () => new AttemptFailure(`response larger than ${maxBytes} bytes`, false);
  let decoder;
  try {
    decoder = decoderOf(encoding);
  } catch (error) {
    await response.body?.cancel();
    throw error;
  }
  if (declared !== undefined && declared > maxBytes) {
    await response.body?.cancel();
    throw tooLarge();
  }
  const chunks: Uint8Array[] = [];
  let received = 0; // as sent
  let decoded = 0;
  if (response.body) {
    const counted = response.body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          received += chunk.byteLength;
          if (received > maxBytes) throw tooLarge();
          controller.enqueue(chunk);
        },
      }),
    );
    const reader = (decoder ? counted.pipeThrough(decoder) : counted).getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        decoded += value.byteLength;
        if (decoded > maxBytes) {
          await reader.cancel().catch(() => {});
          throw tooLarge();
        }
        chunks.push(value);
      }
    } catch (error) {
      if (error instanceof AttemptFailure || signal.aborted) throw error;
      if (declared !== undefined && received < declared) {
        throw new AttemptFailure(`truncated body: got ${received} of ${declared} bytes`, true);
      }
      // A body cut short with no length left to tell: its coding's stream ends early.
      if (
        decoder &&
        !(error instanceof Error && /terminated|aborted|ECONNRESET|premature/i.test(error.message))
      ) {
        throw new AttemptFailure(`truncated body: its ${encoding} encoding ends early or is damaged`, true);
      }
      throw error;
    }
  }
  if (declared !== undefined && received !== declared) {
    const problem = received < declared ? "truncated body" : "body longer than declared";
    throw new AttemptFailure(`${problem}: got ${received} of ${declared} bytes`, true);
  }
  const bytes = new Uint8Array(decoded);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

/** Retry-After in delay-seconds or HTTP-date form, in ms, capped; undefined when absent or unreadable. */
function parseRetryAfter(value: string | null, capMs: number): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  let ms: number;
  if (/^\d+$/.test(text)) ms = Number(text) * 1000;
  else {
    const at = Date.parse(text);
    if (Number.isNaN(at)) return undefined;
    ms = at - Date.now();
  }
  return Math.min(Math.max(ms, 0), capMs);
}

// OpenSSL's certificate verification failures, as Node reports them in `code`: the same
// certificate comes back on every attempt, so retrying only delays the message.
const CERTIFICATE_ERRORS = new Set([
  "CERT_CHAIN_TOO_LONG",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "CERT_REJECTED",
  "CERT_REVOKED",
  "CERT_SIGNATURE_FAILURE",
  "CERT_UNTRUSTED",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "ERR_TLS_CERT_ALTNAME_INVALID",
  "HOSTNAME_MISMATCH",
  "INVALID_CA",
  "INVALID_PURPOSE",
  "PATH_LENGTH_EXCEEDED",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
]);

/** The reason of a TLS failure that no retry can mend, or undefined. */
function tlsFailure(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  const code = (error as NodeJS.ErrnoException).code ?? "";
  if (CERTIFICATE_ERRORS.has(code)) return `TLS certificate refused: ${error.message} (${code})`;
  // https:// to a port that answers in plain HTTP.
  if (code === "EPROTO" && /wrong version number/.test(error.message))
    return "TLS handshake failed: the server does not speak TLS on this port (wrong version number)";
  return undefined;
}

function describeError(error: unknown): string {
  if (error instanceof Error) {
    // A wrapped error (a stream's, a decoder's) keeps the useful part in its cause.
    const cause = error.cause;
    if (cause instanceof Error && cause.message) return `${error.message} (${cause.message})`;
    return error.message;
  }
  return String(error);
}

function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

// ---------------------------------------------------------------------------
// Many downloads.

export interface FetchItem {
  date: string;
  url: string;
  /** Validators of this day's cached copy, if any. */
  etag?: string;
  lastModified?: string;
}

export interface FetchedDay {
  date: string;
  url: string;
  result: FetchResult;
}

export interface FetchAllOptions extends Omit<FetchOptions, "etag" | "lastModified"> {
  /** Downloads in flight at most. Default 4. */
  concurrency?: number;
  /** Called as each day finishes, in completion order. */
  onProgress?: (progress: { done: number; total: number; day: FetchedDay }) => void;
}

export type FetchOne = (url: string, options: FetchOptions) => Promise<FetchResult>;

/**
 * Downloads every item with at most `concurrency` in flight, and returns the
 * results in input order. The first final failure stops new downloads, aborts
 * the ones in flight, waits for them to settle, and then rejects with that
 * failure — no work is left running behind the rejection.
 */
export async function fetchAll(
  items: readonly FetchItem[],
  options: FetchAllOptions = {},
  fetchOne: FetchOne = fetchDay,
): Promise<FetchedDay[]> {
  const { concurrency = 4, onProgress, signal: outerSignal, ...fetchOptions } = options;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new RangeError(`concurrency must be a whole number ≥ 1, got ${concurrency}`);
  }
  const stop = new AbortController();
  const signal = outerSignal ? AbortSignal.any([outerSignal, stop.signal]) : stop.signal;
  const results: FetchedDay[] = [];
  let next = 0;
  let done = 0;
  let failure: { error: unknown } | undefined;

  async function worker(): Promise<void> {
    while (failure === undefined && !signal.aborted && next < items.length) {
      const index = next++;
      const item = items[index] as FetchItem;
      try {
        const result = await fetchOne(item.url, {
          ...fetchOptions,
          ...(item.etag !== undefined && { etag: item.etag }),
          ...(item.lastModified !== undefined && { lastModified: item.lastModified }),
          signal,
        });
        const day = { date: item.date, url: item.url, result };
        results[index] = day;
        done++;
        onProgress?.({ done, total: items.length, day });
      } catch (error) {
        if (failure === undefined) {
          failure = { error };
          stop.abort();
        }
      }
    }
  }

  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  if (failure !== undefined) throw failure.error;
  if (outerSignal?.aborted) throw outerSignal.reason;
  return results;
}
