// Decode: the bytes of one day's file → its lines, one at a time.
//
// A day file is NDJSON (one report per line), stored gzip-compressed, as a zip
// holding exactly one file, or as plain text (what telemetry.go.dev serves at
// /data/YYYY-MM-DD). The format is read from the bytes, never from the name,
// because cached and downloaded files are named by date, not by encoding.
//
// Decompression streams: compressed input is pushed in chunks and each
// decompressed chunk is split into lines as it arrives, so only the current
// partial line is ever held, never the whole day's text.

import { crc32 } from "node:zlib";
import { Gunzip, Unzip, UnzipInflate, unzipSync } from "fflate";

export type DayFileFormat = "gzip" | "zip" | "plain";

export interface DecodeOptions {
  /** Name of the file or URL, for error messages. */
  file: string;
  /** Longest line, in bytes without its line ending, that is returned as text. */
  maxLineBytes: number;
  /** Stop with a DecodeError once decompression has produced more bytes than this. */
  maxDecompressedBytes: number;
  /**
   * Stop with a DecodeError past this many lines: each accepted report takes memory until
   * the day ends, and 2 GiB of tiny lines would take some 700 MB. No limit when absent.
   */
  maxLines?: number;
}

/** A non-blank line of the file, the length of a line too long to return, or a line that is not UTF-8. */
export type DecodedLine = { line: number; text: string } | TooLongLine | NotUtf8Line;

/** A line whose bytes are not UTF-8 (JSON text must be): a malformed line, not a broken file. */
export type NotUtf8Line = { line: number; notUtf8: true };

/** A line too long to return, by its length in bytes. */
export type TooLongLine = { line: number; tooLong: true; bytes: number };

/**
 * A non-blank line as bytes (without its line ending): `bytes[start, end)`. The bytes are
 * the decoder's buffer, valid only until the next line is asked for.
 */
export type LineBytes = { line: number; bytes: Uint8Array; start: number; end: number } | TooLongLine;

/** What decodeLines returns once every line has been yielded. */
export interface DecodeSummary {
  /** Lines in the file, blank ones included (a final line ending does not start another line). */
  lines: number;
  /** Bytes after decompression (the input's length for plain text). */
  decompressedBytes: number;
}

/**
 * Limits for real day files. A report is one install's counters for one week:
 * a few kilobytes, tens with long stack counters, so a line above 1 MiB is not
 * a report we could use and is not worth holding. A day of uploads is tens of
 * megabytes of text; 2 GiB leaves two orders of magnitude of growth while
 * stopping a decompression bomb (or a wrongly fetched file) long before it
 * exhausts the machine. It also keeps sizes below 2^32, where gzip's size
 * check wraps around.
 */
export const DEFAULT_LIMITS = {
  maxLineBytes: 1024 ** 2,
  maxDecompressedBytes: 2 * 1024 ** 3,
  // A real day holds thousands of reports; a thousand times that is still a day.
  maxLines: 2_000_000,
} as const satisfies Omit<DecodeOptions, "file">;

/** The file cannot be read as a whole; the caller fails the day. */
export class DecodeError extends Error {
  readonly file: string;

  constructor(file: string, message: string) {
    super(`${file}: ${message}`);
    this.name = "DecodeError";
    this.file = file;
  }
}

/** Compressed input is pushed to fflate in chunks of this size. */
export const CHUNK_BYTES = 64 * 1024;

/**
 * Where this thread's gunzips inflate each pushed chunk (see giveRoom), made at first use:
 * room for the 32 KB window and a chunk inflated at 60:1 (day files inflate about 20:1).
 */
let inflateRoom: Uint8Array | undefined;
const INFLATE_ROOM_BYTES = 32 * 1024 + 60 * CHUNK_BYTES;

