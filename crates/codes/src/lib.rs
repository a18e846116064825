//! The registry of HTTP status codes that every part of teapot reads.
//!
//! One table holds, for each code, the reason phrase teapot puts on the wire,
//! a summary and a description in teapot's own words, the document and
//! section that define it, and its *wire rules* as data: whether the response
//! may carry content, which header fields it must or should carry, what it
//! does to the connection, whether caches may store it, and what a client is
//! expected to do next. The server builds responses from these rules and the
//! checker judges other servers' responses by the same rules, so a rule that
//! is wrong is wrong in one place.
//!
//! The crate has no dependencies and does no I/O.
//!
//! # Layout
//!
//! - [`Status`]: a status code that is known to be in `100..=599`.
//! - [`Class`]: the first digit of a code (1xx … 5xx).
//! - [`Entry`] and its parts ([`Source`], [`Standing`], [`Rules`],
//!   [`HeaderRule`], [`Level`], [`Content`], [`Connection`], [`Caching`],
//!   [`Action`]): what the registry knows about one code.
//! - Lookups: [`lookup`], [`entries`], [`by_class`], [`search`].
//! - `table` (private): the one table.
//!
//! # Example
//!
//! ```
//! use teapot_codes::{lookup, Content, Level};
//!
//! let e = lookup(405).unwrap();
//! assert_eq!(e.reason, "Method Not Allowed");
//! assert_eq!(e.rules.header("allow"), Some(Level::Must));
//! assert_eq!(lookup(204).unwrap().rules.content, Content::Never);
//! ```

#![deny(missing_docs)]

mod table;

use std::fmt;
use std::str::FromStr;

pub use table::TABLE;

/// An HTTP status code in the valid range `100..=599`.
///
/// A `Status` that exists is valid; codes outside the registry are allowed
/// (RFC 9110 §15 asks clients to treat them like the `x00` of their class).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Status(u16);

impl Status {
    /// Builds a status from a number, if it lies in `100..=599`.
    pub const fn from_u16(code: u16) -> Result<Status, InvalidStatusCode> {
        if code >= 100 && code <= 599 {
            Ok(Status(code))
        } else {
            Err(InvalidStatusCode { _priv: () })
        }
    }

    /// The number.
    pub const fn as_u16(self) -> u16 {
        self.0
    }

    /// The class (first digit).
    pub const fn class(self) -> Class {
        match self.0 / 100 {
            1 => Class::Informational,
            2 => Class::Successful,
            3 => Class::Redirection,
            4 => Class::ClientError,
            _ => Class::ServerError,
        }
    }

    /// The registry's entry, if the code is registered.
    pub fn entry(self) -> Option<&'static Entry> {
        lookup(self.0)
    }

    /// The reason phrase to write on the wire: the registry's phrase, or a
    /// generic phrase for the class when the code is not registered.
    pub fn reason(self) -> &'static str {
        match self.entry() {
            Some(e) => e.reason,
            None => self.class().generic_reason(),
        }
    }

    /// Whether this is an interim (1xx) response.
    pub const fn is_interim(self) -> bool {
        self.0 < 200
    }

    /// Whether a response with this status may carry content, by the
    /// registry's rule or, for an unregistered code, by its class.
    pub fn allows_content(self) -> bool {
        match self.entry() {
            Some(e) => e.rules.content == Content::Allowed,
            None => !self.is_interim(),
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl FromStr for Status {
    type Err = InvalidStatusCode;

    /// Parses exactly three ASCII digits.
    fn from_str(s: &str) -> Result<Status, InvalidStatusCode> {
        let b = s.as_bytes();
        if b.len() != 3 || !b.iter().all(u8::is_ascii_digit) {
            return Err(InvalidStatusCode { _priv: () });
        }
        let n = u16::from(b[0] - b'0') * 100 + u16::from(b[1] - b'0') * 10 + u16::from(b[2] - b'0');
        Status::from_u16(n)
    }
}

impl TryFrom<u16> for Status {
    type Error = InvalidStatusCode;

    fn try_from(code: u16) -> Result<Status, InvalidStatusCode> {
        Status::from_u16(code)
    }
}

impl From<Status> for u16 {
    fn from(s: Status) -> u16 {
        s.0
    }
}

impl PartialEq<u16> for Status {
    fn eq(&self, other: &u16) -> bool {
        self.0 == *other
    }
}

impl PartialEq<Status> for u16 {
    fn eq(&self, other: &Status) -> bool {
        *self == other.0
    }
}

/// The error for a number or text that is not a status code in `100..=599`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidStatusCode {
    _priv: (),
}

impl fmt::Display for InvalidStatusCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("invalid status code")
    }
}

