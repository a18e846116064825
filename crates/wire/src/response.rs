//! Response heads as handlers build them. Every field is checked when it is
//! added, so nothing a client sent can be written as a header it injected.

use std::borrow::Cow;
use std::cell::{Cell, RefCell};
#[cfg(not(any(target_os = "linux", target_os = "android")))]
use std::time::SystemTime;
use std::time::{Duration, UNIX_EPOCH};

use bytes::Bytes;
use teapot_codes::Status;

use crate::error::InvalidField;
use crate::message::TCHAR;
use crate::spare;

/// A status, an optional reason phrase, and header fields.
///
/// `Content-Length`, `Transfer-Encoding` and `Date` are the engine's to
/// write; a handler that adds them has them replaced by the right values.
#[derive(Clone, Debug)]
pub struct Head {
    pub(crate) status: Status,
    pub(crate) reason: Option<Cow<'static, str>>,
    pub(crate) fields: Vec<(Cow<'static, str>, Bytes)>,
    /// The first field that failed validation; a head holding one is never
    /// written.
    pub(crate) invalid: Option<InvalidField>,
}

impl Head {
    /// A head with the registry's reason phrase for `status`.
    pub fn new(status: Status) -> Head {
        Head {
            status,
            reason: None,
            // Room for the few fields most answers carry.
            fields: spare::take(&SPARE_FIELDS, 6),
            invalid: None,
        }
    }

    /// The status.
    pub fn status(&self) -> Status {
        self.status
    }

    /// The reason phrase that will be written.
    pub fn reason_phrase(&self) -> &str {
        self.reason.as_deref().unwrap_or(self.status.reason())
    }

    /// Replaces the reason phrase. It must be `*( HTAB / SP / VCHAR /
    /// obs-text )` (RFC 9112 §4); an invalid phrase makes the head
    /// unwritable.
    pub fn reason(mut self, reason: impl Into<Cow<'static, str>>) -> Head {
        let reason = reason.into();
        if reason
            .bytes()
            .all(|b| b == b'\t' || b == b' ' || (0x21..0x7f).contains(&b) || b >= 0x80)
        {
            self.reason = Some(reason);
        } else if self.invalid.is_none() {
            self.invalid = Some(InvalidField {
                name: "reason-phrase".into(),
            });
        }
        self
    }

    /// Adds a field. An invalid name or value is not added, and the head
    /// becomes unwritable; use [`Head::try_header`] to handle it instead.
    pub fn header(mut self, name: impl Into<Cow<'static, str>>, value: impl Into<Bytes>) -> Head {
        self.add(name, value);
        self
    }

    /// Adds a field in place, with the same rule as [`Head::header`].
    pub fn add(&mut self, name: impl Into<Cow<'static, str>>, value: impl Into<Bytes>) {
        if let Err(e) = self.push(name.into(), value.into()) {
            self.invalid.get_or_insert(e);
        }
    }

    /// Adds a field checked when the program was built (see
    /// [`StaticField`]): no check per answer.
    pub fn add_static(&mut self, field: StaticField) {
        self.fields.push((
            Cow::Borrowed(field.name),
            Bytes::from_static(field.value.as_bytes()),
        ));
    }

    /// Adds a field, or says why it cannot be.
    pub fn try_header(
        &mut self,
        name: impl Into<Cow<'static, str>>,
        value: impl Into<Bytes>,
    ) -> Result<&mut Head, InvalidField> {
        self.push(name.into(), value.into())?;
        Ok(self)
    }

    /// Removes every field with this name.
    pub fn remove(&mut self, name: &str) {
        self.fields.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
    }

    /// The first value of a field, if present.
    pub fn get(&self, name: &str) -> Option<&[u8]> {
        self.fields
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| &v[..])
    }

    /// The fields, in order.
    pub fn fields(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.fields.iter().map(|(n, v)| (n.as_ref(), &v[..]))
    }

    fn push(&mut self, name: Cow<'static, str>, value: Bytes) -> Result<(), InvalidField> {
        if !is_field_name(&name) || !is_field_value(&value) {
            return Err(InvalidField {
                name: name.into_owned(),
            });
        }
        self.fields.push((name, value));
        Ok(())
    }
}

