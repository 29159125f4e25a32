// The floor: the least any run over these files must do. Reads each day file,
// decompresses it with fflate's streaming Gunzip (in 64 KiB chunks, as
// src/pipeline/decode.ts does) and JSON.parse-s every line, keeping nothing.
//
//   node --experimental-strip-types scripts/bench/floor.ts DIR FIRST_DATE LAST_DATE
//
// Prints one JSON line: files, bytes, lines, and lines that did not parse.

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Gunzip } from "fflate";

const CHUNK_BYTES = 64 * 1024;

function main(): void {
  const [dir, first, last] = process.argv.slice(2);
  if (!dir || !first || !last) throw new Error("usage: floor.ts DIR FIRST_DATE LAST_DATE");
  const names = readdirSync(dir)
    .filter((name) => /^\d{4}-\d{2}-\d{2}\.json\.gz$/.test(name))
    .filter((name) => name.slice(0, 10) >= first && name.slice(0, 10) <= last)
    .sort();
  let bytes = 0;
  let lines = 0;
  let unparsed = 0;
  const parse = (line: string) => {
    if (line.length === 0) return;
    lines++;
    try {
      JSON.parse(line);
    } catch {
      unparsed++;
    }
  };
  for (const name of names) {
    const file = readFileSync(join(dir, name));
    bytes += file.length;
    const utf8 = new TextDecoder();
    let partial = "";
    const gunzip = new Gunzip();
    gunzip.ondata = (chunk) => {
      const parts = (partial + utf8.decode(chunk, { stream: true })).split("\n");
      partial = parts.pop() ?? "";
      for (const part of parts) parse(part);
    };
    for (let offset = 0; offset < file.length; offset += CHUNK_BYTES) {
      const end = Math.min(offset + CHUNK_BYTES, file.length);
      gunzip.push(file.subarray(offset, end), end === file.length);
    }
    parse(partial + utf8.decode());
  }
  console.log(JSON.stringify({ files: names.length, bytes, lines, unparsed }));
}

main();
