// Scan: validation's fast path. Reads the common report line straight from its
// bytes into a FlatReport, without JSON.parse, without decoding the line to text
// and without building an object per program entry and counter map.
//
// It accepts only lines it can vouch for: well-formed JSON of the report schema
// with no unknown field, no repeated key, no null where a value is required, whole
// counts of at most 2^53 - 1, a counter name that is not an array index, and
// names the upload config allows. On anything else it gives up, and the caller
// validates the line the slow way (validateLine), which then accepts or rejects
// it with its reason. So a line the scanner accepts is one validateLine accepts,
// with the same report: a property test in scan.test.ts holds the two together.
//
//   const scanner = new ReportScanner(policy);
//   if (scanner.scan(bytes, start, end)) addFlatReport(day, scanner.report);
//   else … validateLine(text, line, policy) …

import { internString, stringTable, type StringTable } from "./intern.ts";
import { flatProgram, type FlatProgram, type FlatReport } from "./types.ts";
import { isCalendarDate, type ValidationPolicy } from "./validate.ts";

const TAB = 0x09;
const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;
const SPACE = 0x20;
const QUOTE = 0x22;
const COMMA = 0x2c;
const MINUS = 0x2d;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;
const COLON = 0x3a;
const OPEN_BRACKET = 0x5b;
const BACKSLASH = 0x5c;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

/** Counts longer than this are above 2^53 - 1; the slow path rejects them. */
const MAX_COUNT_DIGITS = 16;

/** A report's fields, as bits of the set of fields seen so far. */
const WEEK = 1;
const LAST_WEEK = 2;
const X = 4;
const CONFIG = 8;
const PROGRAMS = 16;
const REQUIRED = WEEK | X | PROGRAMS;

/** A program entry's fields. */
const PROGRAM = 1;
const VERSION = 2;
const GO_VERSION = 4;
const GOOS = 8;
const GOARCH = 16;
const COUNTERS = 32;
const STACKS = 64;
const ENTRY_REQUIRED = PROGRAM | VERSION | GO_VERSION | GOOS | GOARCH;

const ascii = (text: string) => Uint8Array.from(text, (char) => char.charCodeAt(0));
const KEY = {
  Week: ascii("Week"),
  LastWeek: ascii("LastWeek"),
  X: ascii("X"),
  Config: ascii("Config"),
  Programs: ascii("Programs"),
  Program: ascii("Program"),
  Version: ascii("Version"),
  GoVersion: ascii("GoVersion"),
  GOOS: ascii("GOOS"),
  GOARCH: ascii("GOARCH"),
  Counters: ascii("Counters"),
  Stacks: ascii("Stacks"),
  null: ascii("null"),
};

/** `"Name":`, as the key of a field is written when nothing separates it from its colon. */
const keyLiteral = (name: string) => ascii(`"${name}":`);

/** The report's and the program entry's fields in the order Go writes them, tried first. */
const REPORT_ORDER = [
  { field: WEEK, literal: keyLiteral("Week") },
  { field: LAST_WEEK, literal: keyLiteral("LastWeek") },
  { field: X, literal: keyLiteral("X") },
  { field: PROGRAMS, literal: keyLiteral("Programs") },
  { field: CONFIG, literal: keyLiteral("Config") },
];
const ENTRY_ORDER = [
  { field: PROGRAM, literal: keyLiteral("Program") },
  { field: VERSION, literal: keyLiteral("Version") },
  { field: GO_VERSION, literal: keyLiteral("GoVersion") },
  { field: GOOS, literal: keyLiteral("GOOS") },
  { field: GOARCH, literal: keyLiteral("GOARCH") },
  { field: COUNTERS, literal: keyLiteral("Counters") },
  { field: STACKS, literal: keyLiteral("Stacks") },
];

/**
 * Whether `has` lists the name whose id is `id`, asked once per id: `known` keeps each
 * answer (1 listed, 0 not). `has` is called unbound, as the compiled config's are.
 */
