// /theme.js: a tiny classic script loaded in <head> before the page paints, so
// a stored theme choice applies without a flash. It is a separate file (not an
// inline script) so the site works under `Content-Security-Policy: script-src 'self'`.

import type { APIRoute } from "astro";
import { THEME_STORAGE_KEY } from "../components/theme.ts";

const script = `try{var t=localStorage.getItem(${JSON.stringify(THEME_STORAGE_KEY)});if(t==="light"||t==="dark")document.documentElement.dataset.theme=t}catch(e){}\n`;

export const GET: APIRoute = () =>
  new Response(script, { headers: { "Content-Type": "text/javascript; charset=utf-8" } });
