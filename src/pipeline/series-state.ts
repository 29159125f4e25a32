// The series state's cache entry (series.ts, SeriesState): written at the end of a run,
// read at the start of the next. Framed as in framed.ts; body:
//   Float64: the rows (days × width), then the ids | Uint32: the day of each id.
// Arrays are in the machine's byte order, recorded in the header.

import { frame, LITTLE_ENDIAN, unframe } from "./framed.ts";
import type { SeriesState } from "./series.ts";

/** Version of the layout; bump it when the layout or the meaning of a field changes. */
const STATE_FORMAT = 4;

type Header = Omit<SeriesState, "rows" | "ids" | "idDays"> & {
  format: number;
  littleEndian: boolean;
  width: number;
  reports: number;
};

/** The entry as parts, to be written one after the other (cache writeEntry takes parts). */
export function serializeSeriesState(state: SeriesState): Uint8Array[] {
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
  const { bytes, body } = frame(header, 8 * rows.length * width);
  const out = new Float64Array(body.buffer, body.byteOffset, rows.length * width);
  rows.forEach((row, i) => out.set(row, i * width));
  // The ids and their days follow as they are, without a copy: they are most of the state.
  return [
    bytes,
    new Uint8Array(ids.buffer, ids.byteOffset, ids.byteLength),
    new Uint8Array(idDays.buffer, idDays.byteOffset, idDays.byteLength),
  ];
}

/** The inverse of serializeSeriesState. Throws on another format or byte order, or a size mismatch. */
export function deserializeSeriesState(bytes: Uint8Array): SeriesState {
  const { header, body } = unframe<Header>(bytes, "series state");
  if (header.format !== STATE_FORMAT || header.littleEndian !== LITTLE_ENDIAN) {
    throw new Error(`series state format ${header.format}, expected ${STATE_FORMAT} in this byte order`);
  }
  const floats = header.days.length * header.width + header.reports;
  if (8 * floats + 4 * header.reports !== body.byteLength) {
    throw new Error(`series state of ${bytes.byteLength} bytes does not match its header`);
  }
  const numbers = new Float64Array(body.buffer, body.byteOffset, floats);
  const { format: _format, littleEndian: _littleEndian, width, reports, ...rest } = header;
  return {
    ...rest,
    rows: header.days.map((_, i) => numbers.subarray(i * width, (i + 1) * width)),
    ids: numbers.subarray(header.days.length * width),
    idDays: new Uint32Array(body.buffer, body.byteOffset + 8 * floats, reports),
  };
}
