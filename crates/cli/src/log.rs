//! Where the server's log goes: standard error, with the access log
//! written in batches.
//!
//! At the default level every exchange logs one access line. Written one
//! by one, each line is a system call on the path of its request (a fifth
//! of the server's time under a keep-alive load). So access lines are held
//! in memory and written together: when [`HOLD`] bytes have gathered,
//! [`EVERY`] after the first line held at the latest (the serve command
//! runs [`Batched::write_on_time`]), and when the server stops. A server
//! that logs nothing is not woken for its log. Every other line (start-up,
//! warnings, errors) is written at once, after the access lines held
//! before it, so the order of the log is the order of its events.

use std::io::{self, Write};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::Notify;
use tracing::{Level, Metadata};
use tracing_subscriber::fmt::MakeWriter;

/// Access lines held before they are written regardless of the beat.
pub const HOLD: usize = 32 * 1024;

/// How long an access line may wait to be written, at most.
pub const EVERY: Duration = Duration::from_millis(250);

/// The target of the access lines (`teapot_server::observe`).
const ACCESS: &str = "teapot::access";

/// A log sink whose access lines are written in batches.
pub struct Batched<W> {
    state: Mutex<State<W>>,
    /// Told when a line is held where none was.
    first_held: Notify,
}

struct State<W> {
    held: Vec<u8>,
    out: W,
}

impl<W: Write> State<W> {
    fn write_held(&mut self) {
        if !self.held.is_empty() {
            // A log that cannot be written is not a reason to stop serving.
            let _ = self.out.write_all(&self.held);
            self.held.clear();
        }
        let _ = self.out.flush();
    }
}

