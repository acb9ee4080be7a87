# SPDX-License-Identifier: MIT
"""The Python API: lifetimes, errors with positions, options, inputs,
TraceIngester, and the backend choice."""
import errno
import gc
import json
import os
import tempfile
import typing
import unittest

import support
import traceingest
from traceingest import _core, _loader

SWE = os.path.join(support.DATA, "swe-smith")
MINI = os.path.join(SWE, "mini-v1", "input.traj.json")
BAD = os.path.join(SWE, "bad-rows", "input.jsonl")
RETRY = os.path.join(SWE, "retry-attempts-all", "input.traj")
TOY = os.path.join(support.EXAMPLES, "toy.jsonl")


def need(path):
    if not os.path.exists(path):
        raise unittest.SkipTest("fixture missing: " + path)
    return path


def cli_lines(*args):
    status, out = support.run_cli(list(args))
    return [l.decode() for l in out.split(b"\n")[:-1]]


def write_big_session(path, turns=800, pad="x" * 3000):
    """A Claude Code session (over 4 MiB as by default: mmap=True maps it)."""
    env = '"sessionId":"big","cwd":"/w","timestamp":"2026-03-02T10:00:00Z"'
    lines = []
    for i in range(1, turns + 1):
        par = '"a%d"' % (i - 1) if i > 1 else "null"
        lines.append('{"type":"user","parentUuid":%s,"uuid":"u%d",%s,"message":'
                     '{"role":"user","content":"q%d %s"}}' % (par, i, env, i, pad))
        lines.append('{"type":"assistant","parentUuid":"u%d","uuid":"a%d",%s,"message":'
                     '{"model":"m","id":"msg_%d","role":"assistant","content":'
                     '[{"type":"text","text":"r%d %s"}]}}' % (i, i, env, i, i, pad))
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


class Backend(unittest.TestCase):
    def test_forced_backend_is_used(self):
        want = os.environ.get("TRACEINGEST_BACKEND")
        if want:
            self.assertEqual(traceingest.backend, want)
        self.assertIn(traceingest.backend, ("ctypes", "cffi"))

    def test_library_and_version(self):
        self.assertTrue(os.path.exists(traceingest.library_path)
                        or "/" not in traceingest.library_path)
        v = traceingest.version()
        self.assertRegex(v, r"^\d+\.\d+\.\d+")
        self.assertEqual(v, traceingest.__version__)

    def test_version_check(self):
        _loader.check_version(100, "x")
        _loader.check_version(9999, "x")
        with self.assertRaises(ImportError):
            _loader.check_version(10000, "x")  # 1.0.0: another ABI major
        with self.assertRaises(ImportError):
            _loader.check_version(99, "x")     # 0.0.99: older than the minimum

    def test_formats_and_probe(self):
        names = traceingest.formats()
        for n in ("claude-code", "openhands", "swe-smith"):
            self.assertIn(n, names)
        scores = traceingest.probe(need(MINI))
        self.assertEqual(set(scores), set(names))
        self.assertEqual(max(scores, key=scores.get), "swe-smith")
        with self.assertRaises(traceingest.InputError):
            traceingest.probe("/nonexistent/x.jsonl")


