#!/usr/bin/env bash
# Packaging checks: the sdist carries the Cython sources and builds a working wheel; the wheel
# carries neither .pyx/.pxd nor generated .c; a wheel built against numpy 2 imports and passes
# the tests with numpy 1.26 installed at run time; mypy's stubtest agrees with the .pyi stubs.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
git -C "$repo" archive --format=tar HEAD | tar -x -C "$work"

python3 -m venv "$work/venv"
# shellcheck disable=SC1091
. "$work/venv/bin/activate"
python -m pip install --quiet --upgrade pip build

echo "== sdist"
python -m build --sdist --outdir "$work/dist" "$work" > "$work/build-sdist.log"
sdist="$(ls "$work"/dist/fastiou-*.tar.gz)"
tar -tzf "$sdist" > "$work/sdist.txt"
grep -q "src/fastiou/_confusion.pyx" "$work/sdist.txt" || { echo "sdist lacks the .pyx sources"; exit 1; }
grep -q "src/fastiou/_openmp.pxd" "$work/sdist.txt" || { echo "sdist lacks the .pxd shim"; exit 1; }
if grep -E "\.(c|so)$" "$work/sdist.txt"; then echo "sdist carries build outputs"; exit 1; fi
echo "ok: $(basename "$sdist"), $(wc -l < "$work/sdist.txt") entries, .pyx/.pxd present, no .c/.so"

echo "== wheel from the sdist"
python -m pip wheel --quiet --no-deps --wheel-dir "$work/wheels" "$sdist"
wheel="$(ls "$work"/wheels/fastiou-*.whl)"
python -m zipfile -l "$wheel" | awk '{print $1}' > "$work/wheel.txt"
if grep -E "\.(pyx|pxd|c)$" "$work/wheel.txt"; then echo "wheel carries Cython sources or C"; exit 1; fi
grep -q "py.typed" "$work/wheel.txt" && grep -q "_confusion.pyi" "$work/wheel.txt" \
    || { echo "wheel lacks py.typed or the .pyi stubs"; exit 1; }
echo "ok: $(basename "$wheel"), no .pyx/.pxd/.c, stubs and py.typed present"

echo "== tests with numpy 1.26 at run time (wheel built against numpy 2)"
python -m pip install --quiet "$wheel" "numpy==1.26.*" pytest hypothesis threadpoolctl
python -c "import numpy, fastiou; print('numpy', numpy.__version__, 'fastiou', fastiou.__version__)"
(cd "$work" && python -m pytest -q -p no:cacheprovider tests -x)

echo "== stubtest"
python -m pip install --quiet mypy
stubbed="$(cd "$repo/src" && ls fastiou/_*.pyi | sed 's#/#.#; s#\.pyi$##' | tr '\n' ' ')"
(cd "$work" && python -m mypy.stubtest $stubbed)
echo "all packaging checks passed"
