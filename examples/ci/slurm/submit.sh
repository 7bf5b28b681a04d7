#!/usr/bin/env bash
# A faultline fuzz sweep on a Slurm cluster: builds faultline from this repository, submits one
# array task per shard, and a merge job that starts when they have all ended. Run from the
# repository root, on a login node, with the repository on a file system the compute nodes share:
#   examples/ci/slurm/submit.sh
# The sweep's size and where it goes can be set from the environment (defaults below); extra
# arguments go to both sbatch calls (e.g. --partition=long --account=me).
set -euo pipefail
export TEMPLATE="${TEMPLATE:-scenarios/fuzz/raft-swarm.json}"
export SEEDS="${SEEDS:-0..10000}"
export SHARDS="${SHARDS:-4}"
export RESULTS="${RESULTS:-$PWD/sweep-$(date +%Y%m%d-%H%M%S)}"
export FAULTLINE="${FAULTLINE:-$PWD/target/release/faultline}"
here="$(dirname "$0")"
cargo build --release --locked --bin faultline
mkdir -p "$RESULTS/logs"
shards=$(sbatch --parsable --array="1-$SHARDS" --output="$RESULTS/logs/shard-%a.out" "$@" \
  "$here/shard.sbatch")
sbatch --parsable --dependency="afterany:$shards" --output="$RESULTS/logs/merge.out" "$@" \
  "$here/merge.sbatch" > /dev/null
echo "submitted shards as job $shards; the merged sweep will be in $RESULTS/merged"
