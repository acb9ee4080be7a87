# SPDX-License-Identifier: MIT
"""Python bindings for libtraceingest: coding-agent traces (Claude Code,
OpenHands, SWE-smith) as training states, one per assistant turn.

    import traceingest
    with traceingest.open("session.jsonl") as trace:
        for state in trace:
            print(state.id, len(state.messages), state.student_action[:60])

The C library is loaded through cffi (ABI mode) when available, else ctypes;
TRACEINGEST_BACKEND=ctypes|cffi forces one, TRACEINGEST_LIBRARY points at the
library file (see _loader.py for the search order).
"""
from ._backend import B as _B
from ._core import State, Trace
from ._errors import (AmbiguousFormatError, Error, InputError, InvalidArgumentError, LimitError,
                      MisuseError, NoMemoryError, ParseError, UnknownFormatError, VersionError)
from .ingester import TraceIngester, TraceState

__all__ = [
    "open", "open_bytes", "formats", "probe", "version", "Trace", "State", "TraceIngester",
    "TraceState", "Error", "NoMemoryError", "InvalidArgumentError", "InputError", "ParseError",
    "UnknownFormatError", "AmbiguousFormatError", "LimitError", "VersionError", "MisuseError",
    "backend", "library_path", "__version__",
]

#: "cffi" or "ctypes"
backend = _B.NAME
#: the file the C library was loaded from
library_path = _B.library_path
#: the C library's version string (the binding follows the library's version)
__version__ = _B.version_string()


def version():
    """The C library's version string, e.g. "0.1.0"."""
    return _B.version_string()


def open(path, format=None, strict=False, **options):
    """Open a trace file or directory (or an int file descriptor) and return
    a Trace: an iterator of State objects, and a context manager.

    format: a format name to skip probing ("claude-code", "openhands",
    "swe-smith"); strict: raise ParseError at the first malformed record
    instead of skipping it; **options: format options as key=value (booleans
    become 1/0), e.g. open(p, subagents=True) or
    open(p, **{"some.key": "v"}).
    """
    return Trace(path, format, strict, options)


def open_bytes(data, format=None, strict=False, **options):
    """Like open(), for a trace held in memory."""
    return Trace.from_bytes(data, format, strict, options)


def formats():
    """Names of the built-in formats."""
    return _B.registry_names()


def probe(path):
    """{format name: probe score 0..100} for a file or directory."""
    import os
    rc, pairs = _B.probe_scores(os.fsencode(path))
    if rc != 0:
        from ._errors import error_for
        raise error_for(rc, _B.strerror(rc), os.fsdecode(path))
    return dict(pairs)
