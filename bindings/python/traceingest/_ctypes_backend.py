# SPDX-License-Identifier: MIT
"""The C API through ctypes (stdlib only).

Every backend module offers the same functions, taking and returning plain
Python values: opaque pointers as ints (None for NULL), borrowed strings
copied at once into str, JSON texts as bytes.
"""
import ctypes
from ctypes import (CFUNCTYPE, POINTER, byref, c_char_p, c_int, c_size_t, c_uint, c_uint32,
                    c_uint64, c_void_p)

from . import _loader

NAME = "ctypes"

ERROR_FN = CFUNCTYPE(None, c_void_p, c_int, c_char_p, c_char_p, c_uint64, c_uint64)


class Options(ctypes.Structure):
    _fields_ = [
        ("size", c_size_t),
        ("flags", c_uint32),
        ("min_probe_score", c_uint32),
        ("format", c_char_p),
        ("registry", c_void_p),
        ("format_options", POINTER(c_char_p)),
        ("probe_bytes", c_uint64),
        ("max_record_bytes", c_uint64),
        ("max_depth", c_uint32),
        ("reserved0", c_uint32),
        ("on_error", ERROR_FN),
        ("on_error_user", c_void_p),
        ("threads", c_uint32),  # 0.1: appended
        ("reserved1", c_uint32),
    ]


# The library is handed a zeroed buffer this large, initialised by
# ti_open_options_init() with the library's own struct size: any library
# version then sees a struct of exactly its own size, whatever header these
# bindings mirror (fields are only ever appended).
OPTIONS_BUFFER = 512


_P = c_void_p
_SZ = POINTER(c_size_t)
# (name, argtypes, restype)
_PROTOS = [
    ("ti_open_options_init", [c_void_p, c_size_t], c_int),
    ("ti_open", [POINTER(_P), c_char_p, c_void_p], c_int),
    ("ti_open_fd", [POINTER(_P), c_int, c_void_p], c_int),
    ("ti_open_memory", [POINTER(_P), c_void_p, c_size_t, c_void_p], c_int),
    ("ti_next", [POINTER(_P), _P], c_int),
    ("ti_free", [_P], None),
    ("ti_strerror", [c_int], c_char_p),
    ("ti_errcode", [_P], c_int),
    ("ti_errmsg", [_P], c_char_p),
    ("ti_error_file", [_P], c_char_p),
    ("ti_error_position", [_P, POINTER(c_uint64), POINTER(c_uint64), POINTER(c_uint64)], c_int),
    ("ti_format_name", [_P], c_char_p),
    ("ti_stat", [_P, c_char_p], c_uint64),
    ("ti_stats_json", [_P, POINTER(c_void_p), _SZ], c_int),
    ("ti_state_id", [_P], c_char_p),
    ("ti_state_trajectory_id", [_P], c_char_p),
    ("ti_state_format", [_P], c_char_p),
    ("ti_state_source_model", [_P], c_char_p),
    ("ti_state_file", [_P], c_char_p),
    ("ti_state_first_line", [_P], c_uint64),
    ("ti_state_last_line", [_P], c_uint64),
    ("ti_state_message_count", [_P], c_size_t),
    ("ti_state_message", [_P, c_size_t], _P),
    ("ti_state_messages_offset", [_P], c_size_t),
    ("ti_state_action", [_P], _P),
    ("ti_state_student_action", [_P, _SZ], c_void_p),
    ("ti_state_metadata_json", [_P, _SZ], c_void_p),
    ("ti_state_dup", [POINTER(_P), _P], c_int),
    ("ti_state_free", [_P], None),
    ("ti_message_json", [_P, _SZ], c_void_p),
    ("ti_state_json", [POINTER(c_void_p), _SZ, _P, c_uint32], c_int),
    ("ti_state_json_into", [c_void_p, c_size_t, _SZ, _P, c_uint32], c_int),
    ("ti_state_dup_json", [POINTER(c_void_p), _SZ, _P, c_uint32], c_int),
    ("ti_string_free", [c_void_p], None),
    ("ti_writer_new", [POINTER(_P), c_int, c_uint32], c_int),
    ("ti_writer_put", [_P, _P], c_int),
    ("ti_writer_flush", [_P], c_int),
    ("ti_writer_put_all", [_P, _P, POINTER(c_uint64)], c_int),
    ("ti_writer_errno", [_P], c_int),
    ("ti_writer_free", [_P], None),
    ("ti_registry_new", [POINTER(_P)], c_int),
    ("ti_registry_free", [_P], None),
    ("ti_registry_count", [_P], c_size_t),
    ("ti_registry_name", [_P, c_size_t], c_char_p),
    ("ti_probe_scores", [_P, c_char_p, c_void_p, c_size_t, POINTER(c_char_p), POINTER(c_int),
                         c_size_t, POINTER(c_size_t)], c_int),
    ("ti_version_number", [], c_uint),
    ("ti_version_string", [], c_char_p),
]


def _open_lib(path):
    return ctypes.CDLL(path)


lib, library_path = _loader.load(_open_lib)
for _name, _args, _res in _PROTOS:
    try:
        _f = getattr(lib, _name)
    except AttributeError:
        raise ImportError("traceingest: %s lacks %s; the bindings do not match this library"
                          % (library_path, _name))
    _f.argtypes = _args
    _f.restype = _res
_loader.check_version(lib.ti_version_number(), library_path)


def _str(b):
    return None if b is None else b.decode("utf-8", "surrogateescape")


def version_number():
    return lib.ti_version_number()


def version_string():
    return _str(lib.ti_version_string())


def strerror(code):
    return _str(lib.ti_strerror(code))


