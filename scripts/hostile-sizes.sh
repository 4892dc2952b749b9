#!/usr/bin/env bash
# Hostile input shapes at size n and 4n: each must scan in time roughly linear in its size.
# Prints the time of each and the ratio; a ratio over 8 (quadratic would be ~16) is flagged.
#   scripts/hostile-sizes.sh [N]        (default N=20000; needs a release build)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=target/release/flaskscan
[ -x "$bin" ] || cargo build --release
n=${1:-20000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

make_shape() { # shape size dir
  python3 - "$1" "$2" "$3" <<'PY'
import os, sys
shape, n, d = sys.argv[1], int(sys.argv[2]), sys.argv[3]
os.makedirs(d + "/templates", exist_ok=True)
w = lambda p, s: open(os.path.join(d, p), "w").write(s)
if shape == "findings-on-one-line":
    w("a.py", "import hashlib\nx = [" + ", ".join('hashlib.md5(b"%d")' % i for i in range(n // 4)) + "]\n")
elif shape == "template-attributes":
    w("templates/t.html", "".join("<p class={{ x%d }}>" % i for i in range(n // 4)) + "\n")
elif shape == "requirements-comments":
    w("requirements.txt", "# c\n" * (n * 5) + "flask==3.0.3\n")
elif shape == "lockfile-packages":
    w("poetry.lock", "".join('[[package]]\nname = "p%d"\nversion = "1.0"\n\n' % i for i in range(n // 4)))
elif shape == "nested-brackets":
    w("a.py", "x = " + "(" * (n // 40) + "1" + ")" * (n // 40) + "\n")
elif shape == "long-expression":
    w("a.py", "x = " + "1 + " * (n * 2) + "1\n")
elif shape == "method-chain":
    # Links (an attribute and a call per .get) stay under source::MAX_CHAIN at both sizes.
    w("a.py", "from flask import request\nx = request.args" + ".get('a')" * (n // 200) + "\n")
elif shape == "many-views":
    w("a.py", "from flask import Flask, request\napp = Flask(__name__)\n" + "".join(
        "@app.route('/v%d')\ndef v%d():\n    return request.args['q']\n" % (i, i) for i in range(n // 20)))
elif shape == "many-functions":
    w("a.py", "from flask import request\n" + "".join(
        "def f%d(x):\n    return f%d(request.args['q'])\n" % (i, i + 1) for i in range(n // 10)))
PY
}

time_scan() { # dir -> seconds
  local start end
  start=$(date +%s.%N)
  "$bin" scan "$1" --select ALL --advisories offline --quiet --format json -o /dev/null --fail-on none
  end=$(date +%s.%N)
  python3 -c "print(f'{$end - $start:.3f}')"
}

printf '%-24s %10s %10s %7s\n' shape "t(n)" "t(4n)" ratio
status=0
for shape in findings-on-one-line template-attributes requirements-comments lockfile-packages \
             nested-brackets long-expression method-chain many-views many-functions; do
  make_shape "$shape" "$n" "$work/$shape-1"
  make_shape "$shape" $((n * 4)) "$work/$shape-4"
  t1=$(time_scan "$work/$shape-1")
  t4=$(time_scan "$work/$shape-4")
  ratio=$(python3 -c "print(f'{$t4 / max($t1, 0.01):.1f}')")
  flag=""
  if python3 -c "import sys; sys.exit(0 if $t4 > 0.5 and $t4 / max($t1, 0.01) > 8 else 1)"; then
    flag="  <- superlinear"
    status=1
  fi
  printf '%-24s %10s %10s %7s%s\n' "$shape" "$t1" "$t4" "$ratio" "$flag"
done
exit $status