impl std::error::Error for InvalidStatusCode {}

/// The class of a status code: its first digit (RFC 9110 §15).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Class {
    /// 1xx: the request was received, the exchange goes on.
    Informational,
    /// 2xx: the request was received, understood and accepted.
    Successful,
    /// 3xx: the client must take further action to complete the request.
    Redirection,
    /// 4xx: the request is at fault.
    ClientError,
    /// 5xx: the server failed to fulfil a valid request.
    ServerError,
}

impl Class {
    /// Every class, in order.
    pub const ALL: [Class; 5] = [
        Class::Informational,
        Class::Successful,
        Class::Redirection,
        Class::ClientError,
        Class::ServerError,
    ];

    /// The first digit.
    pub const fn digit(self) -> u16 {
        match self {
            Class::Informational => 1,
            Class::Successful => 2,
            Class::Redirection => 3,
            Class::ClientError => 4,
            Class::ServerError => 5,
        }
    }

    /// The class as written in prose: `"4xx"`.
    pub const fn label(self) -> &'static str {
        match self {
            Class::Informational => "1xx",
            Class::Successful => "2xx",
            Class::Redirection => "3xx",
            Class::ClientError => "4xx",
            Class::ServerError => "5xx",
        }
    }

    /// The class's name, as RFC 9110 §15 titles it.
    pub const fn name(self) -> &'static str {
        match self {
            Class::Informational => "Informational",
            Class::Successful => "Successful",
            Class::Redirection => "Redirection",
            Class::ClientError => "Client Error",
            Class::ServerError => "Server Error",
        }
    }

    /// The reason phrase teapot writes for an unregistered code of this class.
    pub const fn generic_reason(self) -> &'static str {
        match self {
            Class::Informational => "Informational",
            Class::Successful => "Success",
            Class::Redirection => "Redirection",
            Class::ClientError => "Client Error",
            Class::ServerError => "Server Error",
        }
    }
}

impl fmt::Display for Class {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

impl FromStr for Class {
    type Err = InvalidClass;

    /// Parses `"4xx"` (any case of `x`) or a single digit `"4"`.
    fn from_str(s: &str) -> Result<Class, InvalidClass> {
        let b = s.as_bytes();
        let digit = match b {
            [d] => *d,
            [d, x1, x2] if x1.eq_ignore_ascii_case(&b'x') && x2.eq_ignore_ascii_case(&b'x') => *d,
            _ => return Err(InvalidClass { _priv: () }),
        };
        match digit {
            b'1' => Ok(Class::Informational),
            b'2' => Ok(Class::Successful),
            b'3' => Ok(Class::Redirection),
            b'4' => Ok(Class::ClientError),
            b'5' => Ok(Class::ServerError),
            _ => Err(InvalidClass { _priv: () }),
        }
    }
}

/// The error for text that is not a class such as `4xx`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidClass {
    _priv: (),
}

impl fmt::Display for InvalidClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("invalid status class (expected 1xx to 5xx)")
    }
}

impl std::error::Error for InvalidClass {}

