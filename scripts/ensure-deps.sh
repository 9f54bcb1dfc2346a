#!/usr/bin/env bash
# Installs node_modules with `npm ci` when they are missing or older than package-lock.json, so
# `npm test` and `npm run demo` work on a fresh clone with nothing installed by hand.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
marker=node_modules/.package-lock.json
if [[ ! -f "$marker" || package-lock.json -nt "$marker" ]]; then
  echo "ensure-deps: installing dependencies (npm ci)…" >&2
  npm ci --no-audit --no-fund >&2
fi
