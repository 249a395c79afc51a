#!/usr/bin/env bash
# The README's quick-start command 1, as it is written there (after install and build): the
# busybox example into example-out/, checked by what its RUN steps wrote. Skipped where RUN
# cannot sandbox (no root, or "/" not a mount point as in a chroot); the FROM scratch example
# is built in any case.
#
#   example_test.sh BUILDTOOL SOURCE_DIR
set -uo pipefail
buildtool=$(realpath "$1")
src=$2
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
"$buildtool" build --root "$work/root" --progress plain --build-context "busybox=$work/busybox" \
  -o "type=local,dest=$work/example-out" "$src/tests/example/busybox" >"$work/log" 2>&1 ||
  { echo "FAIL: busybox example"; tail -n 20 "$work/log"; exit 1; }
expected="built as app in buildkitsandbox with 2 file(s)"
got=$(cat "$work/example-out/app/built.txt" 2>&1)
[ "$got" = "$expected" ] || { echo "FAIL: built.txt is '$got', expected '$expected'"; exit 1; }
[ "$(stat -c %u "$work/example-out/app/built.txt")" = 1000 ] || { echo "FAIL: built.txt not owned by app"; exit 1; }
echo "ok   busybox example"
