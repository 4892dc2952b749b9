#!/usr/bin/env bash
# Fuzzes the front ends that read untrusted bytes (tests/fuzz.rs), in release mode, on stable Rust.
#   scripts/fuzz.sh [seconds-per-target] [target...]
# Targets: python template requirements pyproject setup-cfg poetry-lock uv-lock pipfile-lock
#          pylock pdm-lock sarif osv config envfile event (default: all).
# Failing inputs are saved to tests/fuzz/crashes/<target>/; FUZZ_SEED=N replays a run,
# FUZZ_SAVE_CORPUS=1 keeps a few small inputs of new behaviour in tests/fuzz/corpus/<target>/.
# The test binary is built once and each target runs in its own process: an input that kills
# the process (stack overflow, abort) is filed as a crash by the next run of that target.
set -uo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(python template requirements pyproject setup-cfg poetry-lock uv-lock pipfile-lock
           pylock pdm-lock sarif osv config envfile event)
fi
bin=$(cargo test --release --test fuzz --no-run --message-format=json 2>/dev/null |
  python3 -c 'import json,sys
for l in sys.stdin:
    m = json.loads(l)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "fuzz" and m.get("executable"):
        print(m["executable"])')
[ -x "$bin" ] || { cargo test --release --test fuzz --no-run; exit 2; }
status=0
for t in "${targets[@]}"; do
  FUZZ_SECONDS=$seconds FUZZ_TARGET=$t "$bin" --ignored --nocapture --exact fuzz_targets 2>&1 |
    grep -v -e '^running ' -e '^test result' -e '^$' -e '^test fuzz_targets'
  rc=${PIPESTATUS[0]}
  if [ "$rc" -ne 0 ]; then
    status=1
    if compgen -G "target/fuzz-in-flight/$t.*" >/dev/null; then
      # Died on an input without reporting it: a second short run files it as a crash.
      echo "$t: the process died on an input; filing it"
      FUZZ_SECONDS=1 FUZZ_TARGET=$t "$bin" --ignored --nocapture --exact fuzz_targets 2>&1 | grep FAIL
    fi
  fi
done
exit $status
