#!/usr/bin/env bash
# The whole test suite: build, type-check, then unit, driver and integration tests
# (node:test, real runc/overlayfs/iptables; needs root), and the reliability tests in their fast
# mode (`npm run soak` runs them long). Test files run 2 at a time.
set -euo pipefail
cd "$(dirname "$0")/.."
npm run build --silent
npx tsc --noEmit -p .
shopt -s nullglob
files=(test/*.test.ts test/unit/*.test.ts test/drivers/*.test.ts test/integration/*.test.ts test/reliability/*.test.ts)
exec node --import tsx --test --test-concurrency="${WHARF_TEST_CONCURRENCY:-2}" --test-timeout=600000 "${files[@]}"
