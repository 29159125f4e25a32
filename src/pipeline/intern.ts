// Interning: a string's small-integer id in a growing table, so hot loops
// compare and store numbers instead of strings.

/** The id of `value` in `values` (its index), appending it the first time it is seen. */
export function internString(values: string[], ids: Map<string, number>, value: string): number {
  let id = ids.get(value);
  if (id === undefined) {
    id = values.length;
    values.push(value);
    ids.set(value, id);
  }
  return id;
}

/** Strings and their ids (indices into `values`): one table per day file. */
export interface StringTable {
  values: string[];
  ids: Map<string, number>;
}

export function stringTable(): StringTable {
  return { values: [], ids: new Map() };
}
