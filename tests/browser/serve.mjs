// Starts `teapot serve` on a free loopback port and resolves with its base
// URL, read from the listening line it logs.

import { spawn } from "node:child_process";

export const bin = process.env.TEAPOT_BIN ?? "../../target/debug/teapot";

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
