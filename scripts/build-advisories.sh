#!/usr/bin/env bash
# Rebuilds data/advisories.json.gz from the shared OSV export (../shared/contracts/data/osv,
# or $FLASKSCAN_SHARED_DATA). See data/README.md for what is kept and the licence.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --test deps_ground_truth -- --ignored --exact build_embedded_snapshot --nocapture
