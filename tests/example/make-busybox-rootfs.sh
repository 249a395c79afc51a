#!/bin/sh
# make-busybox-rootfs.sh DIR — a minimal busybox root filesystem in DIR, from Debian's
# busybox-static: /bin/busybox with a link per applet, root in /etc/passwd and /etc/group,
# /tmp 1777. The README's example builds on it with `--build-context busybox=DIR`.
set -eu
dir=$1
[ -x /bin/busybox ] || { echo "make-busybox-rootfs.sh: /bin/busybox is missing (apt-get install busybox-static)" >&2; exit 1; }
mkdir -p "$dir/bin" "$dir/etc" "$dir/root" "$dir/tmp"
chmod 1777 "$dir/tmp"
cp /bin/busybox "$dir/bin/busybox"
for applet in $(/bin/busybox --list); do
  [ "$applet" = busybox ] || ln -sf busybox "$dir/bin/$applet"
done
echo 'root:x:0:0:root:/root:/bin/sh' > "$dir/etc/passwd"
echo 'root:x:0:' > "$dir/etc/group"
