"""Many classes and int64 labels (issue 16): ratios measured in one run.

    python benchmarks/bench_classes.py            # every line
    python benchmarks/bench_classes.py --only 1000 --repeat 5

- 1000 classes, int32, 16x1024x1024: fastiou on all cores against a lean
  ``np.bincount(C * t + p, minlength=C * C)`` (goal: 15x or more on 2 cores), and the
  ratio a kernel would reach if counting cost nothing beyond reading the labels once (the
  fastest NumPy read of both arrays on all cores): the ceiling on this machine.
- 3,688 classes (ADE20K-full) and 20,000 classes: time, and the peak of the memory fastiou
  allocates during the call (result, per-thread tables, everything; ``tracemalloc``, which
  sees NumPy's allocations), next to the size of the result matrix.
- 19 classes, int64, 16x1024x1024: the bytes of both label arrays read per second, against
  the machine's read bandwidth measured here (the fastest plain NumPy read of the same
  arrays on all cores; goal: 85 % or more). fastiou and the reads are timed in turn, round
  after round, so that the memory's state (it changes from second to second on a shared
  machine) is the same for all; the second line measures them apart, as sessions up to 10
  did: reads before and after the kernel, the best of them.
- Each SIMD level this CPU has (AVX2, AVX-512, AVX-512 VBMI2, capped with the kernels' test
  hook), on 32- and 64-bit labels of 19, 150 and 1000 classes: the count's time and its share
  of the NumPy read, all timed in turn, so that an AVX-512 machine also shows what CPUs with
  AVX2 only get.

The label maps are the ``fastiou bench`` ones (:mod:`fastiou.evaluate._bench`): blocky
regions with 10 % of the predicted pixels wrong.
"""

from __future__ import annotations

import argparse
import os
import sys
import tracemalloc
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np

import fastiou
from fastiou._shared._threads import resolve_n_threads
from fastiou.segmentation import _simd
from fastiou.evaluate._bench import (
    Workload, cpu_model, interleaved_medians, make_label_maps, median_seconds, read_bandwidth, read_calls,
)


