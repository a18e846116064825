//! The shape of the route table: what one row says, how a path template
//! matches, and what a handler receives.
//!
//! A row ([`Route`]) is everything the server knows about one endpoint: its
//! path template, the methods it takes, its handler, the family it is
//! counted under in the metrics, its OpenAPI operation, an example request
//! and, for the endpoints that earn a code, its line on the home page. The
//! rows themselves are in [`super::rows::ROUTES`]; dispatch, `/openapi.json`,
//! the metrics `kind` label and the page's scenario list are all read from
//! them, so an endpoint exists everywhere or nowhere.
//!
//! A template is a path of segments: a literal (`cookies`), a parameter
//! (`{n}`, one segment), a status code (`{code:status}`, three digits) or,
//! last, a tail: `{path*}` is everything below, possibly nothing, as a
//! parameter; `{..}` is anything below, ignored (the same answer, left out
//! of the OpenAPI path).

use std::future::Future;
use std::pin::Pin;

use bytestring::ByteString;
use teapot_wire::{Exchange, Method};

use super::Outcome;
use crate::app::App;
use crate::problem::Problem;

/// The future a boxed handler returns.
pub type HandlerFuture<'a> = Pin<Box<dyn Future<Output = Outcome> + Send + 'a>>;

/// A handler behind a function pointer: the app, the exchange and the
/// path's parameters.
pub type BoxedHandler =
    for<'a, 'c> fn(&'a App, &'a mut Exchange<'c>, &'a Params) -> HandlerFuture<'a>;

/// How a row's requests are answered.
#[derive(Clone, Copy)]
pub enum Handler {
    /// Forced status with the row's first parameter as the code list,
    /// answered inline: the endpoint load tests hammer runs without an
    /// allocation for its future.
    Forced,
    /// Any other handler; its future lives on the heap, so that the future
    /// of each connection is only as large as the forced handler's while it
    /// waits for its next request.
    Boxed(BoxedHandler),
}

/// Builds a [`Handler::Boxed`] from a call: `run!(|app, ex, p|
/// bytes::range(app, ex, p.get("n")))`.
macro_rules! run {
    (|$app:ident, $ex:ident, $p:ident| $call:expr) => {{
        #[allow(unused_variables)]
        fn run<'a, 'c>(
            $app: &'a $crate::app::App,
            $ex: &'a mut ::teapot_wire::Exchange<'c>,
            $p: &'a $crate::routes::table::Params,
        ) -> $crate::routes::table::HandlerFuture<'a> {
            Box::pin($call)
        }
        $crate::routes::table::Handler::Boxed(run)
    }};
}
pub(crate) use run;

