#!/usr/bin/env bash
# Compares the OSV matcher with the shared ground truth (pinned versions, ranges, alias merging)
# and checks every version listed in the full PyPA export against its own advisory.
# Skips (exit 0) when the shared data is absent, as in a user's fresh clone.
set -euo pipefail
cd "$(dirname "$0")/.."
data="${FLASKSCAN_SHARED_DATA:-../shared/contracts/data}"
if [ ! -f "$data/osv/pypi-all.zip" ]; then
    echo "check-osv-ground-truth: $data/osv/pypi-all.zip not found; skipped"
    exit 0
fi
export FLASKSCAN_SHARED_DATA="$(cd "$data" && pwd)"
cargo test --test deps_ground_truth -- --ignored --skip build_embedded_snapshot
