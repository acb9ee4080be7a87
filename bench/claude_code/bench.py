#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Throughput of the claude-code plugin against the plain-Python baseline
(../shared/bench/baseline_claude_code.py) on the same files, in one run.

usage: bench.py [--dir CORPUS | --mb N] [--tool PATH] [--repeat K] [--json FILE]

Without --dir, a corpus of about N MB (default 64) is built with
../shared/bench/make_corpus.py into a temporary directory (removed at the
end). Inputs timed (each side writes its delta export to /dev/null):
  projects  CORPUS/claude-projects/      many real-shaped session files
  long      CORPUS/claude-long-session.jsonl   one long linear session
  long/2    the first half of the long session's lines (linearity check:
            time(long) / time(long/2) should stay near 2)
The library side is the CLI (`traceingest --delta PATH`, default
build/tools/traceingest; configure that build --buildtype=release), so its
figures include process start-up. Both sides run K times (default 3),
interleaved; the best wall time and the best CPU time (user+sys, from
os.wait4) of each are reported, with peak RSS. Speed-ups are baseline time /
library time. Not part of the test suite.
"""
import argparse, json, os, shutil, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
SHARED = os.path.normpath(os.path.join(ROOT, "..", "shared", "bench"))
MB = float(1 << 20)


def size_of(path):
    if os.path.isfile(path):
        return os.path.getsize(path)
    return sum(os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(path) for f in fs
               if f.endswith(".jsonl"))


def run(cmd):
    """Wall time and CPU time (user+sys) of one child."""
    t = time.perf_counter()
    with open(os.devnull, "wb") as null:
        p = subprocess.Popen(cmd, stdout=null, stderr=subprocess.DEVNULL)
        _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t
    if status != 0:
        sys.exit(f"{' '.join(cmd)} failed (status {status})")
    return wall, ru.ru_utime + ru.ru_stime


def peak_rss_kb(cmd):
    """Peak RSS of a command via /usr/bin/time (a forked child's own
    ru_maxrss would include this Python process's pages)."""
    if not os.path.exists("/usr/bin/time"):
        return float("nan")
    p = subprocess.run(["/usr/bin/time", "-f", "%M"] + cmd, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, text=True)
    return int(p.stderr.strip().splitlines()[-1])


def count_states(tool, path):
    out = subprocess.run([tool, "--count", path], capture_output=True, text=True, check=True)
    return int(out.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dir", help="an existing make_corpus.py output directory")
    ap.add_argument("--mb", type=int, default=64)
    ap.add_argument("--tool", default=os.path.join(ROOT, "build", "tools", "traceingest"))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", help="also write the measurements to this file")
    a = ap.parse_args()
    if not os.access(a.tool, os.X_OK):
        sys.exit(f"{a.tool}: not built (meson setup build --buildtype=release && meson compile -C build)")
    baseline = os.path.join(SHARED, "baseline_claude_code.py")
    tmp = None
    corpus = a.dir
    if not corpus:
        tmp = tempfile.mkdtemp(prefix="ti-cc-bench-")
        corpus = tmp
        print(f"building a {a.mb} MB corpus in {tmp} ...", file=sys.stderr)
        subprocess.run([sys.executable, os.path.join(SHARED, "make_corpus.py"), tmp, "--mb",
                        str(a.mb)], check=True, stdout=subprocess.DEVNULL)
    try:
        long_path = os.path.join(corpus, "claude-long-session.jsonl")
        half = os.path.join(tmp or tempfile.gettempdir(), "claude-long-session-half.jsonl")
        with open(long_path, "rb") as f:
            lines = f.readlines()
        with open(half, "wb") as f:
            f.writelines(lines[: len(lines) // 2])
        inputs = [("projects", os.path.join(corpus, "claude-projects")), ("long", long_path),
                  ("long/2", half)]
        results = []
        print(f"{'input':9} {'MB':>7} {'states':>7} | {'lib s':>7} {'lib MB/s':>9} {'lib cpu':>8} "
              f"{'RSS MB':>7} | {'py s':>7} {'py MB/s':>8} {'py cpu':>7} {'RSS MB':>7} | "
              f"{'x wall':>7} {'x cpu':>6}")
        for name, path in inputs:
            mb = size_of(path) / MB
            states = count_states(a.tool, path)
            lib, py = [], []
            for _ in range(a.repeat):
                lib.append(run([a.tool, "--delta", path]))
                py.append(run([sys.executable, baseline, path]))
            lw, lc = min(x[0] for x in lib), min(x[1] for x in lib)
            pw, pc = min(x[0] for x in py), min(x[1] for x in py)
            lr = peak_rss_kb([a.tool, "--delta", path])
            pr = peak_rss_kb([sys.executable, baseline, path])
            row = dict(input=name, mb=mb, states=states, lib_wall=lw, lib_cpu=lc, lib_rss_kb=lr,
                       py_wall=pw, py_cpu=pc, py_rss_kb=pr, speedup_wall=pw / lw,
                       speedup_cpu=pc / lc if lc else float("inf"))
            results.append(row)
            print(f"{name:9} {mb:7.1f} {states:7d} | {lw:7.3f} {mb / lw:9.1f} {lc:8.3f} {lr / 1024:7.1f} | "
                  f"{pw:7.3f} {mb / pw:8.1f} {pc:7.3f} {pr / 1024:7.1f} | {pw / lw:7.1f} "
                  f"{row['speedup_cpu']:6.1f}")
        lw = {r["input"]: r["lib_wall"] for r in results}
        print(f"linearity: time(long) / time(long/2) = {lw['long'] / lw['long/2']:.2f} "
              f"(2.0 = linear)")
        if a.json:
            with open(a.json, "w") as f:
                json.dump(results, f, indent=1)
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
