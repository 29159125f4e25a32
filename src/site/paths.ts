// Every href of the site is built here, from the configured base path, so the
// site works at "/" and under a sub-path (GitHub Pages project sites).

const rawBase = import.meta.env.BASE_URL;
const base = rawBase.endsWith("/") ? rawBase : `${rawBase}/`;

/** Site-relative path ("charts/") → href under the base path ("/countersight/charts/"). */
export function href(path = ""): string {
  return base + path.replace(/^\/+/, "");
}

export const homeHref = (): string => href("");
export const chartsHref = (): string => href("charts/");
export const chartHref = (chartId: string): string => href(`charts/${encodeURIComponent(chartId)}/`);
export const programsHref = (): string => href("programs/");
export const programHref = (programId: string): string => href(`programs/${encodeURIComponent(programId)}/`);
export const dataPageHref = (): string => href("data/");
export const configPageHref = (): string => href("config/");
export const aboutHref = (): string => href("about/");

/** A file written by `npm run data`, given by its path relative to the data directory. */
export function dataFileHref(relativePath: string): string {
  return href(`data/${relativePath.split("/").map(encodeURIComponent).join("/")}`);
}

/** Only http(s) URLs from data become links; anything else (javascript:, data:, garbage) stays text. */
export function safeExternalHref(url: string): string | null {
  try {
    const parsed = new URL(url);
    return parsed.protocol === "https:" || parsed.protocol === "http:" ? parsed.href : null;
  } catch {
    return null;
  }
}