thread_local! {
    /// The field list kept for the next head made on the thread (see
    /// `spare`); one with room for more than `SPARE_CAP` fields is freed.
    static SPARE_FIELDS: Cell<Vec<(Cow<'static, str>, Bytes)>> = const { Cell::new(Vec::new()) };
}

/// The most fields a kept list may have room for.
const SPARE_CAP: usize = 16;

impl Drop for Head {
    fn drop(&mut self) {
        spare::give_back(&SPARE_FIELDS, &mut self.fields, SPARE_CAP);
    }
}

/// A header field whose name and value are known when the program is
/// built. Made in a `const`, its check runs in the compiler (an invalid
/// field fails the build), so [`Head::add_static`] adds it without one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StaticField {
    name: &'static str,
    value: &'static str,
}

impl StaticField {
    /// The field `name: value`; panics (at build time in a `const`) when
    /// either is invalid, by the rules of [`is_field_name`] and
    /// [`is_field_value`].
    pub const fn new(name: &'static str, value: &'static str) -> StaticField {
        assert!(is_field_name(name), "not a field name");
        assert!(is_field_value(value.as_bytes()), "not a field value");
        StaticField { name, value }
    }
}

/// A field name: one or more `tchar`. A `const fn`, so that
/// [`StaticField`]s are checked by the compiler with the same rule.
pub const fn is_field_name(name: &str) -> bool {
    // Every byte is looked at (no early exit), which lets the loop run a
    // word at a time; names and values are short.
    let name = name.as_bytes();
    let mut ok = !name.is_empty();
    let mut i = 0;
    while i < name.len() {
        ok &= TCHAR[name[i] as usize];
        i += 1;
    }
    ok
}

/// A field value: no CR, LF, NUL or other control character but HTAB, and
/// no leading or trailing whitespace (RFC 9110 §5.5).
pub const fn is_field_value(value: &[u8]) -> bool {
    let mut ok = true;
    let mut i = 0;
    while i < value.len() {
        let b = value[i];
        ok &= (b == b'\t') | (b >= 0x20 && b < 0x7f) | (b >= 0x80);
        i += 1;
    }
    ok && match value {
        [] => true,
        [first, .., last] | [first @ last] => {
            !matches!(*first, b' ' | b'\t') && !matches!(*last, b' ' | b'\t')
        }
    }
}

/// Fields a service adds to every final response, whichever handler
/// writes it: a fixed set (checked when teapot is built) and values made
/// per request.
/// The wire writes them after the head's own fields, skipping a field the
/// head carries itself (but `Vary`, a list, is written beside the head's).
#[derive(Clone, Debug, Default)]
pub(crate) struct AnswerFields {
    fixed: &'static [StaticField],
    more: Vec<(&'static str, Bytes)>,
}

impl AnswerFields {
    /// No fields.
    pub(crate) const NONE: AnswerFields = AnswerFields {
        fixed: &[],
        more: Vec::new(),
    };

    /// Adds a fixed set: kept by reference when it is the first, copied
    /// as references to static text otherwise.
    pub(crate) fn add_fixed(&mut self, fields: &'static [StaticField]) {
        if self.fixed.is_empty() {
            self.fixed = fields;
        } else {
            self.more.extend(
                fields
                    .iter()
                    .map(|f| (f.name, Bytes::from_static(f.value.as_bytes()))),
            );
        }
    }

    /// Adds one field made for this request.
    pub(crate) fn add(&mut self, name: &'static str, value: Bytes) {
        self.more.push((name, value));
    }

    /// Calls `f` with each field to write with `head`, in order.
    pub(crate) fn each_for(&self, head: &Head, mut f: impl FnMut(&str, &[u8])) {
        let wanted = |name: &str| {
            name.eq_ignore_ascii_case("vary")
                || !head
                    .fields
                    .iter()
                    .any(|(n, _)| n.len() == name.len() && n.eq_ignore_ascii_case(name))
        };
        for field in self.fixed {
            if wanted(field.name) {
                f(field.name, field.value.as_bytes());
            }
        }
        for (name, value) in &self.more {
            if wanted(name) {
                f(name, value);
            }
        }
    }
}

/// How a final response's content is delimited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Framing {
    /// No content and no length fields (1xx, 204, 304).
    None,
    /// `Content-Length: n`.
    Length(u64),
    /// `Transfer-Encoding: chunked`.
    Chunked,
    /// Content until the connection closes (HTTP/1.0 streaming).
    Close,
}

