#!/usr/bin/env bash
# The sandbox cases of SECURITY.md section 3 that run_sandbox_test.sh does not cover: hostile
# Dockerfiles and base images attack the machine through RUN (cases 3-9, 11, 12, 16, and a
# full disk). Every case is checked against the host-integrity oracle of SECURITY.md section
# 2: a canary directory $T/host (empty files, a directory, a stub file and a secret holding a
# random token), /etc/passwd, /etc/shadow, /proc/sys/kernel/core_pattern and
# /proc/sys/kernel/modprobe, and the buildtool and runtime binaries (copies made for the run,
# so a rebuild of the tree cannot disturb it) keep their sha256, inode and mtime; the token
# never shows up in any build output. The base is the busybox rootfs of
# run_sandbox_test.sh (`FROM scratch AS bb` + `COPY bb/ /`); hostile bases are made the same
# way, from context directories holding the symlinks (COPY copies links as links).
#
#   run_adversarial_test.sh BUILDTOOL [RUNTIME]   (RUNTIME: passed as --runtime, e.g. crun)
set -uo pipefail
buildtool=$(readlink -f "$1")
runtime=${2:-}
. "$(dirname "$0")/sandbox_lib.sh"
sandbox_preflight

T=$(mktemp -d "${TMPDIR:-/tmp}/bt-e2e-adv.XXXXXX")
T=$(readlink -f "$T")
small=$T/small        # a 64 MiB tmpfs for the disk-full case
bg_pids=()            # background builds still to be killed on exit
core_pattern_before=$(cat /proc/sys/kernel/core_pattern)
cleanup() {
  local p
  for p in "${bg_pids[@]}"; do kill -KILL -- "-$p" 2>/dev/null || kill -KILL "$p" 2>/dev/null; done
  wait 2>/dev/null
  # A broken sandbox must not leave the machine changed: put core_pattern back.
  if [ "$(cat /proc/sys/kernel/core_pattern)" != "$core_pattern_before" ]; then
    printf '%s\n' "$core_pattern_before" >/proc/sys/kernel/core_pattern
  fi
  mountpoint -q "$small" && umount -l "$small"
  rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The binaries run from a copy made now, so that the oracle hashes exactly what runs (and a
# rebuild of the tree during the test cannot look like an overwrite).
mkdir -p "$T/bin"
cp "$buildtool" "$(dirname "$buildtool")/buildtool-runtime" "$T/bin/" || { echo "FAILED: cannot copy the binaries"; exit 1; }
buildtool=$T/bin/buildtool
root=$T/root
host=$T/host
out=$T/out
ctx=$T/ctx
token="HOST-SECRET-$$-$RANDOM$RANDOM$RANDOM"
runtime_bin=$T/bin/buildtool-runtime
flags=()
[ -n "$runtime" ] && flags+=(--runtime "$runtime")
failures=0
case_no=""
fail() { echo "FAIL: case $case_no: $*"; failures=$((failures + 1)); }
ok() { echo "ok   case $case_no: $*"; }

# The canaries: where an exploit would aim.
mkdir -p "$host/dir" "$host/devdir" "$host/stub"
: >"$host/empty"
: >"$host/stub/file"
: >"$host/devdir/null"
printf '%s\n' "$token" >"$host/secret"
chmod 600 "$host/secret"
touch -d '2020-01-01' "$host" "$host"/* "$host"/*/*

# The oracle's view of the host: every canary (type, mode, size, inode, mtime, link target,
# sha256), the account files, the two kernel knobs an escape would write, the binaries that
# run builds, and the absolute paths the mount cases aim at.
bins=("$buildtool" "$runtime_bin")
case $runtime in
  "") ;;
  */*) bins+=("$runtime") ;;
  *) command -v "$runtime" >/dev/null && bins+=("$(command -v "$runtime")") ;;
esac
# `host_state quick` leaves out the sha256 of the binaries (the rest is cheap).
host_state() {
  (cd "$host" && find . -printf '%p %y %m %s %i %T@ %l\n' | LC_ALL=C sort &&
     find . -type f -exec sha256sum {} + | LC_ALL=C sort -k2)
  local f
  for f in /etc/passwd /etc/shadow "${bins[@]}"; do
    stat -c '%n %i %Y %s %a' "$f"
    [ "${1:-}" = quick ] && [ "$f" != /etc/passwd ] && [ "$f" != /etc/shadow ] && continue
    sha256sum "$f"
  done
  for f in /proc/sys/kernel/core_pattern /proc/sys/kernel/modprobe; do
    if [ -e "$f" ]; then echo "$f: $(cat "$f")"; else echo "$f: absent"; fi
  done
  for f in /x /y /z /victim /v2 /h /PWNED; do [ -e "$f" ] || [ -L "$f" ] && echo "$f exists"; done
  true
}

# The busybox base, as in run_sandbox_test.sh.
make_busybox_base "$ctx/bb" || exit 1
echo "bound from the context" >"$ctx/f"

# build_df DOCKERFILE [FLAGS...]: builds the context with this Dockerfile, its final
# filesystem into $out; sets $rc and $log. A build is stopped after $build_timeout seconds
# (rc 124 then). The token must never be in the output.
build_timeout=90
build_df() {
  local text=$1; shift
  printf '%s\n' "$text" >"$ctx/Dockerfile"
  rm -rf "$out"
  log=$(timeout -k 5 "$build_timeout" "$buildtool" build --root "$root" --progress plain \
    "${flags[@]}" "$@" -o "type=local,dest=$out" "$ctx" 2>&1)
  rc=$?
  if grep -qF "$token" <<<"$log"; then fail "the host secret is in the build output"; fi
}
# build BODY [FLAGS...]: BODY runs on the busybox base.
build() {
  local body=$1; shift
  build_df "$(printf 'FROM scratch AS bb\nCOPY bb/ /\nFROM bb\n%s' "$body")" "$@"
}
# A failed build must fail clearly: exit 1 (no crash, no hang) and an error line.
failed_clearly() { [ "$rc" = 1 ] && grep -qiE 'error|failed|denied|refus|not permitted|invalid' <<<"$log"; }
# The reason of the first error line, without the command it repeats.
first_error() { grep -iE 'error|failed' <<<"$log" | head -n 1 | sed 's/.*\]: //' | cut -c1-160; }
log_tail() { tail -n "${1:-8}" <<<"$log" | sed 's/^/    | /'; }
# Reads a file of the last build's result (empty when absent).
result() { cat "$out/$1" 2>/dev/null; }

# run_case N NAME FUNCTION: one independent case between two looks at the host.
run_case() {
  case_no=$1
  local name=$2 fn=$3 before after started=$SECONDS
  before=$(host_state)
  "$fn"
  after=$(host_state)
  if [ "$before" = "$after" ]; then ok "$name: host integrity oracle unchanged ($((SECONDS - started))s)"
  else fail "$name: the host changed:"; diff <(echo "$before") <(echo "$after") | sed 's/^/    /' | head -n 20; fi
  case_no=""
}

# ---------------------------------------------------------------------------------------
# Case 3: masked and read-only /proc and /sys.
case3() {
  # `c` to sysrq-trigger crashes the machine if it lands, so it is only sent after a harmless
  # key (h: print the help) was refused: a broken sandbox fails the case, not the machine.
  build 'RUN : > /w; \
  if (echo h > /proc/sysrq-trigger) 2>/dev/null; then echo sysrq-trigger >> /w; \
  elif (echo c > /proc/sysrq-trigger) 2>/dev/null; then echo sysrq-trigger-c >> /w; fi; \
  (echo "|/tmp/pwned %p" > /proc/sys/kernel/core_pattern) 2>/dev/null && echo core_pattern >> /w; \
  (echo "scsi remove-single-device 9999 9999 9999 9999" > /proc/scsi/scsi) 2>/dev/null && echo scsi >> /w; \
  touch /sys/x 2>/dev/null && echo /sys >> /w; \
  touch /sys/fs/cgroup/x 2>/dev/null && echo /sys/fs/cgroup >> /w; \
  (echo 1 > /proc/sys/vm/drop_caches) 2>/dev/null && echo /proc/sys >> /w; \
  for f in /proc/keys /proc/timer_list /proc/kcore /proc/sched_debug; do cat $f 2>/dev/null | wc -c; done > /reads; \
  ls /sys/firmware 2>/dev/null | wc -l >> /reads; true'
  if [ "$rc" != 0 ] || [ ! -f "$out/w" ]; then fail "the probe step did not run (rc=$rc)"; log_tail; return; fi
  [ -z "$(result w)" ] && ok "writes to sysrq-trigger, core_pattern, scsi, /proc/sys, /sys, /sys/fs/cgroup all fail" ||
    fail "writable from a RUN step: $(result w | tr '\n' ' ')"
  [ "$(result reads | tr '\n' ' ')" = "0 0 0 0 0 " ] &&
    ok "/proc/keys, /proc/timer_list, /proc/kcore, /proc/sched_debug read empty, /sys/firmware lists nothing" ||
    fail "masked paths not empty (keys timer_list kcore sched_debug firmware): $(result reads | tr '\n' ' ')"
  [ "$(cat /proc/sys/kernel/core_pattern)" = "$core_pattern_before" ] && ok "host core_pattern unchanged" ||
    fail "host core_pattern is now $(cat /proc/sys/kernel/core_pattern)"
}

# Case 4: WORKDIR through /proc/self/fd/N (CVE-2024-21626).
case4() {
  local n bad=0 outcomes=() up=../../../../../../../../../../../..
  for n in $(seq 3 32); do
    build "WORKDIR /proc/self/fd/$n
RUN pwd > /pwd4 2>&1; cat $up$host/secret; ls $up > /ls4 2>&1; true"
    if [ "$rc" = 0 ]; then
      local cwd
      cwd=$(result pwd4)
      if [[ $cwd != /* ]] || [[ $cwd == *unreachable* ]] || grep -qx "$(basename "$T")" "$out/ls4" 2>/dev/null; then
        fail "WORKDIR /proc/self/fd/$n: cwd outside the rootfs: pwd '$cwd', ls: $(head -c 200 "$out/ls4" | tr '\n' ' ')"
        bad=1
      fi
      outcomes+=("$n:ran")
    elif failed_clearly; then outcomes+=("$n:refused")
    else fail "WORKDIR /proc/self/fd/$n: rc=$rc"; log_tail; bad=1; fi
  done
  [ $bad = 0 ] && ok "WORKDIR /proc/self/fd/3..32: each refused or in-root (${outcomes[*]})"
  local w
  for w in /proc/self/cwd /proc/self/cwd/../../.. /proc/1/cwd /proc/1/root /proc/self/root/proc/1/cwd; do
    build "WORKDIR $w
RUN pwd > /pwd4 2>&1; cat $up$host/secret; true"
    if { [ "$rc" = 0 ] && [[ $(result pwd4) == /* ]] && [[ $(result pwd4) != *unreachable* ]]; } || failed_clearly; then
      ok "WORKDIR $w: rc=$rc pwd=$(result pwd4) $(first_error)"
    else fail "WORKDIR $w: rc=$rc pwd=$(result pwd4)"; log_tail; fi
  done
  build 'RUN --mount=type=bind,target=/proc/self/fd/5 true'
  if [ "$rc" = 0 ] || failed_clearly; then ok "RUN --mount target=/proc/self/fd/5: rc=$rc $(first_error)"
  else fail "RUN --mount target=/proc/self/fd/5: rc=$rc"; log_tail; fi
  build_df 'FROM scratch AS bb
COPY bb/ /
ONBUILD WORKDIR /proc/self/fd/7
FROM bb
RUN pwd > /pwd4; cat '"$up$host"'/secret; true'
  if { [ "$rc" = 0 ] && [[ $(result pwd4) == /* ]] && [[ $(result pwd4) != *unreachable* ]]; } || failed_clearly; then
    ok "ONBUILD WORKDIR /proc/self/fd/7: rc=$rc pwd=$(result pwd4)"
  else fail "ONBUILD WORKDIR /proc/self/fd/7: rc=$rc pwd=$(result pwd4)"; log_tail; fi
}

# Case 5: the step tries to open the runtime binary and every fd it can see for writing
# (CVE-2019-5736), in a loop and from a second process started with the step. A link that
# names a file whose path inside the container is not that same file is a host file
# ("foreign"). The probe runs beside the shell's own globbing, so an fd number can be closed
# and reused between readlink and the test: a link counts as foreign only when three checks
# in a row read the same target and find it is not that file. Pipes, and fds
# whose link cannot be read (a non-dumpable process), are not write-opened; as fds come and
# go while the probe runs, each open has a timeout (an open of a pipe without a reader
# blocks) and the file opened is named by the fd it gave.
case5() {
  build 'RUN probe() { for f in /proc/1/exe /proc/[0-9]*/exe /proc/[0-9]*/fd/* /proc/[0-9]*/task/*/fd/*; do \
      t=$(readlink "$f" 2>/dev/null) || case $f in */exe) ;; *) continue;; esac; \
      case $t in /*) n=0; while [ $n -lt 3 ] && [ "$(readlink "$f" 2>/dev/null)" = "$t" ] && ! [ "$f" -ef "$t" ] && \
          [ "$t" != /dev/null ]; do n=$((n+1)); done; [ $n -lt 3 ] || echo "foreign $f -> $t";; pipe:*) continue;; esac; \
      timeout -s KILL 2 sh -c "exec 3>>\"\$0\" && echo \"write \$0 -> \$(readlink /proc/self/fd/3)\"" "$f" 2>/dev/null; done; }; \
    probe > /opened-early & \
    for i in 1 2 3 4 5; do probe; done > /opened; wait; true'
  if [ "$rc" != 0 ] || [ ! -f "$out/opened" ]; then fail "the probe step did not run (rc=$rc)"; log_tail; return; fi
  local seen exe foreign
  seen=$(cat "$out/opened" "$out/opened-early" | sort -u)
  exe=$(grep -E '^write /proc/[0-9]+/exe ' <<<"$seen")
  [ -z "$exe" ] && ok "no /proc/*/exe opens for writing" || fail "opened for writing: $(head -n 3 <<<"$exe")"
  foreign=$(grep '^foreign ' <<<"$seen")
  [ -z "$foreign" ] && ok "no exe or fd of the step's processes names a host file" ||
    fail "host files visible through /proc: $(head -n 3 <<<"$foreign")"
  # What may be write-opened: /dev/null, the step's pipes, sockets and anonymous inodes and
  # its own files.
  local other
  other=$(grep '^write /proc/[0-9]*/\(task/[0-9]*/\)\?fd/' <<<"$seen" |
          grep -vE ' -> (pipe:|socket:|anon_inode:|/dev/null$|/dev/pts/|/opened(-early)?$)')
  [ -z "$other" ] && ok "every fd writable from the step is its own (/dev/null, its files)" ||
    fail "fds the step could open for writing that are not its own: $(head -n 3 <<<"$other")"
}