/// The methods a row takes.
#[derive(Clone, Copy)]
pub enum Methods {
    /// Only these (HEAD wherever GET is); any other is answered 405 with
    /// `Allow` before the handler runs.
    Only(&'static [Method]),
    /// Every method reaches the handler, which answers each (WebDAV, the
    /// WebSocket switch); the list is what the OpenAPI document shows.
    Handler(&'static [Method]),
    /// Every method, the same way.
    Any,
}

/// The methods every endpoint that takes any method documents.
pub const STANDARD: &[Method] = &[
    Method::Get,
    Method::Head,
    Method::Post,
    Method::Put,
    Method::Patch,
    Method::Delete,
    Method::Options,
];

impl Methods {
    /// The methods the OpenAPI document lists, HEAD after GET.
    pub fn documented(self) -> Vec<Method> {
        match self {
            Methods::Only(list) | Methods::Handler(list) => {
                let mut out = Vec::new();
                for m in list {
                    out.push(*m);
                    if *m == Method::Get && !list.contains(&Method::Head) {
                        out.push(Method::Head);
                    }
                }
                out
            }
            Methods::Any => STANDARD.to_vec(),
        }
    }

    /// Refuses a method the row does not take: 405 with `Allow`.
    pub fn admit(self, method: Method) -> Result<(), Problem> {
        let Methods::Only(list) = self else {
            return Ok(());
        };
        let ok = list.contains(&method) || (method == Method::Head && list.contains(&Method::Get));
        if ok {
            return Ok(());
        }
        let names: Vec<&str> = self.documented().iter().map(|m| m.as_str()).collect();
        Err(Problem::method_not_allowed(method.as_str(), &names))
    }
}

/// The family an endpoint is counted under (the `kind` label of the
/// metrics, the tag of its OpenAPI operation).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// The home page, its assets and the try-it answer.
    Page,
    /// Health, readiness, metrics and this document.
    Ops,
    /// Forced status.
    Forced,
    /// httpbin-style echoes.
    Echo,
    /// Redirects.
    Redirect,
    /// Authentication challenges.
    Auth,
    /// Byte ranges.
    Ranges,
    /// Conditional requests.
    Conditional,
    /// Uploads.
    Upload,
    /// Content negotiation and delta encoding.
    Negotiate,
    /// Work that sends interim responses.
    LongWork,
    /// A gateway to an upstream.
    Gateway,
    /// Scenario pages (portal, payment, extension, reset).
    Scenario,
    /// Transport faults.
    Fault,
    /// Endpoints with shared state.
    State,
    /// Generated data (UUIDs, base64, links, a flaky endpoint).
    Data,
    /// Sample documents (JSON, XML, HTML, robots.txt).
    Document,
    /// Answers that take their time (streams, drips, delays).
    Stream,
    /// Content codings (gzip, deflate, brotli, zstd).
    Coding,
    /// Scenarios that watch a client (`teapot grade`).
    Grade,
}

impl Kind {
    /// Every kind, in the order of this enum.
    pub const ALL: [Kind; 20] = [
        Kind::Page,
        Kind::Ops,
        Kind::Forced,
        Kind::Echo,
        Kind::Redirect,
        Kind::Auth,
        Kind::Ranges,
        Kind::Conditional,
        Kind::Upload,
        Kind::Negotiate,
        Kind::LongWork,
        Kind::Gateway,
        Kind::Scenario,
        Kind::Fault,
        Kind::State,
        Kind::Data,
        Kind::Document,
        Kind::Stream,
        Kind::Coding,
        Kind::Grade,
    ];

    /// The label.
    pub const fn as_str(self) -> &'static str {
        match self {
            Kind::Page => "page",
            Kind::Ops => "ops",
            Kind::Forced => "forced",
            Kind::Echo => "echo",
            Kind::Redirect => "redirect",
            Kind::Auth => "auth",
            Kind::Ranges => "ranges",
            Kind::Conditional => "conditional",
            Kind::Upload => "upload",
            Kind::Negotiate => "negotiate",
            Kind::LongWork => "long-work",
            Kind::Gateway => "gateway",
            Kind::Scenario => "scenario",
            Kind::Fault => "fault",
            Kind::State => "state",
            Kind::Data => "data",
            Kind::Document => "document",
            Kind::Stream => "stream",
            Kind::Coding => "coding",
            Kind::Grade => "grade",
        }
    }
}

/// A line of the home page's scenario table.
#[derive(Clone, Copy)]
pub struct Scenario {
    /// A target to follow.
    pub link: &'static str,
    /// The codes it earns.
    pub codes: &'static str,
    /// How to earn them.
    pub how: &'static str,
}

/// One endpoint.
pub struct Route {
    /// The path template (see the module's documentation).
    pub path: &'static str,
    /// The methods it takes.
    pub methods: Methods,
    /// Its handler.
    pub handler: Handler,
    /// Its family.
    pub kind: Kind,
    /// One line for the OpenAPI document.
    pub summary: &'static str,
    /// Query parameters: name and description.
    pub query: &'static [(&'static str, &'static str)],
    /// The codes it answers, with a short description each.
    pub responses: &'static [(u16, &'static str)],
    /// A target that reaches the handler and gets an answer with the
    /// first documented method.
    pub example: &'static str,
    /// Its line on the home page, if it earns codes worth showing there.
    pub scenario: Option<Scenario>,
}

/// The most parameters a template has.
const MAX_PARAMS: usize = 5;

/// The parameters of a matched path, by the names of the template.
pub struct Params {
    /// The path, shared with the request it came in (no copy).
    path: ByteString,
    template: &'static str,
    spans: Spans,
}

/// Where each parameter is in a matched path, in template order (byte
/// offsets; a path longer than `u32::MAX` matches no row).
pub type Spans = [(u32, u32); MAX_PARAMS];

