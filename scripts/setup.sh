#!/usr/bin/env bash
# Installs what building (and, with --test, testing) Ambula needs. Every step
# is skipped when the tool is already there at the right version.
#   scripts/setup.sh          build tools: wasm target, cargo-leptos, wasm-bindgen, wasm-opt
#   scripts/setup.sh --test   also Chromium, the end-to-end test packages, a running PostgreSQL
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"

need_node() {
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    step "Installing Node.js and npm (Debian packages)"
    as_root apt-get update -qq && as_root apt-get install -y -qq nodejs npm
  fi
}

command -v cargo >/dev/null || { echo "Rust is not installed: see https://rustup.rs" >&2; exit 1; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  step "Adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

if ! cargo leptos --version 2>/dev/null | grep -q " $CARGO_LEPTOS_VERSION\$"; then
  step "Installing cargo-leptos $CARGO_LEPTOS_VERSION (no_downloads: it must not fetch tools itself)"
  # Without its fat LTO and single codegen unit: 34 minutes become about 14
  # on two cores, and a build tool gains nothing from them.
  CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
    cargo install cargo-leptos --version "$CARGO_LEPTOS_VERSION" --locked --features no_downloads
fi

# wasm-bindgen's CLI must match the wasm-bindgen crate in Cargo.lock exactly.
WASM_BINDGEN_VERSION="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)"
if ! wasm-bindgen --version 2>/dev/null | grep -q " $WASM_BINDGEN_VERSION\$"; then
  step "Installing wasm-bindgen-cli $WASM_BINDGEN_VERSION"
  CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
    cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi

# Licences, bans and sources of every dependency (scripts/test.sh).
if [ "${1:-}" = "--test" ] && ! cargo deny --version 2>/dev/null | grep -q " ${CARGO_DENY_VERSION:-0.20.2}\$"; then
  step "Installing cargo-deny ${CARGO_DENY_VERSION:-0.20.2}"
  CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
    cargo install cargo-deny --version "${CARGO_DENY_VERSION:-0.20.2}" --locked
fi

need_node
mkdir -p "$TOOLS_DIR"
if [ "$(cat "$TOOLS_DIR/.binaryen" 2>/dev/null)" != "$BINARYEN_VERSION" ] || ! [ -x "$TOOLS_DIR/node_modules/.bin/wasm-opt" ]; then
  step "Installing wasm-opt (npm binaryen $BINARYEN_VERSION)"
  [ -f "$TOOLS_DIR/package.json" ] || echo '{"name":"ambula-tools","private":true}' > "$TOOLS_DIR/package.json"
  (cd "$TOOLS_DIR" && npm install --no-audit --no-fund --save-exact "binaryen@$BINARYEN_VERSION")
  echo "$BINARYEN_VERSION" > "$TOOLS_DIR/.binaryen"
fi

if [ "${1:-}" = "--test" ]; then
  if ! [ -x /usr/bin/chromium ]; then
    step "Installing Chromium (Debian package) for the browser tests"
    as_root apt-get update -qq && as_root apt-get install -y -qq chromium
  fi
  # npm ci only when the lock file changed since the last install.
  lock_sum="$(sha256sum end2end/package-lock.json | cut -d' ' -f1)"
  if [ "$(cat end2end/node_modules/.lock-sum 2>/dev/null)" != "$lock_sum" ]; then
    step "Installing the end-to-end test packages (playwright-core, axe-core)"
    (cd end2end && npm ci --no-audit --no-fund)
    echo "$lock_sum" > end2end/node_modules/.lock-sum
  fi
  if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
    step "Starting PostgreSQL"
    as_root pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start
    for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
  fi
fi
