import { describe, expect, it } from "vitest";
import { Gunzip, gzipSync, strToU8, Zip, ZipDeflate, zipSync } from "fflate";
import { crc32, deflateRawSync } from "node:zlib";
import {
  CHUNK_BYTES,
  DEFAULT_LIMITS,
  DecodeError,
  decodeLines,
  detectFormat,
  centralDirectoryCrc,
  giveRoom,
  type DecodedLine,
  type DecodeOptions,
  type DecodeSummary,
} from "./decode.ts";
import { concat } from "../../test/helpers/bytes.ts";

const options: DecodeOptions = { file: "2024-06-01.json", ...DEFAULT_LIMITS };

function decodeAll(bytes: Uint8Array, overrides: Partial<DecodeOptions> = {}) {
  const lines: DecodedLine[] = [];
  const generator = decodeLines(bytes, { ...options, ...overrides });
  for (;;) {
    const step = generator.next();
    if (step.done) return { lines, summary: step.value satisfies DecodeSummary };
    lines.push(step.value);
  }
}

function decodeError(bytes: Uint8Array, overrides: Partial<DecodeOptions> = {}): DecodeError {
  try {
    decodeAll(bytes, overrides);
  } catch (error) {
    if (error instanceof DecodeError) return error;
    throw error;
  }
  throw new Error("expected a DecodeError");
}

/** A zip written by fflate's streaming Zip, which uses data descriptors like streaming zip tools. */
function streamedZip(name: string, content: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = [];
  const zip = new Zip((error, data) => {
    if (error) throw error;
    parts.push(data);
  });
  const entry = new ZipDeflate(name);
  zip.add(entry);
  entry.push(content, true);
  zip.end();
  return concat(...parts);
}

const text = '{"a":1}\n{"b":2}\n{"c":3}\n';
const expected = [
  { line: 1, text: '{"a":1}' },
  { line: 2, text: '{"b":2}' },
  { line: 3, text: '{"c":3}' },
];

/** Many varied lines, so compressed chunks and decompressed chunks end mid-line. */
const bigLines = Array.from({ length: 20_000 }, (_, i) => JSON.stringify({ i, pad: "x".repeat(i % 97) }));
const bigText = strToU8(bigLines.join("\n") + "\n");
const bigExpected = bigLines.map((line, i) => ({ line: i + 1, text: line }));

describe("detectFormat", () => {
  it("reads gzip and zip magic numbers, and calls anything else plain", () => {
    expect(detectFormat(gzipSync(strToU8(text)))).toBe("gzip");
    expect(detectFormat(zipSync({ "a.json": strToU8(text) }))).toBe("zip");
    expect(detectFormat(zipSync({}))).toBe("zip");
    expect(detectFormat(strToU8(text))).toBe("plain");
    expect(detectFormat(new Uint8Array(0))).toBe("plain");
    expect(detectFormat(new Uint8Array([0x1f]))).toBe("plain");
    expect(detectFormat(strToU8("PK is not a zip"))).toBe("plain");
  });
});

