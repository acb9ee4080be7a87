# SPDX-License-Identifier: MIT
"""Trace (the iterator) and State, on top of whichever backend was chosen."""
import json
import os
import weakref

from ._backend import B
from ._errors import DONE, OK, error_for

STRICT = 1 << 0
NO_RECURSE = 1 << 1
NO_MMAP = 1 << 2
MMAP = 1 << 3
JSON_DELTA = 1 << 0


def _option_strings(options):
    """{"subagents": True, "images": "placeholder"} -> [b"subagents=1", b"images=placeholder"]"""
    out = []
    for key, value in (options or {}).items():
        if isinstance(value, bool):
            value = "1" if value else "0"
        out.append(("%s=%s" % (key, value)).encode("utf-8"))
    return out


def _free_handle(handle):
    B.free_iter(handle.ptr)


def _fs(path):
    return os.fsencode(path)


class Trace:
    """An open input: iterate it for State objects.

    `source` is a path (str, bytes or os.PathLike: a file or a directory) or
    an int file descriptor (read sequentially, left open). Use
    Trace.from_bytes() for an in-memory buffer. `options` maps format option
    names to values (booleans become 1/0). `on_error(error)` is called with an
    Error for every reported malformed record (skipped, or fatal in strict
    mode); an exception it raises comes out of the next() that triggered it.
    `threads` > 1 reads that many traces of a directory at a time (same
    states in the same order); `recurse=False` stays in the top directory.

    A State is borrowed from the iterator until the next step; if you keep a
    reference to it, the binding detaches it (ti_state_dup, O(1)) before
    stepping, so a kept State never dangles.
    """

    def __init__(self, source, format=None, strict=False, options=None, *, recurse=True,
                 mmap=False, threads=0, on_error=None, _data=None):
        self._ptr = None
        self._current = None
        self._callback_error = None
        self._on_error = on_error
        self.last_error = None
        flags = (STRICT if strict else 0) | (0 if recurse else NO_RECURSE) | (MMAP if mmap else NO_MMAP)
        fmt = format.encode("utf-8") if format is not None else None
        if _data is not None:
            kind, target = "memory", bytes(_data)
            self.name = "<memory>"
        elif isinstance(source, int) and not isinstance(source, bool):
            kind, target = "fd", source
            self.name = "<fd>"
        else:
            kind, target = "path", _fs(source)
            self.name = os.fsdecode(target)
        me = weakref.ref(self)  # the C callback must not keep the Trace alive

        def report(code, msg, file, line, off):
            t = me()
            if t is not None:
                t._report(code, msg, file, line, off)

        rc, handle = B.open_iter(kind, target, fmt, flags, _option_strings(options), report,
                                 threads)
        if rc is None:
            raise error_for(-2, "threads: this libtraceingest (%s) has no worker threads"
                            % B.version_string())
        if handle.ptr is not None:
            self._ptr = handle.ptr
            # the handle (options, strings, callback) lives until ti_free
            self._finalizer = weakref.finalize(self, _free_handle, handle)
        if rc != OK:
            err = self._error(rc)
            self.close()
            raise err

    @classmethod
    def from_bytes(cls, data, format=None, strict=False, options=None, **kw):
        """Read a trace held in memory (bytes-like; copied once)."""
        return cls(None, format, strict, options, _data=data, **kw)

    # -- errors ---------------------------------------------------------------
    def _report(self, code, msg, file, line, off):
        err = error_for(code, msg, file, line, off)
        self.last_error = err
        if self._on_error is not None and self._callback_error is None:
            try:
                self._on_error(err)
            except BaseException as e:  # re-raised from next(): never across C
                self._callback_error = e

    def _error(self, rc):
        if self._ptr is None:
            return error_for(rc, B.strerror(rc))
        rec, line, off = B.error_position(self._ptr)
        return error_for(rc, B.errmsg(self._ptr), B.error_file(self._ptr), line, off, rec)

    # -- iteration ------------------------------------------------------------
    def __iter__(self):
        return self

    def _detach_current(self):
        cur = self._current() if self._current is not None else None
        self._current = None
        if cur is not None and cur._trace is self:
            cur.detach()

    def __next__(self):
        if self._ptr is None:
            raise StopIteration
        self._detach_current()
        rc, sp = B.next_state(self._ptr)
        if self._callback_error is not None:
            e, self._callback_error = self._callback_error, None
            raise e
        if rc == OK:
            st = State(sp, self)
            self._current = weakref.ref(st)
            return st
        if rc == DONE:
            raise StopIteration
        raise self._error(rc)

    def write_jsonl(self, file, delta=False):
        """Write every remaining state to `file` as JSON Lines, exactly what
        to_json() gives for each and a newline, and return how many. The
        library does the loop and the writing (ti_writer_put_all): no State
        objects, the long contents of a mapped session go from the input to
        the file without a copy, and with `threads` each reader writes the
        states it reads, in turn. `file` is an int file descriptor or an
        object with fileno() (flushed first), open for writing and blocking.
        Errors as from next(); an exception raised by `on_error` comes out
        once the writing has stopped (at the end, or at a fatal error); a
        failed write raises OSError. The trace is used up afterwards."""
        ptr = self._need_open()
        self._detach_current()
        if hasattr(file, "fileno"):
            if hasattr(file, "flush"):
                file.flush()
            fd = file.fileno()
        else:
            fd = int(file)
        rc, w = B.writer_new(fd, JSON_DELTA if delta else 0)
        if rc != OK:
            raise error_for(rc, B.strerror(rc))
        try:
            rc, n = B.writer_put_all(w, ptr)
            B.writer_flush(w)
            if self._callback_error is not None:
                e, self._callback_error = self._callback_error, None
                raise e
            err = B.writer_errno(w)
            if err:
                raise OSError(err, os.strerror(err))
            if rc != DONE:
                raise self._error(rc)
            return n
        finally:
            B.writer_free(w)

    def close(self):
        """Free the iterator. A State still referenced is detached first."""
        if self._ptr is not None:
            self._detach_current()
            self._ptr = None
            self._finalizer()

    @property
    def closed(self):
        return self._ptr is None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    # -- information ----------------------------------------------------------
    def _need_open(self):
        if self._ptr is None:
            raise ValueError("traceingest: the trace is closed")
        return self._ptr

    @property
    def format(self):
        """Name of the format of the current trace (None before the first)."""
        return B.format_name(self._need_open())

    def stat(self, name):
        """One counter ("files", "records", "states", "skipped", ...); 0 if unknown."""
        return B.stat(self._need_open(), name)

    @property
    def stats(self):
        """Every counter, as a dict in first-use order."""
        rc, js = B.stats_json(self._need_open())
        if rc != OK:
            raise error_for(rc, B.strerror(rc))
        return json.loads(js)

    def __repr__(self):
        return "<traceingest.Trace %r%s>" % (self.name, " closed" if self.closed else "")


