// The theme toggle: flips between light and dark and remembers the choice.
// The page follows prefers-color-scheme until the reader picks one.

import { THEME_STORAGE_KEY, type Theme } from "./theme.ts";

const button = document.querySelector<HTMLButtonElement>("[data-theme-toggle]");

function current(): Theme {
  const chosen = document.documentElement.dataset.theme;
  if (chosen === "light" || chosen === "dark") return chosen;
  return matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
}

function label(): void {
  if (!button) return;
  const next = current() === "dark" ? "light" : "dark";
  button.setAttribute("aria-label", `Switch to ${next} theme`);
  button.title = `Switch to ${next} theme`;
  button.setAttribute("aria-pressed", String(current() === "dark"));
}

if (button) {
  button.hidden = false;
  label();
  button.addEventListener("click", () => {
    const next: Theme = current() === "dark" ? "light" : "dark";
    document.documentElement.dataset.theme = next;
    try {
      localStorage.setItem(THEME_STORAGE_KEY, next);
    } catch {
      // Storage may be disabled; the choice then lasts for this page only.
    }
    label();
  });
  matchMedia("(prefers-color-scheme: dark)").addEventListener("change", label);
}
