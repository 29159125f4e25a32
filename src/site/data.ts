// The site's one reader of `npm run data` output. It reads public/data at build
// time (the same files the browser later fetches, since Astro copies public/
// into the site) and prepares the props of every page. Pages render these
// props; nothing here recomputes an aggregate, it only selects and formats.
//
// COUNTERSIGHT_DATA=<dir> makes the build read another data directory (the
// browser tests build a site from hostile data this way). The browser still
// fetches the files under public/data, so whoever sets it must put that
// directory's files in the built site's data/ too, as e2e/build-hostile.ts does.

import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type {
  ChartEntry,
  ChartFile,
  ConfigFile,
  DayStatus,
  Participation,
  ProgramEntry,
  RejectReason,
  SiteIndex,
  Window,
} from "../pipeline/types.ts";
import {
  DEFAULT_STATE,
  WINDOW_KEYS,
  breakdownTable,
  breakdownTitle,
  rowsInWindow,
  shareTable,
  stackTable,
  stacksInWindow,
  weeklyTable,
  windowLabel,
  type TableModel,
  type WindowKey,
} from "./chart-view.ts";
import { chartPageFigures, featuredFigure, participationFigure } from "../charts/figures.ts";
import { CARD_WIDTHS, PAGE_WIDTHS, staticFigure, type StaticFigure } from "../charts/static.ts";
import { FEATURED_CHARTS, MINI_BARS } from "./config.ts";
import { bucketLabel, formatCount, formatShare, formatWindowDates } from "./format.ts";
import { chartHref, dataFileHref, programHref, safeExternalHref } from "./paths.ts";
import { CSV_SCHEMA } from "./schema.ts";
import { sparkline, type SparklineModel } from "./sparkline.ts";

const DATA_DIR = resolve(process.env.COUNTERSIGHT_DATA || join("public", "data"));

const cache = new Map<string, unknown>();

/** Reads a JSON file of the data directory once per build. */
function readData<T>(relativePath: string): T {
  const cached = cache.get(relativePath);
  if (cached !== undefined) return cached as T;
  const file = join(DATA_DIR, relativePath);
  let value: T;
  try {
    value = JSON.parse(readFileSync(file, "utf8")) as T;
  } catch (error) {
    throw new Error(
      `countersight: cannot read ${file} (${(error as Error).message}). Run \`npm run data\` first: the site is built from its output.`,
      { cause: error },
    );
  }
  cache.set(relativePath, value);
  return value;
}

const loadIndex = (): SiteIndex => readData<SiteIndex>("index.json");

function loadChartFile(entry: ChartEntry): ChartFile {
  return readData<ChartFile>(entry.json);
}

function findChart(id: string): ChartEntry {
  const entry = loadIndex().charts.find((chart) => chart.id === id);
  if (!entry) throw new Error(`countersight: chart ${id} is not in index.json`);
  return entry;
}

function findProgram(id: string): ProgramEntry {
  const program = loadIndex().programs.find((p) => p.id === id);
  if (!program) throw new Error(`countersight: program ${id} is not in index.json`);
  return program;
}

function programOf(name: string): ProgramEntry | undefined {
  return loadIndex().programs.find((p) => p.name === name);
}

// ---------------------------------------------------------------------------
// Shared pieces.

/** What every page's footer says about the data. */
export interface SiteSummary {
  range: { start: string; end: string };
  days: number;
  reports: number;
  weeks: number;
}

export function siteSummary(): SiteSummary {
  const index = loadIndex();
  return { range: index.range, days: index.days, reports: index.reports, weeks: index.windows.weeks.length };
}

export interface ProgramLink {
  name: string;
  id: string;
  href: string;
  charts: number;
  latestWeekReports: number | null;
}

export function programLinks(): ProgramLink[] {
  const latestWeek = loadParticipation().weekly.at(-1);
  return loadIndex().programs.map((p) => ({
    name: p.name,
    id: p.id,
    href: programHref(p.id),
    charts: p.charts.length,
    latestWeekReports: latestWeek?.programs[p.name] ?? null,
  }));
}

