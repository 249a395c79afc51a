#!/usr/bin/env bash
# RUN end to end through `buildtool build` and the bundled runtime (issue 6): shell and exec
# forms, SHELL, ENV, USER with supplementary groups, WORKDIR creation, exit codes and output,
# deletions, the sandbox's identity (capabilities, seccomp, no_new_privs, hostname, masked
# /proc), mount stubs kept out of the result, RUN --mount (bind, cache, tmpfs, secret),
# networks and entitlements, and process lifetime. The base is a busybox rootfs the test makes
# from Debian's busybox-static (as ../shared/conformance/semantics/make-base.sh does) and
# copies in with `FROM scratch` + COPY until image sources exist. A sentinel directory
# stands for the host: no step may change it or read its secret.
#
#   run_sandbox_test.sh BUILDTOOL [RUNTIME]   (RUNTIME: passed as --runtime, e.g. crun)
set -uo pipefail
buildtool=$1
runtime=${2:-}
. "$(dirname "$0")/sandbox_lib.sh"
sandbox_preflight
work=$(mktemp -d "${TMPDIR:-/tmp}/bt-e2e-run.XXXXXX")
trap 'rm -rf "$work"' EXIT
root=$work/root
host=$work/host
secret="HOST-SECRET-$$-$RANDOM"
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
ok() { echo "ok   $*"; }
mkdir -p "$host/dir"
echo "$secret" >"$host/secret"
host_state() { (cd "$host" && find . -printf '%p %y %m %s\n' | LC_ALL=C sort; cat secret); }
host_before=$(host_state)
flags=()
[ -n "$runtime" ] && flags+=(--runtime "$runtime")

ctx=$work/ctx
make_busybox_base "$ctx/bb" || exit 1
echo "from the context" >"$ctx/data.txt"

# build DOCKERFILE-BODY [FLAGS...]: the body runs on the busybox base; sets $rc and $log,
# and the final filesystem lands in $out.
out=$work/out
build() {
  local body=$1; shift
  printf 'FROM scratch AS bb\nCOPY bb/ /\nFROM bb\n%s\n' "$body" >"$ctx/Dockerfile"
  rm -rf "$out"
  log=$("$buildtool" build --root "$root" --progress plain "${flags[@]}" "$@" \
    -o "type=local,dest=$out" "$ctx" 2>&1)
  rc=$?
}
expect_file() {  # CASE PATH CONTENT
  if [ "$(cat "$out/$2" 2>/dev/null)" = "$3" ]; then ok "$1"
  else fail "$1: $2 is '$(cat "$out/$2" 2>&1)', expected '$3' (build: $rc)"; echo "$log" | tail -n 15; fi
}

# Shell and exec forms, ENV, SHELL, exit status 0.
build 'ENV GREETING=hello
RUN mkdir /o && echo "$GREETING from shell" > /o/shell
RUN ["/bin/sh", "-c", "echo \"$0 $1\" > /o/exec-args", "zero", "one"]
RUN ["touch", "/o/exec-$GREETING"]
SHELL ["/bin/sh", "-c", "echo shell-was-set > /o/shell2 && eval \"$0\""]
RUN true'
expect_file "shell form with ENV" o/shell "hello from shell"
expect_file "exec form with arguments" o/exec-args "zero one"
[ -f "$out/o/exec-\$GREETING" ] && ok "exec form does not expand variables" || fail "exec form: no literal file"
expect_file "SHELL changes the shell of RUN" o/shell2 "shell-was-set"

# Output reaches the progress log; a failing command fails the build with its exit code.
build 'RUN echo visible-output && echo to-stderr >&2 && exit 3'
if [ $rc = 1 ] && grep -q "visible-output" <<<"$log" && grep -q "to-stderr" <<<"$log" &&
   grep -q 'executor failed running \[/bin/sh -c echo visible-output && echo to-stderr >&2 && exit 3\]: exit code: 3' <<<"$log"; then
  ok "exit code 3 fails the build with the command and its output"