def peak_bytes(function: Callable[[], object]) -> int:
    """The most memory (traced by ``tracemalloc``) allocated at once during `function()`."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        result = function()
        peak = tracemalloc.get_traced_memory()[1] - before
        del result
    finally:
        tracemalloc.stop()
    return peak


def gib(n: float) -> str:
    return f"{n / 2 ** 30:.2f} GiB" if n >= 2 ** 28 else f"{n / 2 ** 20:.1f} MiB"


def many_classes(threads: int, repeat: int) -> None:
    workload = Workload("c", "1000 classes, int32", (16, 1024, 1024), 1000, "int32")
    t, p = make_label_maps(workload)
    c = workload.num_classes
    lean = lambda: np.bincount((c * t + p).ravel(), minlength=c * c)  # noqa: E731
    fast = lambda: fastiou.confusion_matrix(t, p, c, n_threads=threads)  # noqa: E731
    assert np.array_equal(lean().reshape(c, c), fast())
    # interleaved: bincount, fastiou, bincount, fastiou, ...
    medians = interleaved_medians({"bincount": lean, "fastiou": fast}, repeat)
    numpy_s, fast_s = medians["bincount"], medians["fastiou"]
    print(f"1000 classes int32 16x1024x1024: np.bincount {numpy_s * 1e3:8.1f} ms, fastiou "
          f"{fast_s * 1e3:7.1f} ms ({threads} threads): {numpy_s / fast_s:5.1f}x  (goal >= 15x)")
    read_s = (t.nbytes + p.nbytes) / read_bandwidth((t, p), threads, repeat)
    print(f"  the fastest NumPy read of both label arrays takes {read_s * 1e3:.1f} ms: a counter "
          f"that reads them once can reach {numpy_s / read_s:.1f}x here at most")


def huge_classes(threads: int, repeat: int) -> None:
    for classes in (3688, 20000):
        workload = Workload("h", f"{classes} classes, int32", (16, 1024, 1024), classes, "int32")
        t, p = make_label_maps(workload)
        run = lambda: fastiou.confusion_matrix(t, p, classes, n_threads=threads)  # noqa: E731
        first = run()
        assert int(first.sum()) == t.size and np.array_equal(np.diag(first)[:5],
                                                             np.diag(run())[:5])
        del first
        seconds = median_seconds(run, max(1, repeat // 2))
        peak = peak_bytes(run)
        matrix = classes * classes * 8
        print(f"{classes:5d} classes int32 16x1024x1024: {seconds * 1e3:8.1f} ms, peak "
              f"{gib(peak)} allocated (the int64 result alone: {gib(matrix)}, "
              f"{peak / matrix:.2f}x)")


def int64_bandwidth(threads: int, repeat: int) -> None:
    workload = Workload("d", "19 classes, int64", (16, 1024, 1024), 19, "int64")
    t, p = make_label_maps(workload)
    total = t.nbytes + p.nbytes
    count = lambda: fastiou.confusion_matrix(t, p, 19, n_threads=threads)  # noqa: E731
    # fastiou and each NumPy read in turn, round after round: the same moments for all
    with ThreadPoolExecutor(threads) as pool:
        medians = interleaved_medians({"fastiou": count, **read_calls((t, p), threads, pool)},
                                      repeat)
    seconds = medians.pop("fastiou")
    fastest = min(medians, key=medians.get)
    print(f"19 classes int64 16x1024x1024: {seconds * 1e3:6.1f} ms = {total / seconds / 1e9:5.2f} "
          f"GB/s; the fastest NumPy read ({fastest}), timed in turn with it: "
          f"{total / medians[fastest] / 1e9:5.2f} GB/s: {100 * medians[fastest] / seconds:4.0f} %"
          f"  (goal >= 85 %)")
    # the same measured apart (reads before and after the kernel, the best of them): a
    # stricter figure, as a moment of faster memory counts for the reads alone
    bandwidth = read_bandwidth((t, p), threads, repeat)
    apart = median_seconds(count, repeat)
    again = read_bandwidth((t, p), threads, repeat)
    print(f"  measured apart: {total / apart / 1e9:5.2f} GB/s against NumPy reads of "
          f"{bandwidth / 1e9:5.2f} / {again / 1e9:5.2f} GB/s (before / after): "
          f"{100 * total / apart / max(bandwidth, again):4.0f} % of the best")


def simd_levels(threads: int, repeat: int) -> None:
    levels = [level for level in _simd._simd_levels() if level > 0]
    names = {1: "AVX2", 2: "AVX-512", 3: "VBMI2"}
    for dtype, classes in (("int64", 19), ("int32", 19), ("int32", 150), ("int32", 1000)):
        t, p = make_label_maps(Workload("l", "", (16, 1024, 1024), classes, dtype))

        def at(level: int) -> Callable[[], object]:
            def count() -> object:
                old = _simd._set_simd_cap(level)
                try:
                    return fastiou.confusion_matrix(t, p, classes, n_threads=threads)
                finally:
                    _simd._set_simd_cap(old)
            return count

        with ThreadPoolExecutor(threads) as pool:
            reads = read_calls((t, p), threads, pool)
            medians = interleaved_medians({**{names[level]: at(level) for level in levels},
                                           **reads}, repeat)
        read = min(medians[name] for name in reads)
        print(f"{dtype} {classes:4d} classes 16x1024x1024, each SIMD level: " + ", ".join(
            f"{names[level]} {medians[names[level]] * 1e3:5.1f} ms "
            f"({100 * read / medians[names[level]]:3.0f} % of the read)" for level in levels))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--only", default="", help="1000, huge, int64 or levels")
    args = parser.parse_args(argv)
    threads = resolve_n_threads(-1)
    print(f"CPU: {cpu_model()}, {os.cpu_count()} cores, {threads} threads, "
          f"load average {os.getloadavg()[0]:.2f}")
    for name, function in (("1000", many_classes), ("huge", huge_classes),
                           ("int64", int64_bandwidth), ("levels", simd_levels)):
        if args.only in ("", name):
            function(threads, args.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
