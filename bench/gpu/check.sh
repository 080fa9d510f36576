#!/bin/bash
# GPU check for a machine with an NVIDIA GPU and its driver, but no NVIDIA container toolkit,
# no wharf installed and no package registry: from a copy of the working tree (dist/ built)
# with bench/gpu/payload/ made by gather.sh, it starts a private wharfd, imports a python3
# rootfs that holds no driver, and runs in wharf containers:
#   1. nvidia-smi                                   (--gpus all)
#   2. nvidia-smi -L                                (--gpus '"device=0"': one GPU only)
#   3. CUDA device query + saxpy checked on the CPU (--gpus all, through libcuda with ctypes,
#      with --shm-size 8g --ipc host --ulimit memlock=-1 as PyTorch DataLoaders run)
# printing each output and the time from `run` to its first line.
#
#   sudo bench/gpu/check.sh [--keep]          (--keep: leave the work directory for a look)
#
# Exit status: 0 all passed, 1 a check failed, 2 a prerequisite is missing, 3 no NVIDIA GPU.
# Environment: WORK (work directory, default /var/tmp/wharf-gpu-check.PID), STORAGE_DRIVER
# (overlay2 or vfs; default: vfs where WORK is on overlayfs).
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
payload=$here/payload
keep=0
[ "${1:-}" = --keep ] && keep=1
work=${WORK:-/var/tmp/wharf-gpu-check.$$}
image=wharf-gpu-check:py
fail=0

say() { printf '\n=== %s\n' "$*"; }
prereq() { echo "check.sh: missing prerequisite: $*" >&2; exit 2; }

# --- prerequisites ------------------------------------------------------------------------
[ "$(id -u)" = 0 ] || prereq "run as root (wharfd makes mounts, cgroups and namespaces)"
{ [ -f "$repo/dist/wharfd.mjs" ] && [ -f "$repo/dist/wharf-cli.cjs" ]; } || prereq "dist/ is not built: run 'npm run build' where node_modules is, and carry dist/"
[ -d "$payload" ] || prereq "$payload is missing: run bench/gpu/gather.sh on a machine with runc, conmon, python3 and node, and carry it"
[ -f "$payload/rootfs.tar" ] || prereq "$payload/rootfs.tar is missing (gather.sh makes it)"

# node: the machine's, else the payload's (gather.sh --with-node).
if ! command -v node >/dev/null 2>&1 || ! node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' 2>/dev/null; then
  if [ -f "$payload/node.xz" ]; then
    mkdir -p "$payload/node-bin"
    if [ ! -x "$payload/node-bin/node" ]; then
      if command -v xz >/dev/null 2>&1; then xz -dc "$payload/node.xz" > "$payload/node-bin/node"
      else python3 -c 'import lzma,shutil,sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2],"wb"))' "$payload/node.xz" "$payload/node-bin/node"; fi
      chmod +x "$payload/node-bin/node"
    fi
    PATH=$payload/node-bin:$PATH
  else
    prereq "node >= 20 (install it, or run gather.sh --with-node)"
  fi
fi

# wharfd's native modules: the tree's node_modules, else the payload's copy. dist/wharfd.mjs
# imports them as ES modules, which resolve from its own directory upwards only.
if ! (cd "$repo" && node -e 'require("better-sqlite3"); require("koffi")' >/dev/null 2>&1); then
  [ -d "$payload/node_modules/better-sqlite3" ] || prereq "node_modules with better-sqlite3 and koffi (carry it, or gather.sh's payload/node_modules)"
  if [ -L "$repo/node_modules" ] || [ ! -e "$repo/node_modules" ]; then
    rm -f "$repo/node_modules"
    ln -s "$payload/node_modules" "$repo/node_modules"
  else
    prereq "$repo/node_modules exists but cannot load better-sqlite3/koffi (wrong Node ABI?)"
  fi
  (cd "$repo" && node -e 'require("better-sqlite3"); require("koffi")') || prereq "the payload's native modules do not load with this node ($(node --version))"
fi

# runc and conmon: the payload's first (wharfd takes the first on PATH), with their libraries.
export PATH="$payload/bin:$PATH:/usr/sbin:/sbin"
export LD_LIBRARY_PATH="$payload/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
runc --version >/dev/null 2>&1 || prereq "runc does not run here: $(runc --version 2>&1 | head -2) (the payload's needs GLIBC >= 2.34; 'ldd --version')"
conmon --version >/dev/null 2>&1 || prereq "conmon does not run here: $(conmon --version 2>&1 | head -2)"
grep -qw overlay /proc/filesystems || [ "${STORAGE_DRIVER:-}" = vfs ] || STORAGE_DRIVER=vfs