else fail "failing RUN: rc=$rc log: $(tail -n 8 <<<"$log")"; fi

# USER by name: uid, gid, supplementary groups from /etc/group; WORKDIR made when missing.
build 'USER app
WORKDIR /work/deep
RUN id -u > /tmp/uid; id -g > /tmp/gid; id -G > /tmp/groups; pwd > /tmp/pwd'
expect_file "USER name gives the uid" tmp/uid 1000
expect_file "USER name gives the primary gid" tmp/gid 1000
expect_file "USER name gives the supplementary groups" tmp/groups "1000 10 20"
expect_file "WORKDIR is the cwd" tmp/pwd /work/deep
build 'USER 4242:77
RUN id -u > /tmp/uid; id -g > /tmp/gid'
expect_file "numeric USER uid:gid" tmp/uid 4242
build 'USER nobody-here
RUN true'
[ $rc != 0 ] && grep -q "unable to find user nobody-here" <<<"$log" && ok "unknown USER fails clearly" ||
  fail "unknown USER: rc=$rc $(tail -n 3 <<<"$log")"

# Deletions: a file and a directory of the base disappear from the result.
build 'RUN rm -rf /root /etc/group && mkdir /tmp/kept'
[ ! -e "$out/root" ] && [ ! -e "$out/etc/group" ] && [ -d "$out/tmp/kept" ] &&
  ok "deleted file and directory are gone" || fail "deletions: $(ls -la "$out" "$out/etc" 2>&1 | head)"

# The sandbox: Docker's capabilities, seccomp filter on, no_new_privs off, hostname,
# masked /proc, read-only /sys; /etc/hosts and friends provided but not kept.
build 'RUN grep -E "^(CapBnd|CapEff|CapPrm|CapInh|CapAmb|NoNewPrivs|Seccomp):" /proc/self/status > /status; hostname > /hostname; cat /proc/kcore | wc -c > /kcore; (touch /sys/x 2>/dev/null && echo writable || echo ro) > /sys-state; cat /etc/hosts > /hosts-seen'
if grep -q "CapBnd:	00000000a80425fb" "$out/status" && grep -q "CapEff:	00000000a80425fb" "$out/status" &&
   grep -q "CapInh:	0000000000000000" "$out/status" && grep -q "NoNewPrivs:	0" "$out/status" &&
   grep -q "Seccomp:	2" "$out/status"; then ok "default capabilities, seccomp on, no_new_privs off"
else fail "sandbox status: $(cat "$out/status" 2>&1)"; fi
expect_file "hostname buildkitsandbox" hostname buildkitsandbox
expect_file "/proc/kcore masked" kcore 0
expect_file "/sys read-only" sys-state ro
grep -q "buildkitsandbox" "$out/hosts-seen" && ok "/etc/hosts provided" || fail "/etc/hosts: $(cat "$out/hosts-seen")"
[ ! -e "$out/etc/hosts" ] && [ ! -e "$out/etc/resolv.conf" ] && [ ! -e "$out/etc/hostname" ] &&
  ok "no /etc/hosts, resolv.conf or hostname stub in the result" || fail "stubs left: $(ls "$out/etc")"

# A process left behind does not outlive its step, nor hold the build.
start=$(date +%s)
build 'RUN setsid sleep 1000 > /dev/null 2>&1 < /dev/null & echo started > /bg'
[ $rc = 0 ] && [ $(( $(date +%s) - start )) -lt 60 ] && ! pgrep -f "sleep 1000" >/dev/null &&
  ok "background process killed with its step" || fail "background process: rc=$rc $(pgrep -af 'sleep 1000')"