function listedOnce(known: number[], id: number, has: (name: string) => boolean, name: string): boolean {
  return (known[id] ??= has(name) ? 1 : 0) === 1;
}

/** Powers of ten a double holds exactly: 10^0 … 10^22. */
const EXACT_POWERS_OF_TEN = Array.from({ length: 23 }, (_, i) => 10 ** i);

const EMPTY = new Uint8Array(0);

/** The predecessor of a line's first string, for ByteStrings.successor. */
const LINE_START = -1;

/** Reads report lines; one scanner per day file (its string table grows with the day's names). */
export class ReportScanner {
  /** The last line scanned, valid after scan() returned true and until the next scan(). */
  readonly report: FlatReport = { X: 0, entries: [], entryCount: 0 };

  private readonly policy: ValidationPolicy;
  private readonly strings: ByteStrings;
  private bytes: Uint8Array = EMPTY;
  private pos = 0;
  private end = 0;
  /** The last string token: its bytes [tokenStart, tokenEnd) between the quotes, and their hash. */
  private tokenStart = 0;
  private tokenEnd = 0;
  private tokenHash = 0;
  /** The token holds an escape or a non-ASCII byte: its text is not its bytes. */
  private tokenEncoded = false;
  /** Per string id, the last counter map it was a key of: finds a repeated key. */
  private keyStamp: Int32Array<ArrayBuffer> = new Int32Array(64);
  private map = 0;
  private readonly codes: number[] = [];
  /** By program name id, then counter name id: whether the upload config allows it (see allowed). */
  private readonly countersAllowed: (number[] | undefined)[] = [];
  /** By program name id, then version name id: whether the config lists the version. */
  private readonly versionsAllowed: (number[] | undefined)[] = [];
  /** By name id: whether the config lists it as a GoVersion, GOOS, GOARCH. */
  private readonly goVersionsAllowed: number[] = [];
  private readonly goosAllowed: number[] = [];
  private readonly goarchAllowed: number[] = [];
  /** The id of the last string read on this line, or LINE_START. */
  private previousId = LINE_START;

  /** `names`: the day's string table, whose ids the report's FlatProgram ids are. */
  constructor(policy: ValidationPolicy, names: StringTable = stringTable()) {
    this.policy = policy;
    this.strings = new ByteStrings(names);
  }

  /**
   * Reads the line bytes[start, end) into `report`. False when the line is not one the
   * fast path accepts; `report` is then undefined.
   */
  scan(bytes: Uint8Array, start: number, end: number): boolean {
    this.bytes = bytes;
    this.pos = start;
    this.end = end;
    this.report.entryCount = 0;
    this.previousId = LINE_START;
    const ok = this.reportObject() && (this.skipSpace(), this.pos === end) && this.allowed();
    this.bytes = EMPTY;
    return ok;
  }

  private reportObject(): boolean {
    if (!this.open(OPEN_BRACE)) return false;
    let seen = 0;
    let order = 0;
    do {
      const expected = REPORT_ORDER[order++];
      const field = this.reportField(
        expected !== undefined && this.literal(expected.literal) ? expected.field : 0,
      );
      if (field === 0 || (seen & field) !== 0) return false;
      seen |= field;
    } while (this.next(COMMA));
    return this.next(CLOSE_BRACE) && (seen & REQUIRED) === REQUIRED;
  }

  /**
   * Reads `"key": value` of a report (its key already read when `known` names the field);
   * the field's bit, or 0 if the pair is not for the fast path.
   */
  private reportField(known: number): number {
    if (known === 0 && !this.plainKey()) return 0;
    switch (known || this.reportKey()) {
      case WEEK:
        return this.dateString(false) ? WEEK : 0;
      case LAST_WEEK:
        return this.dateString(true) ? LAST_WEEK : 0;
      case X:
        return this.reportId() ? X : 0;
      case CONFIG:
        return this.null() || this.plainString() ? CONFIG : 0;
      case PROGRAMS:
        return this.programs() ? PROGRAMS : 0;
      default:
        return 0;
    }
  }

