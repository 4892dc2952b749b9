#!/usr/bin/env bash
# Packaging checks: builds the Python sdist, builds a wheel FROM that sdist (so both paths users
# take are checked), installs the wheel into a fresh virtualenv and runs `flaskscan --version`
# from it; validates .pre-commit-hooks.yaml with pre-commit itself and runs the hook's entry, as
# pre-commit would, on the demo app.
# Needs python3 and the package index (for maturin and pre-commit); without them it says so and
# exits 0, since the README's two commands need nothing beyond Rust.
#   scripts/check-packaging.sh [OUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-$(mktemp -d)}
mkdir -p "$out"

if ! command -v python3 >/dev/null 2>&1; then
  echo "check-packaging: skipped (no python3)"
  exit 0
fi
venv="$out/venv"
python3 -m venv "$venv"
# maturin's build hooks call `maturin` by name.
export PATH="$venv/bin:$PATH"
if ! "$venv/bin/pip" install --quiet --disable-pip-version-check "maturin>=1.5,<2" pre-commit \
  2>"$out/pip.log"; then
  echo "check-packaging: skipped (maturin and pre-commit could not be installed from the package index: $(tail -n 1 "$out/pip.log"))"
  exit 0
fi

"$venv/bin/maturin" sdist --out "$out/dist" >/dev/null
sdist=$(ls "$out"/dist/flaskscan-*.tar.gz)
echo "check-packaging: sdist $(basename "$sdist") ($(tar -tzf "$sdist" | wc -l) files)"
# The wheel build reuses this checkout's release target dir: the sources are the same.
CARGO_TARGET_DIR="$PWD/target" "$venv/bin/pip" wheel --quiet --no-deps --no-build-isolation \
  --wheel-dir "$out/dist" "$sdist"
wheel=$(ls "$out"/dist/flaskscan-*.whl)
echo "check-packaging: wheel $(basename "$wheel")"
"$venv/bin/pip" install --quiet --disable-pip-version-check "$wheel"
version=$("$venv/bin/flaskscan" --version)
echo "check-packaging: installed wheel runs: $version"
case "$version" in
  "flaskscan $(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)"*) ;;
  *) echo "check-packaging: unexpected version output: $version" >&2; exit 1 ;;
esac

pre-commit validate-manifest .pre-commit-hooks.yaml
entry=$(sed -n 's/^  entry: //p' .pre-commit-hooks.yaml)
# pass_filenames is false: the entry runs as is, from the repository root (here: the demo app's).
status=0
(cd examples/flask-app && $entry --no-deps --quiet >/dev/null) || status=$?
if [ "$status" -ne 1 ]; then
  echo "check-packaging: the hook's entry \`$entry\` should fail (exit 1) on the demo app; it exited $status" >&2
  exit 1
fi
(cd examples/flask-app-fixed && $entry --no-deps --quiet >/dev/null) \
  || { echo "check-packaging: the hook's entry fails on the fixed demo app" >&2; exit 1; }
echo "check-packaging: .pre-commit-hooks.yaml is valid; its entry fails on the demo app and passes on the fixed one"
