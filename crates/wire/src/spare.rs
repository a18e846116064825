//! Lists kept per thread for reuse: a thread parses one request head after
//! another and writes one answer after another, so the list a finished
//! request or head held serves the next one without an allocation.
//!
//! Each kind of list has one slot per thread (a `Cell<Vec<T>>` in a
//! `thread_local!`); a list with more room than its owner allows is freed
//! rather than kept, so a slot holds a bounded amount.

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
