// The home page in the browser, the part that loads with it. The participation
// chart and the featured charts are already on the page as SVG drawn at build
// time; this script folds the numbers under them, and loads Plot
// (home-page-interactive.ts) only when the reader points at or focuses one of
// them, to redraw that chart at its actual width with tooltips.

type Draw = (element: HTMLElement) => Promise<void>;

function whenInteracted(element: HTMLElement, load: () => Promise<Draw>): void {
  // The chart is on the page, so its numbers fold away (they stay open without JavaScript).
  if (element.querySelector("svg.plot")) {
    element.closest(".card, section")?.querySelector("details[data-fold]")?.removeAttribute("open");
  }
  let started = false;
  const interact = (): void => {
    if (started) return;
    started = true;
    load()
      .then((draw) => draw(element))
      .catch((error: unknown) => failed(element, error));
  };
  element.addEventListener("pointerenter", interact);
  element.addEventListener("focusin", interact);
}

function failed(element: Element, error: unknown): void {
  const message = document.createElement("p");
  message.className = "chart-status";
  message.textContent = `The interactive chart could not be loaded (${(error as Error).message}); the numbers are in the table.`;
  element.append(message);
}

for (const element of document.querySelectorAll<HTMLElement>("[data-participation]")) {
  whenInteracted(element, async () => (await import("./home-page-interactive.ts")).drawParticipation);
}

for (const element of document.querySelectorAll<HTMLElement>("[data-featured]")) {
  whenInteracted(element, async () => (await import("./home-page-interactive.ts")).drawFeatured);
}
