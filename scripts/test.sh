#!/usr/bin/env bash
# Runs every test layer, installing what is missing first (see scripts/setup.sh):
#   lint (rustfmt, clippy), native core tests, wasm-bindgen tests in Node, the built pkg/ and the
#   example Cognigy Extension tested from JS (node --test, against the simulator), and the admin
#   page in Chromium (tests/browser/).
set -euo pipefail
cd "$(dirname "$0")/.."
layer() { printf '\n==== %s\n' "$*"; }

bash scripts/setup.sh

layer "lint: cargo fmt --check, cargo clippy -D warnings"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings
cargo clippy -p cognigy-guard --target wasm32-unknown-unknown --all-targets -- -D warnings
# Each wasm module of the package alone (scripts/build.mjs builds one per feature).
for feature in guard suites; do
  cargo clippy -p cognigy-guard --lib --target wasm32-unknown-unknown --no-default-features --features "$feature" -- -D warnings
done

layer "layer 1: native tests (cargo test)"
cargo test --workspace

layer "layer 2: wasm-bindgen tests in Node"
cargo test -p cognigy-guard --target wasm32-unknown-unknown

layer "build pkg/ (release)"
node scripts/build.mjs

layer "size check: the main entry at most 5 % past bench/size-baseline.json (re-record with npm run size)"
node scripts/size.mjs --check

layer "build the example Cognigy Extension (examples/cognigy-extension -> build/module.js)"
# After pkg/: the example depends on it as "cognigy-guard": "file:../../pkg".
ext=examples/cognigy-extension
if [ ! -d "$ext/node_modules" ] || [ "$ext/package-lock.json" -nt "$ext/node_modules/.package-lock.json" ]; then
  npm ci --prefix "$ext" --no-audit --no-fund
fi
npm run build --prefix "$ext"

layer "layer 3: JS tests of the built package (node --test)"
shopt -s nullglob
node --test --test-concurrency=2 tests/js/*.test.mjs tests/sim/*.test.js

if [ -d tests/browser ]; then
  layer "layer 4: the admin page (www/) in headless Chromium (node --test + playwright-core)"
  node --test --test-concurrency=2 tests/browser/*.test.mjs
fi
