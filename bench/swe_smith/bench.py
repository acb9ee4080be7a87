#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Throughput of the swe-smith plugin on HF-export rows (messages as a JSON
string) against the plain Python a user would otherwise run: json.loads of
every row plus json.loads of its inner `messages` string.

usage: bench.py [--file ROWS.jsonl | --mb N] [--tool PATH] [--repeat K]

Without --file, rows are generated with make_corpus.py's swe_smith_rows()
(../shared/bench/make_corpus.py: real SWE-smith rows, pandas-style escaping)
into a temporary file of about N MB (default 64). Both sides run K times
(default 5), interleaved; the best time of each is reported, since the
machine may be shared. The library side is the CLI (`traceingest -c`:
ingest and count states; `traceingest` to /dev/null: also export JSON),
so its figures include process start-up. Peak RSS is reported for both.
Not part of the test suite.
"""
import argparse, importlib.util, json, os, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))


def python_baseline(path):
    t = time.perf_counter()
    states = 0
    with open(path, "rb") as f:
        for line in f:
            row = json.loads(line)
            msgs = row["messages"]
            if isinstance(msgs, str):
                msgs = json.loads(msgs)
            states += sum(1 for m in msgs if m.get("role") == "assistant")
    return time.perf_counter() - t, states


def run_tool(cmd, capture):
    t = time.perf_counter()
    p = subprocess.run(cmd, stdout=subprocess.PIPE if capture else subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
    dt = time.perf_counter() - t
    if p.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed with {p.returncode}")
    return dt, p.stdout


def peak_rss_mb(cmd, stdin=None):
    """Peak RSS of a command, via /usr/bin/time (a forked child's own
    ru_maxrss would include this Python process)."""
    if not os.path.exists("/usr/bin/time"):
        return float("nan")
    with open(stdin or os.devnull, "rb") as f:
        p = subprocess.run(["/usr/bin/time", "-f", "%M"] + cmd, stdin=f, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, text=True)
    return int(p.stderr.strip().splitlines()[-1]) / 1024


def make_rows(path, mb):
    src = os.path.normpath(os.path.join(ROOT, "..", "shared", "bench", "make_corpus.py"))
    if not os.path.exists(src):
        sys.exit(f"{src} not found: pass --file")
    spec = importlib.util.spec_from_file_location("make_corpus", src)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    copies = 1
    while True:  # ~1.1 MB per copy of the 5 sample rows
        mod.swe_smith_rows(path, copies)
        if os.path.getsize(path) >= mb << 20:
            return
        copies = max(copies + 1, int(copies * (mb << 20) / max(1, os.path.getsize(path))) + 1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--file")
    ap.add_argument("--mb", type=int, default=64)
    ap.add_argument("--tool", default=os.path.join(ROOT, "build", "tools", "traceingest"))
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--baseline", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.baseline:
        python_baseline(a.baseline)
        return
    tmp = None
    path = a.file
    if not path:
        tmp = tempfile.NamedTemporaryFile(suffix=".jsonl", delete=False)
        tmp.close()
        path = tmp.name
        make_rows(path, a.mb)
    size = os.path.getsize(path)
    count_cmd = [a.tool, "-c", "-f", "swe-smith", path]
    export_cmd = [a.tool, "-f", "swe-smith", path]
    best = {"python": 1e9, "count": 1e9, "export": 1e9}
    py_states = lib_states = None
    for _ in range(a.repeat):
        dt, py_states = python_baseline(path)
        best["python"] = min(best["python"], dt)
        dt, out = run_tool(count_cmd, True)
        lib_states = int(out.split()[-1])
        best["count"] = min(best["count"], dt)
        dt, _ = run_tool(export_cmd, False)
        best["export"] = min(best["export"], dt)
    if py_states != lib_states:
        print(f"warning: python counts {py_states} assistant turns, the library {lib_states} states")
    mbs = lambda t: size / t / 1e6
    print(f"file: {path} ({size / 1e6:.1f} MB, {lib_states} states)")
    print(f"python json.loads rows+messages : {best['python']:.3f} s  {mbs(best['python']):7.1f} MB/s")
    print(f"traceingest -c (ingest)         : {best['count']:.3f} s  {mbs(best['count']):7.1f} MB/s"
          f"  {best['python'] / best['count']:.2f}x python")
    print(f"traceingest (ingest + export)   : {best['export']:.3f} s  {mbs(best['export']):7.1f} MB/s"
          f"  {best['python'] / best['export']:.2f}x python")
    base = [sys.executable, os.path.abspath(__file__), "--baseline", path]
    pipe_cmd = [a.tool, "-c", "-f", "swe-smith", "-"]
    print(f"peak RSS: traceingest -c {peak_rss_mb(count_cmd):.1f} MB (the file is mapped: its pages "
          f"count), reading a pipe {peak_rss_mb(pipe_cmd, path):.1f} MB (row by row); "
          f"python baseline {peak_rss_mb(base):.1f} MB")
    if tmp:
        os.unlink(path)


if __name__ == "__main__":
    main()
