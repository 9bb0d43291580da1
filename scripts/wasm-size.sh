#!/usr/bin/env bash
# Prints the size of what a browser downloads for the first page: the wasm
# bundle, its JS glue and the stylesheet, raw and gzip-compressed.
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
pkg="$AMBULA_SITE_ROOT/pkg"
TARGET_KB=400
total=0
printf '%-14s %10s %10s\n' file raw gzip
for f in ambula.wasm ambula.js ambula.css; do
  [ -f "$pkg/$f" ] || { echo "missing $pkg/$f: run cargo leptos build --release first" >&2; exit 1; }
  raw=$(wc -c < "$pkg/$f"); gz=$(gzip -9 -c "$pkg/$f" | wc -c); total=$((total + gz))
  printf '%-14s %10d %10d\n' "$f" "$raw" "$gz"
done
printf 'initial load: %d KB gzip (target <= %d KB)\n' $((total / 1024)) "$TARGET_KB"
