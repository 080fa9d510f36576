#!/usr/bin/env bash
# Checks wharf.socket + wharf.service under a real systemd on a machine whose PID 1 is not
# systemd (CI containers, VMs): boots /lib/systemd/systemd as PID 1 of new pid and mount
# namespaces with private /run, /tmp, /etc/systemd/system and /var/lib/wharf, every unit that
# sysinit.target and sockets.target pull in masked (no tmpfiles clean-up, sysctl or module
# loading reaches the host), then drives it with systemctl: socket activation, daemon-reload,
# restart, reload (SIGHUP), and a container that survives the restart (KillMode=process).
# Needs root, systemd installed, and `wharfd` built (bin/wharfd). Usage:
#   bash contrib/systemd/check-in-namespace.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
REPO=$PWD
command -v /lib/systemd/systemd >/dev/null || { echo "systemd is not installed" >&2; exit 2; }
getent group wharf >/dev/null || groupadd --system wharf
WORK=$(mktemp -d /var/tmp/wharf-systemd-XXXXXX)
trap 'cleanup' EXIT

cat > "$WORK/boot.sh" <<EOF
#!/bin/sh
set -e
mount --make-rprivate /
mount -t proc proc /proc
for d in /run /tmp /etc/systemd/system; do mount -t tmpfs tmpfs \$d; done
mkdir -p /var/lib/wharf "$WORK/data"
mount --bind "$WORK/data" /var/lib/wharf
mkdir -p /run/systemd /etc/systemd/system/sockets.target.wants
for u in /lib/systemd/system/sysinit.target.wants/* /lib/systemd/system/sockets.target.wants/* /lib/systemd/system/local-fs.target.wants/*; do
  [ -e "\$u" ] && ln -sf /dev/null "/etc/systemd/system/\${u##*/}"
done
# The unit runs /usr/local/bin/wharfd, as the README's first command links it.
mkdir -p /tmp/bin && ln -sf "$REPO/bin/wharfd" /tmp/bin/wharfd
sed 's|/usr/local/bin/wharfd|/tmp/bin/wharfd|' "$REPO/contrib/systemd/wharf.service" > /etc/systemd/system/wharf.service
cp "$REPO/contrib/systemd/wharf.socket" /etc/systemd/system/
ln -s ../wharf.socket /etc/systemd/system/sockets.target.wants/wharf.socket
exec env container=wharf-check /lib/systemd/systemd --system --unit=sockets.target --log-target=console
EOF
chmod +x "$WORK/boot.sh"

cleanup() {
  [ -n "${PID1:-}" ] && kill -9 "$PID1" 2>/dev/null || true
  sleep 1
  for c in /sys/fs/cgroup/*/ /sys/fs/cgroup/; do
    for n in init.scope system.slice user.slice machine.slice '*.mount' '*.swap'; do
      for d in $c$n; do [ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null; done
    done
  done
  rm -rf "$WORK"
}

setsid unshare --fork --pid --mount --uts --ipc "$WORK/boot.sh" >"$WORK/systemd.log" 2>&1 </dev/null &
for _ in $(seq 1 100); do
  PID1=$(pgrep -f "^/lib/systemd/systemd --system --unit=sockets.target" | head -1 || true)
  [ -n "$PID1" ] && break
  sleep 0.1
done
[ -n "${PID1:-}" ] || { cat "$WORK/systemd.log"; echo "systemd did not start" >&2; exit 1; }
in_ns() { timeout 60 nsenter -t "$PID1" -m -p -- "$@"; }
for _ in $(seq 1 100); do in_ns systemctl is-active --quiet wharf.socket 2>/dev/null && break; sleep 0.1; done

step() { printf '%-58s' "$1"; shift; if out=$("$@" 2>&1); then echo ok; else echo FAILED; echo "$out" >&2; exit 1; fi; }
cli() { in_ns env NODE_EXTRA_CA_CERTS= "$REPO/bin/wharf" -H unix:///run/wharf/wharf.sock "$@"; }

step 'wharf.socket listening on /run/wharf/wharf.sock' in_ns systemctl is-active wharf.socket
step 'socket root:wharf 0660' in_ns sh -c '[ "$(stat -c %U:%G:%a /run/wharf/wharf.sock)" = root:wharf:660 ]'
step 'first request activates wharf.service' cli version
step 'wharf.service active' in_ns systemctl is-active wharf.service
step 'systemctl daemon-reload' in_ns systemctl daemon-reload
step 'busybox image imported' in_ns sh -c "bash '$REPO/scripts/busybox-rootfs.sh' | NODE_EXTRA_CA_CERTS= '$REPO/bin/wharf' -H unix:///run/wharf/wharf.sock import -c 'CMD [\"sh\"]' - busybox:latest"
step 'a container started (run -d)' cli run -d --name keep --network none busybox sleep 300
step 'systemctl reload wharf (SIGHUP)' in_ns systemctl reload wharf
step 'systemctl restart wharf' in_ns systemctl restart wharf
step 'daemon answers after the restart' cli version
step 'the container kept running across the restart' sh -c "[ \"\$(NODE_EXTRA_CA_CERTS= nsenter -t $PID1 -m -p -- '$REPO/bin/wharf' -H unix:///run/wharf/wharf.sock inspect -f '{{.State.Running}}' keep)\" = true ]"
step 'rm -f of the container' cli rm -f keep
echo "systemd check: all steps passed"
