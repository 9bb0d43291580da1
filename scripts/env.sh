# Shared settings for the scripts; sourced, not run.
# Tools that are not Cargo crates live in a cache outside the clone, so a
# fresh clone (or CI) reuses them instead of installing them again.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS_DIR="${AMBULA_TOOLS_DIR:-$HOME/.cache/ambula/tools}"
# One cargo target dir outside the clone, reused by every clone on this
# machine: a clean clone does not rebuild the world. Set CARGO_TARGET_DIR to
# choose another.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/ambula/target}"
export PATH="$HOME/.cargo/bin:$TOOLS_DIR/node_modules/.bin:$PATH"
CARGO_LEPTOS_VERSION="0.3.10"
BINARYEN_VERSION="132.0.0"
CARGO_DENY_VERSION="0.20.2"
# cargo-leptos writes the site (wasm, js, css, public/) here; the server serves it.
export AMBULA_SITE_ROOT="${AMBULA_SITE_ROOT:-$ROOT/target/site}"

step() { printf '\n==> %s\n' "$*"; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "need root for: $*" >&2; return 1; fi
}