/// What the registry knows about one status code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The number.
    pub code: u16,
    /// The reason phrase teapot writes on the wire (our user's table).
    pub reason: &'static str,
    /// The current IANA name, where it differs from [`Entry::reason`].
    pub iana_reason: Option<&'static str>,
    /// One line in teapot's words.
    pub summary: &'static str,
    /// A few sentences in teapot's words: when it is sent and what it means.
    pub description: &'static str,
    /// The document and section that define the code.
    pub source: Source,
    /// Whether the code is in current use.
    pub standing: Standing,
    /// Whether the code is in our user's table of supported codes.
    pub in_table: bool,
    /// What the code requires of a response on the wire.
    pub rules: Rules,
}

impl Entry {
    /// The class of this code.
    pub fn class(&self) -> Class {
        Status(self.code).class()
    }

    /// The code as a [`Status`].
    pub fn status(&self) -> Status {
        Status(self.code)
    }
}

/// The defining document and section of a code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Source {
    /// The RFC number.
    pub rfc: u16,
    /// The section, e.g. `"15.5.5"`.
    pub section: &'static str,
}

impl Source {
    /// A section of an RFC.
    pub const fn rfc(rfc: u16, section: &'static str) -> Source {
        Source { rfc, section }
    }

    /// A link to the section on the RFC Editor's site.
    pub fn url(&self) -> String {
        format!(
            "https://www.rfc-editor.org/rfc/rfc{}#section-{}",
            self.rfc, self.section
        )
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RFC {} §{}", self.rfc, self.section)
    }
}

/// Whether a code is in current use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Standing {
    /// Defined and in use.
    Active,
    /// Defined by an experimental RFC.
    Experimental,
    /// Defined, but its use is discouraged (305).
    Deprecated,
    /// Used once, now reserved and never to be generated (306).
    Unused,
    /// Reserved and not assignable (418).
    Reserved,
    /// Its defining document was moved to Historic (510).
    Obsoleted,
}

impl Standing {
    /// A lower-case word for output.
    pub const fn as_str(self) -> &'static str {
        match self {
            Standing::Active => "active",
            Standing::Experimental => "experimental",
            Standing::Deprecated => "deprecated",
            Standing::Unused => "unused",
            Standing::Reserved => "reserved",
            Standing::Obsoleted => "obsoleted",
        }
    }
}

/// A code's wire rules, as data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rules {
    /// Whether the response may carry content.
    pub content: Content,
    /// Header fields the response must, should or may carry.
    pub headers: &'static [HeaderRule],
    /// What the response does to an HTTP/1.1 connection.
    pub connection: Connection,
    /// Whether caches may store and reuse the response.
    pub caching: Caching,
    /// What a client is expected to do next.
    pub action: Action,
}

impl Rules {
    /// The level at which the response carries a header field (name compared
    /// case-insensitively), or `None` when the registry says nothing of it.
    pub fn header(&self, name: &str) -> Option<Level> {
        self.headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.level)
    }

    /// The header fields the response must carry.
    pub fn required_headers(&self) -> impl Iterator<Item = &'static HeaderRule> {
        self.headers.iter().filter(|h| h.level == Level::Must)
    }

    /// Whether the response ends the connection.
    pub fn closes(&self) -> bool {
        self.connection == Connection::Close
    }
}

/// One header field a response with this code carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HeaderRule {
    /// The field name, in its usual spelling.
    pub name: &'static str,
    /// How strongly the specification asks for it.
    pub level: Level,
    /// Why, or under which condition, in a few words.
    pub why: &'static str,
}

/// Requirement levels of RFC 2119.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// MUST.
    Must,
    /// SHOULD.
    Should,
    /// MAY.
    May,
}

impl Level {
    /// The RFC 2119 word.
    pub const fn as_str(self) -> &'static str {
        match self {
            Level::Must => "MUST",
            Level::Should => "SHOULD",
            Level::May => "MAY",
        }
    }
}

/// Whether a response may carry content (RFC 9110 §6.4.1, RFC 9112 §6.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Content {
    /// Content is allowed (possibly empty).
    Allowed,
    /// The response ends at the blank line after the header section: no
    /// content, no `Content-Length` or `Transfer-Encoding` that announce any
    /// (1xx, 204, 304).
    Never,
    /// The server must not generate content, but the message is still framed
    /// like any other, so it is sent as `Content-Length: 0` (205).
    Empty,
}