  /** The report field the last token names, told apart by length and first byte; 0 if none. */
  private reportKey(): number {
    const first = this.bytes[this.tokenStart];
    switch (this.tokenEnd - this.tokenStart) {
      case 1:
        return this.isToken(KEY.X) ? X : 0;
      case 4:
        return this.isToken(KEY.Week) ? WEEK : 0;
      case 6:
        return this.isToken(KEY.Config) ? CONFIG : 0;
      case 8:
        if (first === KEY.Programs[0]) return this.isToken(KEY.Programs) ? PROGRAMS : 0;
        return this.isToken(KEY.LastWeek) ? LAST_WEEK : 0;
      default:
        return 0;
    }
  }

  /** The program entry field the last token names, as reportKey does; 0 if none. */
  private entryKey(): number {
    const first = this.bytes[this.tokenStart];
    switch (this.tokenEnd - this.tokenStart) {
      case 4:
        return this.isToken(KEY.GOOS) ? GOOS : 0;
      case 6:
        if (first === KEY.GOARCH[0]) return this.isToken(KEY.GOARCH) ? GOARCH : 0;
        return this.isToken(KEY.Stacks) ? STACKS : 0;
      case 7:
        if (first === KEY.Program[0]) return this.isToken(KEY.Program) ? PROGRAM : 0;
        return this.isToken(KEY.Version) ? VERSION : 0;
      case 8:
        return this.isToken(KEY.Counters) ? COUNTERS : 0;
      case 9:
        return this.isToken(KEY.GoVersion) ? GO_VERSION : 0;
      default:
        return 0;
    }
  }

  /** The program entries (or null, Go's nil slice: none). */
  private programs(): boolean {
    if (this.null()) return true;
    if (!this.open(OPEN_BRACKET)) return false;
    if (this.next(CLOSE_BRACKET)) return true;
    do {
      const report = this.report;
      const entry = (report.entries[report.entryCount] ??= flatProgram());
      if (!this.programEntry(entry)) return false;
      report.entryCount++;
    } while (this.next(COMMA));
    return this.next(CLOSE_BRACKET);
  }

  private programEntry(entry: FlatProgram): boolean {
    if (!this.open(OPEN_BRACE)) return false;
    entry.counterCount = 0;
    entry.stackCount = 0;
    let seen = 0;
    let order = 0;
    do {
      const expected = ENTRY_ORDER[order++];
      let field: number;
      if (expected !== undefined && this.literal(expected.literal)) field = expected.field;
      else if (this.plainKey()) field = this.entryKey();
      else return false;
      if (field === 0 || (seen & field) !== 0) return false;
      seen |= field;
      if (field === COUNTERS || field === STACKS) {
        if (!this.counts(entry, field === STACKS)) return false;
        continue;
      }
      this.skipSpace();
      const id = this.internedString();
      const value = id < 0 ? undefined : this.strings.text(id, this.tokenEncoded);
      if (value === undefined) return false;
      const nameId = this.strings.nameId(id);
      if (field === PROGRAM) {
        entry.Program = value;
        entry.programId = nameId;
      } else if (field === VERSION) {
        entry.Version = value;
        entry.versionId = nameId;
      } else if (field === GO_VERSION) {
        entry.GoVersion = value;
        entry.goVersionId = nameId;
      } else if (field === GOOS) {
        entry.GOOS = value;
        entry.goosId = nameId;
      } else {
        entry.GOARCH = value;
        entry.goarchId = nameId;
      }
    } while (this.next(COMMA));
    return this.next(CLOSE_BRACE) && (seen & ENTRY_REQUIRED) === ENTRY_REQUIRED;
  }