/** A chart as listed: title, link, and its trend line. */
export interface ChartLink {
  id: string;
  title: string;
  name: string;
  program: string;
  type: ChartEntry["type"];
  builtin: boolean;
  href: string;
  /**
   * The bucket with the most reports over the whole range, as the page shows it (bucketLabel);
   * "" when no week has eligible reports.
   */
  mainBucket: string;
  /** The main bucket's share in the latest week; null when that week has no eligible reports. */
  latestShare: string | null;
  sparkline: SparklineModel;
}

function chartLink(entry: ChartEntry): ChartLink {
  const latest = entry.sparkline.at(-1);
  const trend = sparkline(entry.sparkline, bucketLabel(entry.mainBucket));
  return {
    id: entry.id,
    title: entry.title,
    name: entry.name,
    program: entry.program,
    type: entry.type,
    builtin: entry.builtin,
    href: chartHref(entry.id),
    // With no share in any week (nothing drawn), no bucket leads.
    mainBucket: trend.last !== null ? bucketLabel(entry.mainBucket) : "",
    latestShare: latest === undefined || latest === null ? null : formatShare(latest),
    sparkline: trend,
  };
}

/** Where the browser fetches a chart's data and where the full downloads are. */
export interface ChartFiles {
  json: string;
  csv: string;
}

function chartFiles(entry: ChartEntry): ChartFiles {
  return { json: dataFileHref(entry.json), csv: dataFileHref(entry.csv) };
}

// ---------------------------------------------------------------------------
// Home.

export interface FeaturedChart {
  link: ChartLink;
  description: string;
  files: ChartFiles;
  /** The latest week's shares, drawn at build time. */
  figure: StaticFigure;
  table: TableModel;
}

export interface HomePage {
  summary: SiteSummary;
  latestWeek: { dates: string; reports: number | null };
  participation: { json: string; figure: StaticFigure; table: TableModel; programs: string[] };
  featured: FeaturedChart[];
  programs: ProgramLink[];
}

export function homePage(): HomePage {
  const index = loadIndex();
  const participation = loadParticipation();
  const programs = index.programs.map((p) => p.name);
  const latestWeek = participation.weekly.at(-1);
  const featured = FEATURED_CHARTS.flatMap(({ program, name }) => {
    const entry = index.charts.find((chart) => chart.program === program && chart.name === name);
    if (!entry) return [];
    const file = loadChartFile(entry);
    const window = file.windows[DEFAULT_STATE.window];
    return [
      {
        link: chartLink(entry),
        description: file.description,
        files: chartFiles(entry),
        figure: staticFigure(featuredFigure(file, DEFAULT_STATE), CARD_WIDTHS),
        table: shareTable(rowsInWindow(file, window), DEFAULT_STATE.view, window),
      },
    ];
  });
  return {
    summary: siteSummary(),
    latestWeek: {
      dates: formatWindowDates(latestWeek ?? index.windows.latest7),
      reports: latestWeek?.reports ?? null,
    },
    participation: {
      json: dataFileHref(index.files.participation),
      figure: staticFigure(participationFigure(participation.weekly, programs), PAGE_WIDTHS),
      table: participationTable(participation, programs),
      programs,
    },
    featured,
    programs: programLinks(),
  };
}

const loadParticipation = (): Participation => readData<Participation>(loadIndex().files.participation);

function participationTable(participation: Participation, programs: string[]): TableModel {
  return {
    caption: "Distinct reports per week, in total and per program",
    columns: [
      { label: "Week", numeric: false },
      { label: "All reports", numeric: true },
      ...programs.map((label) => ({ label, numeric: true })),
    ],
    rows: participation.weekly.map((week) => ({
      key: week.start,
      cells: [
        { text: formatWindowDates(week), kind: "text" },
        { text: formatCount(week.reports), kind: "number" },
        ...programs.map((p) => ({ text: formatCount(week.programs[p] ?? 0), kind: "number" as const })),
      ],
    })),
    empty: "No weekly data.",
  };
}

