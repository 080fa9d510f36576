#!/bin/bash
# Gathers what bench/gpu/check.sh needs on a GPU machine that reaches no package registry and
# has no wharf: run it HERE (a machine with runc, conmon, python3 and node installed), then
# carry the working tree (with dist/ built) and bench/gpu/payload/ there. See README.md.
#
#   bench/gpu/gather.sh [--with-node] [--out DIR]
#
# payload/
#   bin/runc bin/conmon         the host's binaries (GLIBC >= 2.34 on the target, see README)
#   lib/                        their shared libraries other than glibc's own
#   node_modules/               wharfd's native modules only (better-sqlite3, koffi) and their deps
#   node.xz                     with --with-node: the node binary (xz; check.sh unpacks it)
#   rootfs.tar                  a python3 root filesystem with no NVIDIA driver inside: python3,
#                               the stdlib modules cuda_check.py needs, their libraries, glibc,
#                               busybox (sh, ls, …), /etc/passwd
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
out=$here/payload
with_node=0
while [ $# -gt 0 ]; do
  case $1 in
    --with-node) with_node=1 ;;
    --out) out=$2; shift ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "gather.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done

die() { echo "gather.sh: $*" >&2; exit 1; }
need() { command -v "$1" >/dev/null 2>&1 || die "$1 is needed here"; }
need ldd; need tar

# Shared libraries of an ELF file, as absolute paths (the loader included).
libs_of() { ldd "$1" 2>/dev/null | awk '/=> \//{print $3} /^[ \t]*\/[^ ]*ld-linux/{print $1}' | sort -u; }
is_glibc() { case $(basename "$1") in libc.so.*|libm.so.*|libdl.so.*|libpthread.so.*|librt.so.*|ld-linux*|libresolv.so.*) return 0 ;; esac; return 1; }

rm -rf "$out"
mkdir -p "$out/bin" "$out/lib" "$out/node_modules"

# --- runc and conmon (dynamically linked on Debian/Ubuntu) ---------------------------------
runc=$(command -v runc || echo /usr/sbin/runc)
conmon=$(command -v conmon || { [ -x /usr/bin/conmon ] && echo /usr/bin/conmon; } || echo /usr/libexec/podman/conmon)
[ -x "$runc" ] || die "runc not found"
[ -x "$conmon" ] || die "conmon not found"
cp -L "$runc" "$out/bin/runc"
cp -L "$conmon" "$out/bin/conmon"
for b in "$runc" "$conmon"; do
  for l in $(libs_of "$b"); do is_glibc "$l" || cp -Ln "$l" "$out/lib/"; done
done

# --- wharfd's native node modules (dist/ bundles everything else) ---------------------------
nm=$(cd "$repo/node_modules" && pwd -P) || die "no node_modules in $repo"
copy_mod() { # copy_mod NAME [paths inside it…]
  local name=$1; shift
  [ -d "$nm/$name" ] || return 0
  mkdir -p "$out/node_modules/$name"
  if [ $# -eq 0 ]; then cp -a "$nm/$name/." "$out/node_modules/$name/"; return; fi
  for p in "$@"; do [ -e "$nm/$name/$p" ] && mkdir -p "$(dirname "$out/node_modules/$name/$p")" && cp -a "$nm/$name/$p" "$out/node_modules/$name/$p"; done
}
copy_mod better-sqlite3 package.json lib build/Release/better_sqlite3.node
copy_mod bindings
copy_mod file-uri-to-path
copy_mod koffi
case $(uname -m) in x86_64) ka=x64 ;; aarch64) ka=arm64 ;; *) ka=$(uname -m) ;; esac
copy_mod "@koromix/koffi-linux-$ka"

# --- node ---------------------------------------------------------------------------------------
if [ $with_node = 1 ]; then
  need xz
  xz -T0 -6 -c "$(readlink -f "$(command -v node)")" > "$out/node.xz"
fi

# --- python3 rootfs, no NVIDIA driver inside ----------------------------------------------------
if [ -n "${PYTHON:-}" ]; then py=$PYTHON; elif [ -x /usr/bin/python3 ]; then py=/usr/bin/python3; else py=$(command -v python3 || true); fi
[ -n "$py" ] || die "python3 not found"
pyreal=$(readlink -f "$py")
root=$(mktemp -d)
chmod 755 "$root"
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/usr/{bin,sbin,lib,lib64} "$root"/{etc/ld.so.conf.d,tmp,proc,sys,dev,root,check}
ln -s usr/bin "$root/bin"; ln -s usr/sbin "$root/sbin"; ln -s usr/lib "$root/lib"; ln -s usr/lib64 "$root/lib64"
chmod 1777 "$root/tmp"
put() { mkdir -p "$root$(dirname "$1")"; cp -L "$1" "$root$1"; }
put "$pyreal"
[ "$pyreal" = /usr/bin/python3 ] || ln -sf "$pyreal" "$root/usr/bin/python3"
# The modules cuda_check.py loads (python3 -S), all of encodings and ctypes, and their libraries.
files=$("$py" -S -c '
import sys, os, ctypes, array, struct, time, encodings
seen = set()
for m in list(sys.modules.values()):
    f = getattr(m, "__file__", None)
    if f: seen.add(os.path.realpath(f))
for pkg in (encodings, ctypes):
    d = os.path.dirname(pkg.__file__)
    for n in os.listdir(d):
        if n.endswith(".py"): seen.add(os.path.join(d, n))
print("\n".join(sorted(seen)))
print(os.path.join(os.path.dirname(os.__file__), "os.py"))
')
for f in $files; do put "$f"; done
for elf in "$pyreal" $(printf '%s\n' "$files" | grep '\.so$' || true); do
  for l in $(libs_of "$elf"); do [ -e "$root$l" ] || put "$l"; done
done
# busybox (static) for a shell and the usual tools.
if bb=$(command -v busybox) && ! ldd "$bb" >/dev/null 2>&1; then
  cp -L "$bb" "$root/usr/bin/busybox"
  for a in $("$bb" --list); do [ -e "$root/usr/bin/$a" ] || ln -s busybox "$root/usr/bin/$a"; done
fi
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > "$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$root/etc/group"
echo 'include /etc/ld.so.conf.d/*.conf' > "$root/etc/ld.so.conf"
# No driver inside: check.sh relies on wharf to bring it.
if find "$root" -name 'libcuda.so*' -o -name 'libnvidia-*' -o -name 'nvidia-smi' | grep -q .; then die "the rootfs must not hold NVIDIA driver files"; fi
tar --numeric-owner --owner=0 --group=0 -C "$root" -cf "$out/rootfs.tar" .

echo "payload in $out:"
du -sh "$out"/* | sed 's/^/  /'
echo "total: $(du -sh "$out" | cut -f1)"
