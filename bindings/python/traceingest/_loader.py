# SPDX-License-Identifier: MIT
"""Where libtraceingest.so.0 is loaded from, and the version it must have.

Order: $TRACEINGEST_LIBRARY (a file, or a directory holding the library;
when set it is the only place tried), then the build tree of the source
checkout this package sits in (<repo>/build/lib), then the system by SONAME,
then ctypes.util.find_library('traceingest').
"""
import ctypes.util
import os

SONAME = "libtraceingest.so.0"
ABI_MAJOR = 0
MIN_VERSION = 100  # 0.1.0, as TI_VERSION_NUMBER = major*10000 + minor*100 + micro


def candidates():
    env = os.environ.get("TRACEINGEST_LIBRARY")
    if env:
        yield os.path.join(env, SONAME) if os.path.isdir(env) else env
        return
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.normpath(os.path.join(here, "..", "..", ".."))
    built = os.path.join(repo, "build", "lib", SONAME)
    if os.path.isfile(os.path.join(repo, "meson.build")) and os.path.isfile(built):
        yield built
    yield SONAME
    found = ctypes.util.find_library("traceingest")
    if found:
        yield found


def load(opener):
    """Call opener(path) on each candidate; return (handle, path) of the first
    that loads, or raise ImportError naming every place tried."""
    tried = []
    for path in candidates():
        try:
            return opener(path), path
        except OSError as e:
            tried.append("%s (%s)" % (path, e))
    raise ImportError("traceingest: cannot load the C library; tried: " + "; ".join(tried)
                      + ". Set TRACEINGEST_LIBRARY to the path of " + SONAME + ".")


def check_version(number, path):
    if number // 10000 != ABI_MAJOR or number < MIN_VERSION:
        raise ImportError("traceingest: %s has version %d.%d.%d; these bindings need %d.x >= %d.%d.%d"
                          % (path, number // 10000, number // 100 % 100, number % 100, ABI_MAJOR,
                             MIN_VERSION // 10000, MIN_VERSION // 100 % 100, MIN_VERSION % 100))
