"""One kernel call on a reduced workload of ``fastiou bench``, for instruction counting.

Usage::

    valgrind --tool=callgrind --callgrind-out-file=cg.out \\
        python benchmarks/callgrind_kernel.py a [--scalar]
    callgrind_annotate --threshold=100 --inclusive=yes cg.out | grep "pw.*confusion_counts"

Sizes: (a), (e) 1x1024x2048; (b) 8x512x512; (c), (d) 1x1024x1024. Valgrind does not
emulate AVX-512, so the AVX2 path runs under it; ``--scalar`` caps the kernel to the
scalar loops.
"""

import argparse

import numpy as np

from fastiou.segmentation import _confusion, _simd
from fastiou.evaluate._bench import WORKLOADS, make_label_maps

REDUCED_SCALES = {"a": 1 / 8, "b": 1 / 8, "c": 1 / 16, "d": 1 / 16, "e": 1 / 8}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workload", choices=sorted(REDUCED_SCALES))
    parser.add_argument("--scalar", action="store_true")
    args = parser.parse_args()
    workload = next(w for w in WORKLOADS if w.key == args.workload)
    truth, pred = make_label_maps(workload, scale=REDUCED_SCALES[args.workload])
    ignore = [] if workload.ignore_index is None else [workload.ignore_index]
    if args.scalar:
        _simd._set_simd_cap(0)
    _confusion.confusion_counts(truth.ravel(), pred.ravel(), workload.num_classes,
                                np.array(ignore, dtype=workload.dtype), 1)


if __name__ == "__main__":
    main()