impl<W: Write> Batched<W> {
    /// A sink over `out`.
    pub fn new(out: W) -> Batched<W> {
        Batched {
            state: Mutex::new(State {
                held: Vec::new(),
                out,
            }),
            first_held: Notify::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State<W>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Holds an access line; writes what is held once it reaches [`HOLD`].
    fn hold(&self, line: &[u8]) {
        let mut state = self.lock();
        if state.held.is_empty() {
            // Kept if the writer is not waiting yet: it will not wait then.
            self.first_held.notify_one();
        }
        state.held.extend_from_slice(line);
        if state.held.len() >= HOLD {
            state.write_held();
        }
    }

    /// Writes a line now, after the access lines held before it.
    fn write_now(&self, line: &[u8]) {
        let mut state = self.lock();
        state.held.extend_from_slice(line);
        state.write_held();
    }

    /// Writes every access line held.
    pub fn flush(&self) {
        self.lock().write_held();
    }

    /// Writes held access lines, each at most [`EVERY`] after it was held;
    /// runs until dropped. It waits without a timer while nothing is held.
    pub async fn write_on_time(&self) {
        loop {
            self.first_held.notified().await;
            tokio::time::sleep(EVERY).await;
            self.flush();
        }
    }

    /// Bytes held, not yet written.
    #[cfg(test)]
    fn held(&self) -> usize {
        self.lock().held.len()
    }
}

/// One log line on its way to a [`Batched`] sink.
pub struct Line<'a, W> {
    to: &'a Batched<W>,
    access: bool,
}

impl<W: Write> Write for Line<'_, W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.access {
            self.to.hold(buf);
        } else {
            self.to.write_now(buf);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a, W: Write + 'a> MakeWriter<'a> for &'static Batched<W> {
    type Writer = Line<'a, W>;

    fn make_writer(&'a self) -> Line<'a, W> {
        Line {
            to: self,
            access: false,
        }
    }

    fn make_writer_for(&'a self, meta: &Metadata<'_>) -> Line<'a, W> {
        Line {
            to: self,
            access: meta.target() == ACCESS && *meta.level() == Level::INFO,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    /// A sink that keeps what is written, one entry per write, and
    /// counts its flushes.
    #[derive(Clone, Default)]
    struct Writes(
        Arc<Mutex<Vec<Vec<u8>>>>,
        Arc<std::sync::atomic::AtomicUsize>,
    );

    impl Write for Writes {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().push(buf.to_vec());
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            self.1.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            Ok(())
        }
    }

    impl Writes {
        fn text(&self) -> String {
            String::from_utf8(self.0.lock().unwrap().concat()).unwrap()
        }
        fn count(&self) -> usize {
            self.0.lock().unwrap().len()
        }
    }

    fn line<'a>(to: &'a Batched<Writes>, access: bool) -> Line<'a, Writes> {
        Line { to, access }
    }

    #[test]
    fn access_lines_wait_and_other_lines_go_at_once_in_order() {
        let out = Writes::default();
        let log = Batched::new(out.clone());
        line(&log, true).write_all(b"a1\n").unwrap();
        line(&log, true).write_all(b"a2\n").unwrap();
        assert_eq!(out.text(), "", "access lines are held");
        line(&log, false).write_all(b"warn\n").unwrap();
        assert_eq!(out.text(), "a1\na2\nwarn\n", "in the order they came");
        assert_eq!(out.count(), 1, "in one write");
        line(&log, true).write_all(b"a3\n").unwrap();
        log.flush();
        assert_eq!(out.text(), "a1\na2\nwarn\na3\n");
        assert_eq!(log.held(), 0);
    }

    /// With nothing held the writer sleeps without a timer; a line held
    /// is written `EVERY` later, not sooner, and the writer sleeps again.
    #[tokio::test(start_paused = true)]
    async fn held_lines_are_written_on_time_and_a_quiet_log_wakes_nothing() {
        let out = Writes::default();
        let log: &'static Batched<Writes> = Box::leak(Box::new(Batched::new(out.clone())));
        let writer = tokio::spawn(log.write_on_time());
        let flushes = || out.1.load(std::sync::atomic::Ordering::Relaxed);
        tokio::time::sleep(Duration::from_secs(60)).await;
        assert_eq!(flushes(), 0, "woken with nothing to write");
        line(log, true).write_all(b"a1\n").unwrap();
        tokio::time::sleep(EVERY - Duration::from_millis(1)).await;
        assert_eq!(out.text(), "", "written before its time");
        line(log, true).write_all(b"a2\n").unwrap();
        tokio::time::sleep(Duration::from_millis(2)).await;
        assert_eq!(out.text(), "a1\na2\n");
        assert_eq!(flushes(), 1);
        tokio::time::sleep(Duration::from_secs(60)).await;
        assert_eq!(flushes(), 1, "woken again with nothing to write");
        line(log, true).write_all(b"a3\n").unwrap();
        tokio::time::sleep(EVERY + Duration::from_millis(1)).await;
        assert_eq!(out.text(), "a1\na2\na3\n");
        writer.abort();
    }

    #[test]
    fn what_is_held_is_bounded() {
        let out = Writes::default();
        let log = Batched::new(out.clone());
        let access = [b'x'; 100];
        for _ in 0..10_000 {
            line(&log, true).write_all(&access).unwrap();
            assert!(log.held() < HOLD);
        }
        // A million bytes in batches of HOLD, not ten thousand writes.
        assert!(out.count() <= 1_000_000 / HOLD + 1, "{}", out.count());
        log.flush();
        assert_eq!(out.text().len(), 1_000_000);
    }

    #[test]
    fn only_info_lines_of_the_access_target_are_held() {
        static LOG: std::sync::OnceLock<Batched<Writes>> = std::sync::OnceLock::new();
        let out = Writes::default();
        let log: &'static Batched<Writes> = LOG.get_or_init(|| Batched::new(out.clone()));
        let subscriber = tracing_subscriber::fmt()
            .with_writer(log)
            .with_ansi(false)
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!(target: "teapot::access", "exchange one");
            tracing::info!(target: "teapot::access", "exchange two");
            assert_eq!(out.text(), "");
            tracing::warn!(target: "teapot::access", "an access warning");
            let text = out.text();
            let one = text.find("exchange one").unwrap();
            let two = text.find("exchange two").unwrap();
            let warning = text.find("an access warning").unwrap();
            assert!(one < two && two < warning, "{text}");
            tracing::info!("teapot listening");
            assert!(out.text().contains("teapot listening"));
        });
    }
}
