#!/usr/bin/env bash
# Puts a verified flaskscan binary on the runner and prints where it is.
#
# Used by action.yml (a composite action, so it runs on Linux, macOS and Windows runners, where
# hosted images all have bash, curl and tar). Steps:
#   1. pick the release: $FLASKSCAN_VERSION (the `version` input) or the action's own ref;
#   2. pick the archive for $RUNNER_OS / $RUNNER_ARCH;
#   3. reuse it from the tool cache, or download it with the release's SHA256SUMS and refuse to run
#      when the archive's SHA-256 is not the one listed there;
#   4. when the ref has no release (a branch or a commit), build from the action's source with
#      `cargo install --locked`, and say so.
# Every URL comes from variables the runner sets, so the tests run this same script against a fake
# release served on 127.0.0.1.
#
# Output: `bin=<path>` appended to $GITHUB_OUTPUT when set; the path alone on stdout otherwise.
set -euo pipefail

log() { printf 'flaskscan: %s\n' "$*" >&2; }
die() { printf '::error title=flaskscan install::%s\n' "$*" >&2; exit 1; }

# The action's repository and ref. Composite actions do not get GITHUB_ACTION_REPOSITORY or
# GITHUB_ACTION_REF in their steps (actions/runner#2525), but the runner checks the action out
# at .../_actions/OWNER/REPO/REF, which says the same thing. An action used from a local path
# (`uses: ./`) has neither: it is built from source.
action_path() {
  # On Windows runners the path has backslashes.
  local p=${GITHUB_ACTION_PATH//\\//}
  printf '%s\n' "${p%/}"
}

action_repository() {
  if [ -n "${GITHUB_ACTION_REPOSITORY:-}" ]; then
    printf '%s\n' "$GITHUB_ACTION_REPOSITORY"
  elif [[ "$(action_path)" == */_actions/*/*/* ]]; then
    local repo_dir
    repo_dir=$(dirname "$(action_path)")
    printf '%s/%s\n' "$(basename "$(dirname "$repo_dir")")" "$(basename "$repo_dir")"
  fi
}

action_ref() {
  if [ -n "${GITHUB_ACTION_REF:-}" ]; then
    printf '%s\n' "$GITHUB_ACTION_REF"
  elif [[ "$(action_path)" == */_actions/*/*/* ]]; then
    basename "$(action_path)"
  fi
}

# The Rust target each runner runs; Linux builds are static (musl) so any distribution works.
target_for() {
  case "$1/$2" in
    Linux/X64) echo x86_64-unknown-linux-musl ;;
    Linux/ARM64) echo aarch64-unknown-linux-musl ;;
    macOS/X64) echo x86_64-apple-darwin ;;
    macOS/ARM64) echo aarch64-apple-darwin ;;
    Windows/X64) echo x86_64-pc-windows-msvc ;;
    *) return 1 ;;
  esac
}

sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | cut -d' ' -f1
  else
    shasum -a 256 "$1" | cut -d' ' -f1
  fi
}

# Downloads $1 to $2. Exit status 0: fetched; 4: the server said 404 (no such release);
# anything else: a real failure (network, 5xx), which must not be mistaken for "no release".
fetch() {
  local status
  status=$(curl --silent --show-error --location --retry 3 --retry-connrefused \
    --connect-timeout 20 --max-time 300 --output "$2" --write-out '%{http_code}' "$1") || return 1
  case "$status" in
    200) return 0 ;;
    404) return 4 ;;
    *) log "GET $1 answered HTTP $status"; return 1 ;;
  esac
}

# Builds the action's own source into $1 when no release matches the ref.
build_from_source() {
  local root=$1 why=$2
  [ -n "${GITHUB_ACTION_PATH:-}" ] || die "$why, and GITHUB_ACTION_PATH is not set to build from source"
  command -v cargo >/dev/null 2>&1 \
    || die "$why, and building from source needs Rust (cargo), which is not on this runner"
  log "$why: building from source with cargo install (a few minutes; a release tag starts in seconds)"
  cargo install --locked --quiet --path "$GITHUB_ACTION_PATH" --root "$root" >&2
}

