"""Speed of the metrics surface against the NumPy code it replaces, measured in one run.

Usage: python benchmarks/bench_metrics.py [--scale 1.0] [--repeat 5]

Workloads (the issue's acceptance figures):
- fused argmax: (8, 19, 512, 1024) float32 logits with uint8 labels; fastiou's fused
  argmax + count (all threads) against ``np.argmax`` + the ``np.bincount`` reference.
- binary IoU: (64, 1, 256, 256) bool masks; ``fastiou.binary_iou`` against the NumPy
  snippet (squeeze, ``(a & b).sum((1, 2))``, ``(a | b).sum((1, 2))``, divide).
- ConfusionMatrix.update overhead: per-call time of ``update`` minus ``confusion_matrix``
  on a small batch (the accumulator's own cost).
"""

import argparse
import os
import time

import numpy as np

import fastiou
from fastiou import reference
from fastiou._shared._threads import resolve_n_threads
from fastiou.evaluate._bench import cpu_model, median_seconds

SMOOTH = 1e-6


def logits_workload(scale=1.0, seed=0):
    """(y_true uint8 (B, H, W), logits float32 (B, 19, H, W)) with B = 8 * scale."""
    rng = np.random.default_rng(seed)
    batch = max(1, int(round(8 * scale)))
    logits = rng.standard_normal((batch, 19, 512, 1024), dtype=np.float32)
    y_true = rng.integers(0, 19, (batch, 512, 1024)).astype(np.uint8)
    return y_true, logits


def numpy_argmax_confusion(y_true, logits):
    return reference.bincount_confusion_matrix(y_true, np.argmax(logits, axis=1), logits.shape[1])


def fastiou_argmax_confusion(y_true, logits, n_threads):
    return fastiou.confusion_matrix(y_true, logits, logits.shape[1], axis=1, n_threads=n_threads)


def masks_workload(scale=1.0, seed=1):
    """(outputs (B, 1, 256, 256) bool, labels (B, 256, 256) bool) with B = 64 * scale."""
    rng = np.random.default_rng(seed)
    batch = max(1, int(round(64 * scale)))
    outputs = rng.random((batch, 1, 256, 256)) < 0.3
    labels = rng.random((batch, 256, 256)) < 0.3
    return outputs, labels


def numpy_binary_iou(outputs, labels):
    """The widely copied NumPy snippet, without its thresholding step."""
    outputs = outputs.squeeze(1)
    intersection = (outputs & labels).sum((1, 2))
    union = (outputs | labels).sum((1, 2))
    return (intersection + SMOOTH) / (union + SMOOTH)


def fastiou_binary_iou(outputs, labels, n_threads):
    return fastiou.binary_iou(labels, outputs, smooth=SMOOTH, n_threads=n_threads)


def update_overhead_us(calls=20000, size=256, seed=2):
    """Microseconds per call: (ConfusionMatrix.update, confusion_matrix, their difference)."""
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, 19, size).astype(np.uint8)
    y_pred = rng.integers(0, 19, size).astype(np.uint8)
    accumulator = fastiou.ConfusionMatrix(19)

    def chunk(function):
        start = time.perf_counter()
        for _ in range(calls // 10):
            function(y_true, y_pred)
        return (time.perf_counter() - start) / (calls // 10) * 1e6

    def direct_call(t, p):
        return fastiou.confusion_matrix(t, p, 19)

    # interleaved rounds, best of each: load on a shared machine hits both alike
    direct = update = float("inf")
    for _ in range(10):
        direct = min(direct, chunk(direct_call))
        update = min(update, chunk(accumulator.update))
    return update, direct, update - direct


def run(scale=1.0, repeat=5):
    threads = resolve_n_threads(-1)
    y_true, logits = logits_workload(scale)
    fastiou_argmax_confusion(y_true, logits, threads)  # starts the OpenMP pool
    assert np.array_equal(numpy_argmax_confusion(y_true, logits), fastiou_argmax_confusion(y_true, logits, threads))
    rows = []
    numpy_s = median_seconds(lambda: numpy_argmax_confusion(y_true, logits), max(1, repeat // 2))
    one_s = median_seconds(lambda: fastiou_argmax_confusion(y_true, logits, 1), repeat)
    all_s = median_seconds(lambda: fastiou_argmax_confusion(y_true, logits, threads), repeat)
    rows.append((f"fused argmax {logits.shape} float32", numpy_s, one_s, all_s))
    del logits
    outputs, labels = masks_workload(scale)
    assert np.allclose(numpy_binary_iou(outputs, labels), fastiou_binary_iou(outputs, labels, threads), rtol=1e-12)
    numpy_s = median_seconds(lambda: numpy_binary_iou(outputs, labels), repeat)
    one_s = median_seconds(lambda: fastiou_binary_iou(outputs, labels, 1), repeat)
    all_s = median_seconds(lambda: fastiou_binary_iou(outputs, labels, threads), repeat)
    rows.append((f"binary_iou {outputs.shape} bool", numpy_s, one_s, all_s))
    return threads, rows, update_overhead_us()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="batch size factor (default 1: the issue's sizes)")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    threads, rows, (update_us, direct_us, overhead_us) = run(args.scale, args.repeat)
    print(f"fastiou {fastiou.__version__}, numpy {np.__version__}, CPU {cpu_model()}, "
          f"{os.cpu_count()} CPUs, all threads = {threads}, OpenMP {fastiou.openmp_enabled()}")
    print(f"{'workload':45s} {'numpy ms':>10s} {'1 thread ms':>12s} {'all ms':>10s} {'x (1)':>7s} {'x (all)':>8s}")
    for name, numpy_s, one_s, all_s in rows:
        print(f"{name:45s} {numpy_s * 1e3:10.1f} {one_s * 1e3:12.1f} {all_s * 1e3:10.1f} "
              f"{numpy_s / one_s:7.1f} {numpy_s / all_s:8.1f}")
    print(f"ConfusionMatrix.update: {update_us:.2f} us/call, confusion_matrix: {direct_us:.2f} us/call, "
          f"overhead {overhead_us:.2f} us (256 uint8 labels, 19 classes)")


if __name__ == "__main__":
    main()