class Lifetimes(unittest.TestCase):
    def test_kept_states_are_detached_and_stay_valid(self):
        need(SWE)
        want = cli_lines(SWE)
        trace = traceingest.open(SWE)
        states = list(trace)  # every state kept past next()
        self.assertEqual(len(states), len(want))
        # list() stepped past each one (the final step returned TI_DONE)
        self.assertTrue(all(s.detached for s in states))
        trace.close()
        del trace
        gc.collect()
        self.assertEqual([s.to_json() for s in states], want)
        # lazily built fields work on detached states too
        self.assertEqual([s.messages for s in states], [json.loads(w)["messages"] for w in want])

    def test_unreferenced_states_are_not_copied(self):
        with traceingest.open(need(MINI)) as t:
            ids = []
            for s in t:
                ids.append(s.id)
                self.assertFalse(s.detached)
            self.assertEqual(len(ids), 2)

    def test_close_detaches_current_state(self):
        t = traceingest.open(need(MINI))
        s = next(t)
        self.assertFalse(s.detached)  # borrowed: the iterator's current state
        t.close()
        self.assertTrue(s.detached)
        self.assertEqual(s.id, "demo__z-1:0")

    def test_context_manager_closes(self):
        with traceingest.open(need(MINI)) as t:
            s = next(t)
            self.assertFalse(t.closed)
        self.assertTrue(t.closed)
        self.assertTrue(s.detached)
        self.assertEqual(s.id, "demo__z-1:0")
        self.assertRaises(StopIteration, next, t)
        with self.assertRaises(ValueError):
            t.stats

    def test_state_outlives_dropped_trace(self):
        def first():
            return next(iter(traceingest.open(need(MINI))))
        s = first()
        gc.collect()
        self.assertEqual(s.to_dict()["state_id"], "demo__z-1:0")

    def test_done_is_sticky_and_stats(self):
        t = traceingest.open(need(MINI))
        self.assertEqual(len(list(t)), 2)
        self.assertEqual(list(t), [])
        self.assertEqual(t.stat("states"), 2)
        self.assertEqual(t.stats["states"], 2)
        self.assertEqual(t.format, "swe-smith")
        t.close()
        t.close()  # idempotent


class Errors(unittest.TestCase):
    def test_missing_file(self):
        with self.assertRaises(traceingest.InputError) as cm:
            traceingest.open("/nonexistent/trace.jsonl")
        self.assertEqual(cm.exception.code, -3)
        self.assertIsInstance(cm.exception, traceingest.Error)
        self.assertEqual(str(cm.exception).count("/nonexistent/trace.jsonl"), 1, str(cm.exception))

    def test_strict_raises_parse_error_with_position(self):
        seen = []
        with traceingest.open(need(BAD), strict=True) as t:
            with self.assertRaises(traceingest.ParseError) as cm:
                for s in t:
                    seen.append(s.id)
        e = cm.exception
        self.assertEqual(e.code, -4)
        self.assertEqual(e.line, 2)
        self.assertTrue(e.file.endswith("bad-rows/input.jsonl"), e.file)
        self.assertGreater(e.byte_offset, 0)
        self.assertIn(":2: ", str(e))
        self.assertEqual(len(seen), 1)

    def test_skipped_records_are_reported(self):
        errors = []
        t = traceingest.Trace(need(BAD), on_error=errors.append)
        n = len(list(t))
        self.assertEqual(n, 2)
        self.assertEqual(t.stat("skipped"), 3)
        self.assertEqual([e.line for e in errors], [2, 3, 5])
        self.assertTrue(all(isinstance(e, traceingest.ParseError) for e in errors))
        self.assertIs(t.last_error, errors[-1])

    def test_callback_exception_comes_out_of_next(self):
        def boom(e):
            raise KeyError("from the callback")
        t = traceingest.Trace(need(BAD), on_error=boom)
        with self.assertRaises(KeyError):
            list(t)
        t.close()

    def test_unknown_format_option(self):
        with self.assertRaises(traceingest.InvalidArgumentError) as cm:
            traceingest.open(need(MINI), no_such_option=1)
        self.assertIsInstance(cm.exception, ValueError)

    def test_unknown_format(self):
        with self.assertRaises(traceingest.UnknownFormatError):
            traceingest.open(need(TOY))  # needs the example plugin, not built in

    def test_pickle_error(self):
        import pickle
        e = traceingest.ParseError(-4, "bad", "f.jsonl", 3, 10, 2)
        e2 = pickle.loads(pickle.dumps(e))
        self.assertEqual((e2.code, e2.line, e2.file, type(e2)), (-4, 3, "f.jsonl", type(e)))