/**
 * Lets fflate's streaming gunzip inflate the next chunk in place. fflate 0.8 inflates a
 * push into its window buffer (`o`, the last 32 KB of output), doubling it as the output
 * grows, then copies the push's output out and keeps a fresh copy of the window: some 4 MB
 * of short-lived buffers per 64 KB pushed, which piled up to 30-50 MB per thread between
 * collections. Handed a buffer with room, with the window copied to its front, it grows
 * nothing; the buffer holds nothing once the push returns, so every gunzip of the thread
 * can use it. Only when those fields are there as expected: anything else is left to fflate
 * (and returns false, which a test watches for, so that an fflate upgrade cannot quietly
 * undo this).
 */
export function giveRoom(gunzip: Gunzip): boolean {
  const internals = gunzip as unknown as { o?: unknown; s?: { b?: unknown } };
  const window = internals.o;
  // Between two members (a member ended and the next has not started in the bytes pushed so
  // far) fflate's state is `{ i: 0 }`, without `b`, and its window empty: it then emits all of
  // `o` it is given as output, so room there would come out as garbage. Left to fflate.
  const filled = internals.s?.b;
  if (!(window instanceof Uint8Array) || typeof filled !== "number" || filled > window.length) return false;
  inflateRoom ??= new Uint8Array(INFLATE_ROOM_BYTES);
  if (window === inflateRoom || filled > inflateRoom.length) return false;
  inflateRoom.set(window.subarray(0, filled));
  internals.o = inflateRoom;
  return true;
}

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

/** The format of a day file, from its first bytes. */
export function detectFormat(bytes: Uint8Array): DayFileFormat {
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) return "gzip";
  // A local file header, or the end-of-central-directory record of an empty zip.
  if (
    bytes[0] === 0x50 &&
    bytes[1] === 0x4b &&
    (bytes[2] === 0x03 || bytes[2] === 0x05) &&
    bytes[3] === bytes[2] + 1
  ) {
    return "zip";
  }
  return "plain";
}

/**
 * The lines of a day file, numbered from 1, decompressing as it goes.
 *
 * Blank (whitespace-only) lines are counted but not yielded; a `\r\n` ending is
 * read as `\n`. A line longer than `maxLineBytes` is yielded as `tooLong` with
 * its length, and its bytes are skipped rather than buffered.
 *
 * A line whose bytes are not UTF-8 is yielded as `notUtf8`: like any malformed line,
 * it costs only itself.
 *
 * Throws DecodeError when the file cannot be trusted as a whole: corrupt or
 * truncated gzip or zip (CRC-32 and size are checked), a zip without exactly one
 * file, or more than `maxDecompressedBytes` of output. Lines yielded before the
 * error belong to a failed day.
 *
 * Returns a DecodeSummary, which `for … of` discards; call `next()` to keep it.
 */
