// SPDX-License-Identifier: MIT
use std::ffi::CStr;
use std::os::raw::c_char;
use std::{slice, str};

/// The library promises UTF-8; should it ever break that, the valid prefix
/// is returned rather than undefined behaviour.
pub(crate) fn utf8(b: &[u8]) -> &str {
    match str::from_utf8(b) {
        Ok(s) => s,
        // SAFETY: the prefix up to valid_up_to() is valid UTF-8.
        Err(e) => unsafe { str::from_utf8_unchecked(&b[..e.valid_up_to()]) },
    }
}

/// A borrowed NUL-terminated string, or None for NULL.
///
/// # Safety
/// `p` is NULL or a valid C string living at least as long as `'a`.
pub(crate) unsafe fn opt_str<'a>(p: *const c_char) -> Option<&'a str> {
    if p.is_null() {
        None
    } else {
        Some(utf8(CStr::from_ptr(p).to_bytes()))
    }
}

/// A borrowed string given by pointer and length (may hold NULs).
///
/// # Safety
/// `p` is NULL or points at `len` bytes living at least as long as `'a`.
pub(crate) unsafe fn str_len<'a>(p: *const c_char, len: usize) -> Option<&'a str> {
    if p.is_null() {
        None
    } else {
        Some(utf8(slice::from_raw_parts(p as *const u8, len)))
    }
}
