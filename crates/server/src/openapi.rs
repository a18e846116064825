//! The OpenAPI 3.1 document of every endpoint, served at `/openapi.json`.
//!
//! It is built from [`OPERATIONS`], one line per path; a test walks the
//! router's arms and this table together, and asks the live server for an
//! example of every path, so the two cannot drift apart.

use serde_json::{json, Map, Value};

/// What `/bytes/{n}` and `/range/{n}` both answer.
const RANGED: &[(u16, &str)] = &[
    (200, "The bytes."),
    (206, "Part of them."),
    (304, "Not modified."),
    (412, "A failed precondition."),
    (416, "No range lies within."),
    (400, "n over 100 KiB."),
];

/// One documented path.
pub struct Operation {
    /// The path template, OpenAPI style (`/redirect/{n}`).
    pub path: &'static str,
    /// The methods, lower-case (`get`, `post`, …).
    pub methods: &'static [&'static str],
    /// A tag grouping related endpoints.
    pub tag: &'static str,
    /// One line.
    pub summary: &'static str,
    /// Query parameters: name and description.
    pub query: &'static [(&'static str, &'static str)],
    /// The statuses this endpoint earns, with a short description each.
    pub responses: &'static [(u16, &'static str)],
}

const ALL: &[&str] = &["get", "head", "post", "put", "patch", "delete", "options"];
const GET: &[&str] = &["get", "head"];
const FORCED_QUERY: &[(&str, &str)] = &[
    (
        "delay",
        "Milliseconds to wait before the status line (up to the server's maximum delay).",
    ),
    ("header", "Name:Value to add to the answer; repeatable."),
    (
        "final",
        "For 1xx: the final status after the interim responses (default 200).",
    ),
    ("count", "For 102: how many interim responses (1 to 100)."),
    (
        "interval",
        "For 102: milliseconds between interim responses.",
    ),
    (
        "location",
        "For 201, 202 and redirects: a relative path or http(s) URL.",
    ),
    (
        "retry_after",
        "For 413, 429 and 503: seconds for Retry-After.",
    ),
];