  /** A Counters or Stacks map (or null, Go's nil map), appended to the entry's lists. */
  private counts(entry: FlatProgram, stacks: boolean): boolean {
    if (this.null()) return true;
    if (!this.open(OPEN_BRACE)) return false;
    if (this.next(CLOSE_BRACE)) return true;
    const map = ++this.map;
    do {
      this.skipSpace();
      const id = this.internedString();
      if (id < 0) return false;
      const name = this.strings.text(id, this.tokenEncoded);
      // An array-index name would come first in JSON.parse's key order: left to the slow path.
      if (name === undefined || this.strings.isIndex(id)) return false;
      // Two spellings of one name ("a", "\u0061") are the same key: the same name id.
      const key = this.strings.nameId(id);
      if (key >= this.keyStamp.length) this.keyStamp = grown(this.keyStamp, key);
      if (this.keyStamp[key] === map) return false;
      this.keyStamp[key] = map;
      if (!this.colon()) return false;
      const count = this.count();
      if (count < 0) return false;
      if (stacks) {
        entry.stackNames[entry.stackCount] = name;
        entry.stackValues[entry.stackCount++] = count;
      } else {
        entry.counterNames[entry.counterCount] = name;
        entry.counterIds[entry.counterCount] = key;
        entry.counterValues[entry.counterCount++] = count;
      }
    } while (this.next(COMMA));
    return this.next(CLOSE_BRACE);
  }

  /** A whole count of at most 2^53 - 1, written as JSON.stringify writes it; -1 otherwise. */
  private count(): number {
    const bytes = this.bytes;
    let pos = this.pos;
    let byte = pos < this.end ? bytes[pos]! : 0;
    if (byte === ZERO) {
      pos++;
    } else {
      if (byte < ZERO || byte > NINE) return -1;
      const first = pos;
      let value = 0;
      while (byte >= ZERO && byte <= NINE && pos < this.end) {
        value = value * 10 + (byte - ZERO);
        byte = bytes[++pos] ?? 0;
      }
      // Exact: while the value stays at most 2^53 - 1, so did every step of the sum.
      if (pos - first > MAX_COUNT_DIGITS || value > Number.MAX_SAFE_INTEGER) return -1;
      if (!endsNumber(pos < this.end ? byte : SPACE)) return -1;
      this.pos = pos;
      return value;
    }
    if (pos < this.end && !endsNumber(bytes[pos] ?? 0)) return -1;
    this.pos = pos;
    return 0;
  }

  /** X: a JSON number in (0, 1], read by Number() as JSON.parse reads it. */
  private reportId(): boolean {
    const bytes = this.bytes;
    const start = this.pos;
    let pos = start;
    if (bytes[pos] === MINUS) pos++;
    const integer = pos;
    pos = digits(bytes, pos, this.end);
    if (pos === integer || (bytes[integer] === ZERO && pos > integer + 1)) return false;
    if (pos < this.end && bytes[pos] === DOT) {
      const fraction = ++pos;
      pos = digits(bytes, pos, this.end);
      if (pos === fraction) return false;
    }
    if (pos < this.end && (bytes[pos] === 0x65 || bytes[pos] === 0x45)) {
      pos++;
      if (pos < this.end && (bytes[pos] === 0x2b || bytes[pos] === MINUS)) pos++;
      const exponent = pos;
      pos = digits(bytes, pos, this.end);
      if (pos === exponent) return false;
    }
    if (pos < this.end && !endsNumber(bytes[pos] ?? 0)) return false;
    const x = exactDecimal(bytes, start, pos) ?? Number(this.numberText(start, pos));
    this.pos = pos;
    this.report.X = x;
    return x > 0 && x <= 1 && Number.isFinite(x);
  }

  /** The text of the ASCII bytes [start, end), built from a reused list of char codes. */
  private numberText(start: number, end: number): string {
    const codes = this.codes;
    codes.length = end - start;
    for (let i = start; i < end; i++) codes[i - start] = this.bytes[i]!;
    return String.fromCharCode.apply(null, codes);
  }

