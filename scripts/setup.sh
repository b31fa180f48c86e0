#!/usr/bin/env bash
# Installs everything the build and the tests need on a fresh machine, skipping what is there:
# the wasm32 Rust target, wasm-bindgen-cli at the exact version the crate pins, the npm packages
# from the lockfile, (for the browser tests) Debian's Chromium and (for the shared-state tests)
# Debian's redis-server.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== setup: %s\n' "$*"; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  step "rustup target add wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

wb_version=$(sed -n 's/^wasm-bindgen = "=\([^"]*\)"/\1/p' Cargo.toml)
if ! wasm-bindgen --version 2>/dev/null | grep -qF "$wb_version"; then
  step "cargo install wasm-bindgen-cli $wb_version (about 2 minutes, once)"
  cargo install wasm-bindgen-cli --version "$wb_version" --locked
fi

# `npm ls` also catches a package missing from an otherwise present node_modules.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ] \
  || ! npm ls --depth=0 >/dev/null 2>&1; then
  step "npm ci"
  npm ci --no-audit --no-fund
fi

if [ -d tests/browser ] && ! command -v chromium >/dev/null 2>&1; then
  step "apt-get install chromium chromium-driver"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq chromium chromium-driver >/dev/null
fi

# The shared-state tests (tests/js/fleet.test.mjs) start their own redis-server per test.
if ! command -v redis-server >/dev/null 2>&1; then
  step "apt-get install redis-server"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq redis-server >/dev/null
fi
