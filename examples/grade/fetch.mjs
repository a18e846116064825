// Node's fetch (undici), as it is used by default (redirects followed); a
// repeated request goes through the same global dispatcher.
const method = process.env.TEAPOT_GRADE_METHOD;
const times = Number(process.env.TEAPOT_GRADE_REPEAT ?? "1");
// Node's WebSocket (undici's, global with --experimental-websocket in
// Node 20): each text message printed and sent back until the server
// closes; undici answers pings and the Close itself.
function websocket(url) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url.replace(/^http/, "ws"));
    ws.onmessage = (m) => {
      process.stdout.write(`${m.data}\n`);
      ws.send(m.data);
    };
    ws.onerror = (e) => reject(new Error(e.message ?? "WebSocket error"));
    ws.onclose = (e) =>
      e.wasClean ? resolve() : reject(new Error(`closed uncleanly (${e.code})`));
  });
}
try {
  if (process.env.TEAPOT_GRADE_UPGRADE === "websocket" && typeof WebSocket === "function") {
    await websocket(process.env.TEAPOT_GRADE_URL);
    process.exit(0);
  }
  for (let i = 0; i < times; i++) {
    const r = await fetch(process.env.TEAPOT_GRADE_URL, {
      method,
      body: method === "POST" ? "teapot" : undefined,
      signal: AbortSignal.timeout(10000),
    });
    process.stdout.write(await r.text());
  }
} catch (e) {
  console.error(`error: ${e.message}`);
  process.exit(1);
}
