#!/usr/bin/env bash
# The whole Kubernetes recipe, from the repository root, against the cluster kubectl points at:
# build the image, run the Indexed Job of shards, merge, and copy the merged folder to ./merged.
# On kind, the image is loaded into the cluster (set KIND_CLUSTER if yours is not "kind"); on
# another cluster, push faultline:dev to a registry it pulls from and change `image:`.
set -euo pipefail
here=examples/ci/kubernetes
docker build -f "$here/Dockerfile" -t faultline:dev .
if command -v kind >/dev/null 2>&1; then
  kind load docker-image faultline:dev --name "${KIND_CLUSTER:-kind}"
fi
kubectl apply -f "$here/sweep.yaml"
kubectl wait --for=condition=complete job/faultline-shards --timeout=6h
kubectl apply -f "$here/merge.yaml"
kubectl wait --for=condition=complete job/faultline-merge --timeout=1h
kubectl logs job/faultline-merge
kubectl wait --for=condition=Ready pod/faultline-results --timeout=10m
kubectl cp faultline-results:/results/merged ./merged
echo "sweep page: ./merged/summary.html"