/// The fields the engine writes itself; a handler's copies are skipped.
pub(crate) fn engine_owned(name: &str) -> bool {
    name.eq_ignore_ascii_case("content-length")
        || name.eq_ignore_ascii_case("transfer-encoding")
        || name.eq_ignore_ascii_case("date")
        || name.eq_ignore_ascii_case("connection")
}

thread_local! {
    /// The second the date line was made for, and the line:
    /// `Date: <IMF-fixdate>\r\n`.
    static DATE: RefCell<(u64, [u8; DATE_LINE])> = const { RefCell::new((0, [0; DATE_LINE])) };
}

/// `Date: ` + the 29 bytes of an IMF-fixdate + CRLF.
const DATE_LINE: usize = 6 + 29 + 2;

/// Whole seconds since the Unix epoch, the clock every `Date` is read from.
///
/// On Linux this is the kernel's coarse real-time clock: the `Date` field
/// has a grain of one second, and the coarse clock is read from memory,
/// where the exact one reads the time-stamp counter (under a hypervisor a
/// few tens of nanoseconds, a percent or two of a keep-alive request's
/// user time). It lags the exact clock by at most a scheduler tick, so
/// a time that must not be later than a `Date` (the server's start, the
/// `Last-Modified` of its fixed resources) is read from it too.
pub fn wall_seconds() -> u64 {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        let now = rustix::time::clock_gettime(rustix::time::ClockId::RealtimeCoarse);
        u64::try_from(now.tv_sec).unwrap_or(0)
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    }
}

/// Calls `f` with the current date as an IMF-fixdate, formatted at most once
/// a second per thread.
pub(crate) fn with_date(f: impl FnOnce(&[u8])) {
    with_date_line(|line| f(&line[6..DATE_LINE - 2]));
}

/// Calls `f` with the whole `Date` field line of now, CRLF included.
pub(crate) fn with_date_line(f: impl FnOnce(&[u8])) {
    let secs = wall_seconds();
    DATE.with(|cell| {
        let mut cache = cell.borrow_mut();
        if cache.0 != secs {
            let text = httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(secs));
            let bytes = text.as_bytes();
            if bytes.len() == 29 {
                cache.1[..6].copy_from_slice(b"Date: ");
                cache.1[6..DATE_LINE - 2].copy_from_slice(bytes);
                cache.1[DATE_LINE - 2..].copy_from_slice(b"\r\n");
                cache.0 = secs;
            }
        }
        f(&cache.1);
    });
}

