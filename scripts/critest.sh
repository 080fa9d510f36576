#!/usr/bin/env bash
# Runs critest (the CRI validation suite of kubernetes-sigs/cri-tools v1.26.1) against a fresh
# wharfd's CRI socket, offline, and ends with one line: `critest: N passed, M failed, K skipped`.
#
#   sudo scripts/critest.sh                      # the whole suite (AppArmor and SELinux skipped)
#   sudo scripts/critest.sh 'PodSandbox'         # only specs matching a ginkgo focus regex
#
# What it does, on a clean machine (root, scripts/install-deps.sh done):
#  1. unpacks critest and crictl from $CRI_TOOLS (default ../shared/tools/cri-tools beside the repository);
#  2. starts `wharf registry serve` on 127.0.0.1:$REG_PORT and a wharfd with --cri --cri-socket
#     on a temp data root, its own bridge, and daemon.json `cri-registry-mirrors` sending
#     registry.k8s.io and gcr.io pulls to that registry;
#  3. builds stand-ins of critest's test images from the busybox rootfs (scripts/busybox-rootfs.sh)
#     with the recipes of cri-tools' images/ folder, pushes them under their real names'
#     paths, and removes them from the store so critest pulls them through the CRI;
#  4. runs critest, prints the failed specs and the summary line.
# Env: WORK (temp dir), REG_PORT (5206), BRIDGE (cri60), BIP (10.216.0.1/24), KEEP=1 keeps WORK,
#      CNI=1: pods get their network from the CNI plugins (bridge cri-cni0 10.217.0.0/24 +
#      portmap, from /usr/lib/cni) instead of wharf's bridge.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
FOCUS=${1:-}
CRI_TOOLS=${CRI_TOOLS:-$REPO/../shared/tools/cri-tools}
WORK=${WORK:-$(mktemp -d /tmp/critest.XXXXXX)}
REG_PORT=${REG_PORT:-5206}
BRIDGE=${BRIDGE:-cri60}
BIP=${BIP:-10.216.0.1/24}
REG=127.0.0.1:$REG_PORT
mkdir -p "$WORK"/{bin,data,exec,registry,build,cni}
[ -f "$REPO/dist/wharfd.mjs" ] || (cd "$REPO" && npm run build --silent)

pids=()
cleanup() {
  set +e
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
  [ "${CNI:-0}" = 1 ] && ip link del cri-cni0 2>/dev/null
  [ "${KEEP:-0}" = 1 ] || rm -rf "$WORK" 2>/dev/null || true
}
trap cleanup EXIT

# 1. tools
for t in critest crictl; do xz -dc "$CRI_TOOLS/$t.xz" > "$WORK/bin/$t"; chmod +x "$WORK/bin/$t"; done

# 2. registry + daemon
"$REPO/bin/wharf" registry serve --addr "$REG" --root "$WORK/registry" > "$WORK/registry.log" 2>&1 &
pids+=($!)
if [ "${CNI:-0}" = 1 ]; then
  cat > "$WORK/cni/10-critest.conflist" <<JSON
{ "cniVersion": "0.4.0", "name": "critest",
  "plugins": [
    { "type": "bridge", "bridge": "cri-cni0", "isGateway": true, "ipMasq": false,
      "ipam": { "type": "host-local", "dataDir": "$WORK/cni-ipam", "ranges": [[{ "subnet": "10.217.0.0/24" }]] } },
    { "type": "portmap", "capabilities": { "portMappings": true } } ] }
JSON
fi
cat > "$WORK/daemon.json" <<JSON
{ "cri": true, "cri-registry-mirrors": { "registry.k8s.io": ["http://$REG"], "gcr.io": ["http://$REG"] } }
JSON
"$REPO/bin/wharfd" --config-file "$WORK/daemon.json" --data-root "$WORK/data" --exec-root "$WORK/exec" \
  -H "unix://$WORK/wharf.sock" --cri-socket "$WORK/cri.sock" -b "$BRIDGE" --bip "$BIP" --cni-conf-dir "$WORK/cni" > "$WORK/wharfd.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do [ -S "$WORK/cri.sock" ] && [ -S "$WORK/wharf.sock" ] && break; sleep 0.2; done
[ -S "$WORK/cri.sock" ] || { echo "wharfd did not start:"; tail -20 "$WORK/wharfd.log"; exit 1; }
W=("$REPO/bin/wharf" -H "unix://$WORK/wharf.sock")

