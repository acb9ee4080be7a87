#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Run the Python binding tests (stdlib unittest) with one backend.

    run.py --backend ctypes|cffi [MODULE...]

Default modules: every tests/test_*.py except test_install (run it by name).
With --backend cffi and no cffi in this interpreter, the tests are re-run
with the first other interpreter that has it (Debian's /usr/bin/python3 with
python3-cffi); without any, exit 77 (meson: skipped).
"""
import glob
import os
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
OTHER_INTERPRETERS = ["/usr/bin/python3"]


def has_module(python, name):
    return subprocess.run([python, "-c", "import " + name], stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL).returncode == 0


def main(argv):
    backend = None
    if len(argv) >= 2 and argv[0] == "--backend":
        backend, argv = argv[1], argv[2:]
    if backend:
        os.environ["TRACEINGEST_BACKEND"] = backend
    if backend == "cffi":
        try:
            import cffi  # noqa: F401
        except ImportError:
            for py in OTHER_INTERPRETERS:
                if os.path.realpath(py) != os.path.realpath(sys.executable) and \
                        os.access(py, os.X_OK) and has_module(py, "cffi"):
                    print("run.py: no cffi in %s; running with %s" % (sys.executable, py))
                    return subprocess.call([py, os.path.abspath(__file__), "--backend", "cffi"] + argv)
            print("run.py: SKIP: no interpreter with cffi (apt-get install python3-cffi)")
            return 77
    sys.dont_write_bytecode = True
    sys.path.insert(0, HERE)
    import support  # noqa: F401  (puts the package on sys.path)
    mods = argv or sorted(os.path.basename(p)[:-3] for p in glob.glob(os.path.join(HERE, "test_*.py"))
                          if not p.endswith("test_install.py"))
    import traceingest
    print("run.py: %s, backend %s, library %s" % (sys.executable, traceingest.backend,
                                                  traceingest.library_path))
    suite = unittest.defaultTestLoader.loadTestsFromNames(mods)
    result = unittest.TextTestRunner(verbosity=2, stream=sys.stdout).run(suite)
    if not result.wasSuccessful():
        return 1
    if result.testsRun and len(result.skipped) == result.testsRun:
        return 77
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