impl Params {
    /// The parameter `name` of the template; a name the template does not
    /// have is a bug in the table, caught by the test that sends every
    /// row's example.
    pub fn get(&self, name: &str) -> &str {
        let index = params_of(self.template)
            .position(|p| p == name)
            .unwrap_or_else(|| panic!("{} has no parameter {name}", self.template));
        self.span(index)
    }

    /// The first parameter.
    pub fn first(&self) -> &str {
        self.span(0)
    }

    fn span(&self, index: usize) -> &str {
        let (from, to) = self.spans[index];
        &self.path[from as usize..to as usize]
    }

    /// The parameters of `template` at `spans` in `path`: the path is kept
    /// as it is given, not copied.
    pub fn new(path: ByteString, template: &'static str, spans: Spans) -> Params {
        Params {
            path,
            template,
            spans,
        }
    }
}

/// Whether a path segment can be a `{name:status}`: three digits.
fn is_status(segment: &str) -> bool {
    segment.len() == 3 && segment.bytes().all(|b| b.is_ascii_digit())
}

/// Where the segment that starts at `from` ends (the next '/' or the end).
fn segment_end(bytes: &[u8], from: usize) -> usize {
    bytes[from.min(bytes.len())..]
        .iter()
        .position(|&b| b == b'/')
        .map_or(bytes.len(), |k| from + k)
}

/// The parameter names of a template, in order.
pub fn params_of(template: &str) -> impl Iterator<Item = &str> {
    template.split('/').filter_map(|seg| {
        let name = seg.strip_prefix('{')?.strip_suffix('}')?;
        if name == ".." {
            return None;
        }
        Some(name.split(':').next().unwrap_or(name).trim_end_matches('*'))
    })
}

impl Route {
    /// The byte spans of the parameters if `path` matches the template
    /// (read into segments here; [`Index`] reads each template once).
    fn spans(&self, path: &str) -> Option<Spans> {
        spans_of(&segments(self.path).collect::<Vec<_>>(), path)
    }

    /// The OpenAPI path of the template: type and tail marks dropped.
    pub fn openapi_path(&self) -> String {
        self.path
            .trim_end_matches("/{..}")
            .split('/')
            .map(
                |seg| match seg.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                    Some(p) => format!(
                        "{{{}}}",
                        p.split(':').next().unwrap_or(p).trim_end_matches('*')
                    ),
                    None => seg.to_string(),
                },
            )
            .collect::<Vec<_>>()
            .join("/")
    }
}

/// The rows a path may match, by the first byte of its first segment: for
/// each byte, the rows whose first segment is a literal starting with it or
/// a parameter, in table order (so the first match is the one a walk of the
/// whole table finds). A lookup is one array index; a row whose literal
/// first segment differs from the path's is passed over with a comparison,
/// and the others are matched against their template read into segments
/// once, when the index is made.
pub struct Index {
    routes: &'static [Route],
    by_byte: Vec<Box<[u16]>>,
    /// Each row's template, read into segments.
    compiled: Vec<Box<[Segment]>>,
}

/// One segment of a template.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Segment {
    /// Must be this text.
    Literal(&'static str),
    /// `{name}`: any one segment.
    Param,
    /// `{name:status}`: a segment of three digits.
    Status,
    /// `{name*}`: the rest of the path, as one parameter.
    Tail,
    /// `{..}`: the rest of the path, not kept.
    Rest,
}

/// The segments of a template such as `/status/{codes}/{..}`.
fn segments(template: &'static str) -> impl Iterator<Item = Segment> {
    template[1..].split('/').map(Segment::read)
}

impl Segment {
    fn read(seg: &'static str) -> Segment {
        match seg {
            "{..}" => Segment::Rest,
            s if s.starts_with('{') && s.ends_with("*}") => Segment::Tail,
            s if s.starts_with('{') && s.ends_with(":status}") => Segment::Status,
            s if s.starts_with('{') => Segment::Param,
            s => Segment::Literal(s),
        }
    }
}