  /** Week (or LastWeek, which may also be "" or null): a YYYY-MM-DD calendar date. */
  private dateString(optional: boolean): boolean {
    if (optional && this.null()) return true;
    if (!this.plainString()) return false;
    const start = this.tokenStart;
    const length = this.tokenEnd - start;
    if (optional && length === 0) return true;
    const bytes = this.bytes;
    if (length !== 10 || bytes[start + 4] !== MINUS || bytes[start + 7] !== MINUS) return false;
    return isCalendarDate(
      decimal(bytes, start, start + 4),
      decimal(bytes, start + 5, start + 7),
      decimal(bytes, start + 8, start + 10),
    );
  }

  /** Whether every name in the report is one the upload config allows (always, without one). */
  private allowed(): boolean {
    const config = this.policy.uploadConfig;
    if (config === null) return true;
    const report = this.report;
    for (let e = 0; e < report.entryCount; e++) {
      const entry = report.entries[e]!;
      const rates = config.program(entry.Program);
      if (rates === undefined) return false;
      // The build, each name asked once a day.
      const versions = (this.versionsAllowed[entry.programId] ??= []);
      if (
        !listedOnce(versions, entry.versionId, rates.hasVersion, entry.Version) ||
        !listedOnce(this.goVersionsAllowed, entry.goVersionId, config.hasGoVersion, entry.GoVersion) ||
        !listedOnce(this.goosAllowed, entry.goosId, config.hasGOOS, entry.GOOS) ||
        !listedOnce(this.goarchAllowed, entry.goarchId, config.hasGOARCH, entry.GOARCH)
      )
        return false;
      // Per counter name id: 1 if the config has it for this program, 0 if not (asked once a day).
      const known = (this.countersAllowed[entry.programId] ??= []);
      for (let c = 0; c < entry.counterCount; c++) {
        const id = entry.counterIds[c]!;
        let allowed = known[id];
        if (allowed === undefined) {
          allowed = typeof rates.counterRate(entry.counterNames[c]!) === "number" ? 1 : 0;
          known[id] = allowed;
        }
        if (allowed === 0) return false;
      }
      for (let s = 0; s < entry.stackCount; s++)
        if (typeof rates.stackRate(entry.stackNames[s]!) !== "number") return false;
    }
    return true;
  }

  /**
   * The string token at pos, as an id of the string table; -1 if not well formed. The
   * string that followed the previous one last time is tried first: lines repeat the
   * same names and values in the same order, so most tokens are found by one comparison,
   * without hashing them.
   */
  private internedString(): number {
    const strings = this.strings;
    const predicted = strings.successor(this.previousId);
    let id: number;
    if (predicted >= 0 && strings.isAt(predicted, this.bytes, this.pos, this.end)) {
      id = predicted;
      this.tokenStart = this.pos + 1;
      this.tokenEnd = this.tokenStart + strings.length(id);
      this.tokenEncoded = strings.encoded(id);
      this.pos = this.tokenEnd + 1;
    } else {
      if (!this.string()) return -1;
      id = strings.intern(this.bytes, this.tokenStart, this.tokenEnd, this.tokenHash, this.tokenEncoded);
      strings.setSuccessor(this.previousId, id);
    }
    this.previousId = id;
    return id;
  }

  /** Consumes `literal` if the bytes at pos are exactly it. */
  private literal(literal: Uint8Array): boolean {
    const bytes = this.bytes;
    const pos = this.pos;
    const length = literal.length;
    if (pos + length > this.end) return false;
    for (let i = 0; i < length; i++) if (bytes[pos + i] !== literal[i]) return false;
    this.pos = pos + length;
    return true;
  }

  /** A key with no escape or non-ASCII byte, and its colon. */
  private plainKey(): boolean {
    this.skipSpace();
    return this.string() && !this.tokenEncoded && this.colon();
  }

  /** A string value with no escape or non-ASCII byte. */
  private plainString(): boolean {
    this.skipSpace();
    return this.string() && !this.tokenEncoded;
  }

