"""Time the confusion-matrix kernel against the NumPy reference, all in one run.

Usage: ``python benchmarks/bench_kernel.py [--repeat N] [--only a,b,...]``

Workloads (issue 6): (a) 19 classes + ignore 255, uint8, 8x1024x2048; (b) 150 classes,
uint8, 64x512x512; (c) 1000 classes, int32, 16 M; (d) 19 classes, int64, 16 M; (e) as (a)
on smooth maps (large wavy regions, the prediction shifted by a few pixels so errors lie
along boundaries); (s) 256x256 uint8 through the public ``confusion_matrix`` against a
NumPy ``.sum()`` over the same array. Blocky maps: 32x32 cells with 10 % scattered noise.
(d) also prints the read bandwidth of a simple read kernel over the same two arrays
(the fastest of NumPy ``sum``, ``count_nonzero`` and ``bitwise_or.reduce`` on both, split
over all threads with a thread pool).
Times are medians; the kernel is the private ``_confusion.confusion_counts``.
"""

import argparse
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

import fastiou
from fastiou import _confusion
from fastiou._bench import cpu_model, median_seconds

RNG = np.random.default_rng(0)


def blocky_maps(shape, num_classes, dtype, ignore=None):
    """32x32 cells of random classes; 10 % of predictions replaced by a random class."""
    batch, height, width = shape
    coarse = RNG.integers(0, num_classes, (batch, height // 32 + 1, width // 32 + 1))
    truth = np.repeat(np.repeat(coarse, 32, 1), 32, 2)[:, :height, :width].astype(dtype)
    if ignore is not None:
        truth[:, : height // 10, :] = ignore
    pred = truth.copy()
    noisy = RNG.random(truth.shape) < 0.1
    pred[noisy] = RNG.integers(0, num_classes, int(noisy.sum()))
    if ignore is not None:
        pred[pred == ignore] = 0
    return truth.ravel(), pred.ravel()


def smooth_maps(shape, num_classes, dtype, ignore=None):
    """Large regions with wavy boundaries; the prediction is the truth moved by (3, 5)
    pixels with a few blobs of a wrong class, so errors lie along boundaries."""
    batch, height, width = shape
    cell = 128
    coarse = RNG.integers(0, num_classes, (batch, height // cell + 2, width // cell + 2))
    rows = np.arange(height)[:, None]
    cols = np.arange(width)[None, :]
    wave_r = (rows + 20 * np.sin(cols / 57.0)).astype(np.int64) // cell
    wave_c = (cols + 20 * np.sin(rows / 43.0)).astype(np.int64) // cell
    truth = coarse[:, np.clip(wave_r, 0, None) % coarse.shape[1],
                   np.clip(wave_c, 0, None) % coarse.shape[2]].astype(dtype)
    if ignore is not None:
        truth[:, height - height // 8:, :] = ignore
    pred = np.roll(truth, (3, 5), axis=(1, 2))
    if ignore is not None:
        pred[pred == ignore] = 0
    blob = (slice(None), slice(height // 3, height // 3 + 40), slice(width // 2, width // 2 + 60))
    pred[blob] = (pred[blob].astype(np.int64) + 1) % num_classes
    return truth.ravel(), pred.ravel()


def reference(truth, pred, num_classes, ignore):
    """The NumPy snippet: bincount of C * t + p over the kept pairs."""
    if len(ignore):
        keep = ~np.isin(truth, ignore)
        truth, pred = truth[keep], pred[keep]
    code = num_classes * truth.astype(np.int64) + pred.astype(np.int64)
    return np.bincount(code, minlength=num_classes * num_classes).reshape(num_classes, num_classes)


READ_KERNELS = {"sum": np.sum, "count_nonzero": np.count_nonzero, "or-reduce": np.bitwise_or.reduce}


def read_bandwidth(arrays, threads, repeat):
    """(bytes per second, kernel name) of the fastest plain NumPy read over `arrays`, split
    over `threads` Python threads (NumPy releases the GIL in these loops)."""
    pieces = [piece for a in arrays for piece in np.array_split(a, threads)]
    total = sum(a.nbytes for a in arrays)
    best = (0.0, "")
    with ThreadPoolExecutor(threads) as pool:
        for name, kernel in READ_KERNELS.items():
            seconds = median_seconds(lambda: list(pool.map(kernel, pieces)), repeat)
            best = max(best, (total / seconds, name))
    return best


WORKLOADS = {
    "a": ("19 cls + ignore 255, uint8, 8x1024x2048", blocky_maps, (8, 1024, 2048), 19, np.uint8, 255),
    "b": ("150 cls, uint8, 64x512x512", blocky_maps, (64, 512, 512), 150, np.uint8, None),
    "c": ("1000 cls, int32, 16M", blocky_maps, (16, 1024, 1024), 1000, np.int32, None),
    "d": ("19 cls, int64, 16M", blocky_maps, (16, 1024, 1024), 19, np.int64, None),
    "e": ("(a) on smooth maps", smooth_maps, (8, 1024, 2048), 19, np.uint8, 255),
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--only", default="abcdes")
    args = parser.parse_args()
    threads = os.cpu_count()
    print(f"fastiou {fastiou.__version__} | {cpu_model()} | nproc {threads} | "
          f"SIMD level {max(_confusion._simd_levels())} (0 scalar, 1 AVX2, 2 AVX-512)")
    print(f"{'':2}{'workload':42}{'numpy':>10}{'1 thread':>10}{'x':>7}{f'{threads} thr':>10}{'x':>7}")
    for key, (label, make, shape, num_classes, dtype, ignore) in WORKLOADS.items():
        if key not in args.only:
            continue
        truth, pred = make(shape, num_classes, dtype, ignore)
        ignore_arr = np.array([] if ignore is None else [ignore], dtype=dtype)
        expected = reference(truth, pred, num_classes, ignore_arr)
        got = _confusion.confusion_counts(truth, pred, num_classes, ignore_arr, threads)[0]
        assert np.array_equal(got, expected), key
        ref = median_seconds(lambda: reference(truth, pred, num_classes, ignore_arr), max(3, args.repeat // 2))
        one = median_seconds(lambda: _confusion.confusion_counts(truth, pred, num_classes, ignore_arr, 1),
                          args.repeat)
        many = median_seconds(lambda: _confusion.confusion_counts(truth, pred, num_classes, ignore_arr,
                                                               threads), args.repeat)
        print(f"{key:2}{label:42}{ref * 1e3:8.1f}ms{one * 1e3:8.2f}ms{ref / one:7.1f}"
              f"{many * 1e3:8.2f}ms{ref / many:7.1f}")
        if key == "d":
            kernel_bw = (truth.nbytes + pred.nbytes) / many
            read_bw, read_name = read_bandwidth([truth, pred], threads, args.repeat)
            print(f"{'':2}read bandwidth {read_bw / 1e9:.1f} GB/s (NumPy {read_name} on {threads} threads); "
                  f"the kernel reads {kernel_bw / 1e9:.1f} GB/s = {100 * kernel_bw / read_bw:.0f} % of it "
                  "(bar: >= 80 %)")
    if "s" in args.only:
        truth, pred = blocky_maps((1, 256, 256), 19, np.uint8)
        truth, pred = truth.reshape(256, 256), pred.reshape(256, 256)
        total = median_seconds(lambda: truth.sum(), 200)
        call = median_seconds(lambda: fastiou.confusion_matrix(truth, pred, 19), 200)
        print(f"s 256x256 uint8 confusion_matrix {call * 1e6:.1f}us, numpy .sum() {total * 1e6:.1f}us: "
              f"{call / total:.1f}x the sum (bar: <= 3x)")


if __name__ == "__main__":
    main()
