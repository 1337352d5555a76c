#!/usr/bin/env bash
# Compile each hand-written C header of the kernels (src/fastiou/include/*.h) on its own, as
# C, with every warning of -Wall -Wextra turned into an error: with gcc and, when installed,
# clang; with OpenMP and without (fastiou_openmp.h has both branches). The headers hold
# static functions for the one module that includes each, so an unused one is no error here.
#
#   tools/check_c.sh
set -euo pipefail
include="$(cd "$(dirname "$0")/../src/fastiou/include" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
flags=(-std=gnu11 -O2 -Wall -Wextra -Werror -Wno-unused-function -I "$include")
compilers=(gcc)
command -v clang > /dev/null && compilers+=(clang)
for header in "$include"/*.h; do
    printf '#include "%s"\n' "$(basename "$header")" > "$work/check.c"
    for cc in "${compilers[@]}"; do
        for openmp in "" "-fopenmp"; do
            # shellcheck disable=SC2086
            "$cc" "${flags[@]}" $openmp -c "$work/check.c" -o "$work/check.o"
        done
    done
    echo "ok: $(basename "$header") (${compilers[*]}, with and without OpenMP)"
done
