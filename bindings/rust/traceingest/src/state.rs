// SPDX-License-Identifier: MIT
//! States: `StateRef` (borrowed from the iterator until its next step) and
//! `State` (detached with ti_state_dup, owned, freed on drop).
use std::marker::PhantomData;
use std::ptr::{self, NonNull};

use traceingest_sys as sys;

use crate::error::Error;
use crate::message::Message;
use crate::util::{opt_str, str_len};

/// Accessors shared by `StateRef` and `State`. Strings are borrowed from
/// the state (no copies); `to_json` returns an owned copy.
macro_rules! state_accessors {
    () => {
        /// The state's id (stable across re-reads).
        pub fn id(&self) -> &str {
            unsafe { opt_str(sys::ti_state_id(self.raw())) }.unwrap_or("")
        }
        pub fn trajectory_id(&self) -> &str {
            unsafe { opt_str(sys::ti_state_trajectory_id(self.raw())) }.unwrap_or("")
        }
        /// Name of the format that produced it.
        pub fn format(&self) -> &str {
            unsafe { opt_str(sys::ti_state_format(self.raw())) }.unwrap_or("")
        }
        pub fn source_model(&self) -> Option<&str> {
            unsafe { opt_str(sys::ti_state_source_model(self.raw())) }
        }
        pub fn file(&self) -> Option<&str> {
            unsafe { opt_str(sys::ti_state_file(self.raw())) }
        }
        /// First line of the turn in its file (0 if unknown).
        pub fn first_line(&self) -> u64 {
            unsafe { sys::ti_state_first_line(self.raw()) }
        }
        pub fn last_line(&self) -> u64 {
            unsafe { sys::ti_state_last_line(self.raw()) }
        }
        /// Number of messages in the history before the turn.
        pub fn message_count(&self) -> usize {
            unsafe { sys::ti_state_message_count(self.raw()) }
        }
        /// History message `i`, or None if out of range.
        pub fn message(&self, i: usize) -> Option<Message<'_>> {
            let m = unsafe { sys::ti_state_message(self.raw(), i) };
            if m.is_null() {
                None
            } else {
                Some(unsafe { Message::new(m) })
            }
        }
        /// The chat history the model saw before the turn.
        pub fn messages(&self) -> impl Iterator<Item = Message<'_>> + '_ {
            (0..self.message_count()).filter_map(move |i| self.message(i))
        }
        /// Index of the first message not shared with the previous state of
        /// the same trajectory.
        pub fn messages_offset(&self) -> usize {
            unsafe { sys::ti_state_messages_offset(self.raw()) }
        }
        /// The turn itself, as an assistant message.
        pub fn action(&self) -> Option<Message<'_>> {
            let m = unsafe { sys::ti_state_action(self.raw()) };
            if m.is_null() {
                None
            } else {
                Some(unsafe { Message::new(m) })
            }
        }
        /// The turn's text.
        pub fn student_action(&self) -> &str {
            let mut n = 0usize;
            unsafe {
                let p = sys::ti_state_student_action(self.raw(), &mut n);
                str_len(p, n).unwrap_or("")
            }
        }
        /// Format-specific metadata as a compact JSON object.
        pub fn metadata_json(&self) -> &str {
            let mut n = 0usize;
            unsafe {
                let p = sys::ti_state_metadata_json(self.raw(), &mut n);
                str_len(p, n).unwrap_or("{}")
            }
        }
        /// The library's JSON export of the state (the CLI's line). With
        /// `delta`, only the messages new since the previous state of the
        /// trajectory, plus "messages_offset".
        pub fn to_json(&self, delta: bool) -> Result<String, Error> {
            let mut p: *mut std::os::raw::c_char = ptr::null_mut();
            let mut n = 0usize;
            let flags = if delta { sys::TI_JSON_DELTA } else { 0 };
            let rc = unsafe { sys::ti_state_dup_json(&mut p, &mut n, self.raw(), flags) };
            if rc != sys::TI_OK {
                return Err(Error::bare(rc));
            }
            let s = unsafe { str_len(p, n) }.unwrap_or("").to_owned();
            unsafe { sys::ti_string_free(p) };
            Ok(s)
        }
        /// Detach a copy that outlives the iterator (O(1): the message log is
        /// shared).
        pub fn to_owned_state(&self) -> Result<State, Error> {
            let mut out: *mut sys::ti_state = ptr::null_mut();
            let rc = unsafe { sys::ti_state_dup(&mut out, self.raw()) };
            match NonNull::new(out) {
                Some(p) if rc == sys::TI_OK => Ok(State { ptr: p }),
                _ => Err(Error::bare(if rc == sys::TI_OK { sys::TI_ERR_NOMEM } else { rc })),
            }
        }
    };
}

/// A state borrowed from the iterator: valid until the next call to
/// [`Iter::next`](crate::Iter::next), which the borrow checker enforces.
pub struct StateRef<'it> {
    ptr: *const sys::ti_state,
    _iter: PhantomData<&'it mut ()>,
}

impl<'it> StateRef<'it> {
    /// # Safety
    /// `ptr` is a non-NULL state from ti_next, valid for `'it`.
    pub(crate) unsafe fn new(ptr: *const sys::ti_state) -> StateRef<'it> {
        StateRef { ptr, _iter: PhantomData }
    }
    fn raw(&self) -> *const sys::ti_state {
        self.ptr
    }
    /// Same as [`to_owned_state`](Self::to_owned_state).
    pub fn detach(&self) -> Result<State, Error> {
        self.to_owned_state()
    }
    state_accessors!();
}

/// A detached state: owned, independent of the iterator, freed on drop.
/// `Send` (the C library allows reading and freeing detached states from any
/// thread) but not `Sync`.
pub struct State {
    ptr: NonNull<sys::ti_state>,
}

// SAFETY: traceingest.h: "Detached states (ti_state_dup) may be read and
// freed from any thread."
unsafe impl Send for State {}

impl State {
    fn raw(&self) -> *const sys::ti_state {
        self.ptr.as_ptr()
    }
    state_accessors!();
}

impl Clone for State {
    /// Another detached handle on the same state (ti_state_dup, O(1)).
    fn clone(&self) -> State {
        self.to_owned_state().expect("ti_state_dup failed (out of memory)")
    }
}

impl Drop for State {
    fn drop(&mut self) {
        unsafe { sys::ti_state_free(self.ptr.as_ptr()) }
    }
}

impl std::fmt::Debug for StateRef<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StateRef").field("id", &self.id()).field("messages", &self.message_count()).finish()
    }
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("State").field("id", &self.id()).field("messages", &self.message_count()).finish()
    }
}
