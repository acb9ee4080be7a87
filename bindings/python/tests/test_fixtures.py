# SPDX-License-Identifier: MIT
"""Every fixture through the binding and through the C tool: the binding's
State.to_json() must equal the CLI's line, byte for byte, for every state
(full and delta export), and the accessors must agree with that JSON."""
import json
import unittest

import support
import traceingest


def binding_lines(case, delta=False):
    """(lines as bytes, error or None) for one case through the binding."""
    lines = []
    try:
        with traceingest.open(case.input, case.format, case.strict, **case.options) as t:
            for s in t:
                lines.append(s.to_json(delta=delta).encode("utf-8", "surrogateescape"))
    except traceingest.Error as e:
        return lines, e
    return lines, None


@unittest.skipUnless(support.have_cli(), "the CLI is not built: " + support.CLI)
class FixturesMatchCli(unittest.TestCase):
    def setUp(self):
        self.cases = support.cases()
        if not self.cases:
            self.skipTest("no fixtures under " + support.DATA)

    def compare(self, delta):
        total = 0
        for case in self.cases:
            with self.subTest(case=case.name, delta=delta):
                status, out = support.run_cli(case.cli_args() + (["-d"] if delta else [])
                                              + [case.input])
                want = out.split(b"\n")
                self.assertEqual(want[-1], b"", "CLI output does not end in a newline")
                want = want[:-1]
                got, err = binding_lines(case, delta)
                self.assertEqual(len(got), len(want), "number of states")
                for i, (g, w) in enumerate(zip(got, want)):
                    self.assertEqual(g, w, "state %d differs" % i)
                # the same verdict: the CLI exits 1 exactly when the binding raised
                self.assertEqual(status == 1, err is not None,
                                 "CLI status %d, binding error %r" % (status, err))
                if err is not None:
                    self.assertIsInstance(err.code, int)
                    self.assertLess(err.code, 0)
                total += len(got)
        return total

    def test_full_export_matches_cli(self):
        self.assertGreater(self.compare(delta=False), 0, "the fixtures produced no state at all")

    def test_delta_export_matches_cli(self):
        self.compare(delta=True)

    def test_accessors_agree_with_json(self):
        for case in self.cases:
            with self.subTest(case=case.name):
                try:
                    t = traceingest.open(case.input, case.format, case.strict, **case.options)
                except traceingest.Error:
                    continue
                with t:
                    try:
                        for s in t:
                            d = s.to_dict()
                            self.assertEqual(s.id, d["state_id"])
                            self.assertEqual(s.messages, d["messages"])
                            self.assertEqual(s.message_count, len(d["messages"]))
                            self.assertTrue(s)  # truthy even with an empty history
                            self.assertEqual(s.action, d["action"])
                            self.assertEqual(s.student_action, d["student_action"])
                            self.assertEqual(s.trajectory_id, d["trajectory_id"])
                            self.assertEqual(s.format, d["format"])
                            self.assertEqual(s.source_model, d.get("source_model"))
                            self.assertEqual(s.file, d.get("file"))
                            self.assertEqual(s.first_line, d.get("first_line", 0))
                            self.assertEqual(s.last_line, d.get("last_line", 0))
                            self.assertEqual(s.metadata, d["metadata"])
                            self.assertEqual(t.format, s.format)
                            dd = s.to_dict(delta=True)
                            self.assertEqual(dd["messages_offset"], s.messages_offset)
                            self.assertEqual(dd["messages"], s.messages[s.messages_offset:])
                            for m in s.messages:
                                self.assertIn(m["role"], ("system", "user", "assistant", "tool"))
                    except traceingest.Error:
                        pass


if __name__ == "__main__":
    unittest.main()
