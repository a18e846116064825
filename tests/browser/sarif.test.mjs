// `teapot check --format sarif` validates against the SARIF 2.1.0 JSON
// schema (OASIS, as Microsoft's SARIF tools ship it), for one URL and for
// the scorecard of every code, and carries the findings it should.
//
// TEAPOT_BIN: the teapot binary.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { once } from "node:events";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import Ajv from "ajv";

import { bin, serve } from "./serve.mjs";

const require = createRequire(import.meta.url);
const schema = JSON.parse(
  readFileSync(require.resolve("@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json"), "utf8"),
);
const ajv = new Ajv({ schemaId: "id", allErrors: true });
ajv.addMetaSchema(require("ajv/lib/refs/json-schema-draft-04.json"));
const validate = ajv.compile(schema);

let server;
let base;

before(async () => {
  const started = serve();
  server = started.child;
  base = await started.base;
});

after(async () => {
  server.kill("SIGTERM");
  await once(server, "exit");
});

// Runs `teapot check`; resolves with its output whatever its exit status.
function check(args) {
  try {
    return execFileSync(bin, ["check", ...args], { encoding: "utf8" });
  } catch (e) {
    assert.ok(e.status === 1, `exit ${e.status}: ${e.stderr}`);
    return e.stdout;
  }
}

test("one URL's findings, as SARIF 2.1.0", () => {
  const url = `${base}/200?header=ETag:abc`;
  const log = JSON.parse(check(["--format", "sarif", url]));
  assert.ok(validate(log), JSON.stringify(validate.errors, null, 2));
  const results = log.runs[0].results;
  const etag = results.find((r) => r.ruleId === "field.etag");
  assert.ok(etag, JSON.stringify(results));
  assert.equal(etag.level, "error");
  assert.equal(etag.locations[0].physicalLocation.artifactLocation.uri, url);
  assert.equal(log.runs[0].tool.driver.rules[etag.ruleIndex].id, "field.etag");
});

test("a clean answer is a run without results, still valid", () => {
  const log = JSON.parse(check(["--format", "sarif", `${base}/418`]));
  assert.ok(validate(log), JSON.stringify(validate.errors, null, 2));
  assert.deepEqual(log.runs[0].results, []);
});

test("the scorecard of every code, as SARIF 2.1.0", () => {
  const log = JSON.parse(check(["--all", "--format", "sarif", base]));
  assert.ok(validate(log), JSON.stringify(validate.errors, null, 2));
  assert.ok(log.runs[0].results.every((r) => r.level !== "error"), "teapot has no MUST findings");
});