// ---------------------------------------------------------------------------
// All charts and programs.

export interface ProgramCharts {
  program: ProgramLink;
  charts: ChartLink[];
}

export function chartsByProgram(): ProgramCharts[] {
  const index = loadIndex();
  const byId = new Map(index.charts.map((c) => [c.id, c]));
  return programLinks().map((program) => ({
    program,
    charts: findProgram(program.id).charts.flatMap((id) => {
      const entry = byId.get(id);
      return entry ? [chartLink(entry)] : [];
    }),
  }));
}

export interface MiniBar {
  /** As the page shows it (bucketLabel). */
  bucket: string;
  share: number;
  label: string;
}

export interface ChartCard {
  link: ChartLink;
  /** Largest shares of the latest week, for a small bar chart drawn at build time. */
  bars: MiniBar[];
  /** How many buckets the chart has in that window beyond the bars shown. */
  more: number;
  window: string;
}

export interface ProgramPage {
  program: ProgramLink;
  builtins: ChartCard[];
  configured: ChartCard[];
}

export function programIds(): string[] {
  return loadIndex().programs.map((p) => p.id);
}

export function programPage(id: string): ProgramPage {
  const program = findProgram(id);
  const cards = program.charts.map((chartId) => chartCard(findChart(chartId)));
  const link = programLinks().find((p) => p.id === id);
  if (!link) throw new Error(`countersight: program ${id} is not in index.json`);
  return {
    program: link,
    builtins: cards.filter((card) => card.link.builtin),
    configured: cards.filter((card) => !card.link.builtin),
  };
}

function chartCard(entry: ChartEntry): ChartCard {
  const file = loadChartFile(entry);
  const window = file.windows[DEFAULT_STATE.window];
  // A bucket no report in the window could have had has no share to show.
  const rows = rowsInWindow(file, window)
    .filter((row) => row.eligible_reports > 0)
    .sort((a, b) => b.share - a.share);
  return {
    link: chartLink(entry),
    bars: rows
      .slice(0, MINI_BARS)
      .map((row) => ({ bucket: bucketLabel(row.bucket), share: row.share, label: formatShare(row.share) })),
    more: Math.max(0, rows.length - MINI_BARS),
    window: windowLabel(window),
  };
}

// ---------------------------------------------------------------------------
// Chart page.

export interface ChartPage {
  id: string;
  title: string;
  description: string;
  name: string;
  type: ChartFile["type"];
  builtin: boolean;
  counter: string;
  rate: number;
  program: { name: string; href: string | null };
  /** Issue links; href is null for anything but http(s), which is then shown as text. */
  issues: { text: string; href: string | null }[];
  files: ChartFiles;
  windows: { key: WindowKey; label: string }[];
  weeks: number;
  /** The default view, rendered at build time. */
  windowLabel: string;
  bars: StaticFigure;
  table: TableModel;
  lines: StaticFigure;
  weeklyTable: TableModel;
  breakdowns: { dimension: string; title: string; figure: StaticFigure; table: TableModel }[];
  stacks: TableModel | null;
  /** Stack charts: the weeks whose top stacks the reader can pick, newest first (value: the week's start). */
  stackWeeks: { value: string; label: string }[];
}

export function chartIds(): string[] {
  return loadIndex().charts.map((c) => c.id);
}