export function* decodeLines(
  bytes: Uint8Array,
  options: DecodeOptions,
): Generator<DecodedLine, DecodeSummary, undefined> {
  const lines = decodeLineBytes(bytes, options);
  for (let next = lines.next(); ; next = lines.next()) {
    if (next.done) return next.value;
    const line = next.value;
    if ("tooLong" in line) {
      yield line;
      continue;
    }
    const text = lineText(line);
    yield text === undefined ? { line: line.line, notUtf8: true } : { line: line.line, text };
  }
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** The text of a line, or undefined if its bytes are not UTF-8. */
export function lineText(line: { bytes: Uint8Array; start: number; end: number }): string | undefined {
  try {
    return utf8.decode(line.bytes.subarray(line.start, line.end));
  } catch {
    return undefined;
  }
}

/**
 * decodeLines, with each line as bytes rather than text: for a reader that parses bytes
 * (scan.ts) and decodes to text only the lines it leaves to JSON.parse.
 */
export function* decodeLineBytes(
  bytes: Uint8Array,
  options: DecodeOptions,
): Generator<LineBytes, DecodeSummary, undefined> {
  const { file, maxLineBytes, maxDecompressedBytes } = options;
  const maxLines = options.maxLines ?? Infinity;
  const format = detectFormat(bytes);
  const chunks =
    format === "gzip" ? gunzipChunks(bytes, file) : format === "zip" ? unzipChunks(bytes, file) : [bytes];

  let decompressedBytes = 0;
  let lineNumber = 0;
  // The start of the current line when it spans chunks; room for the limit plus a "\r".
  let carry = new Uint8Array(Math.min(maxLineBytes + 1, CHUNK_BYTES));
  let carryLength = 0;
  // Once the current line outgrows the limit its bytes are only counted.
  let skipping = false;
  let skippedBytes = 0;
  let skippedLastByte = 0;

  function append(piece: Uint8Array): void {
    if (skipping) {
      skippedBytes += piece.length;
      skippedLastByte = piece.length > 0 ? (piece[piece.length - 1] ?? 0) : skippedLastByte;
      return;
    }
    const length = carryLength + piece.length;
    if (length > maxLineBytes + 1) {
      skipping = true;
      skippedBytes = length;
      skippedLastByte = piece.length > 0 ? (piece[piece.length - 1] ?? 0) : (carry[carryLength - 1] ?? 0);
      carryLength = 0;
      return;
    }
    if (length > carry.length) {
      const grown = new Uint8Array(Math.min(maxLineBytes + 1, Math.max(length, carry.length * 2)));
      grown.set(carry.subarray(0, carryLength));
      carry = grown;
    }
    carry.set(piece, carryLength);
    carryLength = length;
  }

  // Every line is handed out in this one object: it is valid until the next is asked for.
  const current: { line: number; bytes: Uint8Array; start: number; end: number } = {
    line: 0,
    bytes: EMPTY,
    start: 0,
    end: 0,
  };

  /** Ends the current line, whose last piece is chunk[start, end); undefined for a blank line. */
  function finishLine(chunk: Uint8Array, start: number, end: number): LineBytes | undefined {
    if (++lineNumber > maxLines)
      throw new DecodeError(file, `holds more than ${maxLines} lines, the limit for one day`);
    let lineBytes = chunk;
    if (carryLength > 0 || skipping) {
      append(chunk.subarray(start, end));
      lineBytes = carry;
      start = 0;
      end = carryLength;
      carryLength = 0;
    }
    if (skipping) {
      skipping = false;
      const bytes = skippedLastByte === CARRIAGE_RETURN ? skippedBytes - 1 : skippedBytes;
      return { line: lineNumber, tooLong: true, bytes };
    }
    if (end > start && lineBytes[end - 1] === CARRIAGE_RETURN) end--;
    if (end - start > maxLineBytes) return { line: lineNumber, tooLong: true, bytes: end - start };
    if (isBlank(lineBytes, start, end)) return undefined;
    current.line = lineNumber;
    current.bytes = lineBytes;
    current.start = start;
    current.end = end;
    return current;
  }

  for (const chunk of chunks) {
    decompressedBytes += chunk.length;
    if (decompressedBytes > maxDecompressedBytes) {
      throw new DecodeError(
        file,
        `holds more than ${maxDecompressedBytes} bytes of text, the limit for one day`,
      );
    }
    let start = 0;
    for (;;) {
      const newline = chunk.indexOf(NEWLINE, start);
      if (newline === -1) {
        append(chunk.subarray(start));
        break;
      }
      const decoded = finishLine(chunk, start, newline);
      if (decoded !== undefined) yield decoded;
      start = newline + 1;
    }
  }
  if (carryLength > 0 || skipping) {
    const decoded = finishLine(EMPTY, 0, 0);
    if (decoded !== undefined) yield decoded;
  }
  return { lines: lineNumber, decompressedBytes };
}

const EMPTY = new Uint8Array(0);

/** True when bytes[start, end) are all ASCII whitespace. */
function isBlank(lineBytes: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const byte = lineBytes[i];
    if (byte !== 0x20 && byte !== 0x09 && byte !== 0x0d && byte !== 0x0b && byte !== 0x0c) return false;
  }
  return true;
}

/**
 * The decompressed chunks of a gzip file, which may hold several members (as
 * `cat a.gz b.gz` makes). fflate checks the deflate data but not the member
 * trailers, so each member's CRC-32 and size are checked here against its
 * 8-byte trailer: this is what catches a file cut short at a block boundary,
 * flipped bits that still inflate, and trailing garbage.
 */
