#!/bin/sh
# cli.sh TRACEINGEST EXAMPLES_DIR: the command-line tool as a user runs it.
set -u
ti=$1 traces=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
check() { # check NAME COMMAND...: the command must succeed
  name=$1; shift
  if "$@" >"$tmp/out" 2>"$tmp/err"; then pass=$((pass + 1)); echo "ok - $name"
  else fail=$((fail + 1)); echo "not ok - $name"; sed 's/^/#   /' "$tmp/out" "$tmp/err" | head -20; fi
}

# states: one JSON object per line, keys in the documented order
check "states are JSONL" sh -c "'$ti' '$traces' > '$tmp/all' && test \$(wc -l < '$tmp/all') -eq 9"
check "key order" sh -c "head -n 1 '$tmp/all' | grep -q '^{\"state_id\":.*,\"messages\":\[.*\"action\":{.*\"student_action\":.*\"trajectory_id\":.*\"metadata\":{'"
check "--count" sh -c "test \"\$('$ti' --count '$traces')\" = 9"
check "--count sums paths" sh -c "test \"\$('$ti' -c '$traces/swe-smith' '$traces/claude-code')\" = 7"
check "--stats keys" sh -c "'$ti' --stats '$traces' | grep -q '\"files\":3,\"files_skipped\":0,\"trajectories\":3,\"records\":[0-9]*,\"states\":9,\"messages\":[0-9]*,\"skipped\":0'"
check "--probe" sh -c "'$ti' --probe '$traces/swe-smith/rows.jsonl' | grep -Eq '\"swe-smith\":(100|[5-9][0-9])[,}]'"
check "--delta has offsets" sh -c "'$ti' --delta '$traces/claude-code' | sed -n 2p | grep -q '\"messages_offset\":[1-9]'"
check "delta is smaller" sh -c "test \$('$ti' -d '$traces' | wc -c) -lt \$('$ti' '$traces' | wc -c)"
check "-j 2 gives the same output" sh -c "'$ti' -j 2 '$traces' | cmp -s - '$tmp/all'"
check "stdin" sh -c "'$ti' - < '$traces/swe-smith/rows.jsonl' | grep -c state_id | grep -qx 3"
check "--format forces" sh -c "'$ti' --format swe-smith --count '$traces/swe-smith/rows.jsonl' | grep -qx 3"
check "--version" sh -c "'$ti' --version | grep -q '^traceingest [0-9]'"
check "--help" sh -c "'$ti' --help | grep -q 'usage: traceingest'"
check "--formats" sh -c "'$ti' --formats | tr '\n' ' ' | grep -q 'claude-code openhands swe-smith'"

# errors: positions on stderr, exit status only for fatal errors
head -n 3 "$traces/claude-code/-home-dev-calc/"*.jsonl > "$tmp/bad.jsonl"
printf '{"type":"user","uuid":"x1",BROKEN\n' >> "$tmp/bad.jsonl"
tail -n +4 "$traces/claude-code/-home-dev-calc/"*.jsonl >> "$tmp/bad.jsonl"
check "malformed line: reported with file:line, exit 0" sh -c "'$ti' '$tmp/bad.jsonl' > /dev/null 2> '$tmp/e'; test \$? -eq 0 && grep -q 'bad.jsonl:4:' '$tmp/e'"
check "--strict: exit 1" sh -c "'$ti' --strict '$tmp/bad.jsonl' > /dev/null 2>&1; test \$? -eq 1"
check "-q silences skipped errors" sh -c "test -z \"\$('$ti' -q '$tmp/bad.jsonl' 2>&1 >/dev/null)\""
check "missing file: exit 1" sh -c "'$ti' '$tmp/none.jsonl' 2> '$tmp/e'; test \$? -eq 1 && grep -q 'none.jsonl' '$tmp/e'"
printf 'just some text\n' > "$tmp/text.txt"
check "unknown format: exit 1" sh -c "'$ti' '$tmp/text.txt' 2> '$tmp/e'; test \$? -eq 1 && grep -q 'no format accepted' '$tmp/e'"
check "unknown --format: exit 1" sh -c "'$ti' --format nope '$tmp/text.txt' 2> '$tmp/e'; test \$? -eq 1 && grep -q 'known: claude-code' '$tmp/e'"
check "unknown -o key: exit 1" sh -c "'$ti' -o no_such_key=1 '$traces' 2> '$tmp/e'; test \$? -eq 1 && grep -q no_such_key '$tmp/e'"
check "usage error: exit 2" sh -c "'$ti' --bogus 2>/dev/null; test \$? -eq 2"
check "no path: exit 2" sh -c "'$ti' 2>/dev/null; test \$? -eq 2"

