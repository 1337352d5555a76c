#!/usr/bin/env bash
# Packaging checks on the committed tree (git archive HEAD), in fresh virtual environments:
#   1. sdist: the Cython sources and every file git tracks (tests/ with conftest.py and its
#      helper modules, docs/, README.md, .ci/run, CHANGELOG.md, ...), no generated C and no
#      binaries; the metadata (project URLs, Typing :: Typed, Python 3.10-3.13 classifiers).
#   2. a wheel built from the unpacked sdist: no .pyx/.pxd/.c/.h, the .pyi stubs and py.typed;
#      every extension without debug information and under SO_LIMIT bytes.
#   3. a fresh environment with that wheel, its `test` extra and NumPy 1.26 at run time (the
#      wheel is built against NumPy 2): the test suite runs from the unpacked sdist, not from git.
#   4. mypy's stubtest agrees with the .pyi stubs.
# The time of each stage is printed. Measured: 16.5 min wall on 2 cores shared with other jobs
# (load average ~8), 4.9 min of CPU time; the test suite is two thirds of it.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
SO_LIMIT=$((1536 * 1024))   # a stripped _confusion is ~0.73 MB; unstripped it was 4.2 MB
stage() { echo "== $1 (${SECONDS}s)"; }

mkdir "$work/git"
git -C "$repo" archive --format=tar HEAD | tar -x -C "$work/git"
git -C "$repo" ls-tree -r --name-only HEAD | grep -v -x -e .gitignore | sort > "$work/tracked.txt"

python3 -m venv "$work/tools"
"$work/tools/bin/python" -m pip install --quiet --upgrade pip build

stage "sdist"
"$work/tools/bin/python" -m build --sdist --outdir "$work/dist" "$work/git" > "$work/build-sdist.log" 2>&1 \
    || { cat "$work/build-sdist.log"; exit 1; }
sdist="$(ls "$work"/dist/fastiou-*.tar.gz)"
tar -tzf "$sdist" | sed -n 's#^fastiou-[^/]*/##p' | grep -v '/$' | sort > "$work/sdist.txt"
missing="$(comm -23 "$work/tracked.txt" "$work/sdist.txt")"
if [ -n "$missing" ]; then echo "sdist lacks tracked files:"; echo "$missing"; exit 1; fi
for needed in tests/conftest.py docs/errors.md docs/architecture.md .ci/run CHANGELOG.md \
        src/fastiou/segmentation/_confusion.pyx src/fastiou/_shared/_openmp.pxd \
        src/fastiou/include/fastiou_openmp.h; do
    grep -q -x "$needed" "$work/sdist.txt" || { echo "sdist lacks $needed"; exit 1; }
done
if grep -E "\.(c|so|o|pyd|pyc)$" "$work/sdist.txt"; then echo "sdist carries build outputs"; exit 1; fi
mkdir "$work/sdist"
tar -xzf "$sdist" -C "$work/sdist"
src="$(ls -d "$work"/sdist/fastiou-*)"
for field in "Project-URL: Homepage" "Project-URL: Changelog" "Classifier: Typing :: Typed" \
        "Classifier: Programming Language :: Python :: 3.13" "Author: " "Keywords: " \
        "License-Expression: BSD-3-Clause" "Provides-Extra: peers"; do
    grep -q "^$field" "$src/PKG-INFO" || { echo "sdist metadata lacks '$field'"; exit 1; }
done
echo "ok: $(basename "$sdist"), $(wc -l < "$work/sdist.txt") files: every tracked file, no build outputs, metadata complete"

stage "wheel from the unpacked sdist"
"$work/tools/bin/python" -m pip wheel --quiet --no-deps --wheel-dir "$work/wheels" "$src"
rm -rf "$src/build" "$src"/src/*.egg-info   # left by the in-tree build, with the C generated
for pyx in $(find "$src/src/fastiou" -name "_*.pyx"); do rm -f "${pyx%.pyx}.c"; done   # beside each .pyx
wheel="$(ls "$work"/wheels/fastiou-*.whl)"
"$work/tools/bin/python" -m zipfile -l "$wheel" | awk 'NR > 1 {print $1}' > "$work/wheel.txt"
if grep -E "\.(pyx|pxd|c|h)$" "$work/wheel.txt"; then echo "wheel carries Cython sources or C"; exit 1; fi
grep -q "py.typed" "$work/wheel.txt" && grep -q "_confusion.pyi" "$work/wheel.txt" \
    || { echo "wheel lacks py.typed or the .pyi stubs"; exit 1; }
mkdir "$work/unzipped"
"$work/tools/bin/python" -m zipfile -e "$wheel" "$work/unzipped"
for so in $(find "$work/unzipped/fastiou" -name "*.so" | sort); do
    size=$(stat -c %s "$so")
    if readelf -S -W "$so" | grep "\.debug_" > /dev/null; then echo "$(basename "$so") carries debug information"; exit 1; fi
    if [ "$size" -gt "$SO_LIMIT" ]; then echo "$(basename "$so") is $size bytes (limit $SO_LIMIT)"; exit 1; fi
    printf '  %-60s %8d bytes\n' "${so#"$work"/unzipped/}" "$size"
done
echo "ok: $(basename "$wheel") $(stat -c %s "$wheel") bytes; no .pyx/.pxd/.c/.h, stubs and py.typed present, extensions stripped of debug information"

stage "tests from the unpacked sdist, wheel installed with its test extra and NumPy 1.26"
python3 -m venv "$work/venv"
# shellcheck disable=SC1091
. "$work/venv/bin/activate"
python -m pip install --quiet --upgrade pip
python -m pip install --quiet "$wheel[test]" "numpy==1.26.*" mypy
python -c "import numpy, fastiou; print('numpy', numpy.__version__, 'fastiou', fastiou.__version__, fastiou.__file__)"
# the unpacked sdist holds src/fastiou without its compiled modules: the installed wheel is tested
(cd "$src" && python -m pytest -q -p no:cacheprovider -x)

stage "stubtest"
# every stub of a compiled module, wherever it lives: fastiou/segmentation/_confusion.pyi ->
# fastiou.segmentation._confusion
stubbed="$(cd "$src/src" && find fastiou -name "_*.pyi" | sort | sed 's#/#.#g; s#\.pyi$##' | tr '\n' ' ')"
# shellcheck disable=SC2086
(cd "$work" && python -m mypy.stubtest $stubbed)
stage "all packaging checks passed"
