// SPDX-License-Identifier: MIT
//! Opening inputs and iterating their states.
use std::any::Any;
use std::ffi::{CStr, CString};
use std::fmt::Display;
use std::os::raw::{c_char, c_int, c_void};
use std::panic::{self, AssertUnwindSafe};
use std::path::Path;
use std::ptr::{self, NonNull};
use std::sync::Arc;

use traceingest_sys as sys;

use crate::error::{Error, ErrorInfo};
use crate::state::{State, StateRef};
use crate::util::opt_str;

type Callback = Arc<dyn Fn(&Error) + Send + Sync>;

struct CallbackSlot {
    f: Callback,
    panic: Option<Box<dyn Any + Send>>,
}

/// Options for opening a trace; a builder, like `std::fs::OpenOptions`.
///
/// ```no_run
/// let it = traceingest::OpenOptions::new()
///     .format("claude-code")
///     .option("subagents", true)
///     .open("session.jsonl")?;
/// # Ok::<(), traceingest::Error>(())
/// ```
#[derive(Default)]
pub struct OpenOptions {
    format: Option<CString>,
    flags: u32,
    threads: u32,
    format_options: Vec<CString>,
    bad_string: bool,
    on_error: Option<Callback>,
}

/// A value for [`OpenOptions::option`]: booleans become 1/0.
pub trait OptionValue {
    fn to_option_string(&self) -> String;
}
impl OptionValue for bool {
    fn to_option_string(&self) -> String {
        if *self { "1" } else { "0" }.to_string()
    }
}
macro_rules! display_option_value {
    ($($t:ty),*) => {$(
        impl OptionValue for $t {
            fn to_option_string(&self) -> String { self.to_string() }
        }
    )*};
}
display_option_value!(&str, String, i32, i64, u32, u64, usize);

// The library gets a zeroed buffer this large, initialised by
// ti_open_options_init() with its own struct size, so any library version
// sees exactly the struct it knows (fields are only ever appended).
#[repr(C)]
struct OptionsBuffer {
    opts: sys::ti_open_options,
    _tail: [u8; 512],
}

impl OpenOptions {
    pub fn new() -> OpenOptions {
        OpenOptions::default()
    }

    /// Skip probing: read the input as this format.
    pub fn format(&mut self, name: &str) -> &mut OpenOptions {
        match CString::new(name) {
            Ok(c) => self.format = Some(c),
            Err(_) => self.bad_string = true,
        }
        self
    }

    /// Stop at the first malformed record (an `Error::Parse` from next()).
    pub fn strict(&mut self, yes: bool) -> &mut OpenOptions {
        self.flag(sys::TI_OPEN_STRICT, yes)
    }

    /// Directories: descend into subdirectories (default true).
    pub fn recurse(&mut self, yes: bool) -> &mut OpenOptions {
        self.flag(sys::TI_OPEN_NO_RECURSE, !yes)
    }

    /// Map files of 4 MiB or more that are read whole (Claude Code sessions)
    /// instead of reading them (default false).
    /// A Claude Code session mapped is not copied: message contents stay in
    /// the mapping, which lives as long as a state needs it. The price: a
    /// file cut short by another program while it is mapped raises SIGBUS.
    pub fn mmap(&mut self, yes: bool) -> &mut OpenOptions {
        self.flag(sys::TI_OPEN_NO_MMAP, !yes).flag(sys::TI_OPEN_MMAP, yes)
    }

    /// Directories: read this many traces at a time (same states, same order).
    pub fn threads(&mut self, n: u32) -> &mut OpenOptions {
        self.threads = n;
        self
    }

    /// A format option, passed as "key=value".
    pub fn option<V: OptionValue>(&mut self, key: &str, value: V) -> &mut OpenOptions {
        self.raw_option(format!("{}={}", key, value.to_option_string()))
    }

    /// A format option already written as "key=value".
    pub fn raw_option<S: Display>(&mut self, kv: S) -> &mut OpenOptions {
        match CString::new(kv.to_string()) {
            Ok(c) => self.format_options.push(c),
            Err(_) => self.bad_string = true,
        }
        self
    }