# Case 6: base images whose special paths are symlinks out of the rootfs (or a file where a
# directory belongs, or a FIFO, which would hang whoever opens it for reading).
case6() {
  local up=../../../../../../../../../../../..
  local variants=(
    "proc:/tmp/x"
    "dev:$up$host/devdir"
    "dev/null:/proc/sys/kernel/core_pattern"
    "dev/pts:/"
    "dev/shm:$up$host/dir"
    "sys:/tmp"
    "etc/hosts:/etc/shadow"
    "etc/resolv.conf:../../../etc/passwd"
    "etc/hostname:$up$host/secret"
    "proc:@file"
    "dev:@file"
    "etc/hosts:@fifo"
    "etc/resolv.conf:@fifo"
  )
  local v path target
  # The host's account lines that the busybox base does not have: none may be read.
  grep -vxF -f "$ctx/bb/etc/passwd" /etc/passwd | grep . >"$T/host-lines"
  grep . /etc/shadow >>"$T/host-lines"
  local before after
  for v in "${variants[@]}"; do
    path=${v%%:*} target=${v#*:}
    before=$(host_state quick)
    rm -rf "$ctx/evil6" && mkdir -p "$ctx/evil6/$(dirname "$path")"
    case $target in  # also special files where the runtime expects a directory or a file
      @file) : >"$ctx/evil6/$path" ;;
      @fifo) mkfifo "$ctx/evil6/$path" ;;
      *) ln -s "$target" "$ctx/evil6/$path" ;;
    esac
    build_df 'FROM scratch AS bb
