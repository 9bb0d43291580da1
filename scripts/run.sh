#!/usr/bin/env bash
# Sets up, builds (release) and runs Ambula on SQLite with a demo clinic.
# The database is ./data/ambula.db, created and migrated on first start.
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
"$ROOT/scripts/setup.sh"
cd "$ROOT"
step "Building Ambula (release; the first build takes a while)"
"$ROOT/scripts/build.sh"
export DATABASE_URL="${DATABASE_URL:-sqlite://$ROOT/data/ambula.db}"
step "Starting"
exec "$CARGO_TARGET_DIR/release/server" serve --demo
