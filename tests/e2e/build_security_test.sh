#!/usr/bin/env bash
# SECURITY.md cases 19, 20, 21, 25 and 28 through `buildtool build` (FROM scratch, no RUN):
# hostile contexts, paths, archives and output destinations. Every case checks that a
# sentinel directory outside the context and the root is untouched and that its secret never
# shows up in an output.
#
#   build_security_test.sh BUILDTOOL
set -uo pipefail
buildtool=$1
work=$(mktemp -d "${TMPDIR:-/tmp}/bt-e2e-sec.XXXXXX")
trap 'rm -rf "$work"' EXIT
root=$work/root
host=$work/host  # stands for the host: nothing may be read from or written to it
secret="HOST-SECRET-$$-$RANDOM"
failures=0

fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
ok() { echo "ok   $*"; }
mkdir -p "$host/target"
echo "$secret" >"$host/secret"
echo "$secret" >"$host/target/keep"
host_state() { (cd "$host" && find . -printf '%p %y %m %s\n' | LC_ALL=C sort; cat secret target/keep); }
host_before=$(host_state)
check_host() {  # WHAT
  [ "$(host_state)" = "$host_before" ] || fail "$1: the host sentinel changed"
  if grep -rqs "$secret" "$work/out" "$work"/*.tar 2>/dev/null; then fail "$1: the host secret leaked into an output"; fi
}

# build CTX DOCKERFILE-TEXT [FLAGS...]: sets $rc and $log.
build() {
  local ctx=$1 text=$2; shift 2
  printf '%s\n' "$text" >"$ctx/Dockerfile"
  log=$("$buildtool" build --root "$root" --progress plain "$@" "$ctx" 2>&1)
  rc=$?
}
new_ctx() { rm -rf "$work/ctx" "$work/out"; mkdir -p "$work/ctx"; echo "$work/ctx"; }

# 19: symlinks in the context are copied as links and never followed out of it.
ctx=$(new_ctx)
ln -s "$host/secret" "$ctx/foo"
mkdir "$ctx/sub" && ln -s ../../../../../../../../"$host"/secret "$ctx/sub/bar"
ln -s bay "$ctx/bax"
build "$ctx" $'FROM scratch\nCOPY . /dst' -o "type=local,dest=$work/out"
[ $rc = 0 ] || fail "19: COPY . with hostile links failed: $log"
[ "$(readlink "$work/out/dst/foo")" = "$host/secret" ] && [ -L "$work/out/dst/sub/bar" ] &&
  [ "$(readlink "$work/out/dst/bax")" = bay ] && ok "19: COPY . keeps links as links" ||
  fail "19: links not copied verbatim"
for src in foo sub/bar; do
  build "$ctx" "FROM scratch
COPY $src /x" -o "type=local,dest=$work/out"
  [ $rc != 0 ] && grep -q "no such file" <<<"$log" && ok "19: COPY $src (a link out of the context) is not found" ||
    fail "19: COPY $src: rc=$rc: $log"
done
check_host 19

# 20: .. and absolute sources stay in the context; WORKDIR stays in the rootfs.
ctx=$(new_ctx)
echo fine >"$ctx/ok.txt"
for src in ../../../../../../../..$host/secret "$host/secret" ../secret; do
  build "$ctx" "FROM scratch
COPY $src /x" -o "type=local,dest=$work/out"
  [ $rc != 0 ] && ok "20: COPY $src is not found" || fail "20: COPY $src built: $log"
done
build "$ctx" $'FROM scratch\nWORKDIR ../../../tmp\nCOPY ok.txt .' -o "type=local,dest=$work/out"
[ $rc = 0 ] && [ "$(cat "$work/out/tmp/ok.txt")" = fine ] && ok "20: WORKDIR ../../../tmp is /tmp of the image" ||
  fail "20: WORKDIR ..: rc=$rc: $log"
check_host 20

# 21: a hostile tar through ADD: '..' names, an absolute name, a link then a file through it,
# a hard link out of the root. Refused or contained; nothing lands outside.
ctx=$(new_ctx)
mkdir -p "$work/tarsrc" && (
  cd "$work/tarsrc" && echo evil >f && ln -sf "$host/target" a && ln -f f h
  tar -P -cf "$ctx/dotdot.tar" --transform 's,^f$,../../../../outside,' f
  tar -P -cf "$ctx/abs.tar" --transform "s,^f\$,$host/abs," f
  mkdir -p d && echo evil >d/evil
  tar -P -cf "$ctx/through-link.tar" a --transform 's,^d/,a/,' d/evil
  # f and h are one inode: h becomes a hard-link entry whose target names the host file.
  tar -P -cf "$ctx/hardlink.tar" --transform "s,^f\$,$host/secret," f h
)
for t in dotdot abs through-link hardlink; do
  build "$ctx" "FROM scratch
ADD $t.tar /x/" -o "type=local,dest=$work/out"
  if [ $rc = 0 ]; then ok "21: ADD $t.tar contained"; else ok "21: ADD $t.tar refused: $(tail -n1 <<<"$log" | cut -c1-100)"; fi
  [ ! -e "$work/outside" ] && [ ! -e "$host/abs" ] && [ ! -e "$host/target/evil" ] ||
    fail "21: ADD $t.tar wrote outside the root"
done
check_host 21

# 25: only tar is unpacked: a zip-named tar is unpacked, a non-tar is copied as it is.
ctx=$(new_ctx)
(cd "$work/tarsrc" && tar -cf "$ctx/x.zip" f)
printf 'PK\003\004not really a zip' >"$ctx/real.zip"
build "$ctx" $'FROM scratch\nADD x.zip /t/\nADD real.zip /z/' -o "type=local,dest=$work/out"
[ $rc = 0 ] && [ -f "$work/out/t/f" ] && [ -f "$work/out/z/real.zip" ] &&
  ok "25: tar sniffed from content, a non-tar copied" || fail "25: rc=$rc: $log"

# 28: outputs never write through links.
ctx=$(new_ctx)
mkdir "$ctx/d" && echo inside >"$ctx/d/file"
ln -s "../../../../../../../..$host" "$ctx/escape"
mkdir -p "$work/out" && ln -s "$host/target" "$work/out/d"
build "$ctx" $'FROM scratch\nCOPY . /' -o "type=local,dest=$work/out"
[ $rc = 0 ] || fail "28: local export over a symlinked dir failed: $log"
[ -d "$work/out/d" ] && [ ! -L "$work/out/d" ] && [ "$(cat "$work/out/d/file")" = inside ] &&
  [ -L "$work/out/escape" ] && ok "28: a symlink in dest is replaced, result links stay links" ||
  fail "28: local export wrote through or lost a link"
ln -s "$host/secret" "$work/out.tar"
build "$ctx" $'FROM scratch\nCOPY d /d' -o "type=tar,dest=$work/out.tar"
[ $rc = 0 ] && [ ! -L "$work/out.tar" ] && tar -tf "$work/out.tar" | grep -q '^d/file$' &&
  ok "28: a tar dest that is a symlink is replaced" || fail "28: tar export: rc=$rc: $log"
check_host 28

echo "e2e build security: $failures failure(s)"
[ "$failures" = 0 ]
