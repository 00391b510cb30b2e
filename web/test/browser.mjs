// A headless Chromium for tests/test_web.py, driven by playwright-core: one JSON command per line on
// stdin, one JSON answer per line on stdout ({"ok": value} or {"error": message}). The browser is
// Debian's chromium package ($CHROMIUM, default /usr/bin/chromium): nothing is downloaded at run time.
import { createInterface } from "node:readline";
import { chromium } from "playwright-core";

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  // Root in a container has no user namespaces for Chromium's sandbox; the pages are our own, on loopback.
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
});
const pages = new Map();
const consoles = new Map();
let next = 0;

const commands = {
  async open({ url, width = 1100, height = 900 }) {
    const context = await browser.newContext({ viewport: { width, height } });
    const page = await context.newPage();
    const id = String(++next);
    pages.set(id, page);
    consoles.set(id, []);
    page.on("console", (message) => consoles.get(id).push(`${message.type()}: ${message.text()}`));
    page.on("pageerror", (error) => consoles.get(id).push(`pageerror: ${error.message}`));
    await page.goto(url);
    return id;
  },
  evaluate: ({ page, expression }) => pages.get(page).evaluate(expression),
  // Wait until a JS expression is truthy in the page (re-evaluated on every animation frame). Passed as a
  // function: a string would be eval'ed inside the page, which the pages' Content-Security-Policy forbids.
  waitFor: ({ page, expression, timeout }) =>
    pages
      .get(page)
      .waitForFunction(new Function(`return (${expression});`), undefined, { timeout })
      .then((handle) => handle.jsonValue()),
  click: ({ page, selector }) => pages.get(page).locator(selector).click(),
  fill: ({ page, selector, value }) => pages.get(page).locator(selector).fill(value),
  press: ({ page, selector, key }) => pages.get(page).locator(selector).press(key),
  select: ({ page, selector, value }) => pages.get(page).locator(selector).selectOption(value).then(() => null),
  screenshot: ({ page, path }) => pages.get(page).screenshot({ path, fullPage: true }).then(() => path),
  console: ({ page }) => consoles.get(page),
  async close({ page }) {
    await pages.get(page).context().close();
    pages.delete(page);
  },
};

for await (const line of createInterface({ input: process.stdin })) {
  const { op, ...args } = JSON.parse(line);
  let answer;
  try {
    const value = await commands[op](args);
    answer = { ok: value === undefined ? null : value };
  } catch (error) {
    answer = { error: String(error?.message ?? error) };
  }
  process.stdout.write(`${JSON.stringify(answer)}\n`);
}
await browser.close();