  /**
   * The string token at pos (no space before it), with its hash; false if not well formed.
   * The hash is of the length and a few bytes, not of every byte: interning compares every
   * byte anyway, and the loop that finds the closing quote stays short.
   */
  private string(): boolean {
    const bytes = this.bytes;
    const end = this.end;
    let pos = this.pos;
    if (pos >= end || bytes[pos] !== QUOTE) return false;
    const start = ++pos;
    let encoded = false;
    for (;;) {
      if (pos >= end) return false;
      const byte = bytes[pos]!;
      if (byte === QUOTE) break;
      if (byte < SPACE) return false;
      if (byte === BACKSLASH) {
        // An escaped quote does not end the string; the escape itself is checked on decoding.
        encoded = true;
        pos += 2;
        continue;
      }
      if (byte >= 0x80) encoded = true;
      pos++;
    }
    const length = pos - start;
    let hash = Math.imul(length, 0x9e3779b1);
    if (length > 0) {
      hash = Math.imul(hash ^ bytes[start]!, 0x01000193);
      hash = Math.imul(hash ^ bytes[pos - 1]!, 0x01000193);
      hash = Math.imul(hash ^ bytes[start + (length >> 1)]!, 0x01000193);
      hash = Math.imul(hash ^ bytes[start + (length >> 2)]!, 0x01000193);
      hash = Math.imul(hash ^ bytes[start + ((3 * length) >> 2)]!, 0x01000193);
    }
    this.tokenStart = start;
    this.tokenEnd = pos;
    this.tokenHash = hash ^ (hash >>> 15);
    this.tokenEncoded = encoded;
    this.pos = pos + 1;
    return true;
  }

  private isToken(key: Uint8Array): boolean {
    const start = this.tokenStart;
    if (this.tokenEnd - start !== key.length) return false;
    const bytes = this.bytes;
    for (let i = 0; i < key.length; i++) if (bytes[start + i] !== key[i]) return false;
    return true;
  }

  /** `null`, as a whole token. */
  private null(): boolean {
    this.skipSpace();
    const bytes = this.bytes;
    const pos = this.pos;
    if (bytes[pos] !== 0x6e || pos + 4 > this.end) return false;
    for (let i = 1; i < 4; i++) if (bytes[pos + i] !== KEY.null[i]) return false;
    if (pos + 4 < this.end && !endsNumber(bytes[pos + 4] ?? 0)) return false;
    this.pos = pos + 4;
    return true;
  }

  private colon(): boolean {
    if (!this.next(COLON)) return false;
    this.skipSpace();
    return true;
  }

  /** Skips space, then consumes `byte` if it is next. */
  private next(byte: number): boolean {
    if (this.pos < this.end && this.bytes[this.pos] === byte) {
      this.pos++;
      return true;
    }
    this.skipSpace();
    if (this.pos < this.end && this.bytes[this.pos] === byte) {
      this.pos++;
      return true;
    }
    return false;
  }

  /** Like next, then skips the space after it. */
  private open(byte: number): boolean {
    if (!this.next(byte)) return false;
    this.skipSpace();
    return true;
  }

  private skipSpace(): void {
    const bytes = this.bytes;
    const end = this.end;
    let pos = this.pos;
    if (pos < end && bytes[pos]! > SPACE) return;
    while (pos < end) {
      const byte = bytes[pos];
      if (byte !== SPACE && byte !== TAB && byte !== NEWLINE && byte !== CARRIAGE_RETURN) break;
      pos++;
    }
    this.pos = pos;
  }
}

/**
 * The strings of one day's lines, by their bytes as written (between the quotes): each
 * distinct name or value is decoded once and then shared by every line that has it.
 * Open addressing over 32-bit FNV-1a hashes; the bytes are kept to tell collisions apart.
 */
