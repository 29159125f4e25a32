// The framing of the binary cache entries (day aggregates, summaries, the series state):
//   u32 header length (little-endian) | header JSON, space-padded to a multiple of 8 bytes | body
// The body holds typed arrays in the machine's byte order, which each header records; the
// padding lets Float64Array views of the body start on an 8-byte boundary, so reading an
// entry back is one small JSON.parse and views, no copies.

export const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Where an entry is written: `length` bytes at offset 0 of their buffer (a BufferPool's take). */
export type Allocate = (length: number) => Uint8Array;

/**
 * A new entry with its header written; the caller fills `body` (bodyBytes long, 8-byte
 * aligned). In a new buffer, or in one from `allocate`, whose body is zeroed first: the
 * entry's bytes do not depend on what the buffer held.
 */
export function frame(
  header: object,
  bodyBytes: number,
  allocate?: Allocate,
): { bytes: Uint8Array; body: Uint8Array } {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const start = Math.ceil((4 + json.length) / 8) * 8;
  const bytes = allocate ? allocate(start + bodyBytes) : new Uint8Array(start + bodyBytes);
  if (allocate) bytes.fill(0, start);
  new DataView(bytes.buffer).setUint32(0, json.length, true);
  bytes.set(json, 4);
  bytes.fill(0x20, 4 + json.length, start);
  return { bytes, body: bytes.subarray(start) };
}

/** An entry's header and body (8-byte aligned: a copy of `bytes` if they were not). */
export function unframe<Header>(bytes: Uint8Array, what: string): { header: Header; body: Uint8Array } {
  const data = bytes.byteOffset % 8 === 0 ? bytes : new Uint8Array(bytes);
  if (data.byteLength < 4) throw new Error(`${what}: too short`);
  const length = new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(0, true);
  if (4 + length > data.byteLength) throw new Error(`${what}: header runs past the end`);
  const header = JSON.parse(new TextDecoder().decode(data.subarray(4, 4 + length))) as Header;
  return { header, body: data.subarray(Math.min(data.byteLength, Math.ceil((4 + length) / 8) * 8)) };
}

/**
 * `text` as a line, padded with spaces before its newline to a multiple of 8 bytes: put
 * before a framed entry, it keeps the entry's typed arrays 8-byte aligned, so that they are
 * read back as views rather than copied (unframe copies a misaligned entry).
 */
export function alignedLine(text: string): Uint8Array {
  const bytes = new TextEncoder().encode(text);
  const length = Math.ceil((bytes.length + 1) / 8) * 8;
  const line = new Uint8Array(length).fill(0x20, bytes.length, length - 1);
  line.set(bytes);
  line[length - 1] = 0x0a;
  return line;
}
