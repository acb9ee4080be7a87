#!/bin/sh
# compare-output.sh PROGRAM INPUT EXPECTED: run PROGRAM INPUT and compare its
# stdout with EXPECTED (the input path is replaced by INPUT in the output).
set -u
prog=$1 input=$2 expected=$3
out=$("$prog" "$input") || { echo "$prog failed with status $?"; exit 1; }
if [ "${TI_GOLDEN_REGEN:-}" = 1 ]; then printf '%s\n' "$out" | sed "s#$input#INPUT#g" > "$expected"; exit 0; fi
if printf '%s\n' "$out" | sed "s#$input#INPUT#g" | diff -u "$expected" -; then
  echo "ok: output matches $expected"
else
  echo "FAIL: output differs from $expected"; exit 1
fi
