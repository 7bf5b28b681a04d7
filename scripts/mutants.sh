#!/usr/bin/env bash
# Mutation testing of a protocol core (issue #14), with cargo-mutants; not part of .ci/run.
#
#   scripts/mutants.sh CRATE FILE [--deep] [-- extra cargo-mutants arguments]
#   scripts/mutants.sh gossip swim.rs            # the gossip core's own tests
#   scripts/mutants.sh raft 'node/*.rs' --deep   # + the harness's tests and a bounded sweep
#
# Quick mode tests each mutant with the core's own tests (faultline-CRATE). --deep adds the
# harness's tests, whose template_sweeps test runs FAULTLINE_TEST_SEEDS (default here 100) seeds
# of every shipped fuzz template with all its checks. Tests that compare trace hashes with pinned
# values are skipped: any change of behaviour moves a hash, so they would "kill" mutants without
# finding anything wrong. The same tests run un-mutated first; if they fail, nothing is mutated.
# Results land in target/mutants/CRATE-<file>/mutants.out (caught.txt,
# missed.txt, timeout.txt, unviable.txt); the score printed is caught / (caught + missed).
#
# MUTANTS_TIMEOUT (seconds) bounds each mutant's test run; a mutant that exceeds it is counted as
# timed out. Default 20 in quick mode: the gossip crate's own tests take about 1.2 s un-mutated
# (debug profile, 2026-12-06), so 20 s leaves room for a loaded machine while a hung mutant costs
# 20 s instead of 300. Default 300 with --deep (the harness's template sweeps take minutes).
set -euo pipefail
cd "$(dirname "$0")/.."

version=27.1.0
if [ "$(cargo mutants --version 2>/dev/null)" != "cargo-mutants $version" ]; then
  echo "== installing cargo-mutants $version"
  cargo install cargo-mutants --version "$version" --locked
fi

if [ $# -lt 2 ]; then
  sed -n '4,7p' "$0" >&2
  exit 2
fi
crate=$1 file=$2
shift 2
case "$crate" in
  raft | gossip) ;;
  *) echo "scripts/mutants.sh: CRATE: expected raft or gossip, found '$crate'" >&2; exit 2 ;;
esac
packages=(--test-package "faultline-$crate")
tested=(-p "faultline-$crate")
timeout=${MUTANTS_TIMEOUT:-20}
if [ "${1:-}" = "--deep" ]; then
  shift
  packages+=(--test-package faultline-harness)
  tested+=(-p faultline-harness)
  export FAULTLINE_TEST_SEEDS="${FAULTLINE_TEST_SEEDS:-100}"
  timeout=${MUTANTS_TIMEOUT:-300}
fi
[ "${1:-}" = "--" ] && shift

out="target/mutants/$crate-$(echo "$file" | tr -c 'A-Za-z0-9._\n-' '_')"
mkdir -p "$out"
# cargo-mutants' own baseline runs only the mutated package's tests: a harness test failing
# un-mutated would stop `cargo test` before the sweeps and count every mutant as caught.
skip=(--skip every_pinned_trace_hash_is_unchanged)
echo "== baseline: the same tests, un-mutated"
if ! nice -n 5 cargo test "${tested[@]}" -- "${skip[@]}" >"$out/baseline.log" 2>&1; then
  echo "scripts/mutants.sh: the tests fail un-mutated (see $out/baseline.log): every mutant would count as caught" >&2
  exit 1
fi
status=0
nice -n 5 cargo mutants -p "faultline-$crate" -f "$file" "${packages[@]}" -j 1 \
  --timeout "$timeout" --output "$out" "$@" -- -- "${skip[@]}" \
  || status=$?
# cargo-mutants exits 2 when mutants were missed, 3 on timeouts: the counts below say which.
results="$out/mutants.out"
count() { if [ -f "$results/$1.txt" ]; then grep -c . "$results/$1.txt" || true; else echo 0; fi; }
caught=$(count caught) missed=$(count missed) timeout=$(count timeout) unviable=$(count unviable)
echo "caught $caught, missed $missed, timeout $timeout, unviable $unviable"
if [ $((caught + missed)) -gt 0 ]; then
  echo "score $(awk -v c="$caught" -v m="$missed" 'BEGIN { printf "%.1f%%", 100 * c / (c + m) }') (caught / (caught + missed)); missed mutants: $results/missed.txt"
fi
case $status in 0 | 2 | 3) exit 0 ;; *) exit "$status" ;; esac
