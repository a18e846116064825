//! What an HTTP/1 connection waits with between requests: one timer and
//! one shutdown waiter for the connection's whole life.
//!
//! A keep-alive connection waits for every request it serves. Making a
//! timer and a shutdown waiter for each wait, and taking them back when
//! the request comes, costs more than answering many a request (a timer
//! moves in tokio's wheel under a lock; a shutdown waiter joins and leaves
//! a list under another). So the connection keeps one of each:
//!
//! - the timer is moved only when it must fire earlier; when it fires
//!   before the deadline asked of it, it is set again for that deadline
//!   (nginx's timers are lazy in the same way);
//! - neither is polled again while it is registered with the same task and
//!   has nothing to say: the timer has not fired, the shutdown value has
//!   not changed.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use tokio::time::{Instant, Sleep};

use crate::service::{wait_shutdown, Shutdown};

/// A connection's one timer.
pub(crate) struct Alarm<'a> {
    sleep: Pin<&'a mut Sleep>,
    /// The task the timer last registered, while it stays registered.
    waker: Option<Waker>,
}

impl<'a> Alarm<'a> {
    pub(crate) fn new(sleep: Pin<&'a mut Sleep>) -> Alarm<'a> {
        Alarm { sleep, waker: None }
    }

    /// Done at `deadline` (or a moment after: the timer's resolution).
    pub(crate) fn until(&mut self, deadline: Instant) -> Until<'_, 'a> {
        Until {
            alarm: self,
            deadline,
        }
    }

    fn set(&mut self, deadline: Instant) {
        self.sleep.as_mut().reset(deadline);
        self.waker = None;
    }
}

/// The future of [`Alarm::until`].
pub(crate) struct Until<'s, 'a> {
    alarm: &'s mut Alarm<'a>,
    deadline: Instant,
}

impl Future for Until<'_, '_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        let deadline = this.deadline;
        let alarm = &mut *this.alarm;
        if alarm.sleep.deadline() > deadline {
            alarm.set(deadline);
        }
        loop {
            let registered = alarm
                .waker
                .as_ref()
                .is_some_and(|w| w.will_wake(cx.waker()));
            if registered && !alarm.sleep.is_elapsed() {
                return Poll::Pending;
            }
            match alarm.sleep.as_mut().poll(cx) {
                Poll::Pending => {
                    alarm.waker = Some(cx.waker().clone());
                    return Poll::Pending;
                }
                Poll::Ready(()) if alarm.sleep.deadline() >= deadline => return Poll::Ready(()),
                // It fired for an earlier deadline: on to this one.
                Poll::Ready(()) => alarm.set(deadline),
            }
        }
    }
}

/// A connection's one shutdown waiter: done when the server shuts down.
/// Once done, it is not awaited again (the connection closes).
pub(crate) struct Stop<'a, F> {
    wait: Pin<&'a mut F>,
    /// A receiver of its own, to see whether the value changed.
    seen: Shutdown,
    waker: Option<Waker>,
}

impl<'a, F: Future<Output = ()>> Stop<'a, F> {
    /// `wait` must be [`stop_signal`] over a clone of `shutdown`.
    pub(crate) fn new(wait: Pin<&'a mut F>, shutdown: &Shutdown) -> Stop<'a, F> {
        Stop {
            wait,
            seen: shutdown.clone(),
            waker: None,
        }
    }
}

/// Waits for the server to shut down.
pub(crate) async fn stop_signal(mut shutdown: Shutdown) {
    wait_shutdown(&mut shutdown).await;
}

impl<F: Future<Output = ()>> Future for Stop<'_, F> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        let registered = this.waker.as_ref().is_some_and(|w| w.will_wake(cx.waker()));
        // A closed channel counts as a change: the shutdown may have been
        // sent just before the sender went.
        if registered && matches!(this.seen.has_changed(), Ok(false)) {
            return Poll::Pending;
        }
        match this.wait.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(()),
            Poll::Pending => {
                this.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::pin::pin;
    use std::time::Duration;

    use futures_util::FutureExt;
    use tokio::sync::watch;

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn the_alarm_fires_at_the_deadline_asked_whichever_way_it_moves() {
        let start = Instant::now();
        let sleep = pin!(tokio::time::sleep_until(start + Duration::from_secs(1)));
        let mut alarm = Alarm::new(sleep);
        // Later than the timer stands: it fires early, and waits on.
        alarm.until(start + Duration::from_secs(5)).await;
        assert_eq!(Instant::now() - start, Duration::from_secs(5));
        // Earlier than it stands (it was left at 5 s, now past): at once.
        alarm.until(start + Duration::from_secs(3)).await;
        assert_eq!(Instant::now() - start, Duration::from_secs(5));
        // Left waiting at a far deadline, then asked for a nearer one.
        assert!(alarm
            .until(start + Duration::from_secs(60))
            .now_or_never()
            .is_none());
        alarm.until(start + Duration::from_secs(7)).await;
        assert_eq!(Instant::now() - start, Duration::from_secs(7));
    }

    #[tokio::test]
    async fn the_stop_waiter_is_done_when_shutdown_is_sent() {
        let (tx, rx) = watch::channel(false);
        let wait = pin!(stop_signal(rx.clone()));
        let mut stop = Stop::new(wait, &rx);
        assert!((&mut stop).now_or_never().is_none());
        // Polled again with nothing changed: still waiting.
        assert!((&mut stop).now_or_never().is_none());
        let waiting = tokio::spawn(async move {
            let wait = pin!(stop_signal(rx.clone()));
            Stop::new(wait, &rx).await;
        });
        tokio::task::yield_now().await;
        tx.send(true).unwrap();
        drop(tx);
        tokio::time::timeout(Duration::from_secs(5), waiting)
            .await
            .expect("the waiter wakes")
            .unwrap();
        assert_eq!((&mut stop).now_or_never(), Some(()));
    }
}