    /// Called once per reported error (skipped records, and the fatal one),
    /// before next() returns. A panic in it comes out of that next(). Shared
    /// by every iterator these options open.
    pub fn on_error<F: Fn(&Error) + Send + Sync + 'static>(&mut self, f: F) -> &mut OpenOptions {
        self.on_error = Some(Arc::new(f));
        self
    }

    fn flag(&mut self, bit: u32, on: bool) -> &mut OpenOptions {
        if on {
            self.flags |= bit
        } else {
            self.flags &= !bit
        }
        self
    }

    /// Open a file or a directory.
    pub fn open<P: AsRef<Path>>(&mut self, path: P) -> Result<Iter, Error> {
        use std::os::unix::ffi::OsStrExt;
        let c = CString::new(path.as_ref().as_os_str().as_bytes())
            .map_err(|_| invalid("path contains a NUL byte"))?;
        self.open_with(Source::Path(c))
    }

    /// Read a trace held in memory (the iterator keeps the buffer).
    pub fn open_bytes<B: Into<Vec<u8>>>(&mut self, data: B) -> Result<Iter, Error> {
        self.open_with(Source::Memory(data.into().into_boxed_slice()))
    }

    /// Read a file descriptor sequentially (pipes work). The fd stays
    /// yours and must stay open until the iterator is dropped.
    pub fn open_fd(&mut self, fd: c_int) -> Result<Iter, Error> {
        self.open_with(Source::Fd(fd))
    }

    fn open_with(&mut self, src: Source) -> Result<Iter, Error> {
        if self.bad_string {
            return Err(invalid("an option string contains a NUL byte"));
        }
        let mut buf: Box<OptionsBuffer> = Box::new(unsafe { std::mem::zeroed() });
        let o: *mut sys::ti_open_options = &mut buf.opts;
        let rc = unsafe { sys::ti_open_options_init(o, std::mem::size_of::<OptionsBuffer>()) };
        if rc != sys::TI_OK {
            return Err(Error::bare(rc));
        }
        let opts = &mut buf.opts;
        opts.flags = self.flags;
        if self.threads > 0 {
            let need = (&opts.threads as *const u32 as usize) - (o as usize) + 4;
            if opts.size < need {
                return Err(invalid("threads: this libtraceingest has no worker threads"));
            }
            opts.threads = self.threads;
        }
        let format = self.format.clone();
        if let Some(f) = &format {
            opts.format = f.as_ptr();
        }
        let strings: Vec<CString> = self.format_options.clone();
        let mut ptrs: Vec<*const c_char> = strings.iter().map(|s| s.as_ptr()).collect();
        ptrs.push(ptr::null());
        if !strings.is_empty() {
            opts.format_options = ptrs.as_ptr();
        }
        let mut callback = self.on_error.clone().map(|f| Box::new(CallbackSlot { f, panic: None }));
        if let Some(cb) = callback.as_mut() {
            opts.on_error = Some(trampoline);
            opts.on_error_user = &mut **cb as *mut CallbackSlot as *mut c_void;
        }
        let mut out: *mut sys::ti_iter = ptr::null_mut();
        let rc = unsafe {
            match &src {
                Source::Path(p) => sys::ti_open(&mut out, p.as_ptr(), &buf.opts),
                Source::Fd(fd) => sys::ti_open_fd(&mut out, *fd, &buf.opts),
                Source::Memory(m) => {
                    sys::ti_open_memory(&mut out, m.as_ptr() as *const c_void, m.len(), &buf.opts)
                }
            }
        };
        let ptr = match NonNull::new(out) {
            Some(p) => p,
            None => return Err(Error::bare(if rc < 0 { rc } else { sys::TI_ERR_NOMEM })),
        };
        let mut it = Iter {
            ptr,
            _keep: Keep { _opts: buf, _format: format, _strings: strings, _ptrs: ptrs, _src: src },
            callback,
            done: false,
        };
        it.resume_panic();
        if rc != sys::TI_OK {
            return Err(it.error(rc));
        }
        Ok(it)
    }
}

fn invalid(msg: &str) -> Error {
    Error::Invalid(ErrorInfo { message: msg.to_string(), ..ErrorInfo::default() })
}

unsafe extern "C" fn trampoline(
    user: *mut c_void,
    code: c_int,
    msg: *const c_char,
    file: *const c_char,
    line: u64,
    byte_offset: u64,
) {
    let slot = &mut *(user as *mut CallbackSlot);
    if slot.panic.is_some() {
        return;
    }
    let err = Error::from_code(
        code,
        ErrorInfo {
            message: opt_str(msg).unwrap_or("").to_string(),
            file: opt_str(file).map(str::to_string),
            line,
            byte_offset,
            record_index: 0,
        },
    );
    let f = &slot.f;
    if let Err(p) = panic::catch_unwind(AssertUnwindSafe(|| f(&err))) {
        slot.panic = Some(p); // never unwind across C
    }
}