/// Every path the server answers, in the order of the router.
pub const OPERATIONS: &[Operation] = &[
    Operation {
        path: "/",
        methods: GET,
        tag: "page",
        summary: "The registry: an HTML page, JSON or text by Accept.",
        query: &[],
        responses: &[(200, "The registry.")],
    },
    Operation {
        path: "/try/{code}",
        methods: GET,
        tag: "page",
        summary: "The forced status for code, as this server put it on the wire (JSON).",
        query: &[],
        responses: &[(200, "The recorded exchange."), (404, "Not a status code.")],
    },
    Operation {
        path: "/static/page.js",
        methods: GET,
        tag: "page",
        summary: "The home page's script.",
        query: &[],
        responses: &[(200, "JavaScript.")],
    },
    Operation {
        path: "/healthz",
        methods: GET,
        tag: "ops",
        summary: "Alive.",
        query: &[],
        responses: &[(200, "The process runs.")],
    },
    Operation {
        path: "/readyz",
        methods: GET,
        tag: "ops",
        summary: "Ready to serve every endpoint.",
        query: &[],
        responses: &[(200, "Ready.")],
    },
    Operation {
        path: "/metrics",
        methods: GET,
        tag: "ops",
        summary: "Prometheus metrics (OpenMetrics text).",
        query: &[],
        responses: &[(200, "The metrics.")],
    },
    Operation {
        path: "/openapi.json",
        methods: GET,
        tag: "ops",
        summary: "This document.",
        query: &[],
        responses: &[(200, "OpenAPI 3.1.")],
    },
    Operation {
        path: "/anything",
        methods: ALL,
        tag: "echo",
        summary: "Everything received, as httpbin's JSON.",
        query: &[],
        responses: &[(200, "The echo.")],
    },
    Operation {
        path: "/anything/{path}",
        methods: ALL,
        tag: "echo",
        summary: "Everything received, any path below.",
        query: &[],
        responses: &[(200, "The echo.")],
    },
    Operation {
        path: "/get",
        methods: GET,
        tag: "echo",
        summary: "Query and headers received.",
        query: &[],
        responses: &[(200, "The echo."), (405, "Another method.")],
    },
    Operation {
        path: "/post",
        methods: &["post"],
        tag: "echo",
        summary: "What a POST carried.",
        query: &[],
        responses: &[(200, "The echo.")],
    },
    Operation {
        path: "/put",
        methods: &["put"],
        tag: "echo",
        summary: "What a PUT carried.",
        query: &[],
        responses: &[(200, "The echo.")],
    },
    Operation {
        path: "/patch",
        methods: &["patch"],
        tag: "echo",
        summary: "What a PATCH carried.",
        query: &[],
        responses: &[(200, "The echo.")],
    },
    Operation {
        path: "/delete",
        methods: &["delete"],
        tag: "echo",
        summary: "What a DELETE carried.",
        query: &[],
        responses: &[(200, "The echo.")],
    },
    Operation {
        path: "/headers",
        methods: GET,
        tag: "echo",
        summary: "The request's header fields.",
        query: &[],
        responses: &[(200, "The headers.")],
    },
    Operation {
        path: "/ip",
        methods: GET,
        tag: "echo",
        summary: "The client's address.",
        query: &[],
        responses: &[(200, "The origin.")],
    },
    Operation {
        path: "/user-agent",
        methods: GET,
        tag: "echo",
        summary: "The User-Agent.",
        query: &[],
        responses: &[(200, "The user agent.")],
    },
    Operation {
        path: "/response-headers",
        methods: &["get", "head", "post"],
        tag: "echo",
        summary: "Answers with the header fields given in the query.",
        query: &[],
        responses: &[
            (200, "The fields, also as JSON."),
            (400, "An invalid field."),
        ],
    },
    Operation {
        path: "/cookies",
        methods: GET,
        tag: "echo",
        summary: "The cookies received.",
        query: &[],
        responses: &[(200, "The cookies.")],
    },
    Operation {
        path: "/cookies/set",
        methods: GET,
        tag: "echo",
        summary: "Sets the cookies in the query, then redirects to /cookies.",
        query: &[],
        responses: &[(302, "To /cookies."), (400, "An invalid cookie.")],
    },
    Operation {
        path: "/cookies/set/{name}/{value}",
        methods: GET,
        tag: "echo",
        summary: "Sets one cookie, then redirects to /cookies.",
        query: &[],
        responses: &[(302, "To /cookies."), (400, "An invalid cookie.")],
    },
    Operation {
        path: "/cookies/delete",
        methods: GET,
        tag: "echo",
        summary: "Expires the cookies named in the query, then redirects to /cookies.",
        query: &[],
        responses: &[(302, "To /cookies.")],
    },
    Operation {
        path: "/redirect/{n}",
        methods: GET,
        tag: "redirect",
        summary: "n redirects (relative; absolute with ?absolute=true), ending at /get.",
        query: &[("absolute", "true for absolute Locations.")],
        responses: &[(302, "The next hop."), (400, "n out of 1..100.")],
    },
    Operation {
        path: "/relative-redirect/{n}",
        methods: GET,
        tag: "redirect",
        summary: "n relative redirects, ending at /get.",
        query: &[],
        responses: &[(302, "The next hop."), (400, "n out of 1..100.")],
    },
    Operation {
        path: "/absolute-redirect/{n}",
        methods: GET,
        tag: "redirect",
        summary: "n absolute redirects, ending at /get.",
        query: &[],
        responses: &[(302, "The next hop."), (400, "n out of 1..100.")],
    },
    Operation {
        path: "/redirect-to",
        methods: ALL,
        tag: "redirect",
        summary: "A redirect to url with status_code.",
        query: &[
            ("url", "A relative path or http(s) URL."),
            (
                "status_code",
                "300, 301, 302, 303, 305, 307 or 308 (default 302).",
            ),
        ],
        responses: &[
            (302, "The redirect (or the status_code asked for)."),
            (400, "A bad url or status_code."),
        ],
    },
    Operation {
        path: "/basic-auth/{user}/{passwd}",
        methods: GET,
        tag: "auth",
        summary: "HTTP Basic authentication.",
        query: &[],
        responses: &[
            (200, "Authenticated."),
            (401, "Missing, wrong or malformed credentials."),
        ],
    },
    Operation {
        path: "/hidden-basic-auth/{user}/{passwd}",
        methods: GET,
        tag: "auth",
        summary: "Basic authentication that answers 404 instead of 401.",
        query: &[],
        responses: &[(200, "Authenticated."), (404, "Anything else.")],
    },
    Operation {
        path: "/digest-auth/{qop}/{user}/{passwd}",
        methods: ALL,
        tag: "auth",
        summary: "HTTP Digest authentication (MD5).",
        query: &[],
        responses: &[
            (200, "Authenticated."),
            (401, "A challenge."),
            (400, "A bad qop."),
        ],
    },
    Operation {
        path: "/digest-auth/{qop}/{user}/{passwd}/{algorithm}",
        methods: ALL,
        tag: "auth",
        summary: "HTTP Digest authentication with MD5, SHA-256, SHA-512 or SHA-512-256.",
        query: &[],
        responses: &[
            (200, "Authenticated."),
            (401, "A challenge."),
            (400, "A bad qop or algorithm."),
        ],
    },
    Operation {
        path: "/bearer",
        methods: GET,
        tag: "auth",
        summary: "Bearer token authentication.",
        query: &[],
        responses: &[
            (200, "Authenticated."),
            (401, "Missing or malformed token."),
        ],
    },
    Operation {
        path: "/proxy-auth/{user}/{passwd}",
        methods: ALL,
        tag: "auth",
        summary: "Basic authentication as a proxy asks for it.",
        query: &[],
        responses: &[(200, "Authenticated."), (407, "Proxy credentials needed.")],
    },
    Operation {
        path: "/role/{role}",
        methods: GET,
        tag: "auth",
        summary: "A role check: bearer tokens teapot.<role>[.<role>…].",
        query: &[],
        responses: &[
            (200, "Authorized."),
            (401, "No valid token."),
            (403, "A valid identity without the role."),
        ],
    },
    Operation {
        path: "/bytes/{n}",
        methods: GET,
        tag: "ranges",
        summary: "n random bytes (the same for the same seed), with Range support.",
        query: &[("seed", "A whole number.")],
        responses: RANGED,
    },
    Operation {
        path: "/range/{n}",
        methods: GET,
        tag: "ranges",
        summary: "n bytes of the alphabet, with Range and If-Range.",
        query: &[],
        responses: RANGED,
    },
    Operation {
        path: "/etag/{etag}",
        methods: GET,
        tag: "conditional",
        summary: "A resource whose entity-tag is etag.",
        query: &[],
        responses: &[
            (200, "The resource."),
            (304, "If-None-Match matched."),
            (412, "If-Match failed."),
        ],
    },
    Operation {
        path: "/cache",
        methods: GET,
        tag: "conditional",
        summary: "A resource with ETag and Last-Modified.",
        query: &[],
        responses: &[
            (200, "The resource."),
            (304, "Not modified."),
            (412, "A failed precondition."),
        ],
    },
    Operation {
        path: "/cache/{seconds}",
        methods: GET,
        tag: "conditional",
        summary: "A resource fresh for seconds.",
        query: &[],
        responses: &[(200, "The resource."), (304, "Not modified.")],
    },
    Operation {
        path: "/upload",
        methods: &["post", "put"],
        tag: "upload",
        summary: "An upload: 100-continue, 411, 413, 415, 417 earned.",
        query: &[("max", "The largest body accepted, in bytes (up to 1 MiB).")],
        responses: &[
            (200, "Received."),
            (411, "A chunked upload."),
            (413, "Too large."),
            (415, "A media type not taken."),
        ],
    },
    Operation {
        path: "/negotiate",
        methods: GET,
        tag: "negotiate",
        summary: "Content negotiation.",
        query: &[],
        responses: &[
            (200, "The best variant."),
            (300, "No Accept: the alternatives."),
            (406, "Nothing acceptable."),
        ],
    },
    Operation {
        path: "/negotiate/{variant}",
        methods: GET,
        tag: "negotiate",
        summary: "One variant (text, json, html), or loop for 506.",
        query: &[],
        responses: &[
            (200, "The variant."),
            (506, "The misconfigured variant."),
            (404, "An unknown variant."),
        ],
    },
    Operation {
        path: "/processing",
        methods: ALL,
        tag: "long-work",
        summary: "102 every second for duration seconds, then 200.",
        query: &[("duration", "Seconds (default 3).")],
        responses: &[(200, "Done, after interim 102 responses.")],
    },
    Operation {
        path: "/early-hints",
        methods: GET,
        tag: "long-work",
        summary: "103 with a preload, then a page that uses it.",
        query: &[],
        responses: &[(200, "The page, after an interim 103.")],
    },
    Operation {
        path: "/gateway/{path}",
        methods: ALL,
        tag: "gateway",
        summary: "A gateway to this same server.",
        query: &[
            ("timeout", "Milliseconds to wait for the upstream."),
            ("transform", "1 to transform the payload (203)."),
        ],
        responses: &[
            (200, "The upstream's answer (any status)."),
            (203, "Transformed."),
            (502, "A broken upstream answer."),
            (504, "Too slow."),
            (508, "Gateways in a loop."),
        ],
    },
    Operation {
        path: "/portal",
        methods: GET,
        tag: "scenario",
        summary: "A captive portal.",
        query: &[],
        responses: &[(200, "Signed in."), (511, "Sign in first.")],
    },
    Operation {
        path: "/portal/sign-in",
        methods: ALL,
        tag: "scenario",
        summary: "Signs in to the portal.",
        query: &[],
        responses: &[(303, "Back to /portal.")],
    },
    Operation {
        path: "/extension",
        methods: ALL,
        tag: "scenario",
        summary: "Needs a mandatory extension declaration (RFC 2774).",
        query: &[],
        responses: &[(200, "Declared."), (510, "Not declared.")],
    },
    Operation {
        path: "/reset",
        methods: &["get", "head", "post"],
        tag: "scenario",
        summary: "A form; posting it gives 205.",
        query: &[],
        responses: &[(200, "The form."), (205, "Reset the form.")],
    },
    Operation {
        path: "/pay",
        methods: ALL,
        tag: "scenario",
        summary: "402 until X-Payment-Token is sent.",
        query: &[],
        responses: &[(200, "Paid."), (402, "Payment required.")],
    },
    Operation {
        path: "/fault/{kind}",
        methods: ALL,
        tag: "fault",
        summary:
            "A broken answer on purpose: reset, close, garbage, truncate, slow-body, bad-chunk.",
        query: &[("interval", "For slow-body: milliseconds between pieces.")],
        responses: &[
            (200, "slow-body and the broken framings."),
            (404, "An unknown kind."),
        ],
    },
    Operation {
        path: "/flaky/{key}",
        methods: ALL,
        tag: "state",
        summary: "The n-th request for key gets the n-th of codes (the last repeats); DELETE starts over.",
        query: &[("codes", "Comma-separated status codes (default 503,503,200).")],
        responses: &[
            (200, "The code of this attempt (any from 100 to 599)."),
            (204, "DELETE: the sequence starts over."),
            (503, "The state store is down."),
            (507, "The state store is full."),
        ],
    },
    Operation {
        path: "/limit/{key}",
        methods: ALL,
        tag: "state",
        summary: "A token bucket per key: 429 with Retry-After and RateLimit fields when over budget.",
        query: &[("rate", "N/s, N/m or N/h (default 10/s).")],
        responses: &[(200, "Within budget."), (429, "Over budget."), (503, "The state store is down.")],
    },
    Operation {
        path: "/items",
        methods: &["post"],
        tag: "state",
        summary: "Creates a JSON item: 201 with Location and ETag.",
        query: &[],
        responses: &[
            (201, "Created."),
            (400, "Not JSON."),
            (409, "The id exists."),
            (415, "Not application/json."),
            (422, "The item breaks its schema."),
        ],
    },
    Operation {
        path: "/items/{id}",
        methods: &["get", "head", "put", "patch", "delete"],
        tag: "state",
        summary: "One item: GET, PUT and PATCH with If-Match, DELETE; LOCK and UNLOCK too.",
        query: &[],
        responses: &[
            (200, "The item."),
            (201, "Created by PUT with If-None-Match: *."),
            (204, "Deleted."),
            (304, "Not modified."),
            (404, "No such item."),
            (410, "Deleted."),
            (412, "A stale If-Match."),
            (415, "Not JSON."),
            (422, "The item breaks its schema."),
            (423, "Locked."),
            (428, "If-Match is required."),
        ],
    },
    Operation {
        path: "/jobs",
        methods: &["post"],
        tag: "state",
        summary: "Starts a job of ?seconds=S: 202 with the Location of its monitor.",
        query: &[("seconds", "How long the job runs (default 2).")],
        responses: &[(202, "Accepted."), (400, "A bad option.")],
    },
    Operation {
        path: "/jobs/{id}",
        methods: GET,
        tag: "state",
        summary: "A job's monitor: 200 with progress while it runs, 303 to the result when done.",
        query: &[],
        responses: &[(200, "Running."), (303, "Done: see the result."), (404, "No such job.")],
    },
    Operation {
        path: "/jobs/{id}/result",
        methods: GET,
        tag: "state",
        summary: "A finished job's result.",
        query: &[],
        responses: &[(200, "The result."), (404, "No such job, or not done yet.")],
    },
    Operation {
        path: "/dav/{ns}/{path}",
        methods: &["get", "head", "put", "delete", "options"],
        tag: "state",
        summary: "WebDAV in namespace ns: also PROPFIND (207, 208, 508), PROPPATCH (207 with 424), MKCOL, LOCK, UNLOCK (OpenAPI cannot list those methods).",
        query: &[],
        responses: &[
            (200, "The file, or a collection's members."),
            (201, "Created."),
            (204, "Replaced or deleted."),
            (404, "Nothing there."),
            (409, "No parent collection."),
            (423, "Locked."),
            (507, "Over the namespace's quota."),
        ],
    },
    Operation {
        path: "/delta",
        methods: GET,
        tag: "negotiate",
        summary: "Delta encoding (RFC 3229): 226 with a diffe delta for a client holding an older version.",
        query: &[],
        responses: &[(200, "The whole resource."), (226, "The delta from the version in If-None-Match."), (304, "Current already.")],
    },
    Operation {
        path: "/ws",
        methods: GET,
        tag: "forced",
        summary: "A WebSocket echo: 101 for a valid WebSocket handshake, 426 without an upgrade offer.",
        query: &[],
        responses: &[(101, "Switching to WebSocket."), (426, "Upgrade required.")],
    },
    Operation {
        path: "/status/{codes}",
        methods: ALL,
        tag: "forced",
        summary: "Forced status: one code, a list, weights or a range.",
        query: FORCED_QUERY,
        responses: &[
            (200, "The chosen code (any from 100 to 599)."),
            (400, "A bad option."),
        ],
    },
    Operation {
        path: "/random/{codes}",
        methods: ALL,
        tag: "forced",
        summary: "Like /status/{codes}.",
        query: FORCED_QUERY,
        responses: &[
            (200, "The chosen code (any from 100 to 599)."),
            (400, "A bad option."),
        ],
    },
    Operation {
        path: "/{code}",
        methods: ALL,
        tag: "forced",
        summary: "Forced status: the code with what it must carry on the wire.",
        query: FORCED_QUERY,
        responses: &[
            (200, "The code asked for (any from 100 to 599)."),
            (400, "A bad option."),
        ],
    },
    Operation {
        path: "/static/teapot.css",
        methods: GET,
        tag: "page",
        summary: "The stylesheet.",
        query: &[],
        responses: &[(200, "CSS.")],
    },
];

