import { csvParse } from "d3-dsv";
import { mkdir, mkdtemp, readdir, readFile, rename, rm, symlink, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { neutraliseCell, rowsToCsv } from "./csv.ts";
import { spawn } from "node:child_process";
import {
  lockOutputDir,
  openOutputDir,
  OutputDirLocked,
  outputDirProblem,
  recoverOutputDir,
  writeOutputDir,
} from "./export.ts";
import type { ChartRow } from "./types.ts";

const temporary: string[] = [];
async function temporaryDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "cs-export-"));
  temporary.push(dir);
  return dir;
}
afterEach(async () => {
  await Promise.all(temporary.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

const row: ChartRow = {
  program: "cmd/go",
  chart: "go/mode",
  bucket: "gopath",
  window_start: "2026-11-16",
  window_end: "2026-11-22",
  reports: 12,
  eligible_reports: 200,
  share: 0.06,
  share_low: 0.0347,
  share_high: 0.1019,
  counter_total: 345,
};

describe("rowsToCsv", () => {
  it("writes the contract's header in order", () => {
    const header = rowsToCsv([row]).split("\n")[0];
    expect(header).toBe(
      "program,chart,bucket,window_start,window_end,reports,eligible_reports,share,share_low,share_high,counter_total",
    );
  });

  it("round-trips values through a CSV parser, quoting commas, quotes and newlines", () => {
    const tricky = { ...row, bucket: 'a,"b"\nc' };
    const parsed = csvParse(rowsToCsv([tricky]));
    expect(parsed[0]?.bucket).toBe('a,"b"\nc');
    expect(Number(parsed[0]?.reports)).toBe(12);
  });

  it("neutralises formula-like text cells but not numbers", () => {
    const parsed = csvParse(rowsToCsv([{ ...row, bucket: "=HYPERLINK(1)", program: "@x" }]));
    expect(parsed[0]?.bucket).toBe("'=HYPERLINK(1)");
    expect(parsed[0]?.program).toBe("'@x");
    expect(parsed[0]?.share).toBe("0.06");
  });

  it("writes a header alone for a chart with no rows", () => {
    expect(rowsToCsv([]).trim().split("\n")).toHaveLength(1);
  });
});

describe("neutraliseCell", () => {
  it.each(["=1", "+1", "-1", "@a", "\tx", "\rx"])("prefixes %j", (cell) => {
    expect(neutraliseCell(cell)).toBe(`'${cell}`);
  });
  it("leaves ordinary names alone", () => {
    expect(neutraliseCell("golang.org/x/tools/gopls")).toBe("golang.org/x/tools/gopls");
  });
});

describe("writeOutputDir", () => {
  it("replaces the directory as a whole and leaves no staging directory", async () => {
    const root = await temporaryDir();
    const out = join(root, "out");
    await mkdir(out);
    await writeFile(join(out, "stale.json"), "old");
    await writeOutputDir(
      out,
      new Map([
        ["index.json", "{}"],
        ["charts/a.csv", "x"],
      ]),
    );
    expect((await readdir(out)).sort()).toEqual(["charts", "index.json"]);
    expect(await readFile(join(out, "charts/a.csv"), "utf8")).toBe("x");
    expect((await readdir(root)).sort()).toEqual(["out"]);
  });

  it("puts back an output moved aside by a run killed between its two renames, then replaces it", async () => {
    const root = await temporaryDir();
    const out = join(root, "out");
    await mkdir(`${out}.previous`);
    await writeFile(join(`${out}.previous`, "index.json"), "old");
    await recoverOutputDir(out);
    expect(await readFile(join(out, "index.json"), "utf8")).toBe("old");
    expect(await readdir(root)).toEqual(["out"]);

    await rename(out, `${out}.previous`);
    await writeOutputDir(out, new Map([["index.json", "new"]]));
    expect(await readFile(join(out, "index.json"), "utf8")).toBe("new");
    expect(await readdir(root)).toEqual(["out"]);
  });

  it("refuses a path that escapes the output directory", async () => {
    const root = await temporaryDir();
    await expect(writeOutputDir(join(root, "out"), new Map([["../evil", "x"]]))).rejects.toThrow(/outside/);
  });
});

describe("openOutputDir", () => {
  it("writes many files, more than it keeps in flight, and shows none of them before commit", async () => {
    const root = await temporaryDir();
    const target = join(root, "out");
    await mkdir(target);
    await writeFile(join(target, "index.json"), "old");
    const out = await openOutputDir(target);
    for (let i = 0; i < 50; i++) await out.write(join("charts", `c${i}.csv`), `chart ${i}\n`);
    await out.write("index.json", "new");
    expect(await readFile(join(target, "index.json"), "utf8")).toBe("old");
    await out.commit();
    expect(await readFile(join(target, "index.json"), "utf8")).toBe("new");
    const charts = await readdir(join(target, "charts"));
    expect(charts).toHaveLength(50);
    expect(await readFile(join(target, "charts", "c49.csv"), "utf8")).toBe("chart 49\n");
    expect((await readdir(root)).sort()).toEqual(["out"]);
  });

  it("writes content given in parts as their concatenation, UTF-8 across parts included", async () => {
    const root = await temporaryDir();
    const target = join(root, "out");
    const out = await openOutputDir(target);
    const parts = ["program,chart\n", "cmd/go,é\n", "", "x".repeat(100_000), "\n"];
    await out.write("all.csv", parts);
    await out.write(join("charts", "none.csv"), []);
    await out.commit();
    expect(await readFile(join(target, "all.csv"), "utf8")).toBe(parts.join(""));
    expect(await readFile(join(target, "charts", "none.csv"), "utf8")).toBe("");
  });

  it("fails the commit when a write failed, and leaves the previous output in place", async () => {
    const root = await temporaryDir();
    const target = join(root, "out");
    await mkdir(target);
    await writeFile(join(target, "index.json"), "old");
    const out = await openOutputDir(target);
    // A directory where a file's parent directory should be: its write fails.
    await writeFile(join(`${target}.staging`, "charts"), "not a directory");
    await out.write(join("charts", "a.csv"), "x").catch(() => undefined);
    await out.write("index.json", "new").catch(() => undefined);
    await expect(out.commit()).rejects.toThrow();
    expect(await readFile(join(target, "index.json"), "utf8")).toBe("old");
  });
});

describe("lockOutputDir", () => {
  /** A child process: alive until killed, or already gone. */
  async function child(alive: boolean): Promise<{ pid: number; kill: () => void }> {
    const process_ = spawn(process.execPath, ["-e", alive ? "setTimeout(() => {}, 60000)" : ""]);
    await new Promise((done) => (alive ? process_.once("spawn", done) : process_.once("exit", done)));
    return { pid: process_.pid!, kill: () => process_.kill() };
  }

  it("lets one run at a time hold an output directory, and frees it on release", async () => {
    const out = join(await temporaryDir(), "nested", "out");
    const release = await lockOutputDir(out);
    expect(await readFile(`${out}.lock`, "utf8")).toBe(`${process.pid}\n`);
    await expect(lockOutputDir(out)).rejects.toThrow(OutputDirLocked);
    await expect(lockOutputDir(out)).rejects.toThrow(
      `--out ${out} is being written by another run (process ${process.pid}); if no run is going on, delete ${out}.lock`,
    );
    const other = await lockOutputDir(`${out}-2`); // another directory is another lock
    await other();
    await release();
    await expect(readdir(join(out, ".."))).resolves.toEqual([]);
    await (
      await lockOutputDir(out)
    )();
  });

  it("refuses a lock whose process is alive, and takes over one whose process is gone", async () => {
    const out = join(await temporaryDir(), "out");
    const alive = await child(true);
    try {
      await writeFile(`${out}.lock`, `${alive.pid}\n`);
      await expect(lockOutputDir(out)).rejects.toThrow(`(process ${alive.pid})`);
    } finally {
      alive.kill();
    }
    const gone = await child(false);
    await writeFile(`${out}.lock`, `${gone.pid}\n`);
    const release = await lockOutputDir(out);
    expect(await readFile(`${out}.lock`, "utf8")).toBe(`${process.pid}\n`);
    await release();
  });

  it("takes over a lock of its own process id that it does not hold, or an empty one", async () => {
    const out = join(await temporaryDir(), "out");
    // A container restarted gives the new run the id of the killed one.
    await writeFile(`${out}.lock`, `${process.pid}\n`);
    await (
      await lockOutputDir(out)
    )();
    // A kill between creating the lock and writing it, a while ago.
    await writeFile(`${out}.lock`, "");
    const past = new Date(Date.now() - 60_000);
    await utimes(`${out}.lock`, past, past);
    const release = await lockOutputDir(out);
    await release();
    await expect(readdir(join(out, ".."))).resolves.toEqual([]);
  });

  it("keeps a file of that name that is not a run's lock, and says so", async () => {
    const out = join(await temporaryDir(), "yarn");
    await writeFile(`${out}.lock`, "# yarn lockfile v1\n");
    await expect(lockOutputDir(out)).rejects.toThrow(
      `--out ${out}: ${out}.lock exists and is not a lock of a run (it is kept); give another --out`,
    );
    expect(await readFile(`${out}.lock`, "utf8")).toBe("# yarn lockfile v1\n");
  });

  it("lets only one of several runs take over a stale lock", async () => {
    const out = join(await temporaryDir(), "out");
    const gone = await child(false);
    for (let trial = 0; trial < 10; trial++) {
      await writeFile(`${out}.lock`, `${gone.pid}\n`);
      const takes = await Promise.allSettled(Array.from({ length: 6 }, () => lockOutputDir(out)));
      const held = takes.filter((take) => take.status === "fulfilled");
      expect(held, `trial ${trial}`).toHaveLength(1);
      await (held[0] as PromiseFulfilledResult<() => Promise<void>>).value();
    }
  });
});

describe("outputDirProblem", () => {
  const keep = (root: string) =>
    new Map([
      [join(root, "data", "reports"), "the --source directory"],
      [join(root, ".cache"), "the --cache directory"],
      [join(root, "data", "charts.txt"), "the --charts file"],
    ]);

  it("accepts a new directory, an empty one and a previous output (with a .DS_Store), not a .git", async () => {
    const root = await temporaryDir();
    expect(await outputDirProblem(join(root, "new", "out"), keep(root))).toBeUndefined();
    await mkdir(join(root, "empty"));
    expect(await outputDirProblem(join(root, "empty"), keep(root))).toBeUndefined();
    const previous = join(root, "previous");
    await mkdir(join(previous, "charts"), { recursive: true });
    for (const name of ["index.json", "all.csv", "days.json", "participation.json", "config.json"])
      await writeFile(join(previous, name), "");
    await writeFile(join(previous, "charts", "a.csv"), "");
    await writeFile(join(previous, "charts", "a.json"), "");
    await writeFile(join(previous, ".DS_Store"), "");
    await writeFile(join(previous, "charts", ".DS_Store"), "");
    expect(await outputDirProblem(previous, keep(root))).toBeUndefined();
    await mkdir(join(previous, ".git"));
    expect(await outputDirProblem(previous, keep(root))).toMatch(
      /holds files a run does not write \(\.git\)/,
    );
  });

  it("refuses an --out that is or holds the source, the cache or a config", async () => {
    const root = await temporaryDir();
    await mkdir(join(root, "data", "reports"), { recursive: true });
    await writeFile(join(root, "data", "charts.txt"), "");
    expect(await outputDirProblem(join(root, "data", "reports"), keep(root))).toBe(
      `--out ${join(root, "data", "reports")} would replace the --source directory ${join(root, "data", "reports")}: ` +
        "--out is replaced as a whole, so give it a directory of its own",
    );
    expect(await outputDirProblem(join(root, "data"), keep(root))).toMatch(
      /would replace the --source directory/,
    );
    expect(await outputDirProblem(root, keep(root))).toMatch(/would replace the --source directory/);
    expect(await outputDirProblem(join(root, ".cache"), keep(root))).toMatch(
      /would replace the --cache directory/,
    );
    // Through a symbolic link to a parent of the source.
    await symlink(join(root, "data"), join(root, "link"));
    expect(await outputDirProblem(join(root, "link", "reports"), keep(root))).toMatch(
      /would replace the --source directory/,
    );
    // A cache not made yet, named through a link to --out's parent or inside --out itself.
    const cacheInOut = new Map([[join(root, "data", "out", "cache"), "the --cache directory"]]);
    expect(await outputDirProblem(join(root, "link", "out"), cacheInOut)).toMatch(
      /would replace the --cache/,
    );
    const viaLink = new Map([[join(root, "link", "out", "cache"), "the --cache directory"]]);
    expect(await outputDirProblem(join(root, "data", "out"), viaLink)).toMatch(/would replace the --cache/);
    // An --out that is a link is replaced as a link: what it points to is not touched.
    expect(await outputDirProblem(join(root, "link"), new Map())).toBeUndefined();
    // Beside them, or inside the source, is fine.
    expect(await outputDirProblem(join(root, "data", "out"), keep(root))).toBeUndefined();
    expect(await outputDirProblem(join(root, "data", "reports", "out"), keep(root))).toBeUndefined();
    expect(await outputDirProblem(join(root, "data", "reports-out"), keep(root))).toBeUndefined();
  });

  it("refuses an existing --out holding anything a run does not write, naming it", async () => {
    const root = await temporaryDir();
    const out = join(root, "out");
    await mkdir(join(out, "charts"), { recursive: true });
    await writeFile(join(out, "index.json"), "");
    await writeFile(join(out, "notes.txt"), "precious");
    expect(await outputDirProblem(out, keep(root))).toBe(
      `--out ${out} holds files a run does not write (notes.txt); --out is replaced as a whole, ` +
        "so give it an empty or new directory, or a previous output",
    );
    await rm(join(out, "notes.txt"));
    await mkdir(join(out, "sub"));
    await writeFile(join(out, "charts", "draft.md"), "");
    await mkdir(join(out, "charts", "old"));
    await writeFile(join(out, "z.png"), "");
    expect(await outputDirProblem(out, keep(root))).toMatch(
      /holds files a run does not write \(charts\/draft\.md, charts\/old, sub, … \(4 in all\)\)/,
    );
    await writeFile(join(root, "file"), "");
    expect(await outputDirProblem(join(root, "file"), keep(root))).toBe(
      `--out ${join(root, "file")} is not a directory`,
    );
  });
});
