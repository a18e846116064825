// The home page in headless Chromium, served by a real `teapot serve`.
//
// TEAPOT_BIN: the teapot binary; CHROMIUM: the browser (default
// /usr/bin/chromium); OUT: where screenshots go (default ../../target/browser).

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { once } from "node:events";

import { launch, serve } from "./serve.mjs";

const out = process.env.OUT ?? "../../target/browser";
mkdirSync(out, { recursive: true });

let server;
let base;
let browser;
let page;

before(async () => {
  const started = serve();
  server = started.child;
  base = await started.base;
  browser = await launch();
  page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  await page.goto(base + "/");
});

after(async () => {
  await browser?.close();
  server?.kill("SIGTERM");
  if (server) await once(server, "exit");
});

const visibleCodes = () =>
  page.$$eval("li.code:not([hidden])", (lis) => lis.map((li) => li.querySelector(".num").textContent));

test("the page lists every code, grouped by class", async () => {
  assert.equal(await page.title(), "teapot: HTTP status codes on the wire");
  assert.equal(await page.textContent("#count"), "63 codes");
  const headings = await page.$$eval("section.class h2", (hs) => hs.map((h) => h.textContent));
  assert.deepEqual(headings, ["1xx Informational", "2xx Successful", "3xx Redirection", "4xx Client Error", "5xx Server Error"]);
  await page.screenshot({ path: `${out}/page-home.png` });
  const rfc = await page.getAttribute("#code-418 .actions a", "href");
  assert.equal(rfc, "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.19");
});

test("search filters as you type", async () => {
  await page.fill("#search", "teapot");
  assert.deepEqual(await visibleCodes(), ["418"]);
  assert.equal(await page.textContent("#count"), "1 of 63 codes");
  await page.fill("#search", "gateway");
  assert.deepEqual(await visibleCodes(), ["502", "504"]);
  const shownSections = await page.$$eval("section.class:not([hidden]) h2", (hs) => hs.map((h) => h.textContent));
  assert.deepEqual(shownSections, ["5xx Server Error"]);
  await page.fill("#search", "");
  assert.equal((await visibleCodes()).length, 63);
});

async function tryIt(code) {
  await page.click(`#code-${code} button.try`);
  await page.waitForFunction((c) => document.querySelector("#summary").textContent.startsWith(`GET /${c} →`), code);
  return { summary: await page.textContent("#summary"), wire: await page.textContent("#wire") };
}

test("try it on 404 shows the real exchange", async () => {
  const { summary, wire } = await tryIt("404");
  assert.match(summary, /^GET \/404 → 404 Not Found in [0-9.]+ ms$/);
  assert.match(wire, /HTTP\/1\.1 404 Not Found/);
  assert.match(wire, /Date: /);
  assert.match(wire, /Content-Length: 14/);
  assert.match(wire, /404 Not Found\n/);
});

test("try it on 304 shows no content", async () => {
  const { summary, wire } = await tryIt("304");
  assert.match(summary, /→ 304 Not Modified/);
  assert.match(wire, /ETag: "teapot"/);
  assert.match(wire, /\(no content\)/);
  assert.doesNotMatch(wire, /Content-Length/);
});

test("try it on 103 shows the interim response before the final one", async () => {
  const { summary, wire } = await tryIt("103");
  assert.match(summary, /→ 200 OK in [0-9.]+ ms after 1 interim response$/);
  const interim = wire.indexOf("HTTP/1.1 103 Early Hints");
  const last = wire.indexOf("HTTP/1.1 200 OK");
  assert.ok(interim >= 0 && last > interim, wire);
  assert.match(wire, /Interim \(1xx\) responses come before the final response/);
  assert.match(wire, /Link: <\/static\/teapot\.css>; rel=preload; as=style/);
  await page.screenshot({ path: `${out}/page.png`, fullPage: false });
});

test("works with the keyboard alone", async () => {
  await page.locator("body").click({ position: { x: 5, y: 5 } });
  await page.keyboard.press("/");
  assert.equal(await page.evaluate(() => document.activeElement.id), "search");
  await page.keyboard.type("teapot");
  await page.keyboard.press("Tab");
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement.dataset.code), "418");
  await page.keyboard.press("Enter");
  await page.waitForFunction(() => document.querySelector("#summary").textContent.startsWith("GET /418 →"));
  assert.match(await page.textContent("#wire"), /HTTP\/1\.1 418 I'm a teapot/);
  await page.fill("#search", "");
});

test("is readable at phone width", async () => {
  const phone = await browser.newPage({ viewport: { width: 375, height: 800 } });
  await phone.goto(base + "/");
  const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `the page is ${overflow}px wider than a phone`);
  await phone.screenshot({ path: `${out}/page-phone.png` });
  await phone.close();
});

test("follows the dark colour scheme", async () => {
  const dark = await browser.newPage({ colorScheme: "dark", viewport: { width: 800, height: 600 } });
  await dark.goto(base + "/");
  const bg = await dark.evaluate(() => getComputedStyle(document.body).backgroundColor);
  assert.equal(bg, "rgb(22, 24, 26)");
  await dark.close();
});

test("over HTTPS the browser speaks HTTP/2, and is sent to HTTP/1.1 for 101 and 426", async () => {
  const started = serve(["--tls-self-signed"]);
  const tls = started.child;
  try {
    const secure = await started.base;
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const h2 = await context.newPage();
    await h2.goto(secure + "/");
    const protocol = await h2.evaluate(() => performance.getEntriesByType("navigation")[0].nextHopProtocol);
    assert.equal(protocol, "h2");
    assert.equal(await h2.textContent("#count"), "63 codes");
    const seen = await h2.evaluate(async () => {
      const status = async (path) => {
        try {
          const r = await fetch(path, { cache: "no-store" });
          await r.text();
          return r.status;
        } catch {
          return "failed";
        }
      };
      const protocolOf = (path) =>
        performance.getEntriesByType("resource").filter((e) => e.name.endsWith(path)).map((e) => e.nextHopProtocol);
      const out = {
        "/103": await status("/103"),
        "/418": await status("/418"),
        "/426": await status("/426"),
        "/101": await status("/101"),
        "/fault/reset": await status("/fault/reset"),
      };
      // Resource timing entries land once the body is read, a task later.
      await new Promise((resolve) => setTimeout(resolve, 100));
      out.protocols = { "/418": protocolOf("/418"), "/426": protocolOf("/426") };
      return out;
    });
    // An interim response is not the answer; a reset stream is a network
    // error; HTTP_1_1_REQUIRED makes the browser ask again over HTTP/1.1,
    // where 101 without an offer and 426 are answered.
    assert.equal(seen["/103"], 200);
    assert.equal(seen["/418"], 418);
    assert.equal(seen["/426"], 426);
    assert.equal(seen["/101"], 426);
    assert.equal(seen["/fault/reset"], "failed");
    assert.deepEqual(seen.protocols["/418"], ["h2"]);
    assert.deepEqual(seen.protocols["/426"], ["http/1.1"]);
    await context.close();
  } finally {
    tls.kill("SIGTERM");
    await once(tls, "exit");
  }
});
