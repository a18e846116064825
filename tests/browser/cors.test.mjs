// CORS in headless Chromium: a page on one origin calls teapot on another
// (a second `teapot serve` on another port) and reads each code's status
// and the fields a client test reads; a PUT needs a preflight. With
// `--cors off` the browser refuses the same calls.
//
// TEAPOT_BIN: the teapot binary; CHROMIUM: the browser (default
// /usr/bin/chromium).

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { once } from "node:events";

import { launch, serve } from "./serve.mjs";

const children = [];
let page;
let browser;
let pageOrigin;
let api;
let closed;

before(async () => {
  const a = serve();
  const b = serve();
  const c = serve(["--cors", "off"]);
  children.push(a.child, b.child, c.child);
  [pageOrigin, api, closed] = await Promise.all([a.base, b.base, c.base]);
  browser = await launch();
  page = await browser.newPage();
  await page.goto(pageOrigin + "/healthz");
});

after(async () => {
  await browser?.close();
  for (const child of children) {
    child.kill("SIGTERM");
    await once(child, "exit");
  }
});

// Runs fetch in the page; resolves with what a script there can read.
function call(base, path, init = {}) {
  return page.evaluate(
    async ([url, init]) => {
      try {
        const r = await fetch(url, init);
        const fields = {};
        for (const name of ["retry-after", "location", "allow", "www-authenticate", "etag", "content-range", "content-type"]) {
          fields[name] = r.headers.get(name);
        }
        return { status: r.status, redirected: r.redirected, fields, body: await r.text() };
      } catch (e) {
        return { error: String(e) };
      }
    },
    [base + path, init],
  );
}

test("a page on another origin reads every code and what it carries", async () => {
  assert.notEqual(new URL(pageOrigin).origin, new URL(api).origin);
  const expect = {
    200: {},
    201: { location: (v) => v !== null },
    204: {},
    400: {},
    401: { "www-authenticate": (v) => v.startsWith("Basic") },
    404: {},
    405: { allow: (v) => v.includes("POST") && !v.includes("GET") },
    418: {},
    429: { "retry-after": (v) => v === "1" },
    500: {},
    503: { "retry-after": (v) => v === "1" },
  };
  for (const [code, fields] of Object.entries(expect)) {
    const r = await call(api, `/${code}`);
    assert.equal(r.error, undefined, `${code}: ${r.error}`);
    assert.equal(r.status, Number(code), `${code}`);
    for (const [name, ok] of Object.entries(fields)) {
      assert.ok(r.fields[name] !== null && ok(r.fields[name]), `${code}: ${name} = ${r.fields[name]}`);
    }
  }
  // A redirect is followed across origins (the 301 itself carries CORS).
  const moved = await call(api, "/301");
  assert.equal(moved.error, undefined, moved.error);
  assert.equal(moved.redirected, true);
  assert.equal(moved.status, 200);
  // 304 to a conditional request (If-None-Match needs a preflight).
  const notModified = await call(api, "/304", { headers: { "If-None-Match": '"teapot"' }, cache: "no-store" });
  assert.equal(notModified.error, undefined, notModified.error);
  assert.equal(notModified.status, 304);
  assert.equal(notModified.fields.etag, '"teapot"');
});

test("a PUT that needs a preflight reaches the forced code", async () => {
  const r = await call(api, "/503", { method: "PUT", body: "x", headers: { "X-Trace": "1" } });
  assert.equal(r.error, undefined, r.error);
  assert.equal(r.status, 503);
  assert.equal(r.fields["retry-after"], "1");
});

test("with --cors off the browser refuses the same calls", async () => {
  for (const path of ["/200", "/503"]) {
    const r = await call(closed, path);
    assert.match(r.error ?? "", /TypeError/, `${path}: ${JSON.stringify(r)}`);
  }
  const put = await call(closed, "/503", { method: "PUT", body: "x" });
  assert.match(put.error ?? "", /TypeError/);
});