class Options(unittest.TestCase):
    def test_option_strings(self):
        self.assertEqual(_core._option_strings({"a": True, "b": False, "c": "x=y", "d": 3}),
                         [b"a=1", b"b=0", b"c=x=y", b"d=3"])

    def test_format_option_changes_output(self):
        need(RETRY)
        default = [s.to_json() for s in traceingest.open(RETRY)]
        every = [s.to_json() for s in traceingest.open(RETRY, attempts="all")]
        self.assertEqual(every, cli_lines("-o", "attempts=all", RETRY))
        self.assertNotEqual(default, every)

    def test_bool_option(self):
        cases = [c for c in support.cases() if c.options.get("subagents") == "1"]
        if not cases:
            self.skipTest("no subagents=1 fixture")
        c = cases[0]
        got = [s.to_json() for s in traceingest.open(c.input, c.format, subagents=True)]
        self.assertEqual(got, cli_lines("-o", "subagents=1", c.input))

    def test_explicit_format(self):
        with traceingest.open(need(MINI), format="swe-smith") as t:
            self.assertEqual(len(list(t)), 2)
        with traceingest.open(MINI, format="claude-code") as t:  # the wrong one
            self.assertEqual(list(t), [])
            self.assertGreater(t.stat("skipped"), 0)
        with self.assertRaises(traceingest.UnknownFormatError):
            traceingest.open(MINI, format="no-such-format")


class Inputs(unittest.TestCase):
    def test_bytes_and_fd_match_path(self):
        want = [json.loads(s.to_json())["state_id"] for s in traceingest.open(need(MINI))]
        with open(MINI, "rb") as f:
            data = f.read()
        got = [s.id for s in traceingest.open_bytes(data, format="swe-smith")]
        self.assertEqual(got, want)
        fd = os.open(MINI, os.O_RDONLY)
        try:
            got = [s.id for s in traceingest.open(fd, format="swe-smith")]
        finally:
            os.close(fd)
        self.assertEqual(got, want)

    def test_mapped_big_session_matches_read(self):
        # over 4 MiB: mmap=True maps it and leaves the contents in the file
        pad = "x" * 3000
        with tempfile.TemporaryDirectory() as d:
            p = write_big_session(os.path.join(d, "s.jsonl"))
            self.assertGreater(os.path.getsize(p), 4 << 20)
            got = {}
            for mapped in (False, True):
                kept = list(traceingest.Trace(p, mmap=mapped))  # kept: detached
                got[mapped] = [s.to_json(delta=True) for s in kept]
                self.assertEqual(kept[1].messages[3]["content"], "q2 " + pad)
            self.assertEqual(len(got[True]), 800)
            self.assertEqual(got[True], got[False])

    def test_pathlike_and_directory(self):
        import pathlib
        n = len(list(traceingest.open(pathlib.Path(need(SWE)))))
        self.assertEqual(n, len(cli_lines(SWE)))
        with tempfile.TemporaryDirectory() as d:
            self.assertEqual(list(traceingest.open(d)), [])


class Ingester(unittest.TestCase):
    def test_trace_state_contract(self):
        hints = typing.get_type_hints(traceingest.TraceState)
        self.assertEqual(set(hints), {"state_id", "messages", "student_action"})
        self.assertEqual(hints["state_id"], str)
        self.assertEqual(hints["student_action"], str)

    def test_ingest(self):
        need(SWE)
        want = [json.loads(l) for l in cli_lines(SWE)]
        got = list(traceingest.TraceIngester().ingest(SWE))
        self.assertEqual(len(got), len(want))
        for g, w in zip(got, want):
            self.assertEqual(set(g), {"state_id", "messages", "student_action"})
            self.assertEqual(g["state_id"], w["state_id"])
            self.assertEqual(g["messages"], w["messages"])
            self.assertEqual(g["student_action"], w["student_action"])
        # fresh objects: mutating one state does not touch the next
        got[0]["messages"].append({"role": "user", "content": "x"})
        self.assertEqual(got[1]["messages"], want[1]["messages"])

    def test_ingest_with_options(self):
        got = [s["state_id"] for s in traceingest.TraceIngester(attempts="all").ingest(need(RETRY))]
        self.assertEqual(got, [json.loads(l)["state_id"]
                               for l in cli_lines("-o", "attempts=all", RETRY)])