class Handle:
    """An open iterator and everything the C side may still point into."""
    __slots__ = ("ptr", "keep")


def _no_handle(h):
    h.ptr = None
    h.keep = None
    return h


def _has_field(opts, name):
    return opts.size >= getattr(Options, name).offset + getattr(Options, name).size


def open_iter(kind, target, fmt, flags, fopts, on_error, threads=0):
    """kind: 'path' (bytes), 'fd' (int) or 'memory' (bytes). on_error:
    None or f(code, msg, file, line, byte_offset). Returns (rc, Handle);
    the handle's ptr is None only on TI_ERR_NOMEM. rc is None if `threads`
    is asked of a library too old to have it."""
    h = Handle()
    buf = ctypes.create_string_buffer(OPTIONS_BUFFER)
    rc = lib.ti_open_options_init(buf, OPTIONS_BUFFER)
    if rc != 0:
        return rc, _no_handle(h)
    opts = Options.from_buffer(buf)
    opts.flags = flags
    if threads:
        if not _has_field(opts, "threads"):
            return None, _no_handle(h)
        opts.threads = threads
    keep = [buf, opts]
    if fmt is not None:
        opts.format = fmt
        keep.append(fmt)
    if fopts:
        arr = (c_char_p * (len(fopts) + 1))(*fopts, None)
        opts.format_options = ctypes.cast(arr, POINTER(c_char_p))
        keep.append(arr)
    if on_error is not None:
        def cb(user, code, msg, file, line, off):
            on_error(code, _str(msg), _str(file), line, off)
        cfn = ERROR_FN(cb)
        opts.on_error = cfn
        keep.append(cfn)
    out = c_void_p()
    if kind == "path":
        rc = lib.ti_open(byref(out), target, buf)
    elif kind == "fd":
        rc = lib.ti_open_fd(byref(out), target, buf)
    else:
        data = ctypes.create_string_buffer(target, len(target))
        keep.append(data)
        rc = lib.ti_open_memory(byref(out), data, len(target), buf)
    h.ptr = out.value
    h.keep = keep
    return rc, h


def free_iter(ptr):
    lib.ti_free(ptr)


def next_state(ptr):
    out = c_void_p()
    rc = lib.ti_next(byref(out), ptr)
    return rc, out.value


def errcode(ptr):
    return lib.ti_errcode(ptr)


def errmsg(ptr):
    return _str(lib.ti_errmsg(ptr))


def error_file(ptr):
    return _str(lib.ti_error_file(ptr))


def error_position(ptr):
    rec, line, off = c_uint64(), c_uint64(), c_uint64()
    lib.ti_error_position(ptr, byref(rec), byref(line), byref(off))
    return rec.value, line.value, off.value


def format_name(ptr):
    return _str(lib.ti_format_name(ptr))


def stat(ptr, name):
    return lib.ti_stat(ptr, name.encode())


def stats_json(ptr):
    p, n = c_void_p(), c_size_t()
    rc = lib.ti_stats_json(ptr, byref(p), byref(n))
    return rc, (ctypes.string_at(p.value, n.value) if rc == 0 else None)


def state_str(name, s):
    return _str(getattr(lib, "ti_state_" + name)(s))


def state_int(name, s):
    return getattr(lib, "ti_state_" + name)(s)


def state_student_action(s):
    n = c_size_t()
    p = lib.ti_state_student_action(s, byref(n))
    return ctypes.string_at(p, n.value).decode("utf-8", "surrogateescape")


def state_metadata_json(s):
    n = c_size_t()
    p = lib.ti_state_metadata_json(s, byref(n))
    return ctypes.string_at(p, n.value)


def _message_json(m):
    if not m:
        return None
    n = c_size_t()
    p = lib.ti_message_json(m, byref(n))
    return ctypes.string_at(p, n.value)


def state_messages_json(s):
    return [_message_json(lib.ti_state_message(s, i))
            for i in range(lib.ti_state_message_count(s))]


def state_action_json(s):
    return _message_json(lib.ti_state_action(s))


def state_json(s, flags):
    p, n = c_void_p(), c_size_t()
    rc = lib.ti_state_json(byref(p), byref(n), s, flags)
    return rc, (ctypes.string_at(p.value, n.value) if rc == 0 else None)


def state_dup(s):
    out = c_void_p()
    rc = lib.ti_state_dup(byref(out), s)
    return rc, out.value


def state_free(s):
    lib.ti_state_free(s)


def writer_new(fd, flags):
    out = c_void_p()
    rc = lib.ti_writer_new(byref(out), fd, flags)
    return rc, out.value


def writer_put(w, s):
    return lib.ti_writer_put(w, s)


def writer_flush(w):
    return lib.ti_writer_flush(w)


def writer_put_all(w, ptr):
    n = c_uint64()
    rc = lib.ti_writer_put_all(w, ptr, byref(n))
    return rc, n.value


def writer_errno(w):
    return lib.ti_writer_errno(w)


def writer_free(w):
    lib.ti_writer_free(w)


def registry_names():
    r = c_void_p()
    if lib.ti_registry_new(byref(r)) != 0:
        raise MemoryError("ti_registry_new")
    try:
        return [_str(lib.ti_registry_name(r, i)) for i in range(lib.ti_registry_count(r))]
    finally:
        lib.ti_registry_free(r)


def probe_scores(path):
    cap = 64
    names = (c_char_p * cap)()
    scores = (c_int * cap)()
    n = c_size_t()
    rc = lib.ti_probe_scores(None, path, None, 0, names, scores, cap, byref(n))
    if rc != 0:
        return rc, None
    return rc, [(_str(names[i]), scores[i]) for i in range(min(n.value, cap))]
