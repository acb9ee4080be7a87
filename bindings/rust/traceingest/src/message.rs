// SPDX-License-Identifier: MIT
//! One chat message (OpenAI shape), borrowed from its state.
use std::marker::PhantomData;
use std::ptr;

use traceingest_sys as sys;

use crate::util::{opt_str, str_len};

/// A message of a state's history or its action; borrowed from the state
/// for `'a`.
#[derive(Clone, Copy)]
pub struct Message<'a> {
    ptr: *const sys::ti_message,
    _state: PhantomData<&'a ()>,
}

/// One tool call of an assistant message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ToolCall<'a> {
    pub id: Option<&'a str>,
    pub name: &'a str,
    /// The arguments as a JSON text.
    pub arguments: &'a str,
}

impl<'a> Message<'a> {
    /// # Safety
    /// `ptr` is non-NULL and valid for `'a`.
    pub(crate) unsafe fn new(ptr: *const sys::ti_message) -> Message<'a> {
        Message { ptr, _state: PhantomData }
    }

    /// "system", "user", "assistant" or "tool".
    pub fn role(&self) -> &'a str {
        unsafe { opt_str(sys::ti_message_role(self.ptr)) }.unwrap_or("")
    }

    /// Text content; None if the content is null or a list of parts.
    pub fn content(&self) -> Option<&'a str> {
        let mut n = 0usize;
        unsafe {
            let p = sys::ti_message_content(self.ptr, &mut n);
            str_len(p, n)
        }
    }

    /// Content as compact JSON: a string, null, or an array of parts.
    ///
    /// A content only part of which stayed in a mapped file (image data,
    /// `mmap` on) is put together on first access; if that allocation fails
    /// this panics, as Rust's own allocations do.
    pub fn content_json(&self) -> &'a str {
        let mut n = 0usize;
        unsafe {
            let p = sys::ti_message_content_json(self.ptr, &mut n);
            str_len(p, n).expect("out of memory putting a message's content together")
        }
    }

    pub fn tool_call_count(&self) -> usize {
        unsafe { sys::ti_message_tool_call_count(self.ptr) }
    }

    /// Tool call `i`, or None if out of range.
    pub fn tool_call(&self, i: usize) -> Option<ToolCall<'a>> {
        let (mut id, mut name, mut args) = (ptr::null(), ptr::null(), ptr::null());
        let rc = unsafe { sys::ti_message_tool_call(self.ptr, i, &mut id, &mut name, &mut args) };
        if rc != sys::TI_OK {
            return None;
        }
        unsafe {
            Some(ToolCall {
                id: opt_str(id),
                name: opt_str(name).unwrap_or(""),
                arguments: opt_str(args).unwrap_or("{}"),
            })
        }
    }

    pub fn tool_calls(&self) -> impl Iterator<Item = ToolCall<'a>> + 'a {
        let m = *self;
        (0..self.tool_call_count()).filter_map(move |i| m.tool_call(i))
    }

    /// For role "tool": the id of the call this answers.
    pub fn tool_call_id(&self) -> Option<&'a str> {
        unsafe { opt_str(sys::ti_message_tool_call_id(self.ptr)) }
    }

    pub fn name(&self) -> Option<&'a str> {
        unsafe { opt_str(sys::ti_message_name(self.ptr)) }
    }

    pub fn reasoning(&self) -> Option<&'a str> {
        let mut n = 0usize;
        unsafe {
            let p = sys::ti_message_reasoning(self.ptr, &mut n);
            str_len(p, n)
        }
    }

    /// The whole message as compact JSON (OpenAI chat shape).
    pub fn json(&self) -> &'a str {
        let mut n = 0usize;
        unsafe {
            let p = sys::ti_message_json(self.ptr, &mut n);
            str_len(p, n).unwrap_or("{}")
        }
    }
}

impl std::fmt::Debug for Message<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.json())
    }
}