class ByteStrings {
  private slots = new Int32Array(1024);
  private hashes: number[] = [];
  private offsets: number[] = [];
  private lengths: number[] = [];
  private pool = new Uint8Array(16 * 1024);
  private poolLength = 0;
  /** Decoded text per id: undefined until first asked, null when the bytes do not decode. */
  private texts: (string | null | undefined)[] = [];
  private indexes: boolean[] = [];
  /** Per id, the id of its text in `names` (set with the text). */
  private nameIds: number[] = [];
  private readonly names: StringTable;
  /** Per id, whether its bytes hold an escape or a non-ASCII byte. */
  private encodeds: boolean[] = [];
  /** Per id + 1 (0 for LINE_START), the id of the string read after it last time, + 1. */
  private successors = new Int32Array(1024);

  constructor(names: StringTable) {
    this.names = names;
  }

  /** The id of the string written as bytes[start, end), whose hash is `hash`. */
  intern(bytes: Uint8Array, start: number, end: number, hash: number, encoded: boolean): number {
    const mask = this.slots.length - 1;
    const length = end - start;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const id = this.slots[slot]! - 1;
      if (id < 0) return this.add(bytes, start, end, hash, slot, encoded);
      if (this.hashes[id] !== hash || this.lengths[id] !== length) continue;
      const offset = this.offsets[id]!;
      const pool = this.pool;
      let i = 0;
      while (i < length && pool[offset + i] === bytes[start + i]) i++;
      if (i === length) return id;
    }
  }

  /** The id read after `previous` last time (LINE_START for a line's first), or -1. */
  successor(previous: number): number {
    return this.successors[previous + 1]! - 1;
  }

  setSuccessor(previous: number, id: number): void {
    if (previous + 1 >= this.successors.length) this.successors = grown(this.successors, previous + 1);
    this.successors[previous + 1] = id + 1;
  }

  /** Whether the string token at bytes[pos] (its opening quote) is string `id`. */
  isAt(id: number, bytes: Uint8Array, pos: number, end: number): boolean {
    const length = this.lengths[id]!;
    // The token's closing quote must be inside the line, after the same bytes as id's.
    if (pos + length + 1 >= end || bytes[pos] !== QUOTE || bytes[pos + length + 1] !== QUOTE) return false;
    const pool = this.pool;
    const offset = this.offsets[id]! - pos - 1;
    for (let i = pos + 1; i <= pos + length; i++) if (bytes[i] !== pool[offset + i]) return false;
    // Those bytes ended id's token unescaped, so the same quote ends this one.
    return true;
  }

  length(id: number): number {
    return this.lengths[id]!;
  }

  encoded(id: number): boolean {
    return this.encodeds[id]!;
  }

  /** The string's text; undefined when its escapes or UTF-8 do not decode. */
  text(id: number, encoded: boolean): string | undefined {
    let text = this.texts[id];
    if (text === undefined) {
      const offset = this.offsets[id]!;
      const bytes = this.pool.subarray(offset, offset + this.lengths[id]!);
      text = encoded ? decodeJsonString(bytes) : latin1(bytes);
      this.texts[id] = text;
      this.indexes[id] = text !== null && isArrayIndex(text);
      if (text !== null) this.nameIds[id] = internString(this.names.values, this.names.ids, text);
    }
    return text ?? undefined;
  }

  /** The id of the string's text in the day's string table, the same for every spelling: text() first. */
  nameId(id: number): number {
    return this.nameIds[id]!;
  }

  /** Whether the string, once decoded, is an array index ("0", "17"): text() first. */
  isIndex(id: number): boolean {
    return this.indexes[id] === true;
  }

  private add(
    bytes: Uint8Array,
    start: number,
    end: number,
    hash: number,
    slot: number,
    encoded: boolean,
  ): number {
    const id = this.hashes.length;
    const length = end - start;
    if (this.poolLength + length > this.pool.length) {
      const pool = new Uint8Array(Math.max(this.pool.length * 2, this.poolLength + length));
      pool.set(this.pool.subarray(0, this.poolLength));
      this.pool = pool;
    }
    this.pool.set(bytes.subarray(start, end), this.poolLength);
    this.hashes.push(hash);
    this.offsets.push(this.poolLength);
    this.lengths.push(length);
    this.texts.push(undefined);
    this.indexes.push(false);
    this.nameIds.push(-1);
    this.encodeds.push(encoded);
    this.poolLength += length;
    this.slots[slot] = id + 1;
    if (2 * (id + 1) > this.slots.length) this.rehash();
    return id;
  }

  private rehash(): void {
    const slots = new Int32Array(this.slots.length * 2);
    const mask = slots.length - 1;
    this.hashes.forEach((hash, id) => {
      let slot = hash & mask;
      while (slots[slot] !== 0) slot = (slot + 1) & mask;
      slots[slot] = id + 1;
    });
    this.slots = slots;
  }
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** The text of a JSON string's bytes (between its quotes) with escapes or UTF-8; null if invalid. */
function decodeJsonString(bytes: Uint8Array): string | null {
  try {
    const text: unknown = JSON.parse(`"${utf8.decode(bytes)}"`);
    return typeof text === "string" ? text : null;
  } catch {
    return null;
  }
}

