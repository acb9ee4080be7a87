#!/usr/bin/env bash
# Run every libFuzzer harness for SECONDS each (default 60), FUZZ_JOBS at a
# time (default 1). Seed corpora are built from the project's own fixtures
# (tests/data/**/input*, examples/data) into $BUILD/fuzz-corpus/<harness>/,
# which keeps what the fuzzer finds between runs. Crashers go to
# $BUILD/fuzz-artifacts/<harness>/, logs to $BUILD/fuzz-logs/.
#
#   CC=clang meson setup build-fuzz -Dfuzzers=true -Db_lundef=false
#   meson compile -C build-fuzz
#   fuzz/run.sh 600                 # 10 minutes each
#   FUZZ_JOBS=2 fuzz/run.sh 600     # two at a time
#   FUZZ_ONLY="fuzz-json fuzz-open" fuzz/run.sh 60
# Exit status: 0 when no harness found a crash, 1 otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
build=${BUILD:-build-fuzz}
jobs=${FUZZ_JOBS:-1}
[ -d "$build/fuzz" ] || { echo "run.sh: no $build/fuzz (configure with -Dfuzzers=true, CC=clang)" >&2; exit 2; }
meson compile -C "$build" >/dev/null

harnesses=${FUZZ_ONLY:-"fuzz-json fuzz-json-diff fuzz-probe fuzz-open fuzz-format-claude-code fuzz-format-openhands fuzz-format-swe-smith"}
corpus=$build/fuzz-corpus
logs=$build/fuzz-logs
arts=$build/fuzz-artifacts
mkdir -p "$logs"

# Fixture files (inputs of the golden cases and the examples), never the
# shared corpus.
fixtures() {
  find tests/data examples/data -type f \( -path '*/input*' -o -path 'examples/data/*' \) \
    ! -name 'expected*' -size -256k 2>/dev/null | sort
}

seed() { # seed HARNESS
  local h=$1 dir=$corpus/$1 f i=0
  mkdir -p "$dir" "$arts/$h"
  while IFS= read -r f; do
    i=$((i + 1))
    case $h in
      fuzz-json|fuzz-json-diff)
        cp "$f" "$dir/seed-$i"
        # every line of a line-oriented fixture is a JSON text of its own
        if [ "$(wc -l <"$f")" -gt 1 ]; then
          split -l 1 -a 4 "$f" "$dir/seed-$i-line-"
        fi ;;
      fuzz-probe) cp "$f" "$dir/seed-$i" ;;
      *) # first byte selects options (fuzz-open.c): 0 default, 1 strict
        { printf '\000'; cat "$f"; } >"$dir/seed-$i-0"
        { printf '\001'; cat "$f"; } >"$dir/seed-$i-1" ;;
    esac
  done < <(fixtures)
}

run_one() { # run_one HARNESS
  local h=$1 rc=0 extra=()
  case $h in fuzz-json*|fuzz-open|fuzz-format-*) extra=(-dict=fuzz/json.dict) ;; esac
  "$build/fuzz/$h" "$corpus/$h" -max_total_time="$secs" -max_len=65536 -timeout=10 \
    -rss_limit_mb=4096 -print_final_stats=1 -artifact_prefix="$arts/$h/" "${extra[@]}" \
    >"$logs/$h.log" 2>&1 || rc=$?
  local execs
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$logs/$h.log" | grep -o '[0-9]*$' || echo '?')
  printf '%-26s %4ss  %12s execs  exit %d\n' "$h" "$secs" "$execs" "$rc"
  return $rc
}

for h in $harnesses; do
  [ -x "$build/fuzz/$h" ] || { echo "run.sh: no harness $h" >&2; exit 2; }
  seed "$h"
done

fail=0
pids=()
for h in $harnesses; do
  run_one "$h" &
  pids+=($!)
  if [ ${#pids[@]} -ge "$jobs" ]; then
    wait "${pids[0]}" || fail=1
    pids=("${pids[@]:1}")
  fi
done
for p in "${pids[@]}"; do wait "$p" || fail=1; done
if [ $fail -ne 0 ]; then
  echo "run.sh: a harness failed; see $logs/ and $arts/" >&2
fi
exit $fail
