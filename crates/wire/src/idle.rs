//! Idle keep-alive connections a busy server may close to make room.
//!
//! A connection that has waited [`EVICTABLE_AFTER`] for its next request
//! registers here (and gives back its buffers); one that is busy again
//! leaves. When the server is at its connection limit it closes the
//! connection that has been idle longest, as nginx reuses its idle
//! keep-alive connections, so that a server full of idle (or hostile)
//! connections still answers a new client. Closing an idle keep-alive
//! connection is always allowed (RFC 9112 §9.5); a client retries on a new
//! one.
//!
//! Connections that are busy never touch the registry: one only registers
//! after a second of silence, so the cost is not on the path of a request.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;

/// How long a connection waits for its next request before it counts as
/// idle (and may be closed to make room).
pub const EVICTABLE_AFTER: Duration = Duration::from_secs(1);

/// The idle connections of a server, oldest first.
#[derive(Debug, Default)]
pub struct IdleSet {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    next: u64,
    waiting: BTreeMap<u64, Arc<Notify>>,
}

impl IdleSet {
    /// An empty set.
    pub fn new() -> IdleSet {
        IdleSet::default()
    }

    /// Registers a connection that has gone idle; it stays registered until
    /// the returned guard is dropped, and is told to close through it.
    pub fn register(&self) -> Idle<'_> {
        let notify = Arc::new(Notify::new());
        let id = match self.inner.lock() {
            Ok(mut inner) => {
                let id = inner.next;
                inner.next += 1;
                inner.waiting.insert(id, notify.clone());
                Some(id)
            }
            Err(_) => None,
        };
        Idle {
            set: self,
            id,
            notify,
        }
    }

    /// Tells the connection idle longest to close. Returns whether there
    /// was one.
    pub fn evict_oldest(&self) -> bool {
        let oldest = match self.inner.lock() {
            Ok(mut inner) => inner.waiting.pop_first(),
            Err(_) => None,
        };
        match oldest {
            Some((_, notify)) => {
                notify.notify_one();
                true
            }
            None => false,
        }
    }

    /// Connections registered now.
    pub fn len(&self) -> usize {
        self.inner.lock().map_or(0, |i| i.waiting.len())
    }

    /// Whether no connection is registered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A registration in an [`IdleSet`].
#[derive(Debug)]
pub struct Idle<'a> {
    set: &'a IdleSet,
    id: Option<u64>,
    notify: Arc<Notify>,
}

impl Idle<'_> {
    /// Completes when the server asks this connection to close.
    pub async fn evicted(&self) {
        self.notify.notified().await;
    }
}

impl Drop for Idle<'_> {
    fn drop(&mut self) {
        if let (Some(id), Ok(mut inner)) = (self.id, self.set.inner.lock()) {
            inner.waiting.remove(&id);
        }
    }
}

/// Completes when the idle registration asks the connection to close.
pub(crate) async fn evicted(idle: &Option<Idle<'_>>) {
    match idle {
        Some(i) => i.evicted().await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_oldest_is_evicted_first() {
        let set = IdleSet::new();
        let a = set.register();
        let b = set.register();
        assert_eq!(set.len(), 2);
        assert!(set.evict_oldest());
        // `a` was told (notify_one stores a permit), `b` was not.
        tokio::time::timeout(Duration::from_millis(100), a.evicted())
            .await
            .expect("the oldest is told");
        assert!(tokio::time::timeout(Duration::from_millis(20), b.evicted())
            .await
            .is_err());
        drop(b);
        assert!(set.is_empty());
        assert!(!set.evict_oldest());
        drop(a);
    }
}