COPY bb/ /
COPY evil6/ /
FROM bb
RUN true
RUN cat /etc/hosts /etc/resolv.conf /etc/hostname; true'
    if [ "$rc" = 0 ] || failed_clearly; then ok "/$path -> $target: rc=$rc $(first_error)"
    else fail "/$path -> $target: rc=$rc"; log_tail; fi
    if grep -qxF -f "$T/host-lines" <<<"$log"; then fail "/$path -> $target: a host /etc/passwd or /etc/shadow line in the output"; fi
    after=$(host_state quick)
    [ "$before" = "$after" ] ||
      fail "/$path -> $target changed the host: $(diff <(echo "$before") <(echo "$after") | grep '^>' | head -n 6 | tr '\n' ' ')"
  done
  rm -rf "$ctx/evil6"
}

# Case 7: mount targets through symlinks resolve in the rootfs. Nothing named x, y or z may
# appear on the host, neither at / nor above the rootfs inside the test's directory.
case7() {
  mkdir -p "$ctx/evil7"
  ln -s / "$ctx/evil7/a"
  ln -s ../../.. "$ctx/evil7/b"
  ln -s ../../../../../../../../../../../../.. "$ctx/evil7/c"
  local base='FROM scratch AS bb
COPY bb/ /
COPY evil7/ /
FROM bb'
  build_df "$base
RUN --mount=type=tmpfs,target=/a/x awk '\$5 == \"/x\" {print \$5}' /proc/self/mountinfo > /o7a; touch /x/inside; ls /x >> /o7a"
  [ "$rc" = 0 ] && [ "$(result o7a | tr '\n' ' ')" = "/x inside " ] && ok "tmpfs target /a/x is mounted at /x" ||
    { fail "tmpfs target /a/x: rc=$rc, seen: $(result o7a | tr '\n' ' ')"; log_tail; }
  local link
  for link in b c; do
    build_df "$base
RUN --mount=type=bind,source=f,target=/$link/y cat /y > /o7b"
    [ "$rc" = 0 ] && [ "$(result o7b)" = "bound from the context" ] && ok "bind target /$link/y is mounted at /y" ||
      { fail "bind target /$link/y: rc=$rc, /y read: $(result o7b)"; log_tail; }
  done
  build_df "$base
RUN --mount=type=tmpfs,target=/c/z touch /z/inside && ls / > /o7c"
  [ "$rc" = 0 ] && grep -qx z "$out/o7c" && ok "tmpfs target /c/z is mounted at /z" ||
    { fail "tmpfs target /c/z: rc=$rc"; log_tail; }
  local stray
  stray=$(find "$T" -path "$ctx" -prune -o -path "$out" -prune -o \( -name x -o -name y -o -name z -o -name inside \) -print)
  [ ! -e /x ] && [ ! -e /y ] && [ ! -e /z ] && [ -z "$stray" ] && ok "nothing at host /x, /y, /z or above the rootfs" ||
    fail "mount points outside the rootfs: $(ls -d /x /y /z 2>/dev/null) $stray"
  rm -rf "$ctx/evil7"
}

