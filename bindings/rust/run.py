#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Run `cargo test --offline` for the Rust bindings (meson test 'rust').

    run.py CARGO MANIFEST

Normally just `cargo test --offline --manifest-path MANIFEST`. When
TI_BINDINGS_PRELOAD is set (a sanitizer build of the library), the test
programs are built first without it, then each is run with
LD_PRELOAD=$TI_BINDINGS_PRELOAD, so cargo and rustc never run under the
sanitizer runtime (doctests are skipped in that mode). Exit 77 (meson: skip)
when cargo cannot build offline for want of a toolchain.
"""
import json
import os
import subprocess
import sys


def main(cargo, manifest):
    # The lock file (untracked, no dependencies in it) is regenerated each
    # time: one written by a newer cargo (format v4) breaks Debian's cargo.
    lock = os.path.join(os.path.dirname(os.path.abspath(manifest)), "Cargo.lock")
    if os.path.exists(lock):
        os.unlink(lock)
    base = [cargo, "test", "--offline", "--manifest-path", manifest]
    preload = os.environ.get("TI_BINDINGS_PRELOAD", "").strip()
    env = dict(os.environ)
    env.pop("LD_PRELOAD", None)
    if not preload:
        return subprocess.call(base, env=env)
    p = subprocess.run(base + ["--no-run", "--message-format=json"], env=env,
                       stdout=subprocess.PIPE)
    if p.returncode != 0:
        return p.returncode
    exes = []
    for line in p.stdout.decode().splitlines():
        try:
            msg = json.loads(line)
        except ValueError:
            continue
        if msg.get("reason") == "compiler-artifact" and msg.get("executable") and \
                msg.get("profile", {}).get("test"):
            exes.append(msg["executable"])
    if not exes:
        print("run.py: no test programs were built")
        return 1
    env["LD_PRELOAD"] = preload
    status = 0
    for exe in exes:
        print("run.py: %s (LD_PRELOAD=%s)" % (exe, preload), flush=True)
        status |= subprocess.call([exe], env=env) != 0
    return 1 if status else 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: run.py CARGO MANIFEST")
    sys.exit(main(sys.argv[1], sys.argv[2]))
