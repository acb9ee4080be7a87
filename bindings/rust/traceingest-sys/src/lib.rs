// SPDX-License-Identifier: MIT
//! Raw declarations of `traceingest.h`, the libtraceingest consumer API.
//!
//! Everything here is `unsafe` and follows the C header's lifetime table;
//! use the `traceingest` crate for a safe interface. Status codes are plain
//! `c_int` constants (never Rust enums: a newer library may return codes
//! this crate does not know).
#![allow(non_camel_case_types)]

use core::marker::{PhantomData, PhantomPinned};
use std::os::raw::{c_char, c_int, c_uint, c_void};

macro_rules! opaque {
    ($($name:ident),*) => {$(
        /// Opaque C type; only ever used behind a pointer.
        #[repr(C)]
        pub struct $name {
            _data: [u8; 0],
            _marker: PhantomData<(*mut u8, PhantomPinned)>,
        }
    )*};
}
opaque!(ti_iter, ti_state, ti_message, ti_registry, ti_writer);

// ---- status codes -----------------------------------------------------------
pub const TI_OK: c_int = 0;
pub const TI_DONE: c_int = 1;
pub const TI_ERR_NOMEM: c_int = -1;
pub const TI_ERR_INVALID: c_int = -2;
pub const TI_ERR_IO: c_int = -3;
pub const TI_ERR_PARSE: c_int = -4;
pub const TI_ERR_FORMAT_UNKNOWN: c_int = -5;
pub const TI_ERR_FORMAT_AMBIGUOUS: c_int = -6;
pub const TI_ERR_LIMIT: c_int = -7;
pub const TI_ERR_VERSION: c_int = -8;
pub const TI_ERR_MISUSE: c_int = -9;

// ---- open flags, JSON flags, probe scores -----------------------------------
pub const TI_OPEN_STRICT: u32 = 1 << 0;
pub const TI_OPEN_NO_RECURSE: u32 = 1 << 1;
pub const TI_OPEN_NO_MMAP: u32 = 1 << 2;
pub const TI_OPEN_MMAP: u32 = 1 << 3;
pub const TI_OPEN_FLAGS_ALL: u32 = 0xF;
pub const TI_JSON_DELTA: u32 = 1 << 0;
pub const TI_JSON_FLAGS_ALL: u32 = 0x1;
pub const TI_PROBE_NONE: c_int = 0;
pub const TI_PROBE_WEAK: c_int = 10;
pub const TI_PROBE_POSSIBLE: c_int = 50;
pub const TI_PROBE_LIKELY: c_int = 80;
pub const TI_PROBE_CERTAIN: c_int = 100;

/// Error callback; `msg` and `file` are valid only during the call.
pub type ti_error_fn = Option<
    unsafe extern "C" fn(
        user: *mut c_void,
        code: c_int,
        msg: *const c_char,
        file: *const c_char,
        line: u64,
        byte_offset: u64,
    ),
>;

/// Open options (size-first; fields are only ever appended). Initialise
/// with [`ti_open_options_init`]; `Default` gives the same: zeroed, with
/// `size` set to this struct's size.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ti_open_options {
    pub size: usize,
    pub flags: u32,
    pub min_probe_score: u32,
    pub format: *const c_char,
    pub registry: *const ti_registry,
    pub format_options: *const *const c_char,
    pub probe_bytes: u64,
    pub max_record_bytes: u64,
    pub max_depth: u32,
    pub reserved0: u32,
    pub on_error: ti_error_fn,
    pub on_error_user: *mut c_void,
    pub threads: u32,
    pub reserved1: u32,
}

impl Default for ti_open_options {
    fn default() -> Self {
        ti_open_options {
            size: core::mem::size_of::<ti_open_options>(),
            flags: 0,
            min_probe_score: 0,
            format: core::ptr::null(),
            registry: core::ptr::null(),
            format_options: core::ptr::null(),
            probe_bytes: 0,
            max_record_bytes: 0,
            max_depth: 0,
            reserved0: 0,
            on_error: None,
            on_error_user: core::ptr::null_mut(),
            threads: 0,
            reserved1: 0,
        }
    }
}

