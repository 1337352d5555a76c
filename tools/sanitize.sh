#!/usr/bin/env bash
# Build fastiou with AddressSanitizer and UndefinedBehaviorSanitizer in a fresh virtual
# environment and run the test suite against that build, with the ASan runtime preloaded
# into the (uninstrumented) Python interpreter. Any sanitizer report fails the run. The build
# keeps its debug information (FASTIOU_KEEP_DEBUG_INFO=1), so reports give file and line.
#
#   tools/sanitize.sh                 # the whole suite
#   tools/sanitize.sh -k confusion    # extra arguments go to pytest
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# the working tree as git sees it (tracked and new files, nothing ignored such as build outputs)
(cd "$repo" && git ls-files -z --cached --others --exclude-standard \
    | xargs -0 cp --parents -t "$work" 2>/dev/null || true)

python3 -m venv "$work/venv"
# shellcheck disable=SC1091
. "$work/venv/bin/activate"
python -m pip install --quiet --upgrade pip
export CFLAGS="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -g"
export LDFLAGS="-fsanitize=address,undefined"
# keep the debug information release builds strip at link time (setup.py): file:line in reports
export FASTIOU_KEEP_DEBUG_INFO=1
(cd "$work" && pip install --quiet '.[test]')

LD_PRELOAD="$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libubsan.so)"
export LD_PRELOAD
# CPython frees little at exit, so leak reports would be noise; errors abort the process.
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:halt_on_error=1:allocator_may_return_null=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export FASTIOU_SANITIZER_RUN=1   # tests that measure RSS skip: ASan's quarantine holds freed memory
python -c "import fastiou; fastiou.show_config(); assert fastiou.openmp_enabled(), 'OpenMP lost'"
confusion_so="$(python -c 'import fastiou.segmentation._confusion as m; print(m.__file__)')"
LD_PRELOAD="" readelf -S -W "$confusion_so" | grep "\.debug_info" > /dev/null \
    || { echo "the sanitizer build lost its debug information (FASTIOU_KEEP_DEBUG_INFO)"; exit 1; }
cd "$work"
python -m pytest -p no:cacheprovider -q tests "$@"