function* gunzipChunks(bytes: Uint8Array, file: string): Generator<Uint8Array, void, undefined> {
  const ready: Uint8Array[] = [];
  let memberStart = 0;
  let memberCrc = 0;
  let memberSize = 0;
  let trailerProblem: string | undefined;

  /** Why the member ending at `end` (just past its trailer) is bad, if it is. */
  function checkMember(end: number): string | undefined {
    const trailer = end - 8;
    // A member is at least a 10-byte header, a deflate block and the trailer.
    if (trailer < memberStart + 10) return "gzip data is truncated";
    if (readUint32LE(bytes, trailer) !== memberCrc)
      return "gzip data is corrupt or truncated (CRC-32 mismatch)";
    if (readUint32LE(bytes, trailer + 4) !== memberSize % 2 ** 32) {
      return "gzip data is corrupt or truncated (size mismatch)";
    }
    return undefined;
  }

  const gunzip = new Gunzip();
  gunzip.ondata = (data) => {
    ready.push(data);
    memberCrc = crc32(data, memberCrc);
    memberSize += data.length;
  };
  gunzip.onmember = (offset) => {
    trailerProblem ??= checkMember(offset);
    memberStart = offset;
    memberCrc = 0;
    memberSize = 0;
  };
  for (let offset = 0; offset < bytes.length; offset += CHUNK_BYTES) {
    const end = Math.min(offset + CHUNK_BYTES, bytes.length);
    giveRoom(gunzip);
    try {
      gunzip.push(bytes.subarray(offset, end), end === bytes.length);
    } catch (error) {
      throw new DecodeError(file, `gzip data is corrupt or truncated (${messageOf(error)})`);
    }
    if (trailerProblem !== undefined) throw new DecodeError(file, trailerProblem);
    yield* ready.splice(0);
  }
  const problem = checkMember(bytes.length);
  if (problem !== undefined) throw new DecodeError(file, problem);
}

/**
 * The decompressed chunks of the one file in a zip. The central directory is
 * read first (fflate's unzipSync with a filter that extracts nothing), so a zip
 * with no file or several fails before any line is yielded; directory entries
 * do not count. The entry's size and CRC-32 from the central directory are
 * checked at the end (fflate reads neither for us: the CRC is read from the
 * directory here), so a flipped bit in stored or deflated data fails the day.
 */
function* unzipChunks(bytes: Uint8Array, file: string): Generator<Uint8Array, void, undefined> {
  const entries: { name: string; originalSize: number; index: number }[] = [];
  let index = 0;
  try {
    unzipSync(bytes, {
      // Called once per central directory entry, in order.
      filter: (entry) => {
        if (!entry.name.endsWith("/"))
          entries.push({ name: entry.name, originalSize: entry.originalSize, index });
        index++;
        return false;
      },
    });
  } catch (error) {
    throw new DecodeError(file, `zip data is corrupt or truncated (${messageOf(error)})`);
  }
  const entry = entries[0];
  if (entry === undefined || entries.length > 1) {
    const names = entries.slice(0, 3).map((each) => JSON.stringify(each.name));
    const listed = entries.length === 0 ? "" : ` (${names.join(", ")}${entries.length > 3 ? ", …" : ""})`;
    throw new DecodeError(
      file,
      `zip holds ${entries.length} files${listed}; expected exactly one NDJSON file`,
    );
  }

  const expectedCrc = centralDirectoryCrc(bytes, entry.index);
  if (expectedCrc === undefined) throw new DecodeError(file, "zip central directory is corrupt");
  const ready: Uint8Array[] = [];
  let failure: string | undefined;
  let finished = false;
  let size = 0;
  let crc = 0;
  const unzip = new Unzip((found) => {
    if (found.name !== entry.name) return;
    found.ondata = (error, data, final) => {
      if (error !== null) {
        failure ??= error.message;
        return;
      }
      ready.push(data);
      size += data.length;
      crc = crc32(data, crc);
      finished ||= final;
    };
    found.start();
  });
  unzip.register(UnzipInflate);
  for (let offset = 0; offset < bytes.length; offset += CHUNK_BYTES) {
    const end = Math.min(offset + CHUNK_BYTES, bytes.length);
    try {
      unzip.push(bytes.subarray(offset, end), end === bytes.length);
    } catch (error) {
      failure ??= messageOf(error);
    }
    if (failure !== undefined)
      throw new DecodeError(file, `zip entry ${JSON.stringify(entry.name)} is corrupt (${failure})`);
    yield* ready.splice(0);
  }
  if (!finished || size !== entry.originalSize) {
    throw new DecodeError(
      file,
      `zip entry ${JSON.stringify(entry.name)} is corrupt or truncated (${size} bytes, expected ${entry.originalSize})`,
    );
  }
  if (crc !== expectedCrc) {
    throw new DecodeError(file, `zip entry ${JSON.stringify(entry.name)} is corrupt (CRC-32 mismatch)`);
  }
}

