#!/usr/bin/env bash
# Writes a busybox rootfs tarball (from Debian's busybox-static) to stdout or $1:
# /bin/busybox and its applet links, /etc/passwd and /etc/group with root, nobody and a user.
set -euo pipefail
out="${1:-/dev/stdout}"
bb=/bin/busybox
[ -x "$bb" ] || { echo "busybox-static is not installed (apt-get install busybox-static)" >&2; exit 1; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
mkdir -p "$dir"/{bin,sbin,usr/bin,usr/sbin,etc,tmp,root,home,proc,sys,dev,var/www}
cp "$bb" "$dir/bin/busybox"
for applet in $("$bb" --list-full); do
  [ "$applet" = bin/busybox ] && continue
  mkdir -p "$dir/$(dirname "$applet")"
  ln -sf /bin/busybox "$dir/$applet"
done
chmod 1777 "$dir/tmp"
printf 'root:x:0:0:root:/root:/bin/sh\ndaemon:x:1:1:daemon:/usr/sbin:/bin/false\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\nu1:x:1000:1000::/home/u1:/bin/sh\n' > "$dir/etc/passwd"
printf 'root:x:0:\ndaemon:x:1:\nnogroup:x:65534:\nu1:x:1000:\n' > "$dir/etc/group"
tar --numeric-owner -C "$dir" -cf "$out" .
