#!/usr/bin/env bash
# The example in one command, against wharfd (DOCKER_HOST, default the quickstart's socket):
# imports busybox:latest from Debian's busybox-static when the daemon lacks it (no internet
# needed), builds and starts the project, then asks the web service for its page.
#   bash examples/compose-web/up.sh          # then: docker-compose -f examples/compose-web/docker-compose.yml down -v
set -euo pipefail
cd "$(dirname "$0")"
export DOCKER_HOST=${DOCKER_HOST:-unix:///run/wharf/wharf.sock}
if ! docker image inspect busybox:latest >/dev/null 2>&1; then
  bash ../../scripts/busybox-rootfs.sh | docker import -c 'CMD ["sh"]' - busybox:latest >/dev/null
fi
docker-compose up -d --build
for _ in $(seq 1 50); do
  curl -sf "http://127.0.0.1:${WEB_PORT:-8080}/cgi-bin/hello" && exit 0
  sleep 0.2
done
echo "the web service did not answer on port ${WEB_PORT:-8080}" >&2
exit 1
