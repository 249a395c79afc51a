#!/usr/bin/env bash
# `buildtool build` end to end on FROM scratch Dockerfiles: what a rebuild runs and what it
# takes from the cache (issue 5's cache behaviour), that independent stages run at the same
# time, and that an interrupted build exits 130 and records nothing half-made. Steps are read
# from the rawjson progress stream: a step "ran" when it has a "started" event.
#
#   build_cache_test.sh BUILDTOOL
set -uo pipefail
buildtool=$1
work=$(mktemp -d "${TMPDIR:-/tmp}/bt-e2e-cache.XXXXXX")
trap 'rm -rf "$work"' EXIT
root=$work/root
ctx=$work/ctx
failures=0

fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
expect_eq() {  # WHAT EXPECTED ACTUAL
  if [ "$2" != "$3" ]; then fail "$1: expected [$2], got [$3]"; else echo "ok   $1"; fi
}

mkdir -p "$ctx"
cat >"$ctx/Dockerfile" <<'EOF'
FROM scratch AS left
COPY left.txt /left.txt
FROM scratch AS right
COPY right.txt /right.txt
FROM scratch
COPY app.txt /app.txt
COPY conf.txt /conf.txt
COPY --from=left /left.txt /l
COPY --from=right /right.txt /r
EOF
for f in left right app conf unrelated; do echo "$f v1" >"$ctx/$f.txt"; done
# Older than the stat cache's racy margin, as a checked-out context is.
touch -d '2020-01-01' "$ctx"/*

# build [FLAGS...]: runs a build; sets $ran to the sorted names of the steps that started
# (build-context loading and exports left out) and $rc to the exit status.
build() {
  "$buildtool" build --root "$root" --progress rawjson "$@" "$ctx" >"$work/events" 2>"$work/stderr"
  rc=$?
  grep '^{' "$work/stderr" >"$work/events"
  ran=$(jq -r 'select(.type == "vertex" and .state == "started") | .name' "$work/events" |
        grep -v -e '^\[internal\]' -e '^exporting' | sed 's/^\[[^]]*\] //' | LC_ALL=C sort | paste -sd '|')
}

build -o "type=local,dest=$work/out1"
expect_eq "first build exits 0" 0 "$rc"
expect_eq "first build runs every step" \
  "COPY --from=left /left.txt /l|COPY --from=right /right.txt /r|COPY app.txt /app.txt|COPY conf.txt /conf.txt|COPY left.txt /left.txt|COPY right.txt /right.txt" "$ran"
expect_eq "output has the files" "app v1|conf v1|left v1|right v1" \
  "$(cat "$work/out1/app.txt" "$work/out1/conf.txt" "$work/out1/l" "$work/out1/r" | paste -sd '|')"

build
expect_eq "a rebuild runs nothing" "" "$ran"
expect_eq "a rebuild reports the target cached" 1 \
  "$(jq -r 'select(.type == "vertex" and .state == "cached") | .name' "$work/events" | wc -l)"

echo "unrelated v2" >"$ctx/unrelated.txt"
build
expect_eq "editing a file no step copies runs nothing" "" "$ran"

echo "conf v2" >"$ctx/conf.txt"
build -o "type=local,dest=$work/out2"
expect_eq "editing a copied file runs that step and the ones after it" \
  "COPY --from=left /left.txt /l|COPY --from=right /right.txt /r|COPY conf.txt /conf.txt" "$ran"
expect_eq "the edit is in the output" "conf v2" "$(cat "$work/out2/conf.txt")"

build --no-cache
expect_eq "--no-cache runs every step" 6 "$(echo "$ran" | tr '|' '\n' | grep -c .)"

build --no-cache-filter left
expect_eq "--no-cache-filter runs the stage and what reads it" \
  "COPY --from=left /left.txt /l|COPY --from=right /right.txt /r|COPY left.txt /left.txt" "$ran"

# A COPY that reaches its source through a symlink (a symlinked directory on the way, or a
# final link COPY follows): the scan is restricted to the paths COPY names, and must still see
# the target, so that an edit to it re-runs the COPY instead of a stale cache hit.
mkdir -p "$ctx/real"
echo "through v1" >"$ctx/real/file"
echo "target v1" >"$ctx/target.txt"
ln -s real "$ctx/dirlink"
ln -s target.txt "$ctx/filelink"
touch -h -d '2020-01-01' "$ctx/real" "$ctx/real/file" "$ctx/target.txt" "$ctx/dirlink" "$ctx/filelink"
cat >"$ctx/Dockerfile.links" <<'EOF'
FROM scratch
COPY dirlink/file /through
COPY filelink /target
EOF
build -f "$ctx/Dockerfile.links" -o "type=local,dest=$work/links1"
expect_eq "COPY through symlinks copies the targets" "through v1|target v1" \
  "$(cat "$work/links1/through" "$work/links1/target" | paste -sd '|')"
echo "through v2" >"$ctx/real/file"
build -f "$ctx/Dockerfile.links" -o "type=local,dest=$work/links2"
expect_eq "editing a file behind a symlinked directory re-runs the COPY" \
  "COPY dirlink/file /through|COPY filelink /target" "$ran"
expect_eq "the edit behind the directory link is in the output" "through v2" "$(cat "$work/links2/through")"
echo "target v2" >"$ctx/target.txt"
build -f "$ctx/Dockerfile.links" -o "type=local,dest=$work/links3"
expect_eq "editing the target of a copied symlink re-runs its COPY" "COPY filelink /target" "$ran"
expect_eq "the edit behind the file link is in the output" "target v2" "$(cat "$work/links3/target")"
build -f "$ctx/Dockerfile.links"
expect_eq "a rebuild through symlinks runs nothing" "" "$ran"

# Content-based keys (BuildKit's): a stage re-runs because its first step's source changed,
# but the file a later stage copies from it comes out the same; the COPY --from finds its
# earlier result by that content, and so does every step after it.
cat >"$ctx/Dockerfile.content" <<'EOF'
FROM scratch AS builder
COPY left.txt /input.txt
COPY right.txt /artifact.txt
FROM scratch
COPY --from=builder /artifact.txt /artifact
COPY app.txt /app.txt
EOF
build -f "$ctx/Dockerfile.content"
echo "left v9" >"$ctx/left.txt"
build -f "$ctx/Dockerfile.content" -o "type=local,dest=$work/content"
expect_eq "a stage that re-ran with the same artifact leaves the COPY --from and what follows cached" \
  "COPY left.txt /input.txt|COPY right.txt /artifact.txt" "$ran"
expect_eq "the steps found by content are reported cached" 2 \
  "$(jq -r 'select(.type == "vertex" and .state == "cached") | .name' "$work/events" | grep -c 'stage-1')"
expect_eq "the output has the artifact" "right v1|app v1" \
  "$(cat "$work/content/artifact" "$work/content/app.txt" | paste -sd '|')"
build -f "$ctx/Dockerfile.content"
expect_eq "the next build plans everything cached" "" "$ran"
echo "right v9" >"$ctx/right.txt"
build -f "$ctx/Dockerfile.content" -o "type=local,dest=$work/content2"
expect_eq "a changed artifact re-runs the COPY --from and what follows" \
  "COPY --from=builder /artifact.txt /artifact|COPY app.txt /app.txt|COPY right.txt /artifact.txt" "$ran"
expect_eq "the changed artifact is in the output" "right v9" "$(cat "$work/content2/artifact")"
build -f "$ctx/Dockerfile.content" --no-cache
expect_eq "--no-cache runs every step, content keys or not" 4 "$(echo "$ran" | tr '|' '\n' | grep -c .)"

# Two independent stages: each starts before the other finishes. Where RUN can sandbox, each
# stage sleeps a second, so the overlap does not depend on how fast a loaded machine copies;
# elsewhere they copy big files.
if [ "$(id -u)" = 0 ] && awk '$5 == "/" {found=1} END {exit !found}' /proc/self/mountinfo; then
  sh "$(dirname "$0")/../example/make-busybox-rootfs.sh" "$work/bb" >/dev/null
  cat >"$ctx/Dockerfile.parallel" <<'EOF'
FROM bb AS one
RUN sleep 1 && echo one > /big
FROM bb AS two
RUN sleep 1 && echo two > /big
FROM scratch
COPY --from=one /big /one
COPY --from=two /big /two
EOF
  build -f "$ctx/Dockerfile.parallel" --jobs 2 --network none --build-context "bb=$work/bb"
  pattern='RUN sleep'
else
  cat >"$ctx/Dockerfile.parallel" <<'EOF'
FROM scratch AS one
COPY big1 /big
FROM scratch AS two
COPY big2 /big
FROM scratch
COPY --from=one /big /one
COPY --from=two /big /two
EOF
  head -c 150000000 /dev/zero >"$ctx/big1"
  head -c 150000000 /dev/zero | tr '\0' 'x' >"$ctx/big2"
  touch -d '2020-01-01' "$ctx/big1" "$ctx/big2"
  build -f "$ctx/Dockerfile.parallel" --jobs 2
  pattern='COPY big'
fi
order=$(jq -r --arg p "$pattern" 'select(.type == "vertex" and (.name | test($p))) | .state' "$work/events" | paste -sd '|')
case "$order" in
  started\|started\|*) echo "ok   independent stages overlap ($order)" ;;
  *) fail "independent stages did not overlap: $order" ;;
esac

# SIGINT while a step copies: exit 130, the step is not recorded, the root stays sound.
head -c 400000000 /dev/zero | tr '\0' 'y' >"$ctx/big3"
printf 'FROM scratch\nCOPY big3 /big3\n' >"$ctx/Dockerfile.interrupt"
"$buildtool" build --root "$root" --progress rawjson -f "$ctx/Dockerfile.interrupt" "$ctx" \
  >/dev/null 2>"$work/interrupt.events" &
pid=$!
for _ in $(seq 1 200); do
  grep -q '"state":"started","time".*' "$work/interrupt.events" 2>/dev/null &&
    grep -q 'COPY big3' "$work/interrupt.events" && break
  sleep 0.02
done
kill -INT "$pid"
wait "$pid"
expect_eq "an interrupted build exits 130" 130 "$?"
if ! "$buildtool" du --check --root "$root" >"$work/check" 2>&1; then
  fail "du --check after the interrupt: $(cat "$work/check")"
fi
build -f "$ctx/Dockerfile.interrupt"
expect_eq "the interrupted step runs again" "COPY big3 /big3" "$ran"

# ADD of a URL without --checksum: fetched on every build, as BuildKit does, but what reads it
# stays cached while the content does not change. busybox httpd serves it on 127.0.0.1.
if [ -x /bin/busybox ]; then
  mkdir -p "$work/www"
  echo "remote v1" >"$work/www/remote.txt"
  touch -d '2021-01-01' "$work/www/remote.txt"
  port=$((20000 + RANDOM % 20000))
  /bin/busybox httpd -f -p "127.0.0.1:$port" -h "$work/www" &
  httpd=$!
  sleep 0.3
  printf 'FROM scratch\nADD http://127.0.0.1:%s/remote.txt /remote.txt\nCOPY app.txt /after.txt\n' "$port" \
    >"$ctx/Dockerfile.url"
  build -f "$ctx/Dockerfile.url" -o "type=local,dest=$work/out-url"
  # The download and the copy of it into the stage are two steps that show the ADD line.
  add="ADD http://127.0.0.1:$port/remote.txt /remote.txt"
  expect_eq "an unpinned URL: the first build fetches it and runs what reads it" \
    "$add|$add|COPY app.txt /after.txt" "$ran"
  build -f "$ctx/Dockerfile.url"
  expect_eq "unchanged content: fetched again, the steps after it cached" "$add" "$ran"
  echo "remote v2" >"$work/www/remote.txt"
  touch -d '2021-01-02' "$work/www/remote.txt"
  build -f "$ctx/Dockerfile.url" -o "type=local,dest=$work/out-url2"
  expect_eq "changed content: the steps after it run again" "$add|$add|COPY app.txt /after.txt" "$ran"
  expect_eq "changed content reaches the output" "remote v2" "$(cat "$work/out-url2/remote.txt")"
  rm "$work/www/remote.txt"
  build -f "$ctx/Dockerfile.url"
  if [ "$rc" != 0 ] && grep -q "remote.txt" "$work/stderr"; then echo "ok   a URL that fails fails the build, naming it"
  else fail "a failing URL: rc=$rc $(tail -n 3 "$work/stderr")"; fi
  kill "$httpd" 2>/dev/null
  wait "$httpd" 2>/dev/null
fi

echo "e2e build cache: $failures failure(s)"
[ "$failures" = 0 ]