fn path_params(path: &str) -> Vec<String> {
    path.split('/')
        .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(str::to_string)
        .collect()
}

/// The document.
pub fn document() -> Value {
    let mut paths = Map::new();
    for op in OPERATIONS {
        let mut item = Map::new();
        let params: Vec<Value> = path_params(op.path)
            .into_iter()
            .map(|name| {
                let schema = match name.as_str() {
                    "code" => json!({ "type": "string", "pattern": "^[1-5][0-9][0-9]$" }),
                    "n" | "seconds" => json!({ "type": "string", "pattern": "^[0-9]{1,6}$" }),
                    _ => json!({ "type": "string", "pattern": "^[A-Za-z0-9._~-]+$" }),
                };
                json!({ "name": name, "in": "path", "required": true, "schema": schema })
            })
            .chain(op.query.iter().map(|(name, description)| {
                json!({ "name": name, "in": "query", "required": false, "description": description, "schema": { "type": "string" } })
            }))
            .collect();
        for method in op.methods {
            let mut responses = Map::new();
            for (code, description) in op.responses {
                responses.insert(code.to_string(), json!({ "description": description }));
            }
            responses.insert(
                "default".into(),
                json!({ "description": "Any other status this endpoint may answer; errors are RFC 9457 problem details." }),
            );
            let id = format!(
                "{method}{}",
                op.path.replace(['/', '{', '}', '.', '-'], "_")
            );
            item.insert(
                (*method).to_string(),
                json!({
                    "operationId": id,
                    "tags": [op.tag],
                    "summary": op.summary,
                    "parameters": params,
                    "responses": responses,
                }),
            );
        }
        paths.insert(op.path.to_string(), Value::Object(item));
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "teapot",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Every HTTP status code, as the RFCs say it must look on the wire: forced on demand, and earned from real protocol situations.",
            "license": { "name": "MIT OR Apache-2.0", "identifier": "MIT OR Apache-2.0" },
        },
        "paths": paths,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_path_is_once_and_well_formed() {
        let mut seen = std::collections::HashSet::new();
        for op in OPERATIONS {
            assert!(seen.insert(op.path), "{} twice", op.path);
            assert!(op.path.starts_with('/'));
            assert!(!op.methods.is_empty() && !op.responses.is_empty());
        }
        let doc = document();
        assert_eq!(doc["openapi"], "3.1.0");
        assert_eq!(doc["paths"].as_object().unwrap().len(), OPERATIONS.len());
        assert_eq!(
            doc["paths"]["/redirect/{n}"]["get"]["parameters"][0]["name"],
            "n"
        );
    }
}
