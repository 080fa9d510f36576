#!/usr/bin/env bash
# Installs what wharf needs on a fresh Debian 12 machine (as root): the engine's system
# packages, the npm dependencies (native ones build from source), and the build output.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
PKGS=(runc conmon iptables iproute2 busybox-static tini catatonit containernetworking-plugins procps psmisc util-linux openssl curl ca-certificates git python3 make g++ kmod docker-registry bzip2 xz-utils zstd pigz isal zsh fish systemd
  docker-compose python3-pytest python3-pytest-timeout python3-requests python3-websocket python3-paramiko python3-packaging)
missing=()
for p in "${PKGS[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ "${#missing[@]}" -gt 0 ]; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if [ ! -d node_modules/better-sqlite3/build/Release ] || [ package.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
npm run build --silent