# 3. stand-in images (recipes: cri-tools v1.26.1 images/; nginx and hostnet-nginx are busybox httpd)
B=$WORK/build
bash "$REPO/scripts/busybox-rootfs.sh" "$B/busybox.tar"
"${W[@]}" import -c 'CMD ["sh"]' "$B/busybox.tar" critest-busybox-rootfs:latest > /dev/null
# Files the recipes COPY (every context gets them).
F=$B/files
mkdir -p "$F"
# Debian's busybox-static lacks the pgrep and ipcs applets of busybox 1.29 (the real image):
# shell equivalents reading /proc.
cat > "$F/pgrep" <<'SH'
#!/bin/sh
found=1
for p in /proc/[0-9]*; do
  [ "$(cat "$p/comm" 2>/dev/null)" = "$1" ] && { echo "${p#/proc/}"; found=0; }
done
exit $found
SH
cat > "$F/ipcs" <<'SH'
#!/bin/sh
echo "------ Shared Memory Segments --------"
echo "key        shmid      owner      perms      bytes      nattch     status"
awk 'NR > 1 { printf "0x%08x %-10s %-10s %-10s %-10s %-10s\n", $1, $2, $5, $3, $4, $7 }' /proc/sysvipc/shm
SH
# httpd:2.4.39-4 stand-in: logs apache's command line, serves on 80 (busybox httpd).
cat > "$F/httpd-foreground" <<'SH'
#!/bin/sh
echo "[core:notice] AH00094: Command line: 'httpd -D FOREGROUND'"
exec httpd -f -p 80 -h /usr/local/apache2/htdocs
SH
# nonewprivs:1.3 stand-in: a setuid-root program printing its effective uid.
printf '#include <stdio.h>\n#include <unistd.h>\nint main(void) { printf("Effective uid: %%d\\n", geteuid()); return 0; }\n' > "$B/nnp.c"
cc -static -O2 -o "$F/nnp" "$B/nnp.c"
chmod 755 "$F"/*

build() { # name dockerfile-text [build-arg...]
  local name=$1 df=$2; shift 2
  local dir; dir=$(mktemp -d "$B/ctx.XXXX")
  cp -a "$F/." "$dir/"
  printf '%s\n' "$df" > "$dir/Dockerfile"
  for f in test-image-1 test-image-2 test-image-3 test-image-tags test-image-tag test-image-latest test-image-digest; do echo "$f" > "$dir/$f"; done
  "${W[@]}" build -q -t "$REG/$name" "$@" "$dir" > /dev/null
  "${W[@]}" push "$REG/$name" > /dev/null
}
# busybox, as the real image: applets hard-linked (runc masks a path by mounting over what it
# resolves to: a masked /bin/ls symlink would hide busybox itself), www-data (33), pgrep, ipcs.
build e2e-test-images/busybox:1.29-2 $'FROM critest-busybox-rootfs:latest\nCOPY pgrep ipcs /usr/bin/\nRUN for f in /bin/* /sbin/* /usr/bin/* /usr/sbin/*; do [ -L "$f" ] && [ "$(readlink "$f")" = /bin/busybox ] && /bin/busybox ln -f /bin/busybox "$f"; done; true\nRUN echo "www-data:x:33:33:www-data:/var/www:/bin/false" >> /etc/passwd && echo "www-data:x:33:" >> /etc/group\nCMD ["sh"]'
BASE=$REG/e2e-test-images/busybox:1.29-2
build e2e-test-images/httpd:2.4.39-4 "FROM $BASE
COPY httpd-foreground /usr/local/bin/
RUN mkdir -p /usr/local/apache2/htdocs && echo '<html><body><h1>It works!</h1></body></html>' > /usr/local/apache2/htdocs/index.html
EXPOSE 80
CMD [\"httpd-foreground\"]"
build e2e-test-images/nonewprivs:1.3 "FROM $BASE
COPY nnp /usr/local/bin/nnp
RUN chmod 4755 /usr/local/bin/nnp
CMD [\"/usr/local/bin/nnp\"]"
# nginx stand-in: a process named nginx (its pid in /var/run/nginx.pid) serving HTTP on 80.
NGINX_SH='#!/bin/sh\necho $$ > /var/run/nginx.pid\nhttpd -f -p ${PORT:-80} -h /usr/share/nginx/html &\nwait'
build e2e-test-images/nginx:1.14-2 "FROM $BASE
RUN mkdir -p /usr/share/nginx/html /var/run && echo '<h1>Welcome (wharf critest stand-in)</h1>' > /usr/share/nginx/html/index.html && printf '$NGINX_SH\n' > /usr/sbin/nginx && chmod 755 /usr/sbin/nginx
EXPOSE 80
# (nginx retitles its first process to nginx: master process; the stand-in carries that in its argv.)
CMD [\"/usr/sbin/nginx\", \"nginx: master process\"]"
build k8s-staging-cri-tools/hostnet-nginx-amd64:latest "FROM $REG/e2e-test-images/nginx:1.14-2
ENV PORT=12003
EXPOSE 12003"
for t in test-image-1 test-image-2 test-image-3; do build "k8s-staging-cri-tools/$t:latest" "FROM $BASE
ARG TEST
ADD \${TEST} \${TEST}" --build-arg "TEST=$t"; done
for tag in 1 2 3; do build "k8s-staging-cri-tools/test-image-tags:$tag" "FROM $BASE
ARG TEST
ADD \${TEST} \${TEST}" --build-arg TEST=test-image-tags; done
for tag in test all; do build "k8s-staging-cri-tools/test-image-tag:$tag" "FROM $BASE
ARG TEST
ADD \${TEST} \${TEST}" --build-arg TEST=test-image-tag; done
build k8s-staging-cri-tools/test-image-latest:latest "FROM $BASE
ARG TEST
ADD \${TEST} \${TEST}" --build-arg TEST=test-image-latest
for u in "test-image-user-uid 1002" "test-image-user-username www-data" "test-image-user-uid-group 1003:1004" "test-image-user-username-group www-data:1004"; do
  set -- $u
  build "k8s-staging-cri-tools/$1:latest" "FROM $BASE
USER $2"
done
# (Debian's busybox has no adduser/addgroup: the same entries written directly.)
build k8s-staging-cri-tools/test-image-predefined-group:latest "FROM $BASE
RUN sed -i '/^u1:/d' /etc/passwd /etc/group && echo 'default-user:x:1000:1000::/home/default-user:/bin/sh' >> /etc/passwd && echo 'default-user:x:1000:' >> /etc/group && echo 'group-defined-in-image:x:50000:default-user' >> /etc/group
USER 1000"
# Nothing stays in the store: critest pulls every image through the CRI and the mirrors.
for _ in 1 2 3 4 5 6; do
  "${W[@]}" images -a --format '{{.ID}}' | xargs -r -n1 "${W[@]}" rmi -f > /dev/null 2>&1 || true
done
[ -z "$("${W[@]}" images -aq)" ] || { echo "stand-in images left in the store:"; "${W[@]}" images -a; exit 1; }

# 4. critest
CRI=unix://$WORK/cri.sock
ARGS=(--runtime-endpoint "$CRI" --image-endpoint "$CRI" -ginkgo.skip='AppArmor|SELinux' -ginkgo.noColor -ginkgo.v)
[ -n "$FOCUS" ] && ARGS+=(-ginkgo.focus="$FOCUS")
set +e
(cd "$WORK" && PATH=$WORK/bin:$PATH "$WORK/bin/critest" "${ARGS[@]}") > "$WORK/critest.log" 2>&1
set -e
cp "$WORK/critest.log" "${CRITEST_LOG:-/tmp/critest-last.log}" 2>/dev/null || true
grep -E '^\s*\[FAIL\]' "$WORK/critest.log" | sed 's/^\s*//' | sort -u || true
line=$(grep -E '^(SUCCESS|FAIL)! -- [0-9]+ Passed \| [0-9]+ Failed' "$WORK/critest.log" | tail -1)
if [ -z "$line" ]; then tail -30 "$WORK/critest.log"; echo "critest: 0 passed, 0 failed, 0 skipped (critest did not finish)"; exit 1; fi
p=$(sed -E 's/.* ([0-9]+) Passed.*/\1/' <<<"$line"); f=$(sed -E 's/.* ([0-9]+) Failed.*/\1/' <<<"$line"); s=$(sed -E 's/.* ([0-9]+) Skipped.*/\1/' <<<"$line")
echo "critest: $p passed, $f failed, $s skipped"
