// The `test` every browser test uses: its `page` is watched from the first
// navigation to the end of the test, and the test fails if anything on it went
// wrong that a reader would not see:
//
// - a console error or an uncaught exception;
// - a Content-Security-Policy violation (e2e/serve.ts sends the strict policy);
// - a dialog (alert, confirm, prompt): data was run as script;
// - `window.__pwned` set: the hostile fixtures' payloads set it when they run;
// - with `guard.onlyRequestsUnder(prefix)`, a request outside that path.
//
// A test that expects an error (the 404 page logs its own status) says so with
// `guard.allow(/pattern/)`.

import { expect, test as base, type Page } from "@playwright/test";

export { expect };

export class PageGuard {
  private readonly problems: string[] = [];
  private readonly allowed: RegExp[] = [];
  private requestPrefix: string | undefined;

  private readonly page: Page;

  constructor(page: Page) {
    this.page = page;
  }

  /** Starts watching; call before the first navigation. */
  async attach(): Promise<void> {
    const { page } = this;
    page.on("console", (message) => {
      if (message.type() !== "error") return;
      const text = message.text();
      if (this.allowed.some((pattern) => pattern.test(text))) return;
      this.problems.push(`console error on ${page.url()}: ${text}`);
    });
    page.on("pageerror", (error) =>
      this.problems.push(`uncaught exception on ${page.url()}: ${error.message}`),
    );
    page.on("dialog", (dialog) => {
      this.problems.push(`${dialog.type()} dialog on ${page.url()}: ${dialog.message()}`);
      void dialog.dismiss();
    });
    page.on("request", (request) => {
      if (this.requestPrefix === undefined) return;
      const url = new URL(request.url());
      if (url.protocol !== "http:" && url.protocol !== "https:") return;
      if (!request.url().startsWith(this.requestPrefix)) {
        this.problems.push(`request outside ${this.requestPrefix}: ${request.url()}`);
      }
    });
    // Init scripts run in every document before its own scripts, and are not subject to its CSP.
    await page.addInitScript(() => {
      document.addEventListener("securitypolicyviolation", (event) => {
        console.error(
          `CSP violation: ${event.violatedDirective} blocked ${event.blockedURI || "inline"}` +
            ` (${event.sourceFile || "document"}:${event.lineNumber}) ${event.sample}`,
        );
      });
      let pwned: unknown;
      Object.defineProperty(window, "__pwned", {
        get: () => pwned,
        set: (value: unknown) => {
          pwned = value;
          console.error(`window.__pwned was set to ${String(value)}: a payload from the data ran`);
        },
      });
    });
  }

  /** Console errors matching the pattern are expected, not problems. */
  allow(pattern: RegExp): void {
    this.allowed.push(pattern);
  }

  /** Every http(s) request of the page must start with this URL prefix from now on. */
  onlyRequestsUnder(prefix: string): void {
    this.requestPrefix = prefix;
  }

  /** Fails with everything that went wrong so far. */
  async check(): Promise<void> {
    if (!this.page.isClosed() && this.page.url().startsWith("http")) {
      const pwned = await this.page
        .evaluate(() => (window as { __pwned?: unknown }).__pwned)
        .catch(() => undefined);
      if (pwned !== undefined) this.problems.push(`window.__pwned is ${String(pwned)} on ${this.page.url()}`);
    }
    expect(this.problems, "problems seen in the browser").toEqual([]);
  }
}

export const test = base.extend<{ guard: PageGuard }>({
  guard: [
    async ({ page }, use) => {
      const guard = new PageGuard(page);
      await guard.attach();
      await use(guard);
      await guard.check();
    },
    { auto: true },
  ],
});
