#!/usr/bin/env bash
# Build rules that no compiler enforces, checked on every test run:
#  - the wasm bundle's dependency tree holds no server-only crate;
#  - Cargo.lock holds exactly one sqlx (two would mean two pools and builds).
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"
status=0
server_only='^(sqlx|sqlx-core|argon2|tokio|lettre|chrono-tz|ambula-backend) '
leaked="$(cargo tree -p frontend --target wasm32-unknown-unknown -e normal --prefix none | grep -E "$server_only" | sort -u || true)"
if [ -n "$leaked" ]; then
  echo "FAIL: server-only crates in the wasm bundle:"; echo "$leaked"; status=1
else
  echo "ok: the wasm bundle depends on no server-only crate (sqlx, argon2, tokio, lettre, chrono-tz, backend)"
fi
sqlx_versions="$(grep -c '^name = "sqlx"$' Cargo.lock)"
if [ "$sqlx_versions" -ne 1 ]; then
  echo "FAIL: $sqlx_versions versions of sqlx in Cargo.lock"; status=1
else
  echo "ok: one sqlx version in Cargo.lock"
fi
exit $status
