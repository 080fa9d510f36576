#!/usr/bin/env bash
# docker-py 5.0.3's integration suite (../shared/conformance) against a fresh wharfd on a temp
# data root and socket; fails when fewer tests pass than the floor in
# test/conformance/docker-py-floor. Raise the floor as things are fixed; never lower it.
#   bash scripts/conformance.sh            # results in $OUT (default /tmp/wharf-dockerpy)
set -uo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
SUITE=${DOCKERPY_CONFORMANCE_DIR:-$REPO/../shared/conformance}
OUT=${OUT:-/tmp/wharf-dockerpy}
FLOOR=$(tr -dc 0-9 < test/conformance/docker-py-floor)
[ -x "$SUITE/run-docker-py.sh" ] || [ -f "$SUITE/run-docker-py.sh" ] || { echo "conformance: no suite at $SUITE" >&2; exit 2; }
DIR=$(mktemp -d /tmp/wharf-conformance.XXXXXX)
SOCK=$DIR/wharf.sock
echo '{}' >"$DIR/daemon.json"
bin/wharfd --data-root "$DIR/data" --exec-root "$DIR/exec" -H "unix://$SOCK" --pidfile "$DIR/wharfd.pid" \
  --config-file "$DIR/daemon.json" >"$DIR/wharfd.log" 2>&1 &
PID=$!
cleanup() {
  kill "$PID" 2>/dev/null; wait "$PID" 2>/dev/null
  for id in $(ls "$DIR/exec/runtime/runc" 2>/dev/null); do runc --root "$DIR/exec/runtime/runc" delete --force "$id" >/dev/null 2>&1; done
  grep -o " $DIR[^ ]*" /proc/mounts | sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
  rm -rf "$DIR"
}
trap cleanup EXIT
for _ in $(seq 1 150); do curl -sf --unix-socket "$SOCK" http://x/_ping >/dev/null && break; sleep 0.2; done
curl -sf --unix-socket "$SOCK" http://x/_ping >/dev/null || { echo "conformance: wharfd did not start"; cat "$DIR/wharfd.log"; exit 2; }
DOCKER_HOST=unix://$SOCK DOCKERPY_SHARED_DAEMON=0 OUT=$OUT bash "$SUITE/run-docker-py.sh" >"$DIR/run.log" 2>&1
rc=$?
last=$(tail -1 "$DIR/run.log")
[ -f "$OUT/per-file.tsv" ] && column -t -s $'\t' "$OUT/per-file.tsv" | grep -v '  0  *0  *0  ' || true
[ -f "$OUT/tests.tsv" ] && awk -F'\t' '$2=="failed"{print "  FAILED " $1 "  " substr($3,1,160)}' "$OUT/tests.tsv"
echo "docker-py's suite against wharfd ($last)"
passed=$(sed -n 's/^dockerpy: \([0-9]*\) passed.*/\1/p' <<<"$last")
if [ "$rc" -ne 0 ] || [ -z "$passed" ]; then echo "conformance: the suite did not complete (rc=$rc)"; tail -20 "$DIR/run.log"; exit 1; fi
if [ "$passed" -lt "$FLOOR" ]; then echo "conformance: $passed passed, below the floor of $FLOOR (test/conformance/docker-py-floor)"; exit 1; fi
echo "conformance: $passed passed, floor $FLOOR"
