// Node's fetch (undici), as it is used by default (redirects followed); a
// repeated request goes through the same global dispatcher.
const method = process.env.TEAPOT_GRADE_METHOD;
const times = Number(process.env.TEAPOT_GRADE_REPEAT ?? "1");
try {
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