# Case 8: a step swaps the parent of its mount stub for a link to the host (CVE-2024-23652).
# Variants: the parent made by the stub itself; made by an earlier `RUN mkdir` (on overlayfs
# a lower directory cannot be renamed, EXDEV, so also on the copy snapshotter, where it can);
# already a link to the host in the base (with that path also present in the rootfs, so the
# mount is made in-root and its stub must be removed there).
case8() {
  local kind mount
  stub_kept() {  # WHAT
    if [ -f "$host/stub/file" ]; then ok "$kind stub, $1: host stub/file kept (rc=$rc$(first_error | sed 's/^/, /'))"
    else fail "$kind stub, $1: host stub/file removed (rc=$rc)"; : >"$host/stub/file"; fi
    touch -d '2020-01-01' "$host/stub/file" "$host/stub"
  }
  for kind in tmpfs bind; do
    mount="type=tmpfs,target=/victim/file"
    [ $kind = bind ] && mount="type=bind,source=f,target=/victim/file"
    build "RUN --mount=$mount mv /victim /v2 && ln -s $host/stub /victim"
    stub_kept "parent made for the stub, swapped during the step"
    [ "$rc" = 0 ] && [ -L "$out/victim" ] || fail "$kind: the swap did not happen (rc=$rc)"
    build "RUN mkdir /victim
RUN --mount=$mount mv /victim /v2 && ln -s $host/stub /victim"
    stub_kept "parent made by RUN mkdir, swapped during the step"
    build "RUN mkdir /victim
RUN --mount=$mount mv /victim /v2 && ln -s $host/stub /victim" --snapshotter copy
    stub_kept "parent made by RUN mkdir, swapped during the step (copy snapshotter)"
    [ "$rc" = 0 ] && [ -L "$out/victim" ] || fail "$kind, copy snapshotter: the swap did not happen (rc=$rc)"
    rm -rf "$ctx/evil8" && mkdir -p "$ctx/evil8/$host/stub"
    ln -s "$host/stub" "$ctx/evil8/victim"
    build_df "FROM scratch AS bb
COPY bb/ /
COPY evil8/ /
FROM bb
RUN --mount=$mount ls /victim/file"
    stub_kept "/victim a link to the host stub dir in the base"
    [ "$rc" = 0 ] && [ ! -e "$out$host/stub/file" ] && [ ! -L "$out$host/stub/file" ] ||
      fail "$kind, /victim link in the base: rc=$rc, in-root stub left: $(ls -d "$out$host/stub/file" 2>&1)"
    rm -rf "$ctx/evil8"
  done
}

