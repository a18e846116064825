//! Lists and buffers kept per thread for reuse: a thread parses one request
//! head after another and writes one answer after another, so the list a
//! finished request or head held serves the next one without an
//! allocation; and a connection that ends leaves its buffers to the next
//! one the thread starts.
//!
//! Each kind of list has one slot per thread (a `Cell<Vec<T>>` in a
//! `thread_local!`); a list with more room than its owner allows is freed
//! rather than kept, so a slot holds a bounded amount. Buffers are kept in
//! a stack per thread ([`push`], [`pop`]) of a bounded depth, and only
//! those their owner finds small enough are pushed.

use std::cell::Cell;
use std::thread::LocalKey;

/// A thread's slot for one kind of list.
pub(crate) type Slot<T> = LocalKey<Cell<Vec<T>>>;

/// The list kept in `slot`, empty, or a new one with room for `room`.
pub(crate) fn take<T>(slot: &'static Slot<T>, room: usize) -> Vec<T> {
    match slot.try_with(Cell::take) {
        Ok(list) if list.capacity() > 0 => list,
        _ => Vec::with_capacity(room),
    }
}

/// Empties `list` and keeps it in `slot` for the next [`take`], unless its
/// room is more than `most` (it is then freed with its owner). While the
/// thread ends the slot is gone, and the list is simply freed.
pub(crate) fn give_back<T>(slot: &'static Slot<T>, list: &mut Vec<T>, most: usize) {
    if list.capacity() > 0 && list.capacity() <= most {
        let mut list = std::mem::take(list);
        list.clear();
        let _ = slot.try_with(|kept| kept.set(list));
    }
}

/// A thread's stack of kept values.
pub(crate) type Stack<T> = LocalKey<Cell<Vec<T>>>;

/// The value last pushed on `stack`, if any is kept.
pub(crate) fn pop<T>(stack: &'static Stack<T>) -> Option<T> {
    stack
        .try_with(|kept| {
            let mut values = kept.take();
            let value = values.pop();
            kept.set(values);
            value
        })
        .ok()
        .flatten()
}

/// Keeps `value` on `stack` for the next [`pop`], unless `most` are kept
/// already (it is then freed).
pub(crate) fn push<T>(stack: &'static Stack<T>, value: T, most: usize) {
    let _ = stack.try_with(|kept| {
        let mut values = kept.take();
        if values.len() < most {
            values.push(value);
        }
        kept.set(values);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    thread_local! {
        static NUMBERS: Cell<Vec<u32>> = const { Cell::new(Vec::new()) };
    }

    #[test]
    fn a_stack_keeps_at_most_its_depth_and_gives_back_the_last_first() {
        for n in 0..5 {
            push(&NUMBERS, n, 3);
        }
        assert_eq!(pop(&NUMBERS), Some(2));
        assert_eq!(pop(&NUMBERS), Some(1));
        assert_eq!(pop(&NUMBERS), Some(0));
        assert_eq!(pop(&NUMBERS), None);
    }
}
