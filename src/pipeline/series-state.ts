// The series state's cache entry (series.ts, SeriesState): written at the end of a run,
// read at the start of the next. Layout, like the day entries:
//   u32 header length (little-endian) | header JSON, space-padded to a multiple of 8 bytes |
//   Float64: the rows (days × width), then the ids | Uint32: the day of each id.
// Arrays are in the machine's byte order, recorded in the header.

import type { SeriesState } from "./series.ts";

/** Version of the layout; bump it when the layout or the meaning of a field changes. */
const STATE_FORMAT = 1;

type Header = Omit<SeriesState, "rows" | "ids" | "idDays"> & {
  format: number;
  littleEndian: boolean;
  width: number;
  reports: number;
};

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export function serializeSeriesState(state: SeriesState): Uint8Array {
  const width = state.rows[0]?.length ?? 0;
  if (state.rows.some((row) => row.length !== width))
    throw new Error("series state: rows of different widths");
  const { rows, ids, idDays, ...rest } = state;
  const header: Header = {
    format: STATE_FORMAT,
    littleEndian: LITTLE_ENDIAN,
    width,
    reports: ids.length,
    ...rest,
  };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const start = Math.ceil((4 + json.length) / 8) * 8;
  const floats = rows.length * width + ids.length;
  const bytes = new Uint8Array(start + 8 * floats + 4 * idDays.length);
  new DataView(bytes.buffer).setUint32(0, json.length, true);
  bytes.set(json, 4);
  bytes.fill(0x20, 4 + json.length, start);
  const out = new Float64Array(bytes.buffer, start, floats);
  rows.forEach((row, i) => out.set(row, i * width));
  out.set(ids, rows.length * width);
  new Uint32Array(bytes.buffer, start + 8 * floats, idDays.length).set(idDays);
  return bytes;
}

/** The inverse of serializeSeriesState. Throws on another format or byte order, or a size mismatch. */
export function deserializeSeriesState(bytes: Uint8Array): SeriesState {
  const data = bytes.byteOffset % 8 === 0 ? bytes : new Uint8Array(bytes);
  if (data.byteLength < 4) throw new Error("series state: too short");
  const headerLength = new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(0, true);
  const header = JSON.parse(new TextDecoder().decode(data.subarray(4, 4 + headerLength))) as Header;
  if (header.format !== STATE_FORMAT || header.littleEndian !== LITTLE_ENDIAN) {
    throw new Error(`series state format ${header.format}, expected ${STATE_FORMAT} in this byte order`);
  }
  const start = Math.ceil((4 + headerLength) / 8) * 8;
  const floats = header.days.length * header.width + header.reports;
  if (start + 8 * floats + 4 * header.reports !== data.byteLength) {
    throw new Error(`series state of ${data.byteLength} bytes does not match its header`);
  }
  const numbers = new Float64Array(data.buffer, data.byteOffset + start, floats);
  const { format: _format, littleEndian: _littleEndian, width, reports, ...rest } = header;
  return {
    ...rest,
    rows: header.days.map((_, i) => numbers.subarray(i * width, (i + 1) * width)),
    ids: numbers.subarray(header.days.length * width),
    idDays: new Uint32Array(data.buffer, data.byteOffset + start + 8 * floats, reports),
  };
}
