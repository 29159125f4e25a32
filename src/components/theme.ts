// The reader's explicit theme choice, shared by the pre-paint script
// (src/pages/theme.js.ts) and the toggle button.

export const THEME_STORAGE_KEY = "countersight-theme";
export type Theme = "light" | "dark";