enum Source {
    Path(CString),
    Fd(c_int),
    Memory(Box<[u8]>),
}

/// What the C side may still point into while the iterator lives.
struct Keep {
    _opts: Box<OptionsBuffer>,
    _format: Option<CString>,
    _strings: Vec<CString>,
    _ptrs: Vec<*const c_char>,
    _src: Source,
}

/// An open input. `next()` lends each state until the following call
/// (like rusqlite's `Rows::next`); [`Iter::states`] / `into_iter()` give an
/// owned `Iterator` of detached states instead. Dropping it frees it.
///
/// `Send` (one thread at a time, as the C library requires), not `Sync`.
///
/// ```compile_fail
/// let mut it = traceingest::open("x.jsonl").unwrap();
/// let a = it.next().unwrap().unwrap();
/// let b = it.next().unwrap().unwrap(); // error: `it` is still borrowed by `a`
/// println!("{} {}", a.id(), b.id());
/// ```
pub struct Iter {
    ptr: NonNull<sys::ti_iter>,
    _keep: Keep,
    callback: Option<Box<CallbackSlot>>,
    done: bool,
}

// SAFETY: the C iterator has no thread affinity ("one iterator is used by
// one thread at a time"); everything kept alive for it is owned data, and
// the callback is required to be Send.
unsafe impl Send for Iter {}

impl Iter {
    /// The next state, borrowed until the next call; Ok(None) at the end
    /// (and on every later call). Malformed records are skipped (see
    /// [`OpenOptions::on_error`]) unless strict, where the first is an
    /// `Err(Error::Parse)`; fatal errors are sticky.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Result<Option<StateRef<'_>>, Error> {
        let mut s: *const sys::ti_state = ptr::null();
        let rc = unsafe { sys::ti_next(&mut s, self.ptr.as_ptr()) };
        self.resume_panic();
        match rc {
            sys::TI_OK if !s.is_null() => Ok(Some(unsafe { StateRef::new(s) })),
            sys::TI_OK | sys::TI_DONE => {
                self.done = true;
                Ok(None)
            }
            rc => Err(self.error(rc)),
        }
    }

    /// Write every remaining state to `out` as JSON Lines (what
    /// [`StateRef::to_json`] gives for each, and a newline) and return how
    /// many. The library does the loop and the writing
    /// (`ti_writer_put_all`): the long contents of a mapped session go from
    /// the input to `out` without a copy, and with threads each reader
    /// writes the states it reads, in turn. `out` must be open for writing
    /// and blocking; its descriptor is only borrowed. A failed write is an
    /// [`Error::Io`] with the OS error's text. The iterator is used up
    /// afterwards; a panic in the error callback comes out once the writing
    /// has stopped.
    #[cfg(unix)]
    pub fn write_jsonl<F: std::os::unix::io::AsRawFd + ?Sized>(
        &mut self,
        out: &F,
        delta: bool,
    ) -> Result<u64, Error> {
        struct Writer(*mut sys::ti_writer);
        impl Drop for Writer {
            fn drop(&mut self) {
                unsafe { sys::ti_writer_free(self.0) }
            }
        }
        let flags = if delta { sys::TI_JSON_DELTA } else { 0 };
        let mut w: *mut sys::ti_writer = ptr::null_mut();
        let rc = unsafe { sys::ti_writer_new(&mut w, out.as_raw_fd(), flags) };
        if rc != sys::TI_OK {
            return Err(Error::bare(rc));
        }
        let w = Writer(w);
        let mut n = 0u64;
        let rc = unsafe { sys::ti_writer_put_all(w.0, self.ptr.as_ptr(), &mut n) };
        self.done = true; // used up either way
        unsafe { sys::ti_writer_flush(w.0) };
        self.resume_panic();
        if rc != sys::TI_DONE && unsafe { sys::ti_writer_errno(w.0) } == 0 {
            return Err(self.error(rc));
        }
        match unsafe { sys::ti_writer_errno(w.0) } {
            0 => Ok(n),
            e => Err(Error::Io(ErrorInfo {
                message: std::io::Error::from_raw_os_error(e).to_string(),
                ..ErrorInfo::default()
            })),
        }
    }

    /// An owned iterator: each state detached (O(1)) so it outlives the step.
    pub fn states(self) -> States {
        States { it: self, failed: false }
    }

    /// An owned `Iterator<Item = State>`: stops at the end or at the first
    /// error, which [`Owned::error`] / [`Owned::finish`] then give back.
    pub fn owned(self) -> Owned {
        Owned { states: self.states(), error: None }
    }

    /// Name of the format of the current trace (None before the first).
    pub fn format_name(&self) -> Option<String> {
        unsafe { opt_str(sys::ti_format_name(self.ptr.as_ptr())) }.map(str::to_string)
    }

    /// One counter ("files", "records", "states", "skipped", ...); 0 if unknown.
    pub fn stat(&self, name: &str) -> u64 {
        match CString::new(name) {
            Ok(c) => unsafe { sys::ti_stat(self.ptr.as_ptr(), c.as_ptr()) },
            Err(_) => 0,
        }
    }

    /// Every counter as one compact JSON object.
    pub fn stats_json(&self) -> Result<String, Error> {
        let mut p: *const c_char = ptr::null();
        let mut n = 0usize;
        let rc = unsafe { sys::ti_stats_json(self.ptr.as_ptr(), &mut p, &mut n) };
        if rc != sys::TI_OK {
            return Err(Error::bare(rc));
        }
        Ok(unsafe { crate::util::str_len(p, n) }.unwrap_or("{}").to_string())
    }

    /// The last error reported on the iterator (skipped or fatal), if any.
    pub fn last_error(&self) -> Option<Error> {
        let rc = unsafe { sys::ti_errcode(self.ptr.as_ptr()) };
        if rc == sys::TI_OK {
            None
        } else {
            Some(self.error(rc))
        }
    }

    /// True once next() has returned Ok(None).
    pub fn is_done(&self) -> bool {
        self.done
    }

    fn error(&self, rc: c_int) -> Error {
        let it = self.ptr.as_ptr();
        let (mut rec, mut line, mut off) = (0u64, 0u64, 0u64);
        unsafe {
            sys::ti_error_position(it, &mut rec, &mut line, &mut off);
            Error::from_code(
                rc,
                ErrorInfo {
                    message: CStr::from_ptr(sys::ti_errmsg(it)).to_string_lossy().into_owned(),
                    file: opt_str(sys::ti_error_file(it)).map(str::to_string),
                    line,
                    byte_offset: off,
                    record_index: rec,
                },
            )
        }
    }

    fn resume_panic(&mut self) {
        if let Some(p) = self.callback.as_mut().and_then(|c| c.panic.take()) {
            panic::resume_unwind(p);
        }
    }
}