# --- a private wharfd ---------------------------------------------------------------------
mkdir -p "$work"
sock=$work/wharf.sock
echo '{}' > "$work/daemon.json"
if [ -z "${STORAGE_DRIVER:-}" ]; then
  case $(stat -f -c %T "$work" 2>/dev/null) in overlayfs|overlay) STORAGE_DRIVER=vfs ;; *) STORAGE_DRIVER=overlay2 ;; esac
fi
wharf() { "$repo/bin/wharf" -H "unix://$sock" "$@"; }
# shellcheck disable=SC2317  # run by the EXIT trap
cleanup() {
  if [ -f "$work/wharfd.pid" ]; then
    kill "$(cat "$work/wharfd.pid")" 2>/dev/null
    for _ in $(seq 50); do [ -S "$sock" ] || break; sleep 0.1; done
  fi
  if [ "$keep" = 0 ]; then
    grep -o " $work/[^ ]*" /proc/mounts 2>/dev/null | sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
    rm -rf "$work"
  else
    echo "work directory kept: $work (daemon log: $work/wharfd.log)"
  fi
}
trap cleanup EXIT

"$repo/bin/wharfd" -H "unix://$sock" --data-root "$work/data" --exec-root "$work/exec" --pidfile "$work/wharfd.pid" \
  --config-file "$work/daemon.json" --iptables false --storage-driver "$STORAGE_DRIVER" > "$work/wharfd.log" 2>&1 &
for _ in $(seq 100); do [ -S "$sock" ] && wharf version >/dev/null 2>&1 && break; sleep 0.1; done
wharf version >/dev/null 2>&1 || { echo "check.sh: wharfd did not start:" >&2; tail -20 "$work/wharfd.log" >&2; exit 2; }
echo "wharfd $(wharf version --format '{{.Server.Version}}' 2>/dev/null) on $STORAGE_DRIVER, work directory $work"

wharf import "$payload/rootfs.tar" "$image" >/dev/null || { echo "check.sh: importing the rootfs failed" >&2; exit 2; }
if wharf run --rm "$image" sh -c 'ls /usr/lib/x86_64-linux-gnu /usr/lib64 2>/dev/null | grep -E "libcuda|libnvidia"' >/dev/null 2>&1; then
  echo "check.sh: the image holds NVIDIA driver files; it must not" >&2; exit 2
fi
sanity=$(wharf run --rm "$image" python3 -S -c 'import ctypes, array; print("python3 ok")' 2>&1)
[ "$sanity" = "python3 ok" ] || { echo "check.sh: python3 does not run in the image: $sanity" >&2; exit 2; }

# timed TITLE ARGS…: `wharf run ARGS`, its output, and the time from run to the first line.
timed() {
  local title=$1; shift
  say "$title"
  echo "\$ wharf run $*"
  local t0 first='' line rc=''
  t0=$(date +%s%N)
  while IFS= read -r line; do
    case $line in __rc=*) rc=${line#__rc=}; continue ;; esac
    [ -n "$first" ] || first=$(date +%s%N)
    printf '  %s\n' "$line"
  done < <(wharf run "$@" 2>&1; echo "__rc=$?")
  local end; end=$(date +%s%N)
  [ -n "$first" ] || first=$end
  printf -- '--- exit %s; first line after %d ms; done after %d ms\n' "$rc" $(((first - t0) / 1000000)) $(((end - t0) / 1000000))
  [ "$rc" = 0 ] || fail=1
}

# --- is there a GPU? --------------------------------------------------------------------------
if [ ! -e /dev/nvidiactl ] && ! grep -q nvidia /proc/devices 2>/dev/null; then
  say "no NVIDIA GPU on this machine (no /dev/nvidiactl, no nvidia driver in /proc/devices)"
  echo "what a container asking for one gets:"
  wharf run --rm --gpus all "$image" nvidia-smi 2>&1 | sed 's/^/  /'
  echo "nothing to check; exit 3"
  exit 3
fi

say "host: $(head -1 /proc/driver/nvidia/version 2>/dev/null)"
wharf info 2>/dev/null | sed -n '/GPUs:/,/^ [A-Z]/p' | sed '$d'

timed "nvidia-smi (--gpus all)" --rm --gpus all "$image" nvidia-smi
timed "one GPU (--gpus '\"device=0\"')" --rm --gpus '"device=0"' "$image" nvidia-smi -L
timed "CUDA device query and saxpy against the CPU (driver API through ctypes)" \
  --rm --gpus all --shm-size 8g --ipc host --ulimit memlock=-1 -v "$here:/check:ro" "$image" python3 -S -u /check/cuda_check.py

say "result: $([ $fail = 0 ] && echo 'all checks passed' || echo 'SOME CHECKS FAILED')"
exit $fail