extern "C" {
    pub fn ti_open_options_init(opts: *mut ti_open_options, size: usize) -> c_int;
    pub fn ti_open(out: *mut *mut ti_iter, path: *const c_char, opts: *const ti_open_options) -> c_int;
    pub fn ti_open_fd(out: *mut *mut ti_iter, fd: c_int, opts: *const ti_open_options) -> c_int;
    pub fn ti_open_memory(
        out: *mut *mut ti_iter,
        buf: *const c_void,
        len: usize,
        opts: *const ti_open_options,
    ) -> c_int;
    pub fn ti_next(out: *mut *const ti_state, it: *mut ti_iter) -> c_int;
    pub fn ti_free(it: *mut ti_iter);

    pub fn ti_strerror(status: c_int) -> *const c_char;
    pub fn ti_errcode(it: *const ti_iter) -> c_int;
    pub fn ti_errmsg(it: *const ti_iter) -> *const c_char;
    pub fn ti_error_file(it: *const ti_iter) -> *const c_char;
    pub fn ti_error_position(
        it: *const ti_iter,
        record_index: *mut u64,
        line: *mut u64,
        byte_offset: *mut u64,
    ) -> c_int;

    pub fn ti_format_name(it: *const ti_iter) -> *const c_char;
    pub fn ti_stat(it: *const ti_iter, name: *const c_char) -> u64;
    pub fn ti_stats_json(it: *const ti_iter, out: *mut *const c_char, len: *mut usize) -> c_int;

    pub fn ti_state_id(s: *const ti_state) -> *const c_char;
    pub fn ti_state_trajectory_id(s: *const ti_state) -> *const c_char;
    pub fn ti_state_format(s: *const ti_state) -> *const c_char;
    pub fn ti_state_source_model(s: *const ti_state) -> *const c_char;
    pub fn ti_state_file(s: *const ti_state) -> *const c_char;
    pub fn ti_state_first_line(s: *const ti_state) -> u64;
    pub fn ti_state_last_line(s: *const ti_state) -> u64;
    pub fn ti_state_message_count(s: *const ti_state) -> usize;
    pub fn ti_state_message(s: *const ti_state, i: usize) -> *const ti_message;
    pub fn ti_state_messages_offset(s: *const ti_state) -> usize;
    pub fn ti_state_action(s: *const ti_state) -> *const ti_message;
    pub fn ti_state_student_action(s: *const ti_state, len: *mut usize) -> *const c_char;
    pub fn ti_state_metadata_json(s: *const ti_state, len: *mut usize) -> *const c_char;
    pub fn ti_state_dup(out: *mut *mut ti_state, s: *const ti_state) -> c_int;
    pub fn ti_state_free(s: *mut ti_state);

    pub fn ti_message_role(m: *const ti_message) -> *const c_char;
    pub fn ti_message_content(m: *const ti_message, len: *mut usize) -> *const c_char;
    pub fn ti_message_content_json(m: *const ti_message, len: *mut usize) -> *const c_char;
    pub fn ti_message_tool_call_count(m: *const ti_message) -> usize;
    pub fn ti_message_tool_call(
        m: *const ti_message,
        i: usize,
        id: *mut *const c_char,
        name: *mut *const c_char,
        arguments: *mut *const c_char,
    ) -> c_int;
    pub fn ti_message_tool_call_id(m: *const ti_message) -> *const c_char;
    pub fn ti_message_name(m: *const ti_message) -> *const c_char;
    pub fn ti_message_reasoning(m: *const ti_message, len: *mut usize) -> *const c_char;
    pub fn ti_message_json(m: *const ti_message, len: *mut usize) -> *const c_char;

    pub fn ti_state_json(out: *mut *const c_char, len: *mut usize, s: *const ti_state, flags: u32) -> c_int;
    pub fn ti_state_json_into(buf: *mut c_char, cap: usize, len: *mut usize, s: *const ti_state, flags: u32) -> c_int;
    pub fn ti_state_dup_json(out: *mut *mut c_char, len: *mut usize, s: *const ti_state, flags: u32) -> c_int;
    pub fn ti_string_free(p: *mut c_char);

    pub fn ti_writer_new(out: *mut *mut ti_writer, fd: c_int, flags: u32) -> c_int;
    pub fn ti_writer_put(w: *mut ti_writer, s: *const ti_state) -> c_int;
    pub fn ti_writer_flush(w: *mut ti_writer) -> c_int;
    pub fn ti_writer_put_all(w: *mut ti_writer, it: *mut ti_iter, n_states: *mut u64) -> c_int;
    pub fn ti_writer_errno(w: *const ti_writer) -> c_int;
    pub fn ti_writer_free(w: *mut ti_writer);

    pub fn ti_registry_new(out: *mut *mut ti_registry) -> c_int;
    pub fn ti_registry_free(reg: *mut ti_registry);
    pub fn ti_registry_count(reg: *const ti_registry) -> usize;
    pub fn ti_registry_name(reg: *const ti_registry, i: usize) -> *const c_char;
    pub fn ti_probe_scores(
        reg: *const ti_registry,
        path: *const c_char,
        buf: *const c_void,
        len: usize,
        names: *mut *const c_char,
        scores: *mut c_int,
        cap: usize,
        n: *mut usize,
    ) -> c_int;

    pub fn ti_version_number() -> c_uint;
    pub fn ti_version_string() -> *const c_char;
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::mem::{align_of, size_of, MaybeUninit};
    use core::ptr::addr_of;

    macro_rules! offset {
        ($f:ident) => {{
            let u = MaybeUninit::<ti_open_options>::uninit();
            let base = u.as_ptr();
            // SAFETY: only addresses are computed, nothing is read.
            unsafe { (addr_of!((*base).$f) as usize) - (base as usize) }
        }};
    }

    #[test]
    #[cfg(target_pointer_width = "64")]
    fn options_layout_matches_the_c_header() {
        // The 0.1.0 part of the layout is frozen; later fields are appended.
        assert_eq!(offset!(size), 0);
        assert_eq!(offset!(flags), 8);
        assert_eq!(offset!(min_probe_score), 12);
        assert_eq!(offset!(format), 16);
        assert_eq!(offset!(registry), 24);
        assert_eq!(offset!(format_options), 32);
        assert_eq!(offset!(probe_bytes), 40);
        assert_eq!(offset!(max_record_bytes), 48);
        assert_eq!(offset!(max_depth), 56);
        assert_eq!(offset!(reserved0), 60);
        assert_eq!(offset!(on_error), 64);
        assert_eq!(offset!(on_error_user), 72);
        assert_eq!(offset!(threads), 80);
        assert_eq!(offset!(reserved1), 84);
        assert_eq!(size_of::<ti_open_options>(), 88);
        assert_eq!(align_of::<ti_open_options>(), 8);
    }

    #[test]
    fn init_agrees_with_default() {
        let mut o = MaybeUninit::<ti_open_options>::zeroed();
        let rc = unsafe { ti_open_options_init(o.as_mut_ptr(), size_of::<ti_open_options>()) };
        assert_eq!(rc, TI_OK);
        let o = unsafe { o.assume_init() };
        let d = ti_open_options::default();
        assert_eq!(o.size, d.size, "the library's struct size differs from this crate's");
        assert_eq!((o.flags, o.min_probe_score, o.threads), (0, 0, 0));
        assert!(o.format.is_null() && o.on_error.is_none());
    }

    #[test]
    fn version_and_strerror() {
        let v = unsafe { ti_version_number() };
        assert_eq!(v / 10000, 0);
        assert!(v >= 100);
        let s = unsafe { std::ffi::CStr::from_ptr(ti_strerror(TI_ERR_PARSE)) };
        assert!(!s.to_bytes().is_empty());
    }
}