# Case 9 (static): a cache mount's source= that became a link out of the cache.
case9() {
  local id="c9-$RANDOM$RANDOM" target
  for target in /etc "$host"; do
    build "RUN --mount=type=cache,id=$id,target=/cache mkdir -p /cache/sel
RUN --mount=type=cache,id=$id,target=/cache rm -rf /cache/sel && ln -s $target /cache/sel
RUN --mount=type=cache,id=$id,source=sel,target=/victim cat /victim/hostname /victim/secret > /o9; ls /victim >> /o9; touch /victim/PWNED; true" --no-cache
    if [ "$rc" != 0 ] && failed_clearly; then ok "source=sel -> $target: the build fails: $(first_error)"
    elif [ "$rc" = 0 ] && ! grep -qxF -e "$(cat /etc/hostname)" -e "$token" "$out/o9"; then
      ok "source=sel -> $target: built without reading the host ($(result o9 | tr '\n' ' '))"
    else fail "source=sel -> $target: rc=$rc, read: $(result o9 | tr '\n' ' ' | head -c 200)"; log_tail; fi
  done
  [ ! -e /etc/PWNED ] || { fail "/etc/PWNED was created"; rm -f /etc/PWNED; }
}

# Case 9, the race: one build keeps swapping the cache's `sub` between a directory and a link
# to / while K builds mount source=sub and try to read the host's secret through it. Failures
# to mount are allowed ("not found" when the link is there); reading the token is an escape.
case9_race() {
  local id="c9race-$RANDOM$RANDOM" k=200 i escapes=0 mounted=0 refused=0
  printf '%s\n' 'FROM scratch AS bb' 'COPY bb/ /' 'FROM bb' \
    "RUN --mount=type=cache,id=$id,target=/c end=\$((\$(date +%s) + 60)); while [ \$(date +%s) -lt \$end ]; do rm -rf /c/sub; mkdir -p /c/sub; rm -rf /c/sub; ln -s / /c/sub; done" \
    >"$T/Dockerfile.swap"
  timeout -k 5 90 "$buildtool" build --root "$root" --progress plain "${flags[@]}" --no-cache \
    -f "$T/Dockerfile.swap" "$ctx" >"$T/swap.log" 2>&1 &
  local swapper=$!
  bg_pids+=("$swapper")
  sleep 1
  for i in $(seq 1 $k); do
    build "RUN --mount=type=cache,id=$id,source=sub,target=/v cat /v$host/secret > /o9r 2>/dev/null; ls /v > /o9l; true" --no-cache
    if [ "$rc" = 0 ]; then
      mounted=$((mounted + 1))
      grep -qF "$token" "$out/o9r" 2>/dev/null && escapes=$((escapes + 1))
    else
      refused=$((refused + 1))
    fi
    grep -qF "$token" <<<"$log" && escapes=$((escapes + 1))
  done
  kill -KILL -- "-$swapper" 2>/dev/null || kill -KILL "$swapper" 2>/dev/null
  wait "$swapper" 2>/dev/null
  bg_pids=()
  if [ $escapes = 0 ]; then ok "race: 0 escapes in $k builds ($mounted mounted, $refused refused while swapped)"
  else fail "race: $escapes builds read the host's secret through the swapped cache subdirectory"; fi
}

