//! The OpenAPI 3.1 document of every endpoint, served at `/openapi.json`,
//! written from the route table: one operation per row and method.

use serde_json::{json, Map, Value};

use crate::routes::table::params_of;
use crate::routes::ROUTES;

/// The methods OpenAPI can describe; others a row takes (LOCK, UNLOCK) are
/// left out of the document.
const OPENAPI_METHODS: &[&str] = &[
    "get", "head", "post", "put", "patch", "delete", "options", "trace",
];

/// The document.
pub fn document() -> Value {
    let mut paths = Map::new();
    for op in ROUTES {
        let mut item = Map::new();
        let path = op.openapi_path();
        let params: Vec<Value> = params_of(op.path)
            .map(|name| {
                let schema = match name {
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
        let methods = op.methods.documented();
        let methods = methods
            .iter()
            .map(|m| m.as_str().to_ascii_lowercase())
            .filter(|m| OPENAPI_METHODS.contains(&m.as_str()));
        for method in methods {
            let mut responses = Map::new();
            for (code, description) in op.responses {
                responses.insert(code.to_string(), json!({ "description": description }));
            }
            responses.insert(
                "default".into(),
                json!({ "description": "Any other status this endpoint may answer; errors are RFC 9457 problem details." }),
            );
            let id = format!("{method}{}", path.replace(['/', '{', '}', '.', '-'], "_"));
            item.insert(
                method,
                json!({
                    "operationId": id,
                    "tags": [op.kind.as_str()],
                    "summary": op.summary,
                    "parameters": params,
                    "responses": responses,
                }),
            );
        }
        paths.insert(path, Value::Object(item));
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
    fn every_row_is_one_path() {
        let doc = document();
        assert_eq!(doc["openapi"], "3.1.0");
        assert_eq!(doc["paths"].as_object().unwrap().len(), ROUTES.len());
        assert_eq!(
            doc["paths"]["/redirect/{n}"]["get"]["parameters"][0]["name"],
            "n"
        );
        let item = doc["paths"]["/items/{id}"].as_object().unwrap();
        let mut methods: Vec<&str> = item.keys().map(String::as_str).collect();
        methods.sort_unstable();
        assert_eq!(methods, ["delete", "get", "head", "patch", "put"]);
    }
}