main() {
  local repository ref target exe archive cache url server
  repository=$(action_repository)
  ref=${FLASKSCAN_VERSION:-$(action_ref)}
  target=$(target_for "${RUNNER_OS:-}" "${RUNNER_ARCH:-}") \
    || die "no flaskscan build for ${RUNNER_OS:-?}/${RUNNER_ARCH:-?}; use the container image instead"
  exe=flaskscan
  archive=flaskscan-$target.tar.gz
  if [ "${RUNNER_OS}" = Windows ]; then
    exe=flaskscan.exe
    archive=flaskscan-$target.zip
  fi

  # The ref names a folder below: `feature/x` or `..` must not climb out of it.
  local folder
  folder=_$(printf '%s' "$ref" | tr -c 'A-Za-z0-9._-' '_')
  cache="${RUNNER_TOOL_CACHE:-${RUNNER_TEMP:-/tmp}}/flaskscan/$folder/$target"
  if [ -z "$ref" ]; then
    # A local checkout of the action can change between runs: never cached.
    cache="${RUNNER_TEMP:-/tmp}/flaskscan-local/$target"
  elif [ -f "$cache.complete" ] && [ -x "$cache/bin/$exe" ]; then
    log "using flaskscan $ref from the tool cache"
    report "$cache/bin/$exe"
    return
  fi

  # Global: the EXIT trap runs after main has returned.
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  server=${GITHUB_SERVER_URL:-https://github.com}
  url="$server/$repository/releases/download/$ref"
  local status=0
  local why="no flaskscan release $ref for $target"
  if [ -z "$repository" ] || [ -z "$ref" ]; then
    status=4
    why="the action runs from a local path, not a release"
  else
    fetch "$url/$archive" "$tmp/$archive" || status=$?
  fi
  rm -rf "$cache" "$cache.complete"
  mkdir -p "$cache/bin"
  case "$status" in
    0) install_release "$url" "$tmp" "$archive" "$cache/bin" "$exe" ;;
    4) build_from_source "$cache" "$why" ;;
    *) die "could not download $url/$archive" ;;
  esac
  "$cache/bin/$exe" --version >&2 || die "the installed flaskscan does not run"
  # Only a release is immutable; a branch built from source is built again next time.
  [ "$status" -ne 0 ] || touch "$cache.complete"
  report "$cache/bin/$exe"
}

# Checks the downloaded archive against SHA256SUMS and unpacks the binary into $4.
install_release() {
  local url=$1 tmp=$2 archive=$3 bin=$4 exe=$5 status=0 expected actual
  fetch "$url/SHA256SUMS" "$tmp/SHA256SUMS" || status=$?
  [ "$status" -eq 0 ] || die "the release has $archive but no SHA256SUMS to check it against; refusing to run it"
  # Lines are `<hex>  <name>` (sha256sum's format, `*` before the name in binary mode).
  expected=$(awk -v name="$archive" '$2 == name || $2 == "*" name { print $1; exit }' "$tmp/SHA256SUMS")
  [ -n "$expected" ] || die "SHA256SUMS of the release does not list $archive; refusing to run it"
  actual=$(sha256_of "$tmp/$archive")
  if [ "$actual" != "$expected" ]; then
    die "checksum mismatch for $archive: SHA256SUMS says $expected, the download is $actual; refusing to run it"
  fi
  log "verified $archive (sha256 $actual)"
  case "$archive" in
    *.zip) unzip_into "$tmp/$archive" "$tmp/unpacked" ;;
    *) mkdir -p "$tmp/unpacked" && tar -xzf "$tmp/$archive" -C "$tmp/unpacked" ;;
  esac
  # Archives hold the binary at the top or in one folder (flaskscan-<target>/flaskscan).
  local found
  found=$(find "$tmp/unpacked" -maxdepth 2 -type f -name "$exe" | head -n 1)
  [ -n "$found" ] || die "$archive has no $exe in it"
  mv "$found" "$bin/$exe"
  chmod +x "$bin/$exe"
}

unzip_into() {
  if command -v unzip >/dev/null 2>&1; then
    unzip -q "$1" -d "$2"
  else
    powershell -NoProfile -Command "Expand-Archive -LiteralPath '$1' -DestinationPath '$2'"
  fi
}

report() {
  if [ -n "${GITHUB_OUTPUT:-}" ]; then
    printf 'bin=%s\n' "$1" >>"$GITHUB_OUTPUT"
  else
    printf '%s\n' "$1"
  fi
}

main "$@"
