# SPDX-License-Identifier: MIT
"""`pip install` of bindings/python works offline (no build isolation, no
dependencies, no index) and the installed package runs. Uses this
interpreter if it has setuptools and wheel, else Debian's /usr/bin/python3;
skips when neither can build a wheel offline."""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import support

PROBE = "import setuptools, wheel"


def builder():
    for py in (sys.executable, "/usr/bin/python3"):
        if os.access(py, os.X_OK) and subprocess.run([py, "-c", PROBE], stdout=subprocess.DEVNULL,
                                                     stderr=subprocess.DEVNULL).returncode == 0:
            return py
    return None


class PipInstall(unittest.TestCase):
    def test_pip_install_offline(self):
        py = builder()
        if py is None:
            self.skipTest("no interpreter with setuptools and wheel (apt-get install python3-wheel)")
        with tempfile.TemporaryDirectory() as tmp:
            src = os.path.join(tmp, "src")  # a copy: pip builds in-tree (build/, *.egg-info)
            shutil.copytree(support.PYDIR, src, ignore=shutil.ignore_patterns(
                "__pycache__", "build", "*.egg-info", "tests"))
            target = os.path.join(tmp, "site")
            env = dict(os.environ, PIP_ROOT_USER_ACTION="ignore", PIP_DISABLE_PIP_VERSION_CHECK="1",
                       PIP_NO_INPUT="1")
            env.pop("PYTHONPATH", None)
            p = subprocess.run([py, "-m", "pip", "install", "-q", "--no-build-isolation",
                                "--no-deps", "--no-index", "--target", target, src],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=tmp)
            self.assertEqual(p.returncode, 0, p.stdout.decode(errors="replace"))
            for f in ("__init__.py", "__main__.py", "_cdef.h", "py.typed"):
                self.assertTrue(os.path.isfile(os.path.join(target, "traceingest", f)), f)
            mini = os.path.join(support.DATA, "swe-smith", "mini-v1", "input.traj.json")
            code = ("import sys, traceingest\n"
                    "assert traceingest.__file__.startswith(sys.argv[1]), traceingest.__file__\n"
                    "print(sum(1 for s in traceingest.open(sys.argv[2])) if sys.argv[2] else 0)\n")
            env["PYTHONPATH"] = target
            p = subprocess.run([py, "-c", code, target, mini if os.path.isfile(mini) else ""],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp)
            self.assertEqual(p.returncode, 0, p.stderr.decode(errors="replace"))
            if os.path.isfile(mini):
                self.assertEqual(p.stdout.strip(), b"2")


if __name__ == "__main__":
    unittest.main()