/// What a response does to an HTTP/1.1 connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Connection {
    /// The connection stays usable afterwards.
    Keep,
    /// The server closes the connection after the response (408).
    Close,
    /// The bytes after the response belong to another protocol (101).
    Switch,
}

/// Whether caches may store and reuse a response (RFC 9111 §3, §4.2.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Caching {
    /// Heuristically cacheable: storable with heuristic freshness.
    Heuristic,
    /// Storable only with explicit freshness information.
    Explicit,
    /// Never stored by a cache (interim responses and RFC 6585's codes).
    Never,
}

/// What a client is expected to do after receiving the code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Wait for the final response that follows this interim one.
    AwaitFinal,
    /// Speak the new protocol on this connection.
    SwitchProtocols,
    /// Nothing more: the request succeeded.
    Accept,
    /// Poll the status monitor the response points to.
    Poll,
    /// Reset the form or view that sent the request.
    ResetView,
    /// Use the cached representation, updating its metadata.
    UseCached,
    /// Pick one of the listed alternatives.
    Choose,
    /// Follow `Location`; a POST may become a GET.
    FollowMayUseGet,
    /// Follow `Location` with GET (or HEAD).
    FollowWithGet,
    /// Follow `Location` with the same method and content.
    FollowSameMethod,
    /// Do not act on the response.
    Ignore,
    /// Retry with credentials for the `WWW-Authenticate` challenge.
    Authenticate,
    /// Retry with credentials for the `Proxy-Authenticate` challenge.
    ProxyAuthenticate,
    /// Log in to the network, then retry.
    NetworkLogin,
    /// Retry later, after `Retry-After` when present.
    RetryAfter,
    /// Retry, on a new connection.
    RetryNewConnection,
    /// Fetch the current state, then retry with a fitting precondition.
    Refetch,
    /// Change the request before sending it again.
    Modify,
    /// Do not repeat the request.
    DoNotRetry,
}

impl Action {
    /// A short phrase for output.
    pub const fn as_str(self) -> &'static str {
        match self {
            Action::AwaitFinal => "keep waiting for the final response",
            Action::SwitchProtocols => "speak the announced protocol on this connection",
            Action::Accept => "nothing more to do",
            Action::Poll => "poll the status monitor the response points to",
            Action::ResetView => "reset the form or view that sent the request",
            Action::UseCached => "use the cached copy and refresh its metadata",
            Action::Choose => "pick one of the listed alternatives",
            Action::FollowMayUseGet => "follow Location (a POST may turn into a GET)",
            Action::FollowWithGet => "follow Location with GET",
            Action::FollowSameMethod => "follow Location with the same method and body",
            Action::Ignore => "do not act on it",
            Action::Authenticate => "retry with credentials (Authorization)",
            Action::ProxyAuthenticate => "retry with proxy credentials (Proxy-Authorization)",
            Action::NetworkLogin => "log in to the network, then retry",
            Action::RetryAfter => "retry later, after Retry-After if given",
            Action::RetryNewConnection => "retry on a new connection",
            Action::Refetch => "fetch the current state, then retry conditionally",
            Action::Modify => "fix the request before sending it again",
            Action::DoNotRetry => "do not repeat the request",
        }
    }

    /// A stable identifier for machine-readable output.
    pub const fn id(self) -> &'static str {
        match self {
            Action::AwaitFinal => "await-final",
            Action::SwitchProtocols => "switch-protocols",
            Action::Accept => "accept",
            Action::Poll => "poll",
            Action::ResetView => "reset-view",
            Action::UseCached => "use-cached",
            Action::Choose => "choose",
            Action::FollowMayUseGet => "follow-may-use-get",
            Action::FollowWithGet => "follow-with-get",
            Action::FollowSameMethod => "follow-same-method",
            Action::Ignore => "ignore",
            Action::Authenticate => "authenticate",
            Action::ProxyAuthenticate => "proxy-authenticate",
            Action::NetworkLogin => "network-login",
            Action::RetryAfter => "retry-after",
            Action::RetryNewConnection => "retry-new-connection",
            Action::Refetch => "refetch",
            Action::Modify => "modify",
            Action::DoNotRetry => "do-not-retry",
        }
    }
}