# files of 64 KiB and more are mapped by default (into a map region under
# 4 MiB, on their own from 4 MiB): same output as read
gen_session() { # gen_session TURNS: a Claude Code session of ~4.2 KB a turn
awk -v turns="$1" 'BEGIN { pad = sprintf("%2000s", ""); gsub(/ /, "x", pad);
  s = "\"sessionId\":\"big\",\"cwd\":\"/w\",\"version\":\"2.1.29\",\"timestamp\":\"2026-03-02T10:00:00.000Z\"";
  for (i = 1; i <= turns; i++) {
    par = i > 1 ? "\"a" (i - 1) "\"" : "null";
    printf "{\"type\":\"user\",\"parentUuid\":%s,\"uuid\":\"u%d\",%s,\"message\":{\"role\":\"user\",\"content\":\"q%d %s\"}}\n", par, i, s, i, pad;
    printf "{\"type\":\"assistant\",\"parentUuid\":\"u%d\",\"uuid\":\"a%d\",%s,\"message\":{\"model\":\"claude-x\",\"id\":\"msg_%d\",\"role\":\"assistant\",\"content\":[{\"type\":\"text\",\"text\":\"r%d %s\"}]}}\n", i, i, s, i, i, pad;
  } }'
}
gen_session 2000 > "$tmp/big.jsonl"
gen_session 200 > "$tmp/small.jsonl"
check "big session file: over 4 MiB" test "$(wc -c < "$tmp/big.jsonl")" -ge 4194304
check "small session file: 64 KiB to 4 MiB" test "$(wc -c < "$tmp/small.jsonl")" -ge 65536 -a "$(wc -c < "$tmp/small.jsonl")" -lt 4194304
check "big file: mapped and read give the same states" sh -c "'$ti' -d '$tmp/big.jsonl' > '$tmp/m' && '$ti' -d --no-mmap '$tmp/big.jsonl' > '$tmp/r' && cmp -s '$tmp/m' '$tmp/r' && test \$(wc -l < '$tmp/m') -eq 2000"
check "small file: mapped and read give the same states" sh -c "'$ti' -d '$tmp/small.jsonl' > '$tmp/m' && '$ti' -d --no-mmap '$tmp/small.jsonl' > '$tmp/r' && cmp -s '$tmp/m' '$tmp/r' && test \$(wc -l < '$tmp/m') -eq 200"
# output past the CLI's 256 KiB buffer, with states too big for the room
# left in it (a 100 KB one, copied) and for half of it (a 300 KB one,
# written directly): a directory gives the same bytes as its files one by one
rows=$traces/swe-smith/rows.jsonl
for n in 100000 300000; do
  awk -v n=$n 'NR == 1 { s = "x"; while (length(s) < n) s = s s; s = substr(s, 1, n); sub(/Fix it\./, "Fix it. " s); print }' \
    "$rows" > "$tmp/row$n.jsonl"
done
mkdir "$tmp/many"; : > "$tmp/many.want"; i=100
for part in r r r r r r r r r r r r r r r r r r r r r r r r r r r r r r 100000 r r r r r r r r r r \
            300000 r 100000 100000 100000 r r r r r r r r r r r r r r r r r r r r 300000 300000 r; do
  f=$rows; [ "$part" = r ] || f=$tmp/row$part.jsonl
  i=$((i + 1)); cp "$f" "$tmp/many/p$i.jsonl"; "$ti" -d "$tmp/many/p$i.jsonl" >> "$tmp/many.want"
done
check "output over the CLI's buffer: the same bytes as its parts" sh -c "test \$(wc -c < '$tmp/many.want') -gt 1500000 && '$ti' -d '$tmp/many' | cmp - '$tmp/many.want'"
check "a write error on stdout: exit 1" sh -c "'$ti' '$tmp/many' > /dev/full 2> '$tmp/e'; test \$? -eq 1 && grep -q 'stdout' '$tmp/e'"
# a mapped file cut short while it is read: a clear message and exit 3
cut_short() { # cut_short FILE
  rm -f "$tmp/fifo"
  cp "$1" "$tmp/cut.jsonl" && mkfifo "$tmp/fifo" || return 1
  "$ti" "$tmp/cut.jsonl" > "$tmp/fifo" 2> "$tmp/cut.err" &
  pid=$!
  exec 3< "$tmp/fifo"
  head -c 100000 <&3 > /dev/null # the run is under way, blocked on its output
  : > "$tmp/cut.jsonl"
  cat <&3 > /dev/null
  exec 3<&-
  wait $pid
  st=$?
  [ $st -eq 3 ] && grep -q 'cut short.*--no-mmap' "$tmp/cut.err"
}
check "mapped file cut short: exit 3 with a message" cut_short "$tmp/big.jsonl"
check "mapped file under 4 MiB cut short: exit 3 with a message" cut_short "$tmp/small.jsonl"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