class Writing(unittest.TestCase):
    """Trace.write_jsonl: the library's writer (ti_writer) on a file."""

    def test_writes_what_to_json_gives(self):
        with tempfile.TemporaryDirectory() as d:
            p = write_big_session(os.path.join(d, "s.jsonl"))
            self.assertGreater(os.path.getsize(p), 4 << 20)
            want = "".join(s.to_json(delta=True) + "\n" for s in traceingest.Trace(p, mmap=True))
            out = os.path.join(d, "out.jsonl")
            with open(out, "wb") as f:
                f.write(b"")  # buffered by Python: flushed before the library writes
                self.assertEqual(traceingest.Trace(p, mmap=True).write_jsonl(f, delta=True), 800)
            with open(out, encoding="utf-8") as f:
                self.assertEqual(f.read(), want)
            # an fd, and a trace already stepped twice: the rest
            fd = os.open(out, os.O_WRONLY | os.O_TRUNC)
            try:
                t = traceingest.Trace(p, mmap=True)
                first = [next(t).to_json(delta=True), next(t).to_json(delta=True)]
                self.assertEqual(t.write_jsonl(fd, delta=True), 798)
                self.assertEqual(t.write_jsonl(fd, delta=True), 0)
            finally:
                os.close(fd)
            with open(out, encoding="utf-8") as f:
                rest = f.read().splitlines()
            full = [s.to_json(delta=True) for s in traceingest.Trace(p)]
            self.assertEqual(first + rest, full)

    def test_threads_write_the_same_in_the_same_order(self):
        with tempfile.TemporaryDirectory() as d:
            for i in range(12):
                write_big_session(os.path.join(d, "s%02d.jsonl" % i), turns=1 + (i * 7) % 40,
                                  pad="p" * (100 + 9000 * (i % 3)))
            with open(os.path.join(d, "s05.jsonl"), "a") as f:
                f.write("{not json\n")
            outs, errs = [], []
            for threads in (0, 2, 3):
                out = os.path.join(d, "out%d.txt" % threads)
                seen = []
                with open(out, "wb") as f:
                    t = traceingest.Trace(d, threads=threads, on_error=seen.append)
                    n = t.write_jsonl(f, delta=True)
                    with self.assertRaises(StopIteration):
                        next(t)  # used up
                with open(out, "rb") as f:
                    outs.append((n, f.read()))
                errs.append([(os.path.basename(e.file), e.line) for e in seen])
            self.assertEqual(outs[0][0], sum(1 + (i * 7) % 40 for i in range(12)))
            self.assertEqual(outs[1], outs[0])
            self.assertEqual(outs[2], outs[0])
            self.assertEqual(errs, [[("s05.jsonl", 2 * (1 + 35 % 40) + 1)]] * 3)

            def boom(e):
                raise KeyError("from the callback")
            with open(os.path.join(d, "out.txt"), "wb") as f:
                with self.assertRaises(KeyError):
                    traceingest.Trace(d, threads=2, on_error=boom).write_jsonl(f)

    def test_write_error_and_closed_trace(self):
        with tempfile.TemporaryDirectory() as d:
            p = write_big_session(os.path.join(d, "s.jsonl"), turns=2, pad="y")
            fd = os.open(p, os.O_RDONLY)
            try:
                with self.assertRaises(OSError) as cm:
                    traceingest.Trace(p).write_jsonl(fd)
                self.assertEqual(cm.exception.errno, errno.EBADF)
            finally:
                os.close(fd)
            t = traceingest.Trace(p)
            t.close()
            with self.assertRaises(ValueError):
                t.write_jsonl(1)


if __name__ == "__main__":
    unittest.main()
