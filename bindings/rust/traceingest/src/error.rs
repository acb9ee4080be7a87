// SPDX-License-Identifier: MIT
//! Errors: one variant per libtraceingest status code, each with the
//! library's message and the position it was reported at.
use std::ffi::CStr;
use std::fmt;
use std::os::raw::c_int;

use traceingest_sys as sys;

/// Where an error happened, and the library's description of it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErrorInfo {
    /// The library's message (copied at once: the C string is borrowed).
    pub message: String,
    /// The file the error is in, if any ("<memory>" or "<fd>" for those inputs).
    pub file: Option<String>,
    /// 1-based line; 0 when unknown.
    pub line: u64,
    /// 0-based byte offset in the file.
    pub byte_offset: u64,
    /// Index of the record (0-based) when known.
    pub record_index: u64,
}

/// A libtraceingest error.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// TI_ERR_NOMEM
    NoMemory(ErrorInfo),
    /// TI_ERR_INVALID: bad argument, unknown format option or flag.
    Invalid(ErrorInfo),
    /// TI_ERR_IO: open/read failed.
    Io(ErrorInfo),
    /// TI_ERR_PARSE: a malformed record (returned only in strict mode).
    Parse(ErrorInfo),
    /// TI_ERR_FORMAT_UNKNOWN: no format accepted the input.
    FormatUnknown(ErrorInfo),
    /// TI_ERR_FORMAT_AMBIGUOUS: a tie at the top probe score.
    FormatAmbiguous(ErrorInfo),
    /// TI_ERR_LIMIT: record size or nesting limit exceeded.
    Limit(ErrorInfo),
    /// TI_ERR_VERSION: struct size / ABI mismatch.
    Version(ErrorInfo),
    /// TI_ERR_MISUSE: API used on the wrong object or state.
    Misuse(ErrorInfo),
    /// A status code this crate does not know (from a newer library).
    Other(i32, ErrorInfo),
}

impl Error {
    /// Build from a status code and details.
    pub fn from_code(code: c_int, info: ErrorInfo) -> Error {
        match code {
            sys::TI_ERR_NOMEM => Error::NoMemory(info),
            sys::TI_ERR_INVALID => Error::Invalid(info),
            sys::TI_ERR_IO => Error::Io(info),
            sys::TI_ERR_PARSE => Error::Parse(info),
            sys::TI_ERR_FORMAT_UNKNOWN => Error::FormatUnknown(info),
            sys::TI_ERR_FORMAT_AMBIGUOUS => Error::FormatAmbiguous(info),
            sys::TI_ERR_LIMIT => Error::Limit(info),
            sys::TI_ERR_VERSION => Error::Version(info),
            sys::TI_ERR_MISUSE => Error::Misuse(info),
            other => Error::Other(other, info),
        }
    }

    /// An error with no position, described by `ti_strerror`.
    pub(crate) fn bare(code: c_int) -> Error {
        Error::from_code(code, ErrorInfo { message: strerror(code), ..ErrorInfo::default() })
    }

    /// The TI_ERR_* status code.
    pub fn code(&self) -> i32 {
        match self {
            Error::NoMemory(_) => sys::TI_ERR_NOMEM,
            Error::Invalid(_) => sys::TI_ERR_INVALID,
            Error::Io(_) => sys::TI_ERR_IO,
            Error::Parse(_) => sys::TI_ERR_PARSE,
            Error::FormatUnknown(_) => sys::TI_ERR_FORMAT_UNKNOWN,
            Error::FormatAmbiguous(_) => sys::TI_ERR_FORMAT_AMBIGUOUS,
            Error::Limit(_) => sys::TI_ERR_LIMIT,
            Error::Version(_) => sys::TI_ERR_VERSION,
            Error::Misuse(_) => sys::TI_ERR_MISUSE,
            Error::Other(c, _) => *c,
        }
    }

    /// Message and position.
    pub fn info(&self) -> &ErrorInfo {
        match self {
            Error::NoMemory(i)
            | Error::Invalid(i)
            | Error::Io(i)
            | Error::Parse(i)
            | Error::FormatUnknown(i)
            | Error::FormatAmbiguous(i)
            | Error::Limit(i)
            | Error::Version(i)
            | Error::Misuse(i)
            | Error::Other(_, i) => i,
        }
    }

    pub fn message(&self) -> &str {
        &self.info().message
    }
    pub fn file(&self) -> Option<&str> {
        self.info().file.as_deref()
    }
    pub fn line(&self) -> u64 {
        self.info().line
    }
    pub fn byte_offset(&self) -> u64 {
        self.info().byte_offset
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = self.info();
        let what = strerror(self.code());
        match (&i.file, i.line) {
            (Some(file), line) if line > 0 => {
                write!(f, "{}:{}: {} ({}, byte {})", file, line, i.message, what, i.byte_offset)
            }
            (Some(file), _) if !i.message.starts_with(file.as_str()) => {
                write!(f, "{}: {} ({})", file, i.message, what)
            }
            (_, _) if i.message.is_empty() => f.write_str(&what),
            (_, _) => write!(f, "{} ({})", i.message, what),
        }
    }
}

impl std::error::Error for Error {}

/// `ti_strerror`: the static description of a status code.
pub fn strerror(code: c_int) -> String {
    // SAFETY: ti_strerror never returns NULL; the text is static.
    unsafe { CStr::from_ptr(sys::ti_strerror(code)) }.to_string_lossy().into_owned()
}