/// [`Route::spans`] over a template read into segments.
fn spans_of(segments: &[Segment], path: &str) -> Option<Spans> {
    let p = path.as_bytes();
    if p.first() != Some(&b'/') || u32::try_from(p.len()).is_err() {
        return None;
    }
    // Offsets within the path, which fits in a u32 (checked above).
    let span = |from: usize, to: usize| (from as u32, to as u32);
    let mut spans: Spans = [(0, 0); MAX_PARAMS];
    let mut count = 0;
    let mut pi = 1;
    for (k, segment) in segments.iter().enumerate() {
        let pe = segment_end(p, pi);
        match *segment {
            Segment::Rest => return Some(spans),
            Segment::Tail => {
                spans[count] = span(pi, p.len());
                return Some(spans);
            }
            Segment::Status if !is_status(&path[pi..pe]) => return None,
            Segment::Status | Segment::Param => {
                spans[count] = span(pi, pe);
                count += 1;
            }
            Segment::Literal(text) if text.as_bytes() != &p[pi..pe] => return None,
            Segment::Literal(_) => {}
        }
        match (k + 1 == segments.len(), pe == p.len()) {
            (true, true) => return Some(spans),
            (false, false) => {}
            (true, false) => return None,
            // The path ends where the template goes on: only a tail matches
            // nothing.
            (false, true) => {
                return match segments[k + 1..] {
                    [Segment::Rest] => Some(spans),
                    [Segment::Tail] => {
                        spans[count] = span(p.len(), p.len());
                        Some(spans)
                    }
                    _ => None,
                }
            }
        }
        pi = pe + 1;
    }
    None
}

impl Index {
    /// Indexes `routes`.
    pub fn new(routes: &'static [Route]) -> Index {
        let compiled: Vec<Box<[Segment]>> =
            routes.iter().map(|r| segments(r.path).collect()).collect();
        let by_byte = (0..=255u8)
            .map(|b| {
                (0..routes.len() as u16)
                    .filter(|&i| match compiled[usize::from(i)][0] {
                        Segment::Literal(l) => l.as_bytes().first().copied().unwrap_or(0) == b,
                        _ => true,
                    })
                    .collect()
            })
            .collect();
        Index {
            routes,
            by_byte,
            compiled,
        }
    }

    /// The row `path` matches first, with its parameters (the path is
    /// copied into them; see [`Index::lookup`] to share it instead).
    pub fn find(&self, path: &str) -> Option<(&'static Route, Params)> {
        self.lookup(path).map(|(r, spans)| {
            let path = ByteString::from(path);
            (r, Params::new(path, r.path, spans))
        })
    }

    /// The row `path` matches first, with where its parameters are: only
    /// the rows its first segment may match are tried.
    pub fn lookup(&self, path: &str) -> Option<(&'static Route, Spans)> {
        let rest = path.get(1..).unwrap_or("");
        let end = rest.bytes().position(|b| b == b'/').unwrap_or(rest.len());
        let first = &rest[..end];
        let b = first.as_bytes().first().copied().unwrap_or(0);
        self.by_byte[usize::from(b)].iter().find_map(|&i| {
            let segments = &self.compiled[usize::from(i)];
            // A literal first segment other than the path's, or a status
            // where the path's is not three digits: passed over with one
            // comparison.
            match segments[0] {
                Segment::Literal(l) if l != first => return None,
                Segment::Status if !is_status(first) => return None,
                _ => {}
            }
            let r = &self.routes[usize::from(i)];
            spans_of(segments, path).map(|spans| (r, spans))
        })
    }
}