# Case 11: bind from a stage whose source is a link to / or above: /h must be that stage's
# own root (the links resolve in it), or the build fails.
case11() {
  mkdir -p "$ctx/evil11"
  ln -s / "$ctx/evil11/link"
  ln -s ../../.. "$ctx/evil11/up"
  echo evil-own >"$ctx/evil11/own"
  local src
  for src in link up; do
    build_df "FROM scratch AS evil
COPY evil11/ /
FROM scratch AS bb
COPY bb/ /
FROM bb
RUN --mount=type=bind,from=evil,source=$src,target=/h find /h -maxdepth 2 > /o11"
    if [ "$rc" = 0 ]; then
      if grep -qE "^/h/(work|proc|usr|etc|$(basename "$T")|host)(/|$)" "$out/o11"; then
        fail "source=$src shows the host: $(head -n 8 "$out/o11" | tr '\n' ' ')"
      elif [ "$(LC_ALL=C sort "$out/o11" | tr '\n' ' ')" != "/h /h/link /h/own /h/up " ]; then
        fail "source=$src: /h is not evil's own root: $(head -n 8 "$out/o11" | tr '\n' ' ')"
      else ok "source=$src: /h shows evil's own root ($(LC_ALL=C sort "$out/o11" | tr '\n' ' '))"; fi
    elif failed_clearly; then ok "source=$src: the build fails: $(first_error)"
    else fail "source=$src: rc=$rc"; log_tail; fi
  done
  rm -rf "$ctx/evil11"
}

# Case 12: zombies, a fork bomb, and 100 MB of output.
case12() {
  local started=$SECONDS
  # Process markers unique to this run (other runs of the test may go on at the same time).
  local zmark="sleep 17$$" smark="sleep 18$$" bomb_fn="bt_adv_bomb_$$"
  build 'RUN for i in $(seq 20); do sh -c "sleep 0 & exec '"$zmark"'" & done; sleep 1; ps > /ps12; true'
  local zombies
  zombies=$(grep -c "\[sleep\]\|<defunct>\| Z " "$out/ps12" 2>/dev/null)
  if [ "$rc" = 0 ] && [ $((SECONDS - started)) -lt 30 ] && ! pgrep -x -f "$zmark" >/dev/null; then
    ok "a step leaving $zombies zombies and their parents behind ends, nothing survives it"
  else fail "zombies: rc=$rc after $((SECONDS - started))s, left: $(pgrep -a -x -f "$zmark" | head -n 3)"; fi

  if [ ! -d /sys/fs/cgroup/pids ] && ! grep -qw pids /sys/fs/cgroup/cgroup.controllers 2>/dev/null; then
    echo "skip case 12: no pids cgroup, the fork bomb would hit the machine's own limit"
  else
    # Bounded at 6000 (above the limit of 4096, well below pid_max): without a working limit
    # the loop stops itself and reports NO-LIMIT.
    started=$SECONDS
    build 'RUN i=0; while [ $i -lt 6000 ]; do '"$smark"' & i=$((i+1)); done; printf "%s-%s after %s\n" NO LIMIT $i'
    local took=$((SECONDS - started)) limit_ok=0
    if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then fail "a spawning loop did not end within ${build_timeout}s (killed)"
    elif grep -q "NO-LIMIT" <<<"$log"; then fail "6000 processes in one step: no pids limit ($(grep -o 'NO-LIMIT.*' <<<"$log" | head -n 1))"
    elif [ "$rc" = 1 ] && [ $took -le 60 ] && grep -qiE "fork|resource|pids" <<<"$log"; then
      limit_ok=1
      ok "a spawning loop meets the pids limit and fails in ${took}s: $(grep -iE 'fork|resource' <<<"$log" | head -n 1 | cut -c1-100)"
      # The bundled runtime says why forks failed; runc and crun leave it at "can't fork".
      if grep -qi "pids limit reached" <<<"$log"; then ok "the step's log names the pids limit"
      elif [ -z "$runtime" ]; then fail "the step's log does not name the pids limit (SECURITY.md case 12)"
      else echo "note case 12: $runtime does not name the pids limit"; fi
    else fail "spawning loop: rc=$rc after ${took}s"; log_tail; fi
    ! pgrep -x -f "$smark" >/dev/null && ok "no process of the spawning loop survives" ||
      fail "$(pgrep -c -x -f "$smark") spawned processes survive the build"

    # A classic fork bomb, left raging for 5 s while the host is asked to keep working.
    if [ $limit_ok = 0 ]; then fail "the fork bomb is not run: no working pids limit"
    else
      started=$SECONDS
      printf '%s\n' 'FROM scratch AS bb' 'COPY bb/ /' 'FROM bb' \
        "RUN $bomb_fn() { $bomb_fn | $bomb_fn & }; $bomb_fn; sleep 5" >"$ctx/Dockerfile"
      timeout -k 5 90 "$buildtool" build --root "$root" --progress plain "${flags[@]}" --no-cache "$ctx" >"$T/bomb.log" 2>&1 &
      local bomb=$! host_ok=1 i
      bg_pids+=("$bomb")
      sleep 2
      for i in 1 2 3 4 5 6 7 8 9 10; do timeout 5 /bin/true || host_ok=0; done
      timeout 5 sh -c 'ls / >/dev/null && echo ok' >/dev/null || host_ok=0
      wait "$bomb"
      rc=$?
      bg_pids=()
      took=$((SECONDS - started))
      [ $host_ok = 1 ] && ok "the host forks and runs commands during a fork bomb" || fail "the host could not run commands during a fork bomb"
      if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then fail "the fork bomb build did not end within 90s (killed)"
      elif [ $took -le 60 ]; then ok "the fork bomb step ended in ${took}s (rc=$rc)"
      else fail "the fork bomb step took ${took}s"; fi
      sleep 0.5
      grep -q "can't fork" "$T/bomb.log" && ok "the fork bomb reached the pids limit" ||
        fail "the fork bomb did not reach the pids limit: $(tail -n 3 "$T/bomb.log" | tr '\n' ' ')"
      ! pgrep -f "$bomb_fn" >/dev/null && ok "no fork bomb process survives" ||
        fail "$(pgrep -c -f "$bomb_fn") fork bomb processes survive"
    fi
  fi

  # 100 MB to stdout, in lines and as one line: finishes, clipped at the log limit, and
  # buildtool's memory stays small.
  local what cmd
  for what in lines one-line; do
    cmd='yes 0123456789abcdefghijklmnopqrstuvwxyz | head -c 100000000; echo'
    [ $what = one-line ] && cmd="head -c 100000000 /dev/zero | tr '\\0' x; echo"
    printf '%s\n' 'FROM scratch AS bb' 'COPY bb/ /' 'FROM bb' "RUN $cmd" >"$ctx/Dockerfile"
    started=$SECONDS
    if [ -x /usr/bin/time ]; then
      /usr/bin/time -v -o "$T/time12" timeout -k 5 90 "$buildtool" build --root "$root" --progress plain \
        "${flags[@]}" --no-cache "$ctx" >"$T/big.log" 2>&1
    else
      timeout -k 5 90 "$buildtool" build --root "$root" --progress plain "${flags[@]}" --no-cache "$ctx" >"$T/big.log" 2>&1
    fi
    rc=$?
    local took=$((SECONDS - started)) size
    size=$(stat -c %s "$T/big.log")
    if [ "$rc" = 0 ] && grep -qF "[output clipped, log limit 2MiB reached]" "$T/big.log" && [ "$size" -lt 4000000 ]; then
      ok "100 MB of output ($what): done in ${took}s, log clipped at 2 MiB ($size bytes)"
    else fail "100 MB of output ($what): rc=$rc, ${took}s, log $size bytes, clip notes: $(grep -c 'output clipped' "$T/big.log")"; fi
    if [ -x /usr/bin/time ]; then
      local rss
      rss=$(awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); print $2}' "$T/time12")
      [ -n "$rss" ] && [ "$rss" -lt 131072 ] && ok "buildtool peak RSS ${rss} KiB with 100 MB of output ($what)" ||
        fail "buildtool peak RSS ${rss} KiB with 100 MB of output ($what), more than 128 MiB"
    else echo "skip case 12: no /usr/bin/time, peak RSS not measured"; fi
  done
}

