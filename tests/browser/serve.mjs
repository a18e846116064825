// Starts `teapot serve` on a free loopback port and resolves with its base
// URL, read from the listening line it logs.

import { spawn } from "node:child_process";

import { chromium } from "playwright-core";

export const bin = process.env.TEAPOT_BIN ?? "../../target/debug/teapot";

// Headless Chromium (CHROMIUM, default /usr/bin/chromium), with the flags
// this machine's closed network needs.
export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}

export function serve(args = []) {
  const child = spawn(bin, ["serve", "--bind", "127.0.0.1:0", ...args], { env: { ...process.env, TEAPOT_LOG: "info" } });
  const base = new Promise((resolve, reject) => {
    let seen = "";
    child.stderr.on("data", (chunk) => {
      seen += chunk;
      const m = seen.match(/listening on (https?:\/\/[0-9.:]+)/);
      if (m) resolve(m[1]);
    });
    child.on("exit", (code) => reject(new Error(`teapot exited with ${code}: ${seen}`)));
  });
  return { child, base };
}