const EOCD_SIGNATURE = 0x06054b50;
const ZIP64_LOCATOR_SIGNATURE = 0x07064b50;
const ZIP64_EOCD_SIGNATURE = 0x06064b50;
const CENTRAL_HEADER_SIGNATURE = 0x02014b50;
/** The end-of-central-directory record: 22 bytes and a comment of at most 65,535. */
const EOCD_BYTES = 22;
const MAX_COMMENT_BYTES = 0xffff;

/**
 * The CRC-32 of entry `index` (0-based, in central directory order) of a zip, from its
 * central directory header (APPNOTE 4.3.12); undefined if the directory cannot be walked
 * that far. The directory is found exactly as fflate's unzipSync finds it (which has
 * already read it, and whose entry order `index` is in): the last end-of-central-directory
 * signature, and the zip64 record only when both its locator and its own signature are there.
 */
export function centralDirectoryCrc(bytes: Uint8Array, index: number): number | undefined {
  let eocd = bytes.length - EOCD_BYTES;
  const lowest = Math.max(0, eocd - MAX_COMMENT_BYTES);
  while (eocd >= lowest && readUint32LE(bytes, eocd) !== EOCD_SIGNATURE) eocd--;
  if (eocd < lowest) return undefined;
  let count = readUint16LE(bytes, eocd + 8);
  let offset = readUint32LE(bytes, eocd + 16);
  if (eocd >= 20 && readUint32LE(bytes, eocd - 20) === ZIP64_LOCATOR_SIGNATURE) {
    const zip64 = readUint32LE(bytes, eocd - 12);
    if (readUint32LE(bytes, zip64) === ZIP64_EOCD_SIGNATURE) {
      count = readUint32LE(bytes, zip64 + 32);
      offset = readUint32LE(bytes, zip64 + 48);
    }
  }
  if (index >= count) return undefined;
  for (let i = 0; i < index; i++) {
    if (readUint32LE(bytes, offset) !== CENTRAL_HEADER_SIGNATURE) return undefined;
    offset +=
      46 +
      readUint16LE(bytes, offset + 28) +
      readUint16LE(bytes, offset + 30) +
      readUint16LE(bytes, offset + 32);
  }
  if (offset + 46 > bytes.length || readUint32LE(bytes, offset) !== CENTRAL_HEADER_SIGNATURE)
    return undefined;
  return readUint32LE(bytes, offset + 16);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function readUint16LE(bytes: Uint8Array, offset: number): number {
  return (bytes[offset] ?? 0) | ((bytes[offset + 1] ?? 0) << 8);
}

function readUint32LE(bytes: Uint8Array, offset: number): number {
  return (
    ((bytes[offset] ?? 0) |
      ((bytes[offset + 1] ?? 0) << 8) |
      ((bytes[offset + 2] ?? 0) << 16) |
      ((bytes[offset + 3] ?? 0) << 24)) >>>
    0
  );
}
