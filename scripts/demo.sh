#!/usr/bin/env bash
# The main job: installs what is missing, builds pkg/ when the sources are newer, then runs the
# demo against the built-in Cognigy simulator (scripts/demo.mjs). Extra arguments go to the demo
# (--exit: stop after the demo instead of serving until Ctrl-C; --port N).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if [ ! -f pkg/package.json ] || [ -n "$(find src core/src js sim www Cargo.toml -newer pkg/package.json -print -quit 2>/dev/null)" ]; then
  node scripts/build.mjs
fi
exec node scripts/demo.mjs "$@"