# RUN --mount: bind from the context (read-only), tmpfs, secret, cache across builds.
build 'RUN --mount=type=bind,target=/ctx cat /ctx/data.txt > /bound && (touch /ctx/x 2>/dev/null && echo rw || echo ro) > /bind-state
RUN --mount=type=tmpfs,target=/scratch touch /scratch/f && ls /scratch > /tmpfs-seen'
expect_file "bind mount of the context" bound "from the context"
expect_file "bind mount is read-only" bind-state ro
expect_file "tmpfs mount" tmpfs-seen f
[ ! -e "$out/ctx" ] && [ ! -e "$out/scratch" ] && ok "mount points not kept" || fail "mount stubs kept: $(ls "$out")"
token="TOKEN-$RANDOM-$RANDOM"
printf '%s' "$token" >"$work/secret.txt"
build 'RUN --mount=type=secret,id=s cat /run/secrets/s | wc -c > /secret-len
RUN --mount=type=secret,id=s,env=S_ENV sh -c "printf %s \"\$S_ENV\" | wc -c > /secret-env-len"' \
  --secret "id=s,src=$work/secret.txt"
expect_file "secret mounted as a file" secret-len "${#token}"
expect_file "secret as an environment variable" secret-env-len "${#token}"
if grep -rqs "$token" "$out" "$root" || grep -q "$token" <<<"$log"; then fail "the secret leaked into the output or the cache"
else ok "the secret is in no output, cache file or log"; fi
[ ! -e "$out/run/secrets" ] && ok "no secret mount stub" || fail "secret stub kept"
build 'RUN --mount=type=secret,id=missing,required=true true'
[ $rc != 0 ] && grep -q "secret missing" <<<"$log" && ok "a missing required secret fails" ||
  fail "required secret: rc=$rc"
build 'RUN --mount=type=cache,target=/c echo one >> /c/log && cat /c/log > /cache-seen' --no-cache
build 'RUN --mount=type=cache,target=/c echo one >> /c/log && cat /c/log > /cache-seen' --no-cache
[ "$(cat "$out/cache-seen" 2>/dev/null | wc -l)" = 2 ] && ok "cache mount persists across builds" ||
  fail "cache mount: $(cat "$out/cache-seen" 2>&1)"
[ ! -e "$out/c/log" ] && ok "cache mount content not in the result" || fail "cache content in the result"
"$buildtool" du --root "$root" | grep -q "^Cache mounts:.* in 1$" && ok "du counts the cache mount" ||
  fail "du: $("$buildtool" du --root "$root" | tail -n 2)"
"$buildtool" prune --root "$root" >/dev/null && "$buildtool" du --root "$root" | grep -q "^Cache mounts:.* in 0$" &&
  ok "prune removes a cache mount no build holds" || fail "prune left the cache mount"
build 'RUN --mount=type=cache,target=/c test ! -e /c/log && echo fresh > /cache-after-prune'
expect_file "after prune the cache mount starts empty" cache-after-prune fresh
build 'RUN --mount=type=cache,id=../../../../../../../..'"$host"',target=/c touch /c/BREAKOUT'
[ ! -e "$host/BREAKOUT" ] && ok "cache id is an opaque key (case 10)" || fail "cache id escaped to the host"

# RUN --mount=type=ssh: a socket of the mount's owner and mode, SSH_AUTH_SOCK pointing at it,
# relaying to the agent given with --ssh (a real ssh-agent when openssh-client is installed).
if command -v ssh-agent >/dev/null; then
  agent_out=$(ssh-agent -a "$work/agent.sock")
  agent_pid=$(sed -n 's/^SSH_AGENT_PID=\([0-9]*\);.*/\1/p' <<<"$agent_out")
  build 'RUN --mount=type=ssh,uid=1000,mode=0600 stat -c "%F %a %u" "$SSH_AUTH_SOCK" > /ssh-seen && echo "$SSH_AUTH_SOCK" > /ssh-env' \
    --ssh "default=$work/agent.sock"
  expect_file "ssh mount: a socket with the mount's mode and owner" ssh-seen "socket 600 1000"
  expect_file "ssh mount: SSH_AUTH_SOCK names it" ssh-env /run/buildkit/ssh_agent.0
  [ ! -e "$out/run/buildkit" ] && ok "ssh mount point not kept" || fail "ssh mount stub kept"
  kill "$agent_pid" 2>/dev/null
