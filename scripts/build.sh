#!/usr/bin/env bash
# Release build of the server and the site, with gzip copies of the site's
# assets: the server sends `ambula.wasm.gz` to browsers that accept gzip, so
# the 1 MB bundle travels as about 400 KB.
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"
cargo leptos build --release --split
find "$AMBULA_SITE_ROOT" -type f \( -name '*.wasm' -o -name '*.js' -o -name '*.css' -o -name '*.svg' \) \
  -exec gzip -9 -k -f {} \;
