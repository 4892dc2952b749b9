#!/usr/bin/env bash
# Benchmark: parse-only vs full scan on a tree (default: the examples).
# For a large real tree, e.g. Django's sources:
#   pip download django==5.1.4 --no-deps --no-binary :all: -d /tmp/django && tar xzf /tmp/django/Django-*.tar.gz -C /tmp/django
#   scripts/bench.sh /tmp/django/Django-5.1.4
set -euo pipefail
cd "$(dirname "$0")/.."
cargo bench --bench scan -- "${1:-examples}"
