#!/usr/bin/env bash
# Prints what a browser downloads: first the initial load (main wasm, its JS
# glue and split loader, the stylesheet), then the per-page chunks that are
# fetched only when a code-split route is first visited. Sizes raw and gzip.
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
pkg="$AMBULA_SITE_ROOT/pkg"
TARGET_KB=400
[ -f "$pkg/ambula.wasm" ] || { echo "missing $pkg/ambula.wasm: run scripts/build.sh first" >&2; exit 1; }
gz() { gzip -9 -c "$1" | wc -c; }
total=0
printf '%-58s %9s %9s\n' "initial load" raw gzip
for f in "$pkg"/ambula.wasm "$pkg"/ambula.js "$pkg"/__wasm_split*.js "$pkg"/ambula.css; do
  [ -f "$f" ] || continue
  raw=$(wc -c < "$f"); g=$(gz "$f"); total=$((total + g))
  printf '  %-56s %9d %9d\n' "$(basename "$f")" "$raw" "$g"
done
printf 'initial load: %d KB gzip (target <= %d KB)\n' $((total / 1024)) "$TARGET_KB"
printf '%-58s %9s %9s\n' "loaded on first visit of a page" raw gzip
for f in "$pkg"/split_*.wasm; do
  [ -f "$f" ] || continue
  printf '  %-56s %9d %9d\n' "$(basename "$f" | sed 's/_[0-9]*\.wasm$//; s/^split___//')" "$(wc -c < "$f")" "$(gz "$f")"
done
chunks=0; for f in "$pkg"/chunk_*.wasm; do [ -f "$f" ] && chunks=$((chunks + $(gz "$f"))); done
printf '  %-56s %9s %9d\n' "shared chunks (chunk_*.wasm, as needed)" "" "$chunks"
[ $((total / 1024)) -le "$TARGET_KB" ] || echo "NOTE: initial load is over the ${TARGET_KB} KB target"
