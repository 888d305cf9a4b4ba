#!/usr/bin/env bash
# Release build: dist/branchbox-linux-x64, dist/branchbox-linux-x64-baseline (CPUs without AVX2),
# dist/branchbox-linux-arm64 (each one self-contained executable, its source map beside it) and
# dist/SHA256SUMS. Each embeds a Bun runtime from npm that is checked against
# scripts/build-runtimes.json first; see scripts/build.ts. Extra arguments go to scripts/build.ts.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bun="${root}/node_modules/.bin/bun"
if [[ ! -x "$bun" ]]; then
  echo "build: ${bun} is missing: run \`npm ci\` first" >&2
  exit 1
fi
cd "$root"
exec "$bun" scripts/build.ts --release "$@"