# Case 16: user ids beyond uid_t, and a numeric name mapped to 0.
case16() {
  local u expect
  for u in 2147483648 4294967294 4294967295 4294967296 -1 1000:4294967296 4294967296:1000 99999999999999999999; do
    build "USER $u
RUN id -u > /uid16; id -g > /gid16"
    if [ "$rc" = 0 ]; then
      expect=${u%%:*}
      local g=${u#*:}; [ "$g" = "$u" ] && g=
      if [ "$(result uid16)" = 0 ] || [ "$(result gid16)" = 0 ]; then fail "USER $u runs as uid $(result uid16) gid $(result gid16)"
      elif [ "$(result uid16)" != "$expect" ] || { [ -n "$g" ] && [ "$(result gid16)" != "$g" ]; }; then
        fail "USER $u runs as uid $(result uid16) gid $(result gid16), not the exact ids"
      else ok "USER $u: runs as exactly uid $(result uid16) gid $(result gid16)"; fi
    elif failed_clearly; then ok "USER $u: refused: $(first_error)"
    else fail "USER $u: rc=$rc"; log_tail; fi
  done
  build 'RUN echo "4294967296:x:0:0:root:/root:/bin/sh" >> /etc/passwd; echo "4294967296:x:0:" >> /etc/group
USER 4294967296
RUN id -u > /uid16'
  if [ "$rc" = 0 ] && [ "$(result uid16)" = 0 ]; then fail "USER 4294967296 was looked up as a name and ran as uid 0"
  elif [ "$rc" = 0 ] || failed_clearly; then ok "a numeric USER is not a name: rc=$rc uid=$(result uid16) $(first_error)"
  else fail "USER 4294967296 with a passwd name: rc=$rc"; log_tail; fi
}

# Disk full: the root on a 64 MiB tmpfs. A step writing 200 MB; then the disk filled from
# outside to a few KiB before a build, so that ENOSPC meets buildtool's own writes (snapshot
# preparation, runtime bundle, metadata DB, commit) one after the other; then a step that
# fills the disk itself. Every build must work or fail clearly, and `du --check` must find no
# damage after each (the root is repaired after a finding so that the next point stands alone).
case_disk() {
  mkdir -p "$small"
  if ! mount -t tmpfs -o size=64m tmpfs "$small"; then fail "cannot mount a tmpfs for the disk-full case"; return; fi
  local saved_root=$root check free unclear=() damaged=()
  root=$small/root
  build 'RUN dd if=/dev/zero of=/big bs=1M count=200'
  if failed_clearly && grep -qi "No space left on device" <<<"$log"; then ok "dd of 200 MB onto a 64 MiB root fails clearly: $(first_error)"
  else fail "dd of 200 MB onto a 64 MiB root: rc=$rc"; log_tail; fi
  check=$("$buildtool" du --check --root "$root" 2>&1)
  [ $? = 0 ] && ok "du --check finds no damage after the full disk ($check)" || fail "du --check after the full disk: $check"
  build 'RUN echo small > /small'
  [ "$rc" = 0 ] && [ "$(result small)" = small ] && ok "a small build on the same root succeeds afterwards" ||
    { fail "small build after the full disk: rc=$rc"; log_tail; }

  for free in 0 2 3 4 6 8 12 16 20 24 28 32 40 48 64; do
    rm -f "$small/fill"
    dd if=/dev/zero of="$small/fill" bs=4k 2>/dev/null
    [ "$free" -gt 0 ] && truncate -s "-${free}K" "$small/fill"
    build "RUN echo free-$free-$RANDOM > /small"
    rm -f "$small/fill"
    if [ "$rc" != 0 ] && ! failed_clearly; then fail "$free KiB free: rc=$rc"; log_tail; fi
    [ "$rc" != 0 ] && ! grep -qi "no space left" <<<"$log" && unclear+=("$free KiB: $(first_error)")
    check=$("$buildtool" du --check --root "$root" 2>&1)
    if [ $? != 0 ]; then
      damaged+=("$free KiB free ($(first_error)): $(grep -v '^checked' <<<"$check" | head -n 2 | tr '\n' ' ')")
      "$buildtool" du --check --repair --root "$root" >/dev/null 2>&1
    fi
  done
  if [ ${#damaged[@]} = 0 ]; then ok "ENOSPC at 0..64 KiB free: every build works or fails clearly, du --check finds no damage"
  else fail "du --check finds damage after ENOSPC at ${#damaged[@]} point(s):"; printf '    %s\n' "${damaged[@]}"; fi
  [ ${#unclear[@]} = 0 ] || echo "note case disk: failures that do not name the full disk: ${unclear[*]}"

  # A step that fills the disk and succeeds: its result is kept, so the next build may meet
  # ENOSPC in buildtool's own writes; both must work or fail clearly, and leave no damage.
  build 'RUN dd if=/dev/zero of=/big bs=1M count=200 2>/dev/null; echo filled'
  if [ "$rc" = 0 ] || failed_clearly; then ok "a step leaving the root full: rc=$rc $(first_error)"
  else fail "a step leaving the root full: rc=$rc"; log_tail; fi
  build 'RUN echo small2 > /small'
  if [ "$rc" = 0 ] || failed_clearly; then ok "a build on the full root: rc=$rc $(first_error)"
  else fail "a build on the full root: rc=$rc"; log_tail; fi
  check=$("$buildtool" du --check --root "$root" 2>&1)
  [ $? = 0 ] && ok "du --check finds no damage on the full root ($check)" || fail "du --check on the full root: $check"
  "$buildtool" prune --all --force --root "$root" >/dev/null 2>&1 || fail "prune on the full root failed"
  build 'RUN echo small3 > /small'
  [ "$rc" = 0 ] && [ "$(result small)" = small3 ] && ok "after prune a small build succeeds" ||
    { fail "small build after prune: rc=$rc"; log_tail; }
  root=$saved_root
  umount "$small" || umount -l "$small"
}

run_case 3 "masked-and-readonly-proc" case3
run_case 4 "workdir-proc-fd" case4
run_case 5 "runtime-binary-overwrite" case5
run_case 6 "hostile-rootfs-special-paths" case6
run_case 7 "mount-target-through-symlink" case7
run_case 8 "mount-stub-teardown" case8
run_case 9 "cache-source-escape" case9
run_case 9 "cache-source-escape race" case9_race
run_case 11 "bind-from-image-root-link" case11
run_case 12 "process-lifetime" case12
run_case 16 "uid-overflow" case16
run_case disk "disk-full" case_disk

case_no=all
if grep -rqsF "$token" "$root" "$out" "$T"/*.log; then fail "the host secret is in the cache, a result or a log"
else ok "the host secret is in no cache file, result or log"; fi
echo "run adversarial e2e${runtime:+ ($runtime)}: $failures failure(s)"
[ $failures = 0 ]
