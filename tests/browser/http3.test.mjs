// Headless Chromium over HTTP/3 against `teapot serve --tls-self-signed
// --http3`: QUIC is forced for the test origin and the self-signed
// certificate is pinned by the SHA-256 of its public key (SPKI), as
// Chromium's own QUIC test setups do. The page and what it fetches must
// travel over h3; a 101 or 426 sends the browser back to HTTP/1.1
// (H3_VERSION_FALLBACK), where it gets its answer.
//
// TEAPOT_BIN: the teapot binary; CHROMIUM: the browser.

import { test } from "node:test";
import assert from "node:assert/strict";
import { once } from "node:events";
import { createHash, X509Certificate } from "node:crypto";
import tls from "node:tls";

import { chromium } from "playwright-core";
import { serve } from "./serve.mjs";

// base64(SHA-256(SubjectPublicKeyInfo)) of the server's certificate.
async function spkiHash(host, port) {
  const socket = tls.connect({ host, port, rejectUnauthorized: false, ALPNProtocols: ["http/1.1"] });
  await once(socket, "secureConnect");
  const cert = new X509Certificate(socket.getPeerCertificate().raw);
  socket.destroy();
  const spki = cert.publicKey.export({ type: "spki", format: "der" });
  return createHash("sha256").update(spki).digest("base64");
}

test("Chromium reaches the page and the codes over HTTP/3", async () => {
  const started = serve(["--tls-self-signed", "--http3"]);
  let browser;
  try {
    const base = await started.base;
    const { hostname, port } = new URL(base);
    const spki = await spkiHash(hostname, Number(port));
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--enable-quic",
        `--origin-to-force-quic-on=${hostname}:${port}`,
        `--ignore-certificate-errors-spki-list=${spki}`,
      ],
    });
    const page = await browser.newPage();
    await page.goto(base + "/");
    const protocol = await page.evaluate(() => performance.getEntriesByType("navigation")[0].nextHopProtocol);
    assert.equal(protocol, "h3");
    assert.equal(await page.textContent("#count"), "63 codes");
    const seen = await page.evaluate(async () => {
      const status = async (path) => {
        try {
          const r = await fetch(path, { cache: "no-store" });
          return { status: r.status, body: await r.text(), altSvc: r.headers.get("alt-svc") };
        } catch {
          return "failed";
        }
      };
      const out = {
        "/103": await status("/103"),
        "/418": await status("/418"),
        "/204": await status("/204"),
        "/fault/reset": await status("/fault/reset"),
      };
      await new Promise((resolve) => setTimeout(resolve, 100));
      out.protocols = performance
        .getEntriesByType("resource")
        .filter((e) => e.name.endsWith("/418") || e.name.endsWith("/204"))
        .map((e) => e.nextHopProtocol);
      return out;
    });
    // An interim 103 is not the answer; a reset stream is a network error.
    assert.equal(seen["/103"].status, 200);
    assert.equal(seen["/418"].status, 418);
    assert.equal(seen["/418"].body, "418 I'm a teapot\n");
    assert.equal(seen["/418"].altSvc, `h3=":${port}"; ma=86400`);
    assert.equal(seen["/204"].status, 204);
    assert.equal(seen["/204"].body, "");
    assert.equal(seen["/fault/reset"], "failed");
    assert.deepEqual(seen.protocols, ["h3", "h3"]);
  } finally {
    await browser?.close();
    started.child.kill("SIGTERM");
    await once(started.child, "exit");
  }
});