class State:
    """One assistant turn: the history the model saw (`messages`), the turn
    (`action`, `student_action`) and its provenance."""

    __slots__ = ("_ptr", "_trace", "_finalizer", "_messages", "_action", "_metadata",
                 "__weakref__")

    def __init__(self, ptr, trace):
        self._ptr = ptr
        self._trace = trace  # None once detached; keeps the iterator alive while borrowed
        self._finalizer = None
        self._messages = self._action = self._metadata = None

    def detach(self):
        """Make this state independent of its iterator (done for you when the
        iterator steps or closes while you still hold the state)."""
        if self._trace is not None:
            rc, dup = B.state_dup(self._ptr)
            if rc != OK:
                raise error_for(rc, B.strerror(rc))
            self._ptr = dup
            self._trace = None
            self._finalizer = weakref.finalize(self, B.state_free, dup)
        return self

    @property
    def detached(self):
        return self._trace is None

    # -- scalar fields ----------------------------------------------------------
    @property
    def id(self):
        return B.state_str("id", self._ptr)

    state_id = id

    @property
    def trajectory_id(self):
        return B.state_str("trajectory_id", self._ptr)

    @property
    def format(self):
        return B.state_str("format", self._ptr)

    @property
    def source_model(self):
        return B.state_str("source_model", self._ptr)

    @property
    def file(self):
        return B.state_str("file", self._ptr)

    @property
    def first_line(self):
        return B.state_int("first_line", self._ptr)

    @property
    def last_line(self):
        return B.state_int("last_line", self._ptr)

    @property
    def messages_offset(self):
        """Index of the first message not shared with the previous state of
        the same trajectory."""
        return B.state_int("messages_offset", self._ptr)

    @property
    def student_action(self):
        return B.state_student_action(self._ptr)

    # -- structured fields (built on first use) ---------------------------------
    @property
    def messages(self):
        """The chat history before the turn: a list of OpenAI-style dicts.
        Built on first access; each access returns the same list."""
        if self._messages is None:
            self._messages = [json.loads(m) for m in B.state_messages_json(self._ptr)]
        return self._messages

    @property
    def message_count(self):
        """len(messages), without building them."""
        return B.state_int("message_count", self._ptr)

    @property
    def action(self):
        """The turn itself, as an assistant message dict."""
        if self._action is None:
            js = B.state_action_json(self._ptr)
            self._action = json.loads(js) if js is not None else None
        return self._action

    @property
    def metadata(self):
        if self._metadata is None:
            self._metadata = json.loads(B.state_metadata_json(self._ptr))
        return self._metadata

    # -- export -------------------------------------------------------------------
    def to_json_bytes(self, delta=False):
        """The library's JSON export (the CLI's line for this state), as bytes."""
        rc, js = B.state_json(self._ptr, JSON_DELTA if delta else 0)
        if rc != OK:
            raise error_for(rc, B.strerror(rc))
        return js

    def to_json(self, delta=False):
        """The library's JSON export (the CLI's line for this state). With
        delta=True, `messages` holds only the messages new since the previous
        state of the trajectory and "messages_offset" is present."""
        return self.to_json_bytes(delta).decode("utf-8", "surrogateescape")

    def to_dict(self, delta=False):
        return json.loads(self.to_json_bytes(delta))

    def __repr__(self):
        return "<traceingest.State %r (%d messages)%s>" % (self.id, self.message_count, "" if self.detached
                                                            else " borrowed")
