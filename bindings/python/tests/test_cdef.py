# SPDX-License-Identifier: MIT
"""The cffi declarations (_cdef.h) and the ctypes prototype table must match
the public header: same functions, same signatures."""
import os
import re
import unittest

import support

HEADER = os.path.join(support.ROOT, "include", "traceingest", "traceingest.h")
CDEF = os.path.join(support.PYDIR, "traceingest", "_cdef.h")


def prototypes(text):
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    text = re.sub(r"//[^\n]*", " ", text)
    text = re.sub(r"^\s*#.*$", " ", text, flags=re.M)
    out = {}
    for m in re.finditer(r"(?:TI_API\s+)?([A-Za-z_][\w\s\*]*?\b(ti_\w+)\s*\([^;{]*\))\s*;", text):
        decl, name = m.group(1), m.group(2)
        if "typedef" in decl or "(*" in decl:
            continue
        decl = re.sub(r"\s+", " ", decl).replace("( ", "(").replace(" )", ")")
        decl = re.sub(r"\s*\*\s*", " *", decl).replace("( *", "(*")
        out[name] = decl.strip()
    return out


def struct_fields(text):
    """Field names of ti_open_options, in order."""
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    body = re.search(r"typedef struct ti_open_options \{(.*?)\} ti_open_options;", text, re.S).group(1)
    return [re.search(r"(\w+)\s*;", d + ";").group(1) for d in body.split(";") if d.strip()]


@unittest.skipUnless(os.path.isfile(HEADER), "header not found: " + HEADER)
class CdefMatchesHeader(unittest.TestCase):
    def test_same_prototypes(self):
        with open(HEADER) as f:
            want = {k: v for k, v in prototypes(f.read()).items()}
        with open(CDEF) as f:
            got = prototypes(f.read())
        self.assertGreater(len(want), 40)
        self.assertEqual(sorted(got), sorted(want), "function list")
        for name in want:
            self.assertEqual(got[name], want[name], name)

    def test_ctypes_table_covers_what_the_backend_uses(self):
        from traceingest import _ctypes_backend
        with open(HEADER) as f:
            want = prototypes(f.read())
        for name, args, _ in _ctypes_backend._PROTOS:
            self.assertIn(name, want)
            nparams = 0 if want[name].endswith("(void)") else want[name].count(",") + 1
            self.assertEqual(len(args), nparams, name)

    def test_options_struct_fields(self):
        from traceingest import _ctypes_backend
        with open(HEADER) as f:
            want = struct_fields(f.read())
        with open(CDEF) as f:
            self.assertEqual(struct_fields(f.read()), want)
        self.assertEqual([f[0] for f in _ctypes_backend.Options._fields_], want)

    def test_options_struct_layout(self):
        import ctypes
        from traceingest import _ctypes_backend
        O = _ctypes_backend.Options
        if ctypes.sizeof(ctypes.c_void_p) == 8:
            self.assertEqual(O.on_error_user.offset, 72)  # the 0.1.0 layout, frozen
            self.assertEqual(O.threads.offset, 80)
        try:
            from traceingest import _cffi_backend
        except ImportError:
            return
        ffi = _cffi_backend.ffi
        self.assertEqual(ffi.sizeof("ti_open_options"), ctypes.sizeof(O))
        for name, _ in O._fields_:
            self.assertEqual(ffi.offsetof("ti_open_options", name), getattr(O, name).offset, name)

    def test_library_accepts_the_options_buffer(self):
        import traceingest
        from traceingest import _ctypes_backend as C
        import ctypes
        buf = ctypes.create_string_buffer(C.OPTIONS_BUFFER)
        self.assertEqual(C.lib.ti_open_options_init(buf, C.OPTIONS_BUFFER), 0)
        # the library wrote its own struct size, which these bindings mirror
        self.assertEqual(C.Options.from_buffer(buf).size, ctypes.sizeof(C.Options))


if __name__ == "__main__":
    unittest.main()