impl Drop for Iter {
    fn drop(&mut self) {
        unsafe { sys::ti_free(self.ptr.as_ptr()) }
    }
}

/// Owned iteration: `Result<State, Error>` items; stops after the first error.
pub struct States {
    it: Iter,
    failed: bool,
}

impl States {
    /// The iterator underneath (for stats and errors).
    pub fn inner(&self) -> &Iter {
        &self.it
    }
}

impl Iterator for States {
    type Item = Result<State, Error>;
    fn next(&mut self) -> Option<Result<State, Error>> {
        if self.failed {
            return None;
        }
        let r = match self.it.next() {
            Ok(Some(s)) => Some(s.detach()),
            Ok(None) => None,
            Err(e) => Some(Err(e)),
        };
        if let Some(Err(_)) = r {
            self.failed = true;
        }
        r
    }
}

impl IntoIterator for Iter {
    type Item = Result<State, Error>;
    type IntoIter = States;
    fn into_iter(self) -> States {
        self.states()
    }
}

/// Owned iteration with plain `State` items; the error that ended it (if
/// any) is kept for [`Owned::error`] and [`Owned::finish`].
pub struct Owned {
    states: States,
    error: Option<Error>,
}

impl Owned {
    /// The error that stopped the iteration, if one did.
    pub fn error(&self) -> Option<&Error> {
        self.error.as_ref()
    }

    /// Ok(()) if the iteration ran to the end, else the error that stopped it.
    pub fn finish(self) -> Result<(), Error> {
        match self.error {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// The iterator underneath (for stats and errors).
    pub fn inner(&self) -> &Iter {
        self.states.inner()
    }
}

impl Iterator for Owned {
    type Item = State;
    fn next(&mut self) -> Option<State> {
        match self.states.next() {
            Some(Ok(s)) => Some(s),
            Some(Err(e)) => {
                self.error = Some(e);
                None
            }
            None => None,
        }
    }
}
