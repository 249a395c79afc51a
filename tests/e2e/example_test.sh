#!/usr/bin/env bash
# The README's quick-start command 1, as it is written there (after install and build, and on a
# root of its own): the busybox rootfs imported as the image `busybox`, the example built on it
# into example.tar, which umoci unpacks to check what the RUN steps wrote. Then the same
# Dockerfile with the base given as a directory (--build-context). Skipped where RUN cannot
# sandbox (no root, or "/" not a mount point as in a chroot); the FROM scratch example is built
# in any case.
#
#   example_test.sh BUILDTOOL SOURCE_DIR [SHARED_DIR]
set -uo pipefail
buildtool=$(realpath "$1")
src=$2
shared=${3:-$src/../shared}
work=$(mktemp -d "${TMPDIR:-/tmp}/bt-example.XXXXXX")
trap 'rm -rf "$work"' EXIT
"$buildtool" build --root "$work/root" --progress plain -o "type=local,dest=$work/scratch-out" \
  "$src/tests/example/scratch" >"$work/log" 2>&1 || { echo "FAIL: scratch example"; tail -n 20 "$work/log"; exit 1; }
[ -x "$work/scratch-out/app/start.sh" ] || { echo "FAIL: scratch example has no /app/start.sh"; exit 1; }
echo "ok   scratch example"
if [ "$(id -u)" != 0 ] || ! awk '$5 == "/" {found=1} END {exit !found}' /proc/self/mountinfo; then
  echo "SKIPPED: busybox example (RUN needs root and \"/\" as a mount point)"; exit 0
fi
"$src/tests/example/make-busybox-rootfs.sh" "$work/busybox" || exit 1
export BUILDTOOL_ROOT=$work/readme-root
(cd "$work" && tar -C busybox --numeric-owner -cf busybox.tar . &&
  "$buildtool" import busybox.tar busybox >/dev/null &&
  "$buildtool" build -t example:1 -o type=docker,dest=example.tar "$src/tests/example/busybox") >"$work/log" 2>&1 ||
  { echo "FAIL: the README's command 1"; tail -n 20 "$work/log"; exit 1; }
unset BUILDTOOL_ROOT
# The corpus's judge reads the docker archive and applies its layers (umoci reads only OCI
# media types, and a docker archive has Docker's).
bash "$shared/conformance/semantics/extract.sh" "$work/example.tar" "$work/judged" >"$work/log" 2>&1 ||
  { echo "FAIL: extract.sh cannot read example.tar: $(tail -n 3 "$work/log")"; exit 1; }
expected="built as app in buildkitsandbox with 2 file(s)"
want_sum=$(printf '%s\n' "$expected" | sha256sum | cut -d' ' -f1)
line=$(grep '^/app/built.txt ' "$work/judged/files.txt")
[ "$line" = "/app/built.txt file 0644 1000:1000 $(( ${#expected} + 1 )) $want_sum" ] ||
  { echo "FAIL: /app/built.txt in example.tar is [$line]"; exit 1; }
mkdir -p "$work/layout" && tar -xf "$work/example.tar" -C "$work/layout" manifest.json
[ "$(jq -r '.[0].RepoTags[0]' "$work/layout/manifest.json")" = example:1 ] ||
  { echo "FAIL: example.tar does not name example:1 for docker load"; exit 1; }
echo "ok   busybox example (README command 1)"

"$buildtool" build --root "$work/root" --progress plain --build-context "busybox=$work/busybox" \
  -o "type=local,dest=$work/example-out" "$src/tests/example/busybox" >"$work/log" 2>&1 ||
  { echo "FAIL: busybox example from a directory"; tail -n 20 "$work/log"; exit 1; }
got=$(cat "$work/example-out/app/built.txt" 2>&1)
[ "$got" = "$expected" ] || { echo "FAIL: built.txt is '$got', expected '$expected'"; exit 1; }
echo "ok   busybox example from a directory"
