# SPDX-License-Identifier: MIT
"""Shared by the binding tests: where the source tree, the CLI and the
fixtures are, and how a fixture case is run through the CLI.

Environment (meson sets all of them; defaults suit a source checkout with a
build in build/):
  TRACEINGEST_LIBRARY     the library file or directory to load
  TRACEINGEST_CLI         the C command-line tool (build/tools/traceingest)
  TRACEINGEST_SOURCE_ROOT the source tree (for tests/data and examples/data)
"""
import glob
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
PYDIR = os.path.dirname(HERE)
if PYDIR not in sys.path:
    sys.path.insert(0, PYDIR)

ROOT = os.environ.get("TRACEINGEST_SOURCE_ROOT") or os.path.normpath(os.path.join(PYDIR, "..", ".."))
CLI = os.environ.get("TRACEINGEST_CLI") or os.path.join(ROOT, "build", "tools", "traceingest")
DATA = os.path.join(ROOT, "tests", "data")
EXAMPLES = os.path.join(ROOT, "examples", "data")


class Case:
    """One fixture input with its open options (from the case's `options`
    file: format=NAME, strict=1, other lines are format options)."""

    def __init__(self, name, input, options_file=None):
        self.name = name
        self.input = input
        self.format = None
        self.strict = False
        self.options = {}
        if options_file and os.path.isfile(options_file):
            with open(options_file, encoding="utf-8") as f:
                for line in f.read().split("\n"):
                    if not line or line.startswith("#"):
                        continue
                    if line.startswith("format="):
                        self.format = line[7:]
                    elif line == "strict=1":
                        self.strict = True
                    else:
                        k, _, v = line.partition("=")
                        self.options[k] = v

    def cli_args(self):
        args = []
        if self.format:
            args += ["-f", self.format]
        if self.strict:
            args.append("-s")
        for k, v in self.options.items():
            args += ["-o", "%s=%s" % (k, v)]
        return args

    def __repr__(self):
        return self.name


def cases():
    """Every fixture input: tests/data/<format>/<case>/input[.*] and the
    files of examples/data (except expected outputs)."""
    out = []
    for casedir in sorted(glob.glob(os.path.join(DATA, "*", "*", ""))):
        casedir = casedir.rstrip("/")
        inputs = sorted(p for p in glob.glob(os.path.join(casedir, "input*"))
                        if os.path.basename(p) == "input" or os.path.basename(p).startswith("input."))
        if inputs:
            name = os.path.relpath(casedir, ROOT)
            out.append(Case(name, inputs[0], os.path.join(casedir, "options")))
    for p in sorted(glob.glob(os.path.join(EXAMPLES, "*"))):
        if os.path.isfile(p) and ".expected." not in os.path.basename(p):
            out.append(Case(os.path.relpath(p, ROOT), p))
    return out


def run_cli(args):
    """(exit status, stdout bytes) of the C tool."""
    p = subprocess.run([CLI, "-q"] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return p.returncode, p.stdout


def have_cli():
    return os.access(CLI, os.X_OK)
