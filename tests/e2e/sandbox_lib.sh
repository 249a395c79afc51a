# sandbox_lib.sh — what the RUN e2e tests share (sourced, not run):
#   sandbox_preflight          exits 0 with "SKIPPED: ..." where RUN cannot sandbox (not root,
#                              no namespaces, "/" not a mount point as in a chroot), 1 when
#                              busybox-static is missing
#   make_busybox_base DIR      the busybox root filesystem of tests/example (every applet),
#                              with root and app (1000) in /etc/passwd; /etc/group puts app in
#                              wheel (10) and audio (20)
sandbox_lib_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

sandbox_preflight() {
  if [ "$(id -u)" != 0 ]; then echo "SKIPPED: RUN needs root"; exit 0; fi
  if [ ! -x /bin/busybox ]; then echo "FAILED: busybox-static is missing (.ci/install-deps)"; exit 1; fi
  if ! unshare --mount --pid --uts --ipc --net --fork true 2>/dev/null ||
     ! awk '$5 == "/" {found=1} END {exit !found}' /proc/self/mountinfo; then
    echo "SKIPPED: no namespaces here, or \"/\" is not a mount point (a chroot): RUN cannot sandbox"
    exit 0
  fi
}

make_busybox_base() {
  local dir=$1
  "$sandbox_lib_dir/../example/make-busybox-rootfs.sh" "$dir" || return 1
  printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' 'app:x:1000:1000:app:/home/app:/bin/sh' >"$dir/etc/passwd"
  printf '%s\n' 'root:x:0:' 'wheel:x:10:app' 'audio:x:20:app' 'app:x:1000:' >"$dir/etc/group"
}
