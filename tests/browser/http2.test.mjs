// Node's own HTTP/2 client (node:http2, on nghttp2) against a real
// `teapot serve`: cleartext by prior knowledge and TLS by ALPN. Interim
// responses arrive as 'headers' events before the 'response'.
//
// TEAPOT_BIN: the teapot binary.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { once } from "node:events";
import http2 from "node:http2";
import { serve } from "./serve.mjs";

const servers = [];
let plain;
let secure;

before(async () => {
  const a = serve();
  const b = serve(["--tls-self-signed"]);
  servers.push(a.child, b.child);
  plain = await a.base;
  secure = await b.base;
});

after(async () => {
  for (const child of servers) {
    child.kill("SIGTERM");
    await once(child, "exit");
  }
});

// One request; resolves with the interim heads, the final head, the body,
// or the stream's error code.
function ask(session, path, { method = "GET", body } = {}) {
  return new Promise((resolve) => {
    const interim = [];
    const req = session.request({ ":method": method, ":path": path });
    req.on("headers", (h) => interim.push(h));
    let head;
    req.on("response", (h) => (head = h));
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => resolve({ interim, head, body: Buffer.concat(chunks).toString() }));
    req.on("error", (e) => resolve({ interim, head, error: e.code, rst: req.rstCode }));
    req.end(body);
  });
}

for (const [name, url, options] of [
  ["h2c by prior knowledge", () => plain, {}],
  ["h2 over TLS", () => secure, { rejectUnauthorized: false }],
]) {
  test(`node:http2, ${name}: interim responses, wire rules, resets`, async () => {
    const session = http2.connect(url(), options);
    try {
      const hints = await ask(session, "/103");
      assert.deepEqual(hints.interim.map((h) => h[":status"]), [103]);
      assert.equal(hints.interim[0].link, "</static/teapot.css>; rel=preload; as=style");
      assert.equal(hints.head[":status"], 200);
      assert.equal(hints.body, "200 OK\n");

      const processing = await ask(session, "/102?count=2&interval=10");
      assert.deepEqual(processing.interim.map((h) => h[":status"]), [102, 102]);

      const teapot = await ask(session, "/418");
      assert.equal(teapot.head[":status"], 418);
      assert.ok(teapot.head.date);
      assert.equal(teapot.head["content-length"], "17");
      for (const field of ["connection", "keep-alive", "transfer-encoding", "upgrade"]) {
        assert.equal(teapot.head[field], undefined, field);
      }

      const none = await ask(session, "/204");
      assert.equal(none.head[":status"], 204);
      assert.equal(none.body, "");

      const allow = await ask(session, "/405", { method: "DELETE" });
      assert.equal(allow.head[":status"], 405);
      assert.ok(!allow.head.allow.includes("DELETE"), allow.head.allow);

      const echoed = await ask(session, "/post", { method: "POST", body: "over node http2" });
      assert.equal(JSON.parse(echoed.body).data, "over node http2");

      // HTTP/2 has no 101 and cannot carry 426's Upgrade: the stream is
      // reset with HTTP_1_1_REQUIRED (0xd); Node reports it, without retrying.
      for (const path of ["/101", "/426"]) {
        const sent = await ask(session, path);
        assert.equal(sent.rst, http2.constants.NGHTTP2_HTTP_1_1_REQUIRED, path);
      }
      const reset = await ask(session, "/fault/reset");
      assert.equal(reset.rst, http2.constants.NGHTTP2_INTERNAL_ERROR);

      // The session outlived the resets.
      const after = await ask(session, "/200");
      assert.equal(after.head[":status"], 200);
    } finally {
      session.close();
    }
  });
}