describe("decodeLines", () => {
  it("reads plain NDJSON", () => {
    expect(decodeAll(strToU8(text))).toEqual({
      lines: expected,
      summary: { lines: 3, decompressedBytes: text.length },
    });
  });

  it("reads gzip", () => {
    expect(decodeAll(gzipSync(strToU8(text))).lines).toEqual(expected);
  });

  it("reads a large gzip whose chunks split lines", () => {
    const { lines, summary } = decodeAll(gzipSync(bigText, { level: 1 }));
    expect(lines).toEqual(bigExpected);
    expect(summary).toEqual({ lines: bigLines.length, decompressedBytes: bigText.length });
  });

  it("reads a gzip whose chunks inflate past the room given to each (1000:1)", () => {
    const lines = Array.from({ length: 6000 }, (_, i) => `${" ".repeat(2000)}${i}`);
    const { lines: read } = decodeAll(gzipSync(strToU8(lines.join("\n") + "\n")));
    expect(read.map((line) => ("text" in line ? line.text : "too long"))).toEqual(lines);
  });

  it("reads gzips decoded in turns in one thread, which share the inflate room", () => {
    const other = Array.from({ length: 20_000 }, (_, i) => `{"other":${i * 7}}`);
    const first = decodeLines(gzipSync(bigText, { level: 1 }), options);
    const second = decodeLines(gzipSync(strToU8(other.join("\n") + "\n"), { level: 9 }), options);
    const read: [string[], string[]] = [[], []];
    for (let done = 0; done < 2;) {
      done = 0;
      for (const [k, generator] of [first, second].entries()) {
        const step = generator.next();
        if (step.done) done++;
        else read[k]!.push("text" in step.value ? step.value.text : "too long");
      }
    }
    expect(read[0]).toEqual(bigLines);
    expect(read[1]).toEqual(other);
  });

  it("hands fflate's gunzip room to inflate in, before and between pushes", () => {
    // If an fflate upgrade moves the fields giveRoom relies on, decoding still works
    // (the tests above) but every chunk allocates again: this says so.
    const gunzip = new Gunzip(() => {});
    expect(giveRoom(gunzip)).toBe(true);
    const compressed = gzipSync(bigText);
    gunzip.push(compressed.subarray(0, 1000));
    expect(giveRoom(gunzip)).toBe(true);
    gunzip.push(compressed.subarray(1000), true);
  });

  it("reads a gzip whose trailer or next member starts at any byte around a pushed chunk's end", () => {
    // A member of exactly `size` bytes: its header padded with a comment (FCOMMENT).
    const member = (content: Uint8Array, size: number) => {
      const body = deflateRawSync(content);
      const trailer = new Uint8Array(8);
      new DataView(trailer.buffer).setUint32(0, crc32(content), true);
      new DataView(trailer.buffer).setUint32(4, content.length, true);
      const comment = size - 10 - 1 - body.length - 8;
      if (comment < 0) throw new Error("content too large for the size");
      const header = Uint8Array.of(0x1f, 0x8b, 8, 0x10, 0, 0, 0, 0, 0, 0xff);
      return concat(header, new Uint8Array(comment).fill(0x61), new Uint8Array(1), body, trailer);
    };
    const lines = Array.from({ length: 3000 }, (_, i) => JSON.stringify({ i, pad: "y".repeat(i % 89) }));
    const content = strToU8(lines.join("\n") + "\n");
    const wanted = lines.map((line, i) => ({ line: i + 1, text: line }));
    const tail = strToU8('{"last":true}\n');
    for (let size = CHUNK_BYTES - 10; size <= CHUNK_BYTES + 10; size++) {
      // One member of `size` bytes: its trailer straddles the chunk end or follows it.
      expect(decodeAll(member(content, size)).lines, `one member of ${size} bytes`).toEqual(wanted);
      // A second member starting at `size`.
      const two = decodeAll(concat(member(content, size), gzipSync(tail))).lines;
      expect(two, `a second member at ${size}`).toEqual([...wanted, { line: 3001, text: '{"last":true}' }]);
    }
  });

  it("reads concatenated gzip members as one file", () => {
    const first = gzipSync(strToU8('{"a":1}\n{"b":'));
    const second = gzipSync(strToU8('2}\n{"c":3}\n'));
    expect(decodeAll(concat(first, second)).lines).toEqual(expected);
  });

  it("reads a zip holding one file", () => {
    expect(decodeAll(zipSync({ "2024-06-01.json": strToU8(text) })).lines).toEqual(expected);
    expect(decodeAll(zipSync({ "data.json": strToU8(text) }, { level: 0 })).lines).toEqual(expected);
  });

  it("reads a large zip written with data descriptors", () => {
    expect(decodeAll(streamedZip("2024-06-01.json", bigText)).lines).toEqual(bigExpected);
  });

  it("does not count directory entries of a zip", () => {
    const zip = zipSync({ "2024-06-01/": {}, "2024-06-01/data.json": strToU8(text) });
    expect(decodeAll(zip).lines).toEqual(expected);
  });

  it("detects the format from the bytes, not the file name", () => {
    expect(decodeAll(gzipSync(strToU8(text)), { file: "2024-06-01.json" }).lines).toEqual(expected);
    expect(decodeAll(strToU8(text), { file: "2024-06-01.json.gz" }).lines).toEqual(expected);
    expect(decodeAll(zipSync({ "a.json": strToU8(text) }), { file: "2024-06-01" }).lines).toEqual(expected);
  });

  it("reads a last line without a trailing newline", () => {
    const { lines, summary } = decodeAll(strToU8('{"a":1}\n{"b":2}\n{"c":3}'));
    expect(lines).toEqual(expected);
    expect(summary.lines).toBe(3);
    expect(decodeAll(gzipSync(strToU8('{"a":1}\n{"b":2}\n{"c":3}'))).lines).toEqual(expected);
  });

  it("yields a line that is not UTF-8 as such, and goes on", () => {
    const bad = concat(strToU8('{"b":"'), new Uint8Array([0xff, 0xfe]), strToU8('"}'));
    const lines = ['{"a":1}\n', bad, '\n{"c":3}\n'];
    const bytes = concat(...lines.map((part) => (typeof part === "string" ? strToU8(part) : part)));
    const decoded = [
      { line: 1, text: '{"a":1}' },
      { line: 2, notUtf8: true },
      { line: 3, text: '{"c":3}' },
    ];
    expect(decodeAll(bytes).lines).toEqual(decoded);
    expect(decodeAll(gzipSync(bytes)).lines).toEqual(decoded);
    // A character cut by the end of its line is not UTF-8 either.
    expect(decodeAll(concat(strToU8("é"), new Uint8Array([0xc3]))).lines).toEqual([
      { line: 1, notUtf8: true },
    ]);
  });

  it("drops the \\r of CRLF line endings", () => {
    expect(decodeAll(strToU8('{"a":1}\r\n{"b":2}\r\n{"c":3}')).lines).toEqual(expected);
  });

  it("skips blank lines but counts them in line numbers", () => {
    const { lines, summary } = decodeAll(strToU8('\n{"a":1}\n   \n\t\r\n\n{"b":2}\n\n'));
    expect(lines).toEqual([
      { line: 2, text: '{"a":1}' },
      { line: 6, text: '{"b":2}' },
    ]);
    expect(summary.lines).toBe(7);
  });

  it("yields nothing for an empty file", () => {
    expect(decodeAll(new Uint8Array(0))).toEqual({ lines: [], summary: { lines: 0, decompressedBytes: 0 } });
    expect(decodeAll(gzipSync(new Uint8Array(0))).lines).toEqual([]);
  });

  it("keeps multi-byte UTF-8 characters split across chunks", () => {
    const lines = Array.from({ length: 5000 }, (_, i) => `{"é${i}":"日本語${"ü".repeat(i % 13)}"}`);
    const decoded = decodeAll(gzipSync(strToU8(lines.join("\n")), { level: 1 })).lines;
    expect(decoded).toEqual(lines.map((line, i) => ({ line: i + 1, text: line })));
  });

  it("reports a line longer than maxLineBytes by its length and goes on", () => {
    const long = "x".repeat(100);
    const input = `{"a":1}\n${long}\n${"y".repeat(10)}\r\n${long}\r\n{"b":2}\n${long}`;
    expect(decodeAll(strToU8(input), { maxLineBytes: 10 }).lines).toEqual([
      { line: 1, text: '{"a":1}' },
      { line: 2, tooLong: true, bytes: 100 },
      { line: 3, text: "y".repeat(10) },
      { line: 4, tooLong: true, bytes: 100 },
      { line: 5, text: '{"b":2}' },
      { line: 6, tooLong: true, bytes: 100 },
    ]);
  });

  it("reports too-long lines that span many decompressed chunks", () => {
    const long = "z".repeat(300_000);
    const input = strToU8(`{"a":1}\n${long}\r\n{"b":2}\n`);
    // Level 0 stores the data, so each 64 KiB compressed chunk yields its own decompressed chunk.
    expect(decodeAll(gzipSync(input, { level: 0 }), { maxLineBytes: 1000 }).lines).toEqual([
      { line: 1, text: '{"a":1}' },
      { line: 2, tooLong: true, bytes: long.length },
      { line: 3, text: '{"b":2}' },
    ]);
  });

  it("returns a long line that spans many decompressed chunks", () => {
    const long = `{"pad":"${"w".repeat(300_000)}"}`;
    const input = strToU8(`{"a":1}\n${long}\n{"b":2}`);
    expect(decodeAll(gzipSync(input, { level: 0 })).lines).toEqual([
      { line: 1, text: '{"a":1}' },
      { line: 2, text: long },
      { line: 3, text: '{"b":2}' },
    ]);
  });

  it("accepts a line of exactly maxLineBytes, also before \\r\\n", () => {
    const lines = decodeAll(strToU8("1234567890\r\n1234567890\n12345678901\n"), { maxLineBytes: 10 }).lines;
    expect(lines).toEqual([
      { line: 1, text: "1234567890" },
      { line: 2, text: "1234567890" },
      { line: 3, tooLong: true, bytes: 11 },
    ]);
  });
});

