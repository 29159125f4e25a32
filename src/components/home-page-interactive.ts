// The home page's charts once the reader interacts with one (home-page.ts
// loads this module on demand, with Plot): fetches that chart's data (the
// participation file, or the featured chart's own JSON) and redraws it at its
// actual width, with tooltips, in place of the SVG drawn at build time.

import type { ChartFile, Participation } from "../pipeline/types.ts";
import { featuredFigure, participationFigure } from "../charts/figures.ts";
import { DEFAULT_STATE } from "../site/chart-view.ts";
import { redrawOnResize, showFigure } from "./figure-dom.ts";

async function fetchJson<T>(url: string): Promise<T> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`HTTP ${response.status} for ${url}`);
  return (await response.json()) as T;
}

export async function drawParticipation(element: HTMLElement): Promise<void> {
  const programs = JSON.parse(element.dataset.programs ?? "[]") as string[];
  const participation = await fetchJson<Participation>(element.dataset.participation ?? "");
  const figure = participationFigure(participation.weekly, programs);
  redrawOnResize(element, (width) => showFigure(element, figure, width));
}

export async function drawFeatured(element: HTMLElement): Promise<void> {
  const file = await fetchJson<ChartFile>(element.dataset.featured ?? "");
  const figure = featuredFigure(file, DEFAULT_STATE);
  redrawOnResize(element, (width) => showFigure(element, figure, width));
}