/// The HTTP/1.1 status line of `status` with its registry reason phrase,
/// CRLF included: made once for every code.
pub(crate) fn status_line(status: Status) -> &'static [u8] {
    static LINES: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    let lines = LINES.get_or_init(|| {
        (100..=599)
            .map(|c| {
                Status::from_u16(c).map_or_else(
                    |_| String::new(),
                    |s| format!("HTTP/1.1 {c} {}\r\n", s.reason()),
                )
            })
            .collect()
    });
    lines[usize::from(status.as_u16() - 100)].as_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::is_tchar;

    /// The field list of a head gone serves the next head made on the
    /// thread (the same allocation, with the room it grew to), empty.
    #[test]
    fn a_thread_reuses_the_field_list_of_the_head_before() {
        let mut first = Head::new(Status::OK);
        for i in 0..8 {
            first.add(format!("X-{i}"), "v");
        }
        let list = first.fields.as_ptr();
        let room = first.fields.capacity();
        assert!(room >= 8);
        drop(first);
        let second = Head::new(Status::OK);
        assert_eq!(second.fields.as_ptr(), list);
        assert_eq!(second.fields.capacity(), room);
        assert_eq!(second.fields().count(), 0);
    }

    /// The clock `Date` is read from is the wall clock to the second: the
    /// exact clock's second, or the one before when a second turned within
    /// the coarse clock's lag.
    #[test]
    fn the_date_clock_is_the_wall_clock_to_the_second() {
        let exact = || {
            std::time::SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap()
                .as_secs()
        };
        for _ in 0..1000 {
            let before = exact();
            let wall = wall_seconds();
            let after = exact();
            assert!(
                wall + 1 >= before && wall <= after,
                "{before} {wall} {after}"
            );
        }
    }

    #[test]
    fn status_lines_and_the_date_line_are_whole_lines() {
        for code in 100..=599 {
            let status = Status::from_u16(code).unwrap();
            let line = format!("HTTP/1.1 {code} {}\r\n", status.reason());
            assert_eq!(status_line(status), line.as_bytes());
        }
        let mut date = Vec::new();
        with_date(|d| date = d.to_vec());
        with_date_line(|line| {
            assert_eq!(&line[..6], b"Date: ");
            assert_eq!(&line[line.len() - 2..], b"\r\n");
            assert!(httpdate::parse_http_date(std::str::from_utf8(&line[6..35]).unwrap()).is_ok());
            // The same second, or the next one if it turned in between.
            assert!(line[6..35] == date[..] || line[6..30] == date[..24]);
        });
    }

    #[test]
    fn every_byte_is_judged_in_names_and_values() {
        for b in 0..=255u8 {
            let value = [b'a', b, b'a'];
            let allowed = b == b'\t' || (0x20..0x7f).contains(&b) || b >= 0x80;
            assert_eq!(is_field_value(&value), allowed, "value byte {b:#04x}");
            // Whitespace may stand inside a value, not at either end.
            let inner = allowed && !matches!(b, b' ' | b'\t');
            assert_eq!(is_field_value(&[b, b'a']), inner, "leading {b:#04x}");
            assert_eq!(is_field_value(&[b'a', b]), inner, "trailing {b:#04x}");
            let name = [b'a', b];
            if let Ok(name) = std::str::from_utf8(&name) {
                assert_eq!(is_field_name(name), is_tchar(b), "name byte {b:#04x}");
            }
        }
        assert!(!is_field_value(b" a") && !is_field_value(b"a\t") && is_field_value(b""));
        assert!(!is_field_name(""));
        // The same rules run in the compiler, for `StaticField`s.
        const { assert!(is_field_name("Vary") && !is_field_value(b"a\r\nb")) };
    }

    #[test]
    fn a_static_field_is_added_as_it_was_checked() {
        const VARY: StaticField = StaticField::new("Vary", "Accept");
        let mut head = Head::new(Status::OK);
        head.add_static(VARY);
        assert_eq!(head.get("vary"), Some(&b"Accept"[..]));
        assert!(head.invalid.is_none());
    }

    #[test]
    #[should_panic(expected = "not a field value")]
    fn a_static_field_cannot_carry_a_line_break() {
        // Made at run time here, so that the check's panic can be seen; in
        // a `const` it stops the build.
        let value = String::from("a\r\nInjected: yes").leak();
        let _ = StaticField::new("X", value);
    }

    fn status(n: u16) -> Status {
        Status::from_u16(n).unwrap()
    }

    #[test]
    fn injection_is_refused() {
        let mut h = Head::new(status(200));
        assert!(h.try_header("X-Ok", "fine").is_ok());
        assert!(h.try_header("X-Bad", "a\r\nSet-Cookie: x").is_err());
        assert!(h.try_header("X-Bad", "a\nb").is_err());
        assert!(h.try_header("X-Bad", "a\0b").is_err());
        assert!(h.try_header("Bad Name", "v").is_err());
        assert!(h.try_header("Bad:Name", "v").is_err());
        assert!(h.try_header("", "v").is_err());
        assert_eq!(h.fields().count(), 1);
        let h = Head::new(status(200)).header("X", "a\r\nb");
        assert!(h.invalid.is_some());
        let h = Head::new(status(200)).reason("bad\r\nreason");
        assert!(h.invalid.is_some());
    }

    #[test]
    fn reason_defaults_to_the_registry() {
        assert_eq!(Head::new(status(413)).reason_phrase(), "Payload Too Large");
        assert_eq!(Head::new(status(299)).reason_phrase(), "Success");
        assert_eq!(
            Head::new(status(200)).reason("Fine").reason_phrase(),
            "Fine"
        );
    }
}