/// The row `path` matches first, with its parameters.
pub fn find_in(routes: &'static [Route], path: &str) -> Option<(&'static Route, Params)> {
    routes.iter().find_map(|r| {
        r.spans(path)
            .map(|spans| (r, Params::new(ByteString::from(path), r.path, spans)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The index finds the same row as a walk of the whole table, for
    /// every example of the table and for paths no row names.
    #[test]
    fn the_index_finds_what_the_walk_finds() {
        let routes = crate::routes::ROUTES;
        let index = Index::new(routes);
        let mut paths: Vec<String> = routes
            .iter()
            .map(|r| r.example.split('?').next().unwrap_or("").to_string())
            .collect();
        paths.extend(
            [
                "/",
                "",
                "/418",
                "/999",
                "/41",
                "/nope",
                "/status/418",
                "/status/",
                "/dav/x/a/b",
                "/grade/r/s/t",
                "/anything/a/b/c",
                "//",
                "/200/extra",
            ]
            .map(String::from),
        );
        let mut found = 0;
        for path in &paths {
            let walked = find_in(routes, path).map(|(r, p)| (r.path, p.spans));
            let indexed = index.find(path).map(|(r, p)| (r.path, p.spans));
            assert_eq!(indexed, walked, "{path:?}");
            found += usize::from(walked.is_some());
        }
        assert!(found > 70, "{found}");
    }

    fn route(path: &'static str) -> Route {
        Route {
            path,
            methods: Methods::Any,
            handler: Handler::Forced,
            kind: Kind::Forced,
            summary: "",
            query: &[],
            responses: &[],
            example: "",
            scenario: None,
        }
    }

    fn params(path: &'static str, target: &str) -> Option<Vec<String>> {
        let routes: &'static [Route] = Box::leak(vec![route(path)].into_boxed_slice());
        let (r, p) = find_in(routes, target)?;
        Some(
            params_of(r.path)
                .map(|name| p.get(name).to_string())
                .collect(),
        )
    }

    #[test]
    fn literals_and_parameters() {
        assert_eq!(params("/", "/"), Some(vec![]));
        assert_eq!(params("/", "/x"), None);
        assert_eq!(params("/get", "/get"), Some(vec![]));
        assert_eq!(params("/get", "/get/"), None);
        assert_eq!(params("/get", "/ge"), None);
        assert_eq!(
            params("/cookies/set/{name}/{value}", "/cookies/set/a/b"),
            Some(vec!["a".into(), "b".into()])
        );
        assert_eq!(
            params("/cookies/set/{name}/{value}", "/cookies/set/a"),
            None
        );
        assert_eq!(params("/bytes/{n}", "/bytes/"), Some(vec!["".into()]));
    }

    #[test]
    fn a_status_is_three_digits() {
        assert_eq!(params("/{code:status}", "/418"), Some(vec!["418".into()]));
        assert_eq!(params("/{code:status}", "/4185"), None);
        assert_eq!(params("/{code:status}", "/abc"), None);
        assert_eq!(params("/{code:status}", "/418/x"), None);
    }

    #[test]
    fn a_tail_takes_the_rest_or_nothing() {
        let t = "/dav/{ns}/{path*}";
        assert_eq!(params(t, "/dav/a"), Some(vec!["a".into(), "".into()]));
        assert_eq!(params(t, "/dav/a/"), Some(vec!["a".into(), "".into()]));
        assert_eq!(
            params(t, "/dav/a/b/c.txt"),
            Some(vec!["a".into(), "b/c.txt".into()])
        );
        assert_eq!(params(t, "/dav"), None);
    }

    #[test]
    fn anything_below_is_ignored() {
        let t = "/{code:status}/{..}";
        assert_eq!(params(t, "/503"), Some(vec!["503".into()]));
        assert_eq!(params(t, "/503/v1/orders/7"), Some(vec!["503".into()]));
        assert_eq!(params(t, "/5030/v1"), None);
        assert_eq!(route(t).openapi_path(), "/{code}");
    }

    #[test]
    fn openapi_paths_drop_the_marks() {
        assert_eq!(route("/{code:status}").openapi_path(), "/{code}");
        assert_eq!(
            route("/dav/{ns}/{path*}").openapi_path(),
            "/dav/{ns}/{path}"
        );
    }

    #[test]
    fn only_refuses_with_allow() {
        let m = Methods::Only(&[Method::Get]);
        assert!(m.admit(Method::Get).is_ok());
        assert!(m.admit(Method::Head).is_ok());
        assert!(m.admit(Method::Post).is_err());
        assert!(Methods::Any.admit(Method::Propfind).is_ok());
        assert!(Methods::Handler(&[Method::Get]).admit(Method::Post).is_ok());
        let names: Vec<_> = Methods::Only(&[Method::Post, Method::Put])
            .documented()
            .iter()
            .map(|m| m.as_str())
            .collect();
        assert_eq!(names, ["POST", "PUT"]);
    }
}
