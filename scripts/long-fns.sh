#!/usr/bin/env bash
# Lists Rust functions longer than a limit (default 70 lines), longest first:
#   scripts/long-fns.sh [LIMIT] [PATH...]     (default PATH: crates/harness/src)
# A heuristic scan, not a parser: a line that opens an `fn` item starts a function, which ends
# where the brace depth returns to the depth it started at. Braces inside string literals
# and comments are not counted (quoted text and // comments are stripped first); `#[cfg(test)]`
# modules are scanned too, so tests count. Output: lines, file:line, name.
set -euo pipefail
limit="${1:-70}"
shift || true
paths=("$@")
[ ${#paths[@]} -eq 0 ] && paths=(crates/harness/src)
find "${paths[@]}" -name '*.rs' -print0 | sort -z | xargs -0 awk -v limit="$limit" '
function strip(line) {
  gsub(/\\./, "", line)                    # escaped characters
  gsub(/"[^"]*"/, "\"\"", line)            # string literals on one line
  gsub(/'\''[^'\'']'\''/, "", line)        # char literals
  sub(/\/\/.*/, "", line)                  # line comments
  return line
}
FNR == 1 { depth = 0; n = 0 }
{
  code = strip($0)
  if (match(code, /(^|[^a-z_])fn [a-zA-Z_][a-zA-Z0-9_]*/)) {
    name = substr(code, RSTART, RLENGTH); sub(/^[^f]*fn /, "", name)
    n++; start_line[n] = FNR; start_depth[n] = depth; fname[n] = name; open[n] = 0
  }
  opens = gsub(/{/, "{", code); closes = gsub(/}/, "}", code)
  for (i = n; i >= 1; i--) if (!done[FILENAME, i] && opens > 0) open[i] = 1
  depth += opens - closes
  for (i = n; i >= 1; i--) {
    if (done[FILENAME, i]) continue
    if (open[i] && depth <= start_depth[i]) {
      len = FNR - start_line[i] + 1
      if (len > limit) printf "%d\t%s:%d\t%s\n", len, FILENAME, start_line[i], fname[i]
      done[FILENAME, i] = 1
    } else if (!open[i] && code ~ /;[ \t]*$/) {
      done[FILENAME, i] = 1                 # a declaration without a body
    }
  }
}' | sort -rn