function latin1(bytes: Uint8Array): string {
  let text = "";
  // In slices: apply() takes its arguments on the stack.
  for (let i = 0; i < bytes.length; i += 4096)
    text += String.fromCharCode.apply(null, bytes.subarray(i, i + 4096) as unknown as number[]);
  return text;
}

/** A canonical array index, which JS objects (and so JSON.parse's maps) list first. */
function isArrayIndex(text: string): boolean {
  if (text.length === 0 || text.length > 10) return false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < ZERO || code > NINE) return false;
  }
  return (text === "0" || text.charCodeAt(0) !== ZERO) && Number(text) < 2 ** 32 - 1;
}

/**
 * The value of the JSON number in bytes[start, end) when it is a plain decimal (digits,
 * one optional dot) whose digits, read as an integer, are at most 2^53 - 1, with at most
 * 22 after the dot; undefined otherwise. Both that integer and the power of ten are then
 * exact doubles, so their quotient is the correctly rounded value, as Number() reads it
 * (Clinger's fast path).
 */
function exactDecimal(bytes: Uint8Array, start: number, end: number): number | undefined {
  let mantissa = 0;
  let scale = -1;
  for (let i = start; i < end; i++) {
    const byte = bytes[i]!;
    if (byte === DOT) {
      scale = 0;
      continue;
    }
    if (byte < ZERO || byte > NINE) return undefined;
    mantissa = mantissa * 10 + (byte - ZERO);
    if (scale >= 0) scale++;
  }
  // While the sum stays at most 2^53 - 1 every step of it was exact; past it, it is at least 2^53.
  if (mantissa > Number.MAX_SAFE_INTEGER || scale > 22) return undefined;
  return scale <= 0 ? mantissa : mantissa / EXACT_POWERS_OF_TEN[scale]!;
}

/** A byte that may follow a number or literal: space, a comma or a closing bracket. */
function endsNumber(byte: number): boolean {
  return (
    byte === SPACE ||
    byte === COMMA ||
    byte === CLOSE_BRACE ||
    byte === CLOSE_BRACKET ||
    byte === TAB ||
    byte === NEWLINE ||
    byte === CARRIAGE_RETURN
  );
}

function digits(bytes: Uint8Array, pos: number, end: number): number {
  while (pos < end && bytes[pos]! >= ZERO && bytes[pos]! <= NINE) pos++;
  return pos;
}

/** The decimal number in bytes[start, end), or -1 if a byte is not a digit. */
function decimal(bytes: Uint8Array, start: number, end: number): number {
  let value = 0;
  for (let i = start; i < end; i++) {
    const digit = bytes[i]! - ZERO;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

function grown(stamps: Int32Array, id: number): Int32Array<ArrayBuffer> {
  const larger = new Int32Array(Math.max(stamps.length * 2, id + 1));
  larger.set(stamps);
  return larger;
}
