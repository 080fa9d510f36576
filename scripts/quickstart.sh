#!/usr/bin/env bash
# README's first command: installs everything, builds, puts wharf/wharfd on PATH, starts the
# daemon on the default socket, imports a busybox image (no internet needed) and runs a
# container.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
ln -sf "$PWD/bin/wharf" /usr/local/bin/wharf
ln -sf "$PWD/bin/wharfd" /usr/local/bin/wharfd
getent group wharf >/dev/null || groupadd --system wharf
if ! wharf version >/dev/null 2>&1; then
  nohup wharfd >/var/log/wharfd.log 2>&1 &
  for _ in $(seq 1 100); do wharf version >/dev/null 2>&1 && break; sleep 0.1; done
fi
if ! wharf image inspect busybox:latest >/dev/null 2>&1; then
  bash scripts/busybox-rootfs.sh | wharf import -c 'CMD ["sh"]' - busybox:latest
fi
wharf run --rm busybox echo "hello from a wharf container"
