# SPDX-License-Identifier: MIT
"""Pick the backend: $TRACEINGEST_BACKEND=ctypes|cffi forces one; otherwise
cffi when it can be imported, else ctypes."""
import os

_want = os.environ.get("TRACEINGEST_BACKEND", "").strip().lower()
if _want not in ("", "ctypes", "cffi"):
    raise ImportError("TRACEINGEST_BACKEND must be 'ctypes' or 'cffi', not %r" % _want)

if _want == "ctypes":
    from . import _ctypes_backend as B
elif _want == "cffi":
    from . import _cffi_backend as B  # an ImportError here is the answer
else:
    try:
        import cffi  # noqa: F401
    except ImportError:
        from . import _ctypes_backend as B
    else:
        from . import _cffi_backend as B
