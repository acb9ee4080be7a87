// SPDX-License-Identifier: MIT
//! Safe Rust bindings for libtraceingest: coding-agent traces (Claude Code,
//! OpenHands, SWE-smith) as training states, one per assistant turn.
//!
//! ```no_run
//! let mut it = traceingest::open("session.jsonl")?;
//! while let Some(state) = it.next()? {          // borrowed until the next call
//!     println!("{} {} messages", state.id(), state.message_count());
//! }
//! let owned: Vec<traceingest::State> =          // detached, outlive the iterator
//!     traceingest::open("traces/")?.states().collect::<Result<_, _>>()?;
//! # Ok::<(), traceingest::Error>(())
//! ```
//!
//! The library is found at build time through `TRACEINGEST_LIB_DIR` or
//! pkg-config (see the `traceingest-sys` build script).
mod error;
mod iter;
mod message;
mod state;
mod util;

use std::ffi::CString;
use std::path::Path;

pub use error::{strerror, Error, ErrorInfo};
pub use iter::{Iter, OpenOptions, OptionValue, Owned, States};
pub use message::{Message, ToolCall};
pub use state::{State, StateRef};
pub use traceingest_sys as sys;

/// Open a file or directory with default options (probe the format,
/// skip malformed records).
pub fn open<P: AsRef<Path>>(path: P) -> Result<Iter, Error> {
    OpenOptions::new().open(path)
}

/// The library's version string, e.g. "0.1.0".
pub fn version() -> String {
    unsafe { util::opt_str(sys::ti_version_string()) }.unwrap_or("").to_string()
}

/// The library's version number (major*10000 + minor*100 + micro).
pub fn version_number() -> u32 {
    unsafe { sys::ti_version_number() }
}

/// Names of the built-in formats.
pub fn formats() -> Vec<String> {
    let mut r: *mut sys::ti_registry = std::ptr::null_mut();
    if unsafe { sys::ti_registry_new(&mut r) } != sys::TI_OK || r.is_null() {
        return Vec::new();
    }
    let n = unsafe { sys::ti_registry_count(r) };
    let names = (0..n)
        .filter_map(|i| unsafe { util::opt_str(sys::ti_registry_name(r, i)) }.map(str::to_string))
        .collect();
    unsafe { sys::ti_registry_free(r) };
    names
}

/// Probe scores (0..100) of every built-in format for a file or directory.
pub fn probe<P: AsRef<Path>>(path: P) -> Result<Vec<(String, i32)>, Error> {
    use std::os::unix::ffi::OsStrExt;
    let c = CString::new(path.as_ref().as_os_str().as_bytes())
        .map_err(|_| Error::bare(sys::TI_ERR_INVALID))?;
    const CAP: usize = 64;
    let mut names = [std::ptr::null(); CAP];
    let mut scores = [0i32; CAP];
    let mut n = 0usize;
    let rc = unsafe {
        sys::ti_probe_scores(std::ptr::null(), c.as_ptr(), std::ptr::null(), 0, names.as_mut_ptr(),
                             scores.as_mut_ptr(), CAP, &mut n)
    };
    if rc != sys::TI_OK {
        return Err(Error::bare(rc));
    }
    Ok((0..n.min(CAP))
        .map(|i| (unsafe { util::opt_str(names[i]) }.unwrap_or("").to_string(), scores[i]))
        .collect())
}