describe("decodeLines errors", () => {
  const gzipped = gzipSync(bigText);

  it("names the file in DecodeError", () => {
    const error = decodeError(gzipped.subarray(0, gzipped.length >> 1), { file: "cache/2024-06-01.gz" });
    expect(error.file).toBe("cache/2024-06-01.gz");
    expect(error.message).toMatch(/^cache\/2024-06-01\.gz: gzip data is corrupt or truncated/);
    expect(error.name).toBe("DecodeError");
  });

  it("rejects gzip cut in half", () => {
    expect(decodeError(gzipped.subarray(0, gzipped.length >> 1)).message).toMatch(
      /gzip data is corrupt or truncated/,
    );
  });

  it("rejects gzip cut anywhere in its last bytes, trailer included", () => {
    for (let cut = 1; cut <= 12; cut++) {
      expect(decodeError(gzipped.subarray(0, gzipped.length - cut)).message, `cut ${cut}`).toMatch(
        /gzip data is (corrupt or )?truncated/,
      );
    }
  });

  it("rejects gzip cut inside its header", () => {
    expect(decodeError(gzipped.subarray(0, 2)).message).toMatch(/gzip data is truncated/);
    expect(decodeError(gzipped.subarray(0, 10)).message).toMatch(/gzip data is (corrupt or )?truncated/);
  });

  it("rejects gzip whose CRC-32 does not match", () => {
    const flipped = gzipped.slice();
    flipped[flipped.length - 6] = (flipped[flipped.length - 6] ?? 0) ^ 0xff;
    expect(decodeError(flipped).message).toBe(
      "2024-06-01.json: gzip data is corrupt or truncated (CRC-32 mismatch)",
    );
  });

  it("rejects gzip with flipped bits in its compressed data", () => {
    const small = gzipSync(strToU8(text), { level: 0 });
    const flipped = small.slice();
    flipped[small.length - 12] = (flipped[small.length - 12] ?? 0) ^ 0x01;
    expect(decodeError(flipped).message).toMatch(/CRC-32 mismatch/);
  });

  it("rejects a bad member of concatenated gzip", () => {
    const first = gzipSync(strToU8('{"a":1}\n'));
    first[first.length - 8] = (first[first.length - 8] ?? 0) ^ 0xff;
    expect(decodeError(concat(first, gzipSync(strToU8('{"b":2}\n')))).message).toMatch(/CRC-32 mismatch/);
  });

  it("rejects gzip followed by garbage", () => {
    expect(decodeError(concat(gzipSync(strToU8(text)), strToU8("garbage"))).message).toMatch(
      /gzip data is corrupt or truncated/,
    );
    expect(decodeError(concat(gzipSync(strToU8(text)), new Uint8Array(2))).message).toMatch(
      /gzip data is corrupt or truncated/,
    );
  });

  it("rejects a zip with no files", () => {
    expect(decodeError(zipSync({})).message).toBe(
      "2024-06-01.json: zip holds 0 files; expected exactly one NDJSON file",
    );
    expect(decodeError(zipSync({ "empty/": {} })).message).toMatch(/zip holds 0 files/);
  });

  it("rejects a zip with two files, before yielding any line", () => {
    const zip = zipSync({ "a.json": strToU8(text), "b.json": strToU8(text) });
    const generator = decodeLines(zip, options);
    expect(() => generator.next()).toThrow(
      new DecodeError(
        options.file,
        'zip holds 2 files ("a.json", "b.json"); expected exactly one NDJSON file',
      ),
    );
  });

  it("rejects a truncated zip", () => {
    const zip = zipSync({ "a.json": bigText });
    expect(decodeError(zip.subarray(0, zip.length >> 1)).message).toMatch(/zip data is corrupt or truncated/);
  });

  it("rejects a zip entry that does not inflate to the size in the central directory", () => {
    const zip = zipSync({ "a.json": strToU8(text) }, { level: 0 });
    const shortened = zip.slice();
    shortened[18] = 1; // the local header's compressed size: the stored entry now ends after one byte
    expect(decodeError(shortened).message).toBe(
      `2024-06-01.json: zip entry "a.json" is corrupt or truncated (1 bytes, expected ${text.length})`,
    );
  });

  it("rejects a zip entry whose data no longer matches its CRC-32, stored or deflated", () => {
    const stored = zipSync({ "a.json": strToU8(text) }, { level: 0 });
    // The "1" of {"a":1}, searched for after the local header (whose time fields vary).
    const at = stored.indexOf(0x31, 30 + "a.json".length);
    const flipped = stored.slice();
    flipped[at] = 0x32;
    expect(decodeError(flipped).message).toBe(
      '2024-06-01.json: zip entry "a.json" is corrupt (CRC-32 mismatch)',
    );
    // A deflated entry: flip each bit of the compressed data in turn. Most flips break the
    // deflate stream or the size; one that still inflates to other text must fail on the
    // CRC. (A flip in the padding after the last block changes nothing, and reads fine.)
    const original = text.repeat(20);
    const deflated = zipSync({ "a.json": strToU8(original) }, { level: 6 });
    const dataStart = 30 + "a.json".length;
    const dataEnd = dataStart + new DataView(deflated.buffer).getUint32(18, true); // compressed size
    const originalLines = decodeAll(deflated).lines;
    let caughtByCrc = 0;
    for (let byte = dataStart; byte < dataEnd; byte++) {
      for (let bit = 0; bit < 8; bit++) {
        const copy = deflated.slice();
        copy[byte] = copy[byte]! ^ (1 << bit);
        let lines;
        try {
          lines = decodeAll(copy).lines;
        } catch (error) {
          if (!(error instanceof DecodeError)) throw error;
          expect(error.message).toMatch(
            /^2024-06-01\.json: zip (entry "a\.json" is corrupt|data is corrupt)/,
          );
          if (error.message.includes("CRC-32 mismatch")) caughtByCrc++;
          continue;
        }
        expect(lines, `byte ${byte}, bit ${bit}`).toEqual(originalLines);
      }
    }
    expect(caughtByCrc).toBeGreaterThan(0);
  });

  it("reads a zip whose central directory is found through zip64 records", () => {
    // fflate writes no zip64: move a zip's directory pointers into zip64 records, as
    // zip tools do for large archives, and mark the classic fields as "see zip64".
    const zip = zipSync({ "a/": {}, "a/x.json": strToU8(text) });
    const eocd = zip.length - 22;
    const view = new DataView(zip.buffer, zip.byteOffset);
    const count = view.getUint16(eocd + 10, true);
    const size = view.getUint32(eocd + 12, true);
    const offset = view.getUint32(eocd + 16, true);
    const records = new DataView(new ArrayBuffer(56 + 20));
    records.setUint32(0, 0x06064b50, true);
    records.setBigUint64(4, 44n, true);
    records.setBigUint64(24, BigInt(count), true);
    records.setBigUint64(32, BigInt(count), true);
    records.setBigUint64(40, BigInt(size), true);
    records.setBigUint64(48, BigInt(offset), true);
    records.setUint32(56, 0x07064b50, true);
    records.setBigUint64(56 + 8, BigInt(eocd), true); // where the zip64 record starts
    records.setUint32(56 + 16, 1, true);
    const end = zip.slice(eocd);
    const endView = new DataView(end.buffer);
    endView.setUint16(8, 0xffff, true);
    endView.setUint16(10, 0xffff, true);
    endView.setUint32(16, 0xffffffff, true);
    const zip64 = concat(zip.subarray(0, eocd), new Uint8Array(records.buffer), end);
    expect(centralDirectoryCrc(zip64, 1)).toBe(crc32(strToU8(text)));
    expect(decodeAll(zip64).lines).toEqual(expected);
  });

  it("reads each entry's CRC-32 from the central directory", () => {
    const files = { "a/": {}, "a/x.json": strToU8(text), "b.json": strToU8("{}\n") };
    const zip = zipSync(files, { comment: "a comment at the end" });
    expect(centralDirectoryCrc(zip, 1)).toBe(crc32(files["a/x.json"]));
    expect(centralDirectoryCrc(zip, 2)).toBe(crc32(files["b.json"]));
    expect(centralDirectoryCrc(zip, 3)).toBeUndefined();
    expect(centralDirectoryCrc(zip.subarray(0, zip.length - 30), 1)).toBeUndefined();
    expect(decodeAll(streamedZip("d.json", bigText)).lines).toHaveLength(bigLines.length);
  });

  it("stops when decompressed bytes pass the limit", () => {
    const bomb = gzipSync(strToU8(`${" ".repeat(1000)}\n`.repeat(2000)));
    expect(bomb.length).toBeLessThan(20_000);
    expect(decodeError(bomb, { maxDecompressedBytes: 100_000 }).message).toBe(
      "2024-06-01.json: holds more than 100000 bytes of text, the limit for one day",
    );
    const zipBomb = zipSync({ "a.json": strToU8(`${" ".repeat(1000)}\n`.repeat(2000)) });
    expect(decodeError(zipBomb, { maxDecompressedBytes: 100_000 }).message).toMatch(/more than 100000 bytes/);
  });
});

describe("maxLines", () => {
  it("stops past the limit, counting blank lines too, and allows exactly the limit", () => {
    const lines = (n: number) => strToU8("{}\n".repeat(n));
    expect(decodeAll(gzipSync(lines(10)), { maxLines: 10 }).lines).toHaveLength(10);
    expect(decodeError(gzipSync(lines(11)), { maxLines: 10 }).message).toBe(
      "2024-06-01.json: holds more than 10 lines, the limit for one day",
    );
    expect(decodeError(strToU8("{}\n\n\n\n{}\n"), { maxLines: 4 }).message).toMatch(/more than 4 lines/);
  });
});

describe("DEFAULT_LIMITS", () => {
  it("allows 1 MiB lines, 2 GiB days and 2 million lines a day", () => {
    expect(DEFAULT_LIMITS).toEqual({
      maxLineBytes: 1_048_576,
      maxDecompressedBytes: 2_147_483_648,
      maxLines: 2_000_000,
    });
  });
});
