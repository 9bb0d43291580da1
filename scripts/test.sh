#!/usr/bin/env bash
# Sets up and runs every test: unit, integration on SQLite and PostgreSQL,
# and the browser tests against a release build. Exits non-zero on any failure.
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
"$ROOT/scripts/setup.sh" --test
cd "$ROOT"
# Incremental build caches are for editing, not for a test run: across
# clones they only fill the disk (tens of GB on a two-core CI machine).
export CARGO_INCREMENTAL=0

step "Dropping test databases left by interrupted runs"
psql -h 127.0.0.1 -U postgres -d postgres -Atc \
  "SELECT datname FROM pg_database WHERE datname LIKE 'ambula\_test\_%'" 2>/dev/null |
  while read -r db; do psql -q -h 127.0.0.1 -U postgres -d postgres -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)"; done

step "Build invariants"
"$ROOT/scripts/check-invariants.sh"

step "Dependencies: licences, bans, sources (cargo deny; deny.toml)"
# Advisories need RustSec's database from GitHub, out of reach here: see
# docs/security.md for running `cargo deny check advisories` where it is not.
cargo deny --log-level error check licenses bans sources

step "Unit and integration tests (SQLite and PostgreSQL)"
# frontend is the wasm entry point; it is built (and checked) by cargo leptos below.
cargo test --workspace --exclude frontend

step "Release build (server and wasm bundle)"
"$ROOT/scripts/build.sh"
"$ROOT/scripts/wasm-size.sh"

step "Browser tests (Chromium)"
cd "$ROOT/end2end"
AMBULA_SERVER_BIN="$CARGO_TARGET_DIR/release/server" node --test --test-concurrency=1 tests/
