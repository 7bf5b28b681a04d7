#!/usr/bin/env bash
# Counts the public API of faultline-harness as rustdoc sees it: only what a user of the crate
# can reach (a `pub` item in a private module does not count).
#   scripts/pub-surface.sh [REV]     (default: the working tree; REV: any commit, e.g. 78ef0fc)
# Prints modules, functions, methods, types (struct/enum/trait/alias), constants and public
# struct fields. Builds the docs into $CARGO_TARGET_DIR/pub-surface (or target/pub-surface).
set -euo pipefail
root=$(git rev-parse --show-toplevel)
src=$root
if [ $# -gt 0 ]; then
  src=$(mktemp -d)
  trap 'rm -rf "$src"' EXIT
  git -C "$root" archive "$1" | tar -x -C "$src"
fi
target="${CARGO_TARGET_DIR:-$root/target}/pub-surface"
rm -rf "$target/doc/faultline_harness"
(cd "$src" && CARGO_TARGET_DIR="$target" cargo doc -q --no-deps -p faultline-harness 2>/dev/null)
doc="$target/doc/faultline_harness"
count() { find "$doc" -name "$1.*.html" | wc -l; }
anchors() { grep -rhoE "id=\"$1\.[A-Za-z_0-9]+\"" "$doc" --include='*.html' | wc -l; }
printf 'modules %s  functions %s  structs %s  enums %s  traits %s  aliases %s  constants %s  pub-fields %s\n' \
  "$(find "$doc" -name index.html | wc -l)" "$(count fn)" "$(count struct)" \
  "$(count enum)" "$(count trait)" "$(count type)" "$(count constant)" "$(anchors structfield)"
