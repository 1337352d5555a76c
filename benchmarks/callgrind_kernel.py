"""One kernel call on a reduced workload of bench_kernel.py, for instruction counting.

Usage::

    valgrind --tool=callgrind --callgrind-out-file=cg.out \\
        python benchmarks/callgrind_kernel.py a [--scalar]
    callgrind_annotate --threshold=100 --inclusive=yes cg.out | grep "pw.*confusion_counts"

Sizes: (a), (e) 1x1024x2048; (b) 8x512x512; (c), (d) 1x1024x1024. Valgrind does not
emulate AVX-512, so the AVX2 path runs under it; ``--scalar`` caps the kernel to the
scalar loops.
"""

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_kernel  # noqa: E402

from fastiou import _confusion  # noqa: E402

REDUCED_SHAPES = {"a": (1, 1024, 2048), "b": (8, 512, 512), "c": (1, 1024, 1024),
                  "d": (1, 1024, 1024), "e": (1, 1024, 2048)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workload", choices=sorted(REDUCED_SHAPES))
    parser.add_argument("--scalar", action="store_true")
    args = parser.parse_args()
    _label, make, _shape, num_classes, dtype, ignore = bench_kernel.WORKLOADS[args.workload]
    truth, pred = make(REDUCED_SHAPES[args.workload], num_classes, dtype, ignore)
    ignore_arr = np.array([] if ignore is None else [ignore], dtype=dtype)
    if args.scalar:
        _confusion._set_simd_cap(0)
    _confusion.confusion_counts(truth, pred, num_classes, ignore_arr, 1)


if __name__ == "__main__":
    main()
