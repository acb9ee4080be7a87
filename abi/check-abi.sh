#!/usr/bin/env bash
# ABI gate: compare a freshly built libtraceingest.so.0 with the committed
# abidw baseline (abi/<triple>/libtraceingest.so.0.abi). See docs/abi.md.
#
#   abi/check-abi.sh LIB [SRCROOT]      check (exit 0 ok, 1 fail, 77 skip)
#   abi/check-abi.sh --dump LIB [SRCROOT]   (re)write the baseline
#
# The check fails on any change abidiff reports except added functions or
# variables (--no-added-syms: every other non-zero exit, including the
# "offset changed" class that abidiff does not flag as incompatible), and on
# any added symbol that is not versioned in the newest stable
# (TRACEINGEST_0.N) or newest unstable (TRACEINGEST_UNSTABLE_0.N) node of
# lib/libtraceingest.map. (After a release the baseline is regenerated and
# new symbols go to a new node, so "newest node" then means "new node".)
# Needs a build with debug info (debug/debugoptimized) by gcc: abidiff
# --fail-no-debug-info turns a stripped build into a failure.
set -euo pipefail

dump=0
if [ "${1:-}" = --dump ]; then dump=1; shift; fi
lib=${1:?usage: check-abi.sh [--dump] LIB [SRCROOT]}
src=${2:-$(cd "$(dirname "$0")/.." && pwd)}
triple=$(gcc -dumpmachine 2>/dev/null || echo x86_64-linux-gnu)
base=$src/abi/$triple/libtraceingest.so.0.abi
supp=$src/abi/libtraceingest.abignore
map=$src/lib/libtraceingest.map
lib=$(readlink -f "$lib")

if [ $dump = 1 ]; then
  command -v abidw >/dev/null || { echo "abidw not found (apt-get install abigail-tools)" >&2; exit 2; }
  mkdir -p "$(dirname "$base")"
  # Relative --headers-dir: the output does not depend on the checkout path.
  cd "$src"
  abidw --drop-private-types --drop-undefined-syms --no-corpus-path \
        --no-comp-dir-path --no-show-locs \
        --headers-dir include/traceingest \
        --out-file "abi/$triple/libtraceingest.so.0.abi" "$lib"
  echo "wrote abi/$triple/libtraceingest.so.0.abi from $lib"
  exit 0
fi

if ! command -v abidiff >/dev/null; then echo "SKIP: abidiff not found"; exit 77; fi
if [ ! -f "$base" ]; then echo "SKIP: no baseline $base"; exit 77; fi

fail=0
supp_args=()
[ -f "$supp" ] && supp_args=(--suppressions "$supp")
# No --headers-dir2: with abigail 2.2 it filtered out every public type
# change (a swapped field of ti_open_options passed). The baseline was
# dumped with --headers-dir, so private types are already out of it.
out=$(abidiff --drop-private-types --no-added-syms --fail-no-debug-info \
              "${supp_args[@]}" "$base" "$lib" 2>&1) && rc=0 || rc=$?
if [ $rc -ne 0 ]; then
  echo "FAIL: abidiff exit $rc (1 error, 2 usage, 4 ABI change, 8 incompatible change):"
  printf '%s\n' "$out"
  fail=1
else
  echo "ok: abidiff reports no change other than additions"
fi

# Additions: exported now, absent from the baseline.
now=$(readelf --dyn-syms -W "$lib" | awk '$7 != "UND" && $8 ~ /@@/ {print $8}' | sort -u)
before=$(sed -n "s/.*<elf-symbol name='\([^']*\)' version='\([^']*\)'.*/\1@@\2/p" "$base" | sort -u)
newest_stable=$(grep -o '^TRACEINGEST_0\.[0-9]*' "$map" | sort -t. -k2 -n | tail -1)
newest_unstable=$(grep -o '^TRACEINGEST_UNSTABLE_0\.[0-9]*' "$map" | sort -t. -k2 -n | tail -1)
added=$(comm -13 <(printf '%s\n' "$before" | sed 's/@@.*//' | sort -u) \
                 <(printf '%s\n' "$now" | sed 's/@@.*//' | sort -u))
for name in $added; do
  node=$(printf '%s\n' "$now" | awk -F'@@' -v n="$name" '$1 == n {print $2}')
  if [ "$node" != "$newest_stable" ] && [ "$node" != "$newest_unstable" ]; then
    echo "FAIL: added symbol $name is in node $node, not the newest node ($newest_stable / $newest_unstable)"
    fail=1
  else
    echo "ok: added $name@@$node"
  fi
done
n_now=$(printf '%s\n' "$now" | grep -c . || true)
n_before=$(printf '%s\n' "$before" | grep -c . || true)
echo "exported symbols: $n_now (baseline $n_before)"
exit $fail
