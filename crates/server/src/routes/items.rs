//! `/items` and `/items/{id}`: a JSON resource in the state store whose
//! codes are earned. POST creates (201 + `Location` + `ETag`; 409 when the
//! id exists); GET reads (200, 304, 404, 410 after DELETE); PUT and PATCH
//! need `If-Match` (428 without, 412 when stale); the wrong media type is
//! 415, broken JSON 400, JSON that breaks the item schema 422 with the
//! failing fields; DELETE is 204; LOCK makes writes without the lock token
//! answer 423.
//!
//! Checks come in the order RFC 9110 §13.2.1 implies: what the request line
//! and header fields alone decide (404/410, 415, 423), then preconditions
//! (428, 412), then the content (400, 422).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{json, Map, Value};
use teapot_wire::{Exchange, Head, Method, Status};

use super::stateful::store_problem;
use super::{check_name, lock_token, reply_json, sent, status, Outcome};
use crate::app::App;
use crate::conditional::{evaluate, Decision, Validators};
use crate::problem::Problem;

/// The largest item body: items are small, and the memory store may hold
/// 10 000 of them.
const MAX_ITEM: usize = 8 * 1024;
/// How long a lock lasts.
const LOCK_TIME: Duration = Duration::from_secs(60);

/// What the store holds for an id.
#[derive(Clone, Debug)]
enum Stored {
    Absent,
    Gone(u64),
    Live {
        version: u64,
        item: Map<String, Value>,
        lock: Option<(String, u64)>,
    },
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

async fn load(app: &App, id: &str) -> Result<Stored, Problem> {
    let Some((version, body)) = app
        .state
        .record(&format!("item:{id}"))
        .await
        .map_err(|e| store_problem(app, e))?
    else {
        return Ok(Stored::Absent);
    };
    let doc: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    if doc["state"] == "gone" {
        return Ok(Stored::Gone(version));
    }
    let item = doc["item"].as_object().cloned().unwrap_or_default();
    let lock = match (doc["lock"].as_str(), doc["lock_until"].as_u64()) {
        (Some(t), Some(until)) if until > now_ms() => Some((t.to_string(), until)),
        _ => None,
    };
    Ok(Stored::Live {
        version,
        item,
        lock,
    })
}

async fn store(
    app: &App,
    id: &str,
    expect: Option<u64>,
    version: u64,
    doc: &Value,
) -> Result<bool, Problem> {
    app.state
        .replace(&format!("item:{id}"), expect, version, &doc.to_string())
        .await
        .map_err(|e| store_problem(app, e))
}

fn etag(id: &str, version: u64) -> String {
    format!("\"{id}-v{version}\"")
}

/// The media type must be JSON (merge-patch too, for PATCH).
fn check_media(ex: &Exchange<'_>, patch: bool) -> Result<(), Problem> {
    let ctype = super::media_type(ex);
    let ok = matches!(ctype.as_deref(), Some("application/json"))
        || (patch && ctype.as_deref() == Some("application/merge-patch+json"));
    if ok {
        return Ok(());
    }
    let accepted = if patch {
        "application/json, application/merge-patch+json"
    } else {
        "application/json"
    };
    let field = if patch { "Accept-Patch" } else { "Accept-Post" };
    Err(Problem::new(
        415,
        format!("Items are JSON: send Content-Type {accepted}."),
    )
    .header(field, accepted))
}

/// Reads and parses the JSON content: 400 when it is not JSON.
async fn read_json(ex: &mut Exchange<'_>) -> Result<Option<Value>, Problem> {
    let Ok(body) = ex.read_body(MAX_ITEM).await else {
        return Ok(None); // the engine answers a broken or oversized body
    };
    serde_json::from_slice(&body).map(Some).map_err(|e| {
        Problem::bad_request(format!("The content is not valid JSON: {e}.")).kind("bad-json")
    })
}

/// The item schema: an object with `name` (a string of 1 to 100
/// characters), and optionally `quantity` (a whole number of 0 or more),
/// `tags` (strings) and `id` (the id in the path).
fn validate(doc: &Value, id: Option<&str>) -> Result<Map<String, Value>, Problem> {
    let Value::Object(map) = doc else {
        return Err(unprocessable(vec![(
            "(root)".into(),
            "must be a JSON object".into(),
        )]));
    };
    let mut errors: Vec<(String, String)> = Vec::new();
    match map.get("name") {
        Some(Value::String(s)) if !s.is_empty() && s.chars().count() <= 100 => {}
        Some(_) => errors.push((
            "name".into(),
            "must be a string of 1 to 100 characters".into(),
        )),
        None => errors.push(("name".into(), "is required".into())),
    }
    if let Some(q) = map.get("quantity") {
        if !q.as_u64().is_some_and(|_| q.is_u64()) {
            errors.push((
                "quantity".into(),
                "must be a whole number of 0 or more".into(),
            ));
        }
    }
    if let Some(t) = map.get("tags") {
        if !t.as_array().is_some_and(|a| a.iter().all(Value::is_string)) {
            errors.push(("tags".into(), "must be an array of strings".into()));
        }
    }
    if let (Some(given), Some(id)) = (map.get("id"), id) {
        if given.as_str() != Some(id) {
            errors.push(("id".into(), format!("must be {id:?}, the id in the path")));
        }
    }
    for key in map.keys() {
        if !["id", "name", "quantity", "tags"].contains(&key.as_str()) {
            errors.push((key.clone(), "is not a field of an item".into()));
        }
    }
    if errors.is_empty() {
        Ok(map.clone())
    } else {
        Err(unprocessable(errors))
    }
}

fn unprocessable(errors: Vec<(String, String)>) -> Problem {
    let list: Vec<Value> = errors
        .iter()
        .map(|(f, p)| json!({ "field": f, "problem": p }))
        .collect();
    let detail = errors
        .iter()
        .map(|(f, p)| format!("{f} {p}"))
        .collect::<Vec<_>>()
        .join("; ");
    Problem::new(422, format!("The item breaks its schema: {detail}."))
        .kind("invalid-item")
        .with("errors", Value::Array(list))
}

async fn answer_item(
    ex: &mut Exchange<'_>,
    code: u16,
    id: &str,
    version: u64,
    item: &Map<String, Value>,
) -> Outcome {
    let mut head = Head::new(status(code)).header("ETag", etag(id, version));
    if code == 201 {
        head = head.header("Location", format!("/items/{id}"));
    }
    reply_json(ex, head, &Value::Object(item.clone())).await
}

fn live_doc(item: &Map<String, Value>, lock: Option<&(String, u64)>) -> Value {
    json!({
        "state": "live",
        "item": item,
        "lock": lock.map(|(t, _)| t.clone()),
        "lock_until": lock.map(|(_, u)| *u),
    })
}

/// `POST /items`.
pub async fn create(app: &App, ex: &mut Exchange<'_>) -> Outcome {
    check_media(ex, false)?;
    let Some(doc) = read_json(ex).await? else {
        return Ok(());
    };
    let requested = doc.get("id").and_then(Value::as_str).map(str::to_string);
    let id = match requested {
        Some(id) => {
            check_name("id", &id)?;
            id
        }
        None => (0..12)
            .map(|_| fastrand::alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase(),
    };
    let mut item = validate(&doc, Some(&id))?;
    item.insert("id".into(), Value::String(id.clone()));
    let expect = match load(app, &id).await? {
        Stored::Live { .. } => {
            return Err(Problem::new(
                409,
                format!(
                    "An item with id {id:?} exists; PUT to /items/{id} with If-Match to change it."
                ),
            )
            .header("Location", format!("/items/{id}")));
        }
        Stored::Gone(v) => Some(v),
        Stored::Absent => None,
    };
    let version = expect.unwrap_or(0) + 1;
    if !store(app, &id, expect, version, &live_doc(&item, None)).await? {
        return Err(Problem::new(
            409,
            format!("Another request created {id:?} at the same moment."),
        ));
    }
    answer_item(ex, 201, &id, version, &item).await
}

/// Whether the request carries the lock token (`If: (<token>)` or
/// `Lock-Token: <token>`).
fn holds_lock(ex: &Exchange<'_>, token: &str) -> bool {
    ["if", "lock-token"].iter().any(|h| {
        ex.request()
            .header_str(h)
            .is_some_and(|v| v.contains(token))
    })
}

/// `/items/{id}` for every method.
pub async fn item(app: &App, ex: &mut Exchange<'_>, id: &str) -> Outcome {
    check_name("id", id)?;
    let method = ex.request().method();
    let stored = load(app, id).await?;
    // Creating with PUT: only when the client says it expects nothing there.
    let create_with_put = method == Method::Put
        && ex.request().header_str("if-none-match").map(str::trim) == Some("*");
    let (version, current, lock) = match stored {
        Stored::Live {
            version,
            item,
            lock,
        } => (version, item, lock),
        Stored::Gone(v) if create_with_put => return put_new(app, ex, id, Some(v)).await,
        Stored::Absent if create_with_put => return put_new(app, ex, id, None).await,
        Stored::Gone(_) => return Err(Problem::new(410, format!("The item {id:?} was deleted."))),
        Stored::Absent => {
            return Err(Problem::new(
                404,
                format!("There is no item {id:?}; POST /items to create one."),
            ))
        }
    };
    let v = Validators {
        etag: etag(id, version),
        last_modified: None,
    };
    match method {
        Method::Get | Method::Head => match evaluate(ex.request(), &v) {
            Decision::NotModified => sent(
                ex.respond(Head::new(Status::NOT_MODIFIED).header("ETag", v.etag), "")
                    .await,
            ),
            Decision::Failed => {
                Err(Problem::new(412, "A precondition does not hold.").header("ETag", v.etag))
            }
            Decision::Proceed => answer_item(ex, 200, id, version, &current).await,
        },
        Method::Lock => {
            if let Some((t, _)) = &lock {
                if !holds_lock(ex, t) {
                    return Err(locked(id));
                }
            }
            let token = lock_token();
            let until = now_ms() + LOCK_TIME.as_millis() as u64;
            if !store(
                app,
                id,
                Some(version),
                version,
                &live_doc(&current, Some(&(token.clone(), until))),
            )
            .await?
            {
                return Err(Problem::new(
                    409,
                    "The item changed while it was being locked; try again.",
                ));
            }
            let head = Head::new(Status::OK)
                .header("Lock-Token", format!("<{token}>"))
                .header("Timeout", format!("Second-{}", LOCK_TIME.as_secs()));
            reply_json(
                ex,
                head,
                &json!({ "locked": true, "token": token, "timeout_seconds": LOCK_TIME.as_secs() }),
            )
            .await
        }
        Method::Unlock => {
            let Some((t, _)) = &lock else {
                return Err(Problem::new(409, "The item is not locked."));
            };
            if !ex
                .request()
                .header_str("lock-token")
                .is_some_and(|v| v.contains(t.as_str()))
            {
                return Err(Problem::new(
                    409,
                    "Lock-Token does not name the lock on this item.",
                ));
            }
            if !store(app, id, Some(version), version, &live_doc(&current, None)).await? {
                return Err(Problem::new(
                    409,
                    "The item changed while it was being unlocked; try again.",
                ));
            }
            sent(ex.respond(Head::new(Status::NO_CONTENT), "").await)
        }
        _ => write(app, ex, id, version, current, lock, &v).await,
    }
}

fn locked(id: &str) -> Problem {
    Problem::new(
        423,
        format!("The item {id:?} is locked; send its lock token in If: (<token>)."),
    )
    .kind("locked")
    .with("condition", json!("lock-token-submitted"))
}

/// PUT, PATCH and DELETE on a live item.
async fn write(
    app: &App,
    ex: &mut Exchange<'_>,
    id: &str,
    version: u64,
    current: Map<String, Value>,
    lock: Option<(String, u64)>,
    v: &Validators,
) -> Outcome {
    let method = ex.request().method();
    if method != Method::Delete {
        check_media(ex, method == Method::Patch)?;
    }
    if let Some((t, _)) = &lock {
        if !holds_lock(ex, t) {
            return Err(locked(id));
        }
    }
    let has_if_match = ex.request().header("if-match").is_some();
    if !has_if_match && method != Method::Delete {
        return Err(Problem::new(
            428,
            format!("Changing an item needs If-Match with its current ETag: GET /items/{id}, then send If-Match: {}.", v.etag),
        )
        .kind("precondition-required"));
    }
    if evaluate(ex.request(), v) == Decision::Failed {
        return Err(Problem::new(
            412,
            format!("The item has changed; its ETag is now {}.", v.etag),
        )
        .header("ETag", v.etag.clone()));
    }
    if method == Method::Delete {
        let tomb = json!({ "state": "gone" });
        if !store(app, id, Some(version), version + 1, &tomb).await? {
            return Err(Problem::new(
                412,
                "The item changed while it was being deleted.",
            ));
        }
        return sent(ex.respond(Head::new(Status::NO_CONTENT), "").await);
    }
    let Some(doc) = read_json(ex).await? else {
        return Ok(());
    };
    let next = if method == Method::Patch {
        let mut merged = Value::Object(current);
        merge_patch(&mut merged, &doc);
        merged
    } else {
        doc
    };
    let mut item = validate(&next, Some(id))?;
    item.insert("id".into(), Value::String(id.to_string()));
    if !store(
        app,
        id,
        Some(version),
        version + 1,
        &live_doc(&item, lock.as_ref()),
    )
    .await?
    {
        return Err(Problem::new(
            412,
            "The item changed while it was being written; fetch it again.",
        ));
    }
    answer_item(ex, 200, id, version + 1, &item).await
}

/// PUT with `If-None-Match: *` where nothing is: creates the item (201).
async fn put_new(app: &App, ex: &mut Exchange<'_>, id: &str, expect: Option<u64>) -> Outcome {
    check_media(ex, false)?;
    let Some(doc) = read_json(ex).await? else {
        return Ok(());
    };
    let mut item = validate(&doc, Some(id))?;
    item.insert("id".into(), Value::String(id.to_string()));
    let version = expect.unwrap_or(0) + 1;
    if !store(app, id, expect, version, &live_doc(&item, None)).await? {
        return Err(Problem::new(
            412,
            format!("{id:?} was created meanwhile; If-None-Match: * no longer holds."),
        ));
    }
    answer_item(ex, 201, id, version, &item).await
}

/// RFC 7396 JSON merge patch.
fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(p) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    if let Value::Object(t) = target {
        for (k, v) in p {
            if v.is_null() {
                t.remove(k);
            } else {
                merge_patch(t.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_patch_follows_rfc_7396() {
        let mut t = json!({"a": "b", "c": {"d": "e", "f": "g"}});
        merge_patch(&mut t, &json!({"a": "z", "c": {"f": null}}));
        assert_eq!(t, json!({"a": "z", "c": {"d": "e"}}));
    }

    #[test]
    fn schema() {
        assert!(validate(&json!({"name": "pot"}), None).is_ok());
        assert!(validate(&json!({"name": "pot", "quantity": 2, "tags": ["a"]}), None).is_ok());
        let p = validate(&json!({"quantity": -1, "colour": "blue"}), None).unwrap_err();
        assert_eq!(p.status(), 422);
        assert!(p.detail().contains("name is required"));
        assert!(p.detail().contains("quantity must be a whole number"));
        assert!(p.detail().contains("colour is not a field"));
        assert!(validate(&json!([1]), None).is_err());
        assert!(validate(&json!({"name": "pot", "id": "other"}), Some("mine")).is_err());
    }
}
