// The filter box of the All charts page: narrows the list by title, counter
// name or program as the reader types. Without JavaScript the box stays
// hidden and the full list shows.

const form = document.querySelector<HTMLFormElement>("form[data-filter]");
const input = form?.querySelector<HTMLInputElement>("input[type=search]");
const count = document.querySelector<HTMLElement>("[data-filter-count]");
const items = [...document.querySelectorAll<HTMLElement>("[data-filter-text]")];
const groups = [...document.querySelectorAll<HTMLElement>("[data-filter-group]")];

function apply(query: string): void {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  let shown = 0;
  for (const item of items) {
    const haystack = item.dataset.filterText ?? "";
    const match = words.every((word) => haystack.includes(word));
    item.hidden = !match;
    if (match) shown++;
  }
  for (const group of groups) group.hidden = !group.querySelector("[data-filter-text]:not([hidden])");
  if (count) count.textContent = words.length ? `${shown} of ${items.length} charts match.` : "";
}

if (form && input) {
  form.hidden = false;
  form.addEventListener("submit", (event) => event.preventDefault());
  input.addEventListener("input", () => apply(input.value));
  const initial = new URLSearchParams(location.search).get("q");
  if (initial) input.value = initial;
  apply(input.value);
}
