#!/bin/sh
# check-exports.sh LIB MAP: the shared library exports exactly the names in
# the version script, all of them ti_*, and nothing else.
set -eu
lib=$1 map=$2
exported=$(nm -D --defined-only "$lib" | awk '$2 ~ /^[TDBRVW]$/ {print $3}' | sed 's/@.*//' | sort -u)
listed=$(sed -n 's/^[[:space:]]*\(ti_[a-z0-9_]*\);.*/\1/p' "$map" | sort -u)
bad=$(printf '%s\n' "$exported" | grep -v '^ti_' || true)
if [ -n "$bad" ]; then echo "FAIL: exported symbols without the ti_ prefix:"; echo "$bad"; exit 1; fi
if [ "$exported" != "$listed" ]; then
  echo "FAIL: exported symbols differ from $map (< only in the map, > only exported):"
  tmp=$(mktemp -d)
  printf '%s\n' "$listed" > "$tmp/listed"; printf '%s\n' "$exported" > "$tmp/exported"
  diff "$tmp/listed" "$tmp/exported" | grep '^[<>]'
  rm -rf "$tmp"
  exit 1
fi
soname=$(objdump -p "$lib" | awk '/SONAME/ {print $2}')
[ "$soname" = libtraceingest.so.0 ] || { echo "FAIL: SONAME is '$soname'"; exit 1; }
n=$(printf '%s\n' "$exported" | wc -l)
echo "ok: $n exported symbols, all ti_* and all in the version script; SONAME $soname"