export function chartPage(id: string): ChartPage {
  const entry = findChart(id);
  const file = loadChartFile(entry);
  const window: Window = file.windows[DEFAULT_STATE.window];
  const program = programOf(file.program);
  const figures = chartPageFigures(file, DEFAULT_STATE);
  return {
    id: file.id,
    title: file.title,
    description: file.description,
    name: file.name,
    type: file.type,
    builtin: file.builtin,
    counter: file.counter,
    rate: file.rate,
    program: { name: file.program, href: program ? programHref(program.id) : null },
    issues: file.issues.map((url) => ({ text: url, href: safeExternalHref(url) })),
    files: chartFiles(entry),
    windows: WINDOW_KEYS.map((key) => ({ key, label: windowLabel(file.windows[key]) })),
    weeks: file.windows.weeks.length,
    windowLabel: windowLabel(window),
    bars: staticFigure(figures.bars, PAGE_WIDTHS),
    table: shareTable(rowsInWindow(file, window), DEFAULT_STATE.view, window),
    lines: staticFigure(figures.lines, PAGE_WIDTHS),
    weeklyTable: weeklyTable(file, DEFAULT_STATE.view),
    breakdowns: figures.breakdowns.map(({ breakdown, figure }) => ({
      dimension: breakdown.dimension,
      title: breakdownTitle(breakdown),
      figure: staticFigure(figure, PAGE_WIDTHS),
      table: breakdownTable(breakdown, file.buckets),
    })),
    stacks: file.type === "stack" ? stackTable(stacksInWindow(file, DEFAULT_STATE.window), window) : null,
    stackWeeks:
      file.type === "stack"
        ? file.windows.weeks.toReversed().map((week) => ({ value: week.start, label: windowLabel(week) }))
        : [],
  };
}

// ---------------------------------------------------------------------------
// Data page.

export interface DataPage {
  /** Newest first. */
  days: (DayStatus & { sourceHref: string | null })[];
  reasons: RejectReason[];
  totals: { ok: number; missing: number; failed: number; lines: number; accepted: number; rejected: number };
  files: { label: string; href: string; description: string }[];
  schema: { column: string; description: string }[];
}

export function dataPage(): DataPage {
  const index = loadIndex();
  const days = readData<DayStatus[]>(index.files.days);
  const reasons = [...new Set(days.flatMap((d) => Object.keys(d.rejected) as RejectReason[]))].sort();
  const count = (status: DayStatus["status"]): number => days.filter((d) => d.status === status).length;
  const sum = (f: (d: DayStatus) => number): number => days.reduce((total, d) => total + f(d), 0);
  return {
    days: days.map((day) => ({ ...day, sourceHref: safeExternalHref(day.source) })).reverse(),
    reasons,
    totals: {
      ok: count("ok"),
      missing: count("missing"),
      failed: count("failed"),
      lines: sum((d) => d.lines),
      accepted: sum((d) => d.accepted),
      rejected: sum((d) => Object.values(d.rejected).reduce((a, b) => a + (b ?? 0), 0)),
    },
    files: [
      {
        label: "all.csv",
        href: dataFileHref(index.files.all_csv),
        description: "Every row of every chart (CSV).",
      },
      {
        label: "index.json",
        href: dataFileHref("index.json"),
        description: "Programs, charts, windows and files.",
      },
      {
        label: "days.json",
        href: dataFileHref(index.files.days),
        description: "The status of every source day.",
      },
      {
        label: "participation.json",
        href: dataFileHref(index.files.participation),
        description: "Distinct reports per day and per week.",
      },
      { label: "config.json", href: dataFileHref(index.files.config), description: "The configs in effect." },
    ],
    schema: CSV_SCHEMA,
  };
}

// ---------------------------------------------------------------------------
// Config page.

export interface ConfigPage extends ConfigFile {
  json: string;
  /** Issue links of each parsed chart record, in order; href is null for anything but http(s). */
  issueLinks: { text: string; href: string | null }[][];
}

export function configPage(): ConfigPage {
  const index = loadIndex();
  const config = readData<ConfigFile>(index.files.config);
  return {
    ...config,
    json: dataFileHref(index.files.config),
    issueLinks: config.chartConfig.parsed.map((chart) =>
      chart.issues.map((url) => ({ text: url, href: safeExternalHref(url) })),
    ),
  };
}
