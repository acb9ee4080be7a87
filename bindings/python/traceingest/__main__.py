# SPDX-License-Identifier: MIT
"""python -m traceingest: the same JSONL output, flags and exit status as
the C command-line tool tools/traceingest."""
import argparse
import json
import os
import sys

from . import _errors
from ._backend import B
from ._core import Trace


def _parser():
    p = argparse.ArgumentParser(
        prog="traceingest",
        description="Read Claude Code, OpenHands and SWE-smith traces (files or directories) "
                    "and write one JSON object per assistant turn (a state) to stdout.",
        epilog="Exit status: 0 on success (skipped records are reported but not fatal), "
               "1 on a fatal error, 2 on a usage error.")
    p.add_argument("paths", nargs="*", metavar="PATH", help='files or directories; "-" is stdin')
    p.add_argument("-f", "--format", metavar="NAME", help="skip probing and read every input as NAME")
    p.add_argument("-o", "--option", metavar="KEY=VAL", action="append", default=[],
                   help="a format option (repeatable), e.g. -o subagents=1")
    p.add_argument("-d", "--delta", action="store_true",
                   help='export only messages new since the previous state of the same '
                        'trajectory, with "messages_offset"')
    p.add_argument("-s", "--strict", action="store_true", help="stop at the first malformed record")
    p.add_argument("-c", "--count", action="store_true", help="print only the number of states")
    p.add_argument("--stats", action="store_true",
                   help="print one JSON object of counters instead of states")
    p.add_argument("--probe", action="store_true",
                   help="print each input's format scores instead of states")
    p.add_argument("--no-recurse", action="store_true", help="do not descend into subdirectories")
    p.add_argument("-j", "--threads", metavar="N", type=int, default=0,
                   help="directories: read N traces at a time (same output)")
    p.add_argument("--formats", action="store_true", help="list the known formats")
    p.add_argument("-q", "--quiet", action="store_true", help="do not print skipped-record errors")
    p.add_argument("-V", "--version", action="store_true", help="the library version")
    return p


def _jstr(s):
    return json.dumps(s, ensure_ascii=False)


class _Cli:
    def __init__(self, args, out, err):
        self.a = args
        self.out = out
        self.err = err
        self.stats = {}
        self.total = 0

    def on_error(self, e):
        if self.a.quiet:
            return
        what = B.strerror(e.code)
        if e.line:
            self.err.write("traceingest: %s:%d: %s (%s, byte %d)\n"
                           % (e.file, e.line, e.message, what, e.byte_offset))
        else:
            self.err.write("traceingest: %s: %s (%s)\n" % (e.file, e.message, what))

    def run_path(self, path):
        options = dict(o.split("=", 1) if "=" in o else (o, "") for o in self.a.option)
        source = 0 if path == "-" else path
        try:
            trace = Trace(source, self.a.format, self.a.strict, options,
                          recurse=not self.a.no_recurse, threads=self.a.threads,
                          on_error=self.on_error)
        except _errors.Error as e:
            if not e.file or self.a.quiet:
                self.err.write("traceingest: %s: %s\n" % (path, e.message))
            return 1
        n = 0
        status = 0
        with trace:
            try:
                if self.a.count or self.a.stats:
                    for _ in trace:
                        n += 1
                else:  # the library loops and writes (ti_writer)
                    n = trace.write_jsonl(self.out, delta=self.a.delta)
            except _errors.Error:
                status = 1
            self.total += n
            if self.a.stats:
                for k, v in trace.stats.items():
                    self.stats[k] = self.stats.get(k, 0) + v
        return status

    def run_probe(self, path):
        rc, pairs = B.probe_scores(os.fsencode(path))
        if rc:
            self.err.write("traceingest: %s: %s\n" % (path, B.strerror(rc)))
            return 1
        scores = ",".join("%s:%d" % (_jstr(k), v) for k, v in pairs)
        self.out.write(('{"path":%s,"scores":{%s}}\n' % (_jstr(path), scores)).encode())
        return 0


def main(argv=None):
    args = _parser().parse_args(argv)
    if args.version:
        print("traceingest %s" % B.version_string())
        return 0
    if args.formats:
        for name in B.registry_names():
            print(name)
        return 0
    if not args.paths:
        _parser().print_usage(sys.stderr)
        return 2
    out = sys.stdout.buffer
    cli = _Cli(args, out, sys.stderr)
    status = 0
    try:
        for path in args.paths:
            status |= cli.run_probe(path) if args.probe else cli.run_path(path)
        if args.count:
            out.write(b"%d\n" % cli.total)
        if args.stats:
            body = ",".join("%s:%d" % (_jstr(k), v) for k, v in cli.stats.items())
            out.write(("{%s}\n" % body).encode())
        out.flush()
    except BrokenPipeError:
        try:
            sys.stdout = None
        finally:
            return status
    return status


if __name__ == "__main__":
    sys.exit(main())