fi
# As in BuildKit, an ssh mount is optional unless required=true.
build 'RUN --mount=type=ssh,required=true true'
[ $rc != 0 ] && grep -q "no SSH key default forwarded" <<<"$log" && ok "required ssh mount without --ssh fails clearly" ||
  fail "required ssh without --ssh: rc=$rc $(tail -n 3 <<<"$log")"
build 'RUN --mount=type=ssh test ! -e /run/buildkit/ssh_agent.0 && echo none > /ssh-optional'
expect_file "optional ssh mount without --ssh: no socket" ssh-optional none

# Networks and entitlements.
build 'RUN --network=none ip -o link | cut -d: -f2 | tr -d " " > /links'
expect_file "--network=none has only loopback" links lo
build 'RUN --network=host true'
[ $rc != 0 ] && grep -q "network.host is not allowed" <<<"$log" && ok "--network=host needs --allow network.host" ||
  fail "network.host entitlement: rc=$rc"
build 'RUN --security=insecure true'
[ $rc != 0 ] && grep -q "security.insecure is not allowed" <<<"$log" && ok "--security=insecure needs --allow" ||
  fail "security.insecure entitlement: rc=$rc"
# The same entitlements through an ONBUILD trigger and a heredoc (SECURITY.md case 13).
printf 'FROM scratch AS bb\nCOPY bb/ /\nFROM bb AS parent\nONBUILD RUN --network=host true\nFROM parent\nRUN true\n' >"$ctx/Dockerfile"
log=$("$buildtool" build --root "$root" --progress plain "${flags[@]}" "$ctx" 2>&1); rc=$?
[ $rc != 0 ] && grep -q "network.host is not allowed" <<<"$log" && ok "an ONBUILD trigger needs --allow network.host too" ||
  fail "ONBUILD entitlement: rc=$rc $(tail -n 3 <<<"$log")"
build 'RUN --security=insecure <<EOT
true
EOT'
[ $rc != 0 ] && grep -q "security.insecure is not allowed" <<<"$log" && ok "a heredoc RUN needs --allow security.insecure too" ||
  fail "heredoc entitlement: rc=$rc $(tail -n 3 <<<"$log")"
build 'RUN --security=insecure grep CapEff /proc/self/status > /capeff' --allow security.insecure
grep -q "$(grep CapEff /proc/self/status | cut -f2)" "$out/capeff" 2>/dev/null &&
  ok "insecure step gets buildtool's capabilities" || fail "insecure caps: $(cat "$out/capeff" 2>&1)"
if command -v slirp4netns >/dev/null; then
  build 'RUN ip -o -4 addr show tap0 | grep -o "10.0.2.100" > /addr'
  expect_file "sandbox network: tap0 from slirp4netns" addr 10.0.2.100
fi

build 'RUN cat /etc/hosts > /hosts-extra' --add-host "db.internal:10.1.2.3" --add-host "v6.internal:2001:db8::0:1"
grep -q "^10.1.2.3	db.internal$" "$out/hosts-extra" && grep -q "^2001:db8::1	v6.internal$" "$out/hosts-extra" &&
  ok "--add-host entries in /etc/hosts" || fail "--add-host: $(cat "$out/hosts-extra" 2>&1)"

build 'RUN --device=vendor.com/gpu=0 true'
[ $rc != 0 ] && grep -q "RUN --device is not supported" <<<"$log" && ok "RUN --device is refused, not ignored" ||
  fail "RUN --device: rc=$rc $(tail -n 3 <<<"$log")"

# Cached: the second identical build runs nothing.
build 'RUN echo cached-step > /cached'
build 'RUN echo cached-step > /cached'
grep -q "CACHED" <<<"$log" && ! grep -q "RUN echo cached-step.*DONE" <<<"$log" && ok "an unchanged RUN is cached" ||
  fail "RUN not cached: $(tail -n 5 <<<"$log")"

[ "$(host_state)" = "$host_before" ] && ok "host sentinel untouched" || fail "the host sentinel changed"
echo "run sandbox e2e: $failures failure(s)"
[ $failures = 0 ]
