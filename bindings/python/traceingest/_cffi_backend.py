# SPDX-License-Identifier: MIT
"""The C API through cffi in ABI mode (ffi.dlopen; no compiler needed).

Same functions as _ctypes_backend, same plain-Python values: opaque
pointers as cdata (None for NULL), strings as str, JSON texts as bytes.
"""
import os

import cffi

from . import _loader

NAME = "cffi"

ffi = cffi.FFI()
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "_cdef.h")) as _f:
    ffi.cdef(_f.read())
lib, library_path = _loader.load(ffi.dlopen)
_loader.check_version(lib.ti_version_number(), library_path)
_NULL = ffi.NULL


def _str(p):
    return None if p == _NULL else ffi.string(p).decode("utf-8", "surrogateescape")


def _bytes(p, n):
    return ffi.unpack(p, n)


def version_number():
    return lib.ti_version_number()


def version_string():
    return _str(lib.ti_version_string())


def strerror(code):
    return _str(lib.ti_strerror(code))


class Handle:
    __slots__ = ("ptr", "keep")


def _no_handle(h):
    h.ptr = None
    h.keep = None
    return h


# See _ctypes_backend.OPTIONS_BUFFER: the library initialises a zeroed
# buffer with its own struct size, so any library version accepts it.
OPTIONS_BUFFER = 512


def open_iter(kind, target, fmt, flags, fopts, on_error, threads=0):
    h = Handle()
    buf = ffi.new("char[]", OPTIONS_BUFFER)
    opts = ffi.cast("ti_open_options *", buf)
    rc = lib.ti_open_options_init(opts, OPTIONS_BUFFER)
    if rc != 0:
        return rc, _no_handle(h)
    opts.flags = flags
    if threads:
        if opts.size < ffi.offsetof("ti_open_options", "threads") + 4:
            return None, _no_handle(h)
        opts.threads = threads
    keep = [buf]
    if fmt is not None:
        c = ffi.new("char[]", fmt)
        opts.format = c
        keep.append(c)
    if fopts:
        strs = [ffi.new("char[]", o) for o in fopts]
        arr = ffi.new("const char *[]", strs + [_NULL])
        opts.format_options = arr
        keep += [strs, arr]
    if on_error is not None:
        @ffi.callback("ti_error_fn")
        def cb(user, code, msg, file, line, off):
            on_error(code, _str(msg), _str(file), line, off)
        opts.on_error = cb
        keep.append(cb)
    out = ffi.new("ti_iter **")
    if kind == "path":
        rc = lib.ti_open(out, target, opts)
    elif kind == "fd":
        rc = lib.ti_open_fd(out, target, opts)
    else:
        buf = ffi.from_buffer(target)
        keep.append(buf)
        keep.append(target)
        rc = lib.ti_open_memory(out, buf, len(target), opts)
    h.ptr = None if out[0] == _NULL else out[0]
    h.keep = keep
    return rc, h


def free_iter(ptr):
    lib.ti_free(ptr)


def next_state(ptr):
    out = ffi.new("const ti_state **")
    rc = lib.ti_next(out, ptr)
    return rc, (None if out[0] == _NULL else out[0])


def errcode(ptr):
    return lib.ti_errcode(ptr)


def errmsg(ptr):
    return _str(lib.ti_errmsg(ptr))


def error_file(ptr):
    return _str(lib.ti_error_file(ptr))


def error_position(ptr):
    v = ffi.new("uint64_t[3]")
    lib.ti_error_position(ptr, v, v + 1, v + 2)
    return v[0], v[1], v[2]


def format_name(ptr):
    return _str(lib.ti_format_name(ptr))


def stat(ptr, name):
    return lib.ti_stat(ptr, name.encode())


def stats_json(ptr):
    p = ffi.new("const char **")
    n = ffi.new("size_t *")
    rc = lib.ti_stats_json(ptr, p, n)
    return rc, (_bytes(p[0], n[0]) if rc == 0 else None)



def state_str(name, s):
    return _str(getattr(lib, "ti_state_" + name)(s))


def state_int(name, s):
    return getattr(lib, "ti_state_" + name)(s)


def state_student_action(s):
    n = ffi.new("size_t *")
    p = lib.ti_state_student_action(s, n)
    return _bytes(p, n[0]).decode("utf-8", "surrogateescape")


def state_metadata_json(s):
    n = ffi.new("size_t *")
    p = lib.ti_state_metadata_json(s, n)
    return _bytes(p, n[0])


def _message_json(m, n):
    if m == _NULL:
        return None
    p = lib.ti_message_json(m, n)
    return _bytes(p, n[0])


def state_messages_json(s):
    n = ffi.new("size_t *")
    return [_message_json(lib.ti_state_message(s, i), n)
            for i in range(lib.ti_state_message_count(s))]


def state_action_json(s):
    return _message_json(lib.ti_state_action(s), ffi.new("size_t *"))


def state_json(s, flags):
    p = ffi.new("const char **")
    n = ffi.new("size_t *")
    rc = lib.ti_state_json(p, n, s, flags)
    return rc, (_bytes(p[0], n[0]) if rc == 0 else None)


def state_dup(s):
    out = ffi.new("ti_state **")
    rc = lib.ti_state_dup(out, s)
    return rc, (None if out[0] == _NULL else out[0])


def state_free(s):
    lib.ti_state_free(s)


def writer_new(fd, flags):
    out = ffi.new("ti_writer **")
    rc = lib.ti_writer_new(out, fd, flags)
    return rc, (None if out[0] == _NULL else out[0])


def writer_put(w, s):
    return lib.ti_writer_put(w, s)


def writer_flush(w):
    return lib.ti_writer_flush(w)


def writer_put_all(w, ptr):
    n = ffi.new("uint64_t *")
    rc = lib.ti_writer_put_all(w, ptr, n)
    return rc, n[0]


def writer_errno(w):
    return lib.ti_writer_errno(w)


def writer_free(w):
    lib.ti_writer_free(w)


def registry_names():
    r = ffi.new("ti_registry **")
    if lib.ti_registry_new(r) != 0:
        raise MemoryError("ti_registry_new")
    try:
        return [_str(lib.ti_registry_name(r[0], i)) for i in range(lib.ti_registry_count(r[0]))]
    finally:
        lib.ti_registry_free(r[0])


def probe_scores(path):
    cap = 64
    names = ffi.new("const char *[]", cap)
    scores = ffi.new("int[]", cap)
    n = ffi.new("size_t *")
    rc = lib.ti_probe_scores(_NULL, path, _NULL, 0, names, scores, cap, n)
    if rc != 0:
        return rc, None
    return rc, [(_str(names[i]), scores[i]) for i in range(min(n[0], cap))]
