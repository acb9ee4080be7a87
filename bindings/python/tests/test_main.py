# SPDX-License-Identifier: MIT
"""python -m traceingest mirrors the C tool: same stdout bytes, same exit
status, for the flags they share."""
import os
import subprocess
import sys
import unittest

import support


def run_py(args):
    env = dict(os.environ)
    env["PYTHONPATH"] = support.PYDIR + os.pathsep + env.get("PYTHONPATH", "")
    p = subprocess.run([sys.executable, "-m", "traceingest", "-q"] + args, env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    run_py.last_stderr = p.stderr.decode(errors="replace")[-3000:]
    return p.returncode, p.stdout


@unittest.skipUnless(support.have_cli(), "the CLI is not built: " + support.CLI)
class MainMirrorsCli(unittest.TestCase):
    def same(self, args):
        want = support.run_cli(args)
        got = run_py(args)
        self.assertEqual(got[0], want[0], "exit status for %r; stderr:\n%s" % (args, run_py.last_stderr))
        self.assertEqual(got[1], want[1], "stdout for %r" % args)
        return got[1]

    def test_all_fixtures(self):
        dirs = [d for d in (support.DATA, support.EXAMPLES) if os.path.isdir(d)]
        if not dirs:
            self.skipTest("no fixtures")
        out = self.same(dirs)
        self.assertGreater(out.count(b"\n"), 0)
        self.same(["--delta"] + dirs)
        self.same(["--count"] + dirs)
        self.same(["--stats"] + dirs)

    def test_options_format_strict(self):
        # the flags' plumbing, on one case of each kind (test_fixtures runs them all in-process)
        all_cases = support.cases()
        picked = []
        for pred in (lambda c: c.format, lambda c: c.strict, lambda c: len(c.options) > 0):
            c = next((c for c in all_cases if pred(c)), None)
            if c is not None and c not in picked:
                picked.append(c)
        if not picked:
            self.skipTest("no fixture with options")
        for c in picked:
            with self.subTest(case=c.name):
                self.same(c.cli_args() + [c.input])
                self.same(["-d"] + c.cli_args() + [c.input])
        c = next((c for c in all_cases if c.strict), None)
        if c is not None:  # a strict case fails: status 1, the states before the error
            self.assertEqual(run_py(c.cli_args() + [c.input])[0], 1)

    def test_errors_and_usage(self):
        self.same(["/nonexistent/trace.jsonl"])
        self.same(["-f", "no-such-format", support.DATA])
        self.assertEqual(run_py([])[0], 2)
        self.assertEqual(run_py(["--no-such-flag", "x"])[0], 2)

    def test_stdin(self):
        c = next((c for c in support.cases() if c.input.endswith("mini-v1/input.traj.json")), None)
        if c is None:
            self.skipTest("fixture missing")
        env = dict(os.environ)
        env["PYTHONPATH"] = support.PYDIR
        with open(c.input, "rb") as f:
            got = subprocess.run([sys.executable, "-m", "traceingest", "-f", "swe-smith", "-"],
                                 stdin=f, env=env, stdout=subprocess.PIPE).stdout
        with open(c.input, "rb") as f:
            want = subprocess.run([support.CLI, "-f", "swe-smith", "-"], stdin=f,
                                  stdout=subprocess.PIPE).stdout
        self.assertEqual(got, want)
        self.assertEqual(got.count(b"\n"), 2)

    def test_formats_and_version(self):
        self.same(["--formats"])
        self.same(["--version"])


if __name__ == "__main__":
    unittest.main()
