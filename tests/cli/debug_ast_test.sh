#!/bin/sh
# `buildtool debug ast`: the dump on stdout for a file and for stdin, and for a bad file
# `FILE:LINE: message` plus the offending line on stderr with exit code 1.
set -u
bin=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

printf 'FROM busybox AS base\nRUN echo hi \\\n  there\n' > "$tmp/Dockerfile"
want='(from "busybox" "AS" "base")
(run "echo hi   there")'
got=$("$bin" debug ast "$tmp/Dockerfile") || fail "good file exited $?"
[ "$got" = "$want" ] || fail "dump of a file: got [$got]"
got=$("$bin" debug ast - < "$tmp/Dockerfile") || fail "stdin exited $?"
[ "$got" = "$want" ] || fail "dump of stdin: got [$got]"

printf 'FROM scratch\n\nCOPY ["a", 1, "/b"]\n' > "$tmp/bad"
"$bin" debug ast "$tmp/bad" > "$tmp/out" 2> "$tmp/err"
rc=$?
[ "$rc" -eq 1 ] || fail "bad file exited $rc, want 1"
[ ! -s "$tmp/out" ] || fail "bad file printed to stdout"
first=$(head -n 1 "$tmp/err")
[ "$first" = "$tmp/bad:3: error: when using JSON array syntax, arrays must be comprised of strings only" ] ||
  fail "error line: [$first]"
grep -q 'COPY \["a", 1, "/b"\]' "$tmp/err" || fail "the offending line is not shown"

"$bin" debug ast "$tmp/missing" 2> "$tmp/err"
[ $? -eq 1 ] || fail "a missing file must exit 1"
grep -q "open $tmp/missing: No such file or directory" "$tmp/err" || fail "missing file message"

"$bin" debug > /dev/null 2>&1
[ $? -eq 2 ] || fail "bad usage must exit 2"
echo "debug ast: ok"
