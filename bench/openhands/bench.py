#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Throughput and memory of the openhands plugin on eval output.jsonl rows
(make_corpus.py's openhands_rows(): copies of the real Multi-SWE rows),
against a plain Python json.loads pass over the same file.

usage: bench.py [--file OUTPUT.jsonl | --mb N] [--tool PATH] [--repeat K]

Without --file, rows are generated with ../shared/bench/make_corpus.py into
a temporary file of about N MB (default 64). Both sides run K times
(default 5), interleaved; the best time of each is reported. The library
side is the CLI: `traceingest -c` (ingest and count states) and
`traceingest` to /dev/null (also export every state as JSON), so its
figures include process start-up. Peak RSS is reported for the file and for
a file 4x larger: it stays flat (bounded by one row), while a DOM of the
whole file would grow with it. Not part of the test suite.
"""
import argparse, importlib.util, json, os, resource, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))


def python_baseline(path):
    """What a user would write first: json.loads every row. Returns wall
    and CPU seconds."""
    t, c = time.perf_counter(), time.process_time()
    rows = 0
    with open(path, "rb") as f:
        for line in f:
            json.loads(line)
            rows += 1
    return time.perf_counter() - t, time.process_time() - c, rows


def child_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run_tool(cmd, capture=False):
    """Wall and CPU seconds of a command (CPU: the figure that holds on a
    loaded machine)."""
    t, c = time.perf_counter(), child_cpu()
    p = subprocess.run(cmd, stdout=subprocess.PIPE if capture else subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
    dt, dc = time.perf_counter() - t, child_cpu() - c
    if p.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed with {p.returncode}")
    return dt, dc, p.stdout


def peak_rss_mb(cmd):
    if not os.path.exists("/usr/bin/time"):
        return float("nan")
    p = subprocess.run(["/usr/bin/time", "-f", "%M"] + cmd, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, text=True)
    return int(p.stderr.strip().splitlines()[-1]) / 1024


def make_rows(path, mb):
    src = os.path.normpath(os.path.join(ROOT, "..", "shared", "bench", "make_corpus.py"))
    if not os.path.exists(src):
        sys.exit(f"{src} not found: pass --file")
    spec = importlib.util.spec_from_file_location("make_corpus", src)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    mod.openhands_rows(path, 1)
    per_copy = os.path.getsize(path)
    mod.openhands_rows(path, max(1, (mb << 20) // per_copy))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--file")
    ap.add_argument("--mb", type=int, default=64)
    ap.add_argument("--tool", default=os.path.join(ROOT, "build", "tools", "traceingest"))
    ap.add_argument("--repeat", type=int, default=5)
    a = ap.parse_args()
    if not os.path.exists(a.tool):
        sys.exit(f"{a.tool} not found: build first or pass --tool")
    tmp = tempfile.mkdtemp(prefix="oh-bench-")
    path = a.file
    if not path:
        path = os.path.join(tmp, "openhands-output.jsonl")
        make_rows(path, a.mb)
    size = os.path.getsize(path) / (1 << 20)

    inf = float("inf")
    best = {"py": [inf, inf], "count": [inf, inf], "export": [inf, inf]}
    rows = states = 0

    def keep(name, wall, cpu):
        best[name][0] = min(best[name][0], wall)
        best[name][1] = min(best[name][1], cpu)

    for _ in range(a.repeat):
        wall, cpu, rows = python_baseline(path)
        keep("py", wall, cpu)
        wall, cpu, out = run_tool([a.tool, "-f", "openhands", "-c", path], capture=True)
        keep("count", wall, cpu)
        states = int(out.decode().strip() or 0)
        wall, cpu, _ = run_tool([a.tool, "-f", "openhands", path])
        keep("export", wall, cpu)

    print(f"file: {path} ({size:.1f} MB, {rows} rows, {states} states)")
    py_w, py_c = best["py"]
    for label, name in (("python json.loads pass", "py"), ("traceingest -c", "count"),
                        ("traceingest (export)", "export")):
        w, c = best[name]
        print(f"{label:23s}: wall {w:7.3f} s {size / w:7.1f} MB/s ({py_w / w:4.1f}x)"
              f"   cpu {c:7.3f} s {size / c:7.1f} MB/s ({py_c / c:4.1f}x)")

    # Memory: the same rows, 4 times as many; peak RSS should not grow.
    big = os.path.join(tmp, "openhands-output-x4.jsonl")
    with open(big, "wb") as out:
        for _ in range(4):
            with open(path, "rb") as f:
                while True:
                    chunk = f.read(1 << 20)
                    if not chunk:
                        break
                    out.write(chunk)
    with open(path, "rb") as f:
        largest_row = max(len(line) for line in f) / (1 << 20)
    r1 = peak_rss_mb([a.tool, "-f", "openhands", "-c", "--no-recurse", path])
    r4 = peak_rss_mb([a.tool, "-f", "openhands", "-c", "--no-recurse", big])
    # read through a pipe too (no mmap): still one row at a time
    rp = float("nan")
    if os.path.exists("/usr/bin/time"):
        p = subprocess.run(f"cat {big} | /usr/bin/time -f %M {a.tool} -f openhands -c -",
                           shell=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                           text=True)
        try:
            rp = int(p.stderr.strip().splitlines()[-1]) / 1024
        except (ValueError, IndexError):
            pass
    print(f"largest row: {largest_row:.2f} MB")
    print(f"peak RSS: {r1:.1f} MB ({size:.0f} MB file), {r4:.1f} MB ({4 * size:.0f} MB file),"
          f" {rp:.1f} MB (4x file through a pipe)")
    os.remove(big)
    if not a.file:
        os.remove(path)
    os.rmdir(tmp)


if __name__ == "__main__":
    main()