/// The entry for a code, if registered.
pub fn lookup(code: u16) -> Option<&'static Entry> {
    TABLE
        .binary_search_by_key(&code, |e| e.code)
        .ok()
        .map(|i| &TABLE[i])
}

/// Every entry, in ascending order of code.
pub fn entries() -> impl Iterator<Item = &'static Entry> {
    TABLE.iter()
}

/// The entries of one class, in order.
pub fn by_class(class: Class) -> impl Iterator<Item = &'static Entry> {
    TABLE.iter().filter(move |e| e.class() == class)
}

/// The entries whose reason phrase, IANA name or summary contains every
/// word of `query` (case-insensitive), in order. An empty query matches
/// nothing.
pub fn search(query: &str) -> Vec<&'static Entry> {
    let words: Vec<String> = query
        .split_whitespace()
        .map(|w| w.to_ascii_lowercase())
        .collect();
    if words.is_empty() {
        return Vec::new();
    }
    TABLE
        .iter()
        .filter(|e| {
            let hay = format!("{} {} {}", e.reason, e.iana_reason.unwrap_or(""), e.summary)
                .to_ascii_lowercase();
            words.iter().all(|w| hay.contains(w.as_str()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_parses_three_digits_only() {
        assert_eq!("404".parse::<Status>().unwrap(), 404);
        for bad in [
            "", "4", "40", "4040", "+40", " 404", "4x4", "099", "600", "abc",
        ] {
            assert!(bad.parse::<Status>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn every_code_in_range_round_trips() {
        for n in 0..=1000u16 {
            match Status::from_u16(n) {
                Ok(s) => {
                    assert!((100..=599).contains(&n));
                    assert_eq!(s.as_u16(), n);
                    assert_eq!(format!("{n:03}").parse::<Status>().unwrap(), s);
                    assert_eq!(s.class().digit(), n / 100);
                }
                Err(e) => {
                    assert!(!(100..=599).contains(&n));
                    assert_eq!(e.to_string(), "invalid status code");
                }
            }
        }
    }

    #[test]
    fn unregistered_codes_get_a_class_phrase() {
        assert_eq!(Status::from_u16(299).unwrap().reason(), "Success");
        assert_eq!(Status::from_u16(471).unwrap().reason(), "Client Error");
        assert!(!Status::from_u16(199).unwrap().allows_content());
        assert!(Status::from_u16(599).unwrap().allows_content());
    }

    #[test]
    fn class_parses() {
        assert_eq!("4xx".parse::<Class>().unwrap(), Class::ClientError);
        assert_eq!("5XX".parse::<Class>().unwrap(), Class::ServerError);
        assert_eq!("1".parse::<Class>().unwrap(), Class::Informational);
        for bad in ["", "6xx", "0xx", "4x5", "4x", "xx", "44x"] {
            assert!(bad.parse::<Class>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn search_needs_every_word() {
        let hits: Vec<u16> = search("gateway").iter().map(|e| e.code).collect();
        assert_eq!(hits, vec![502, 504]);
        let hits: Vec<u16> = search("GATEWAY time").iter().map(|e| e.code).collect();
        assert_eq!(hits, vec![504]);
        assert!(search("   ").is_empty());
        assert!(search("no-such-word-anywhere").is_empty());
    }

    #[test]
    fn source_links_to_the_section() {
        let s = lookup(418).unwrap().source;
        assert_eq!(s.to_string(), "RFC 9110 §15.5.19");
        assert_eq!(
            s.url(),
            "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.19"
        );
    }
}
