"""pytest-benchmark timings of the metrics workloads of ``bench_metrics.py`` (fused argmax,
binary IoU, ConfusionMatrix.update), each in one group with its NumPy baseline.

Run with ``pytest benchmarks/test_bench_metrics.py`` (not part of the test suite).
"""

import numpy as np
import pytest

import fastiou
from fastiou._shared._threads import resolve_n_threads

from bench_metrics import (fastiou_argmax_confusion, fastiou_binary_iou, logits_workload, masks_workload,
                           numpy_argmax_confusion, numpy_binary_iou)

ALL = resolve_n_threads(-1)


@pytest.fixture(scope="module")
def logits():
    return logits_workload()


@pytest.fixture(scope="module")
def masks():
    return masks_workload()


@pytest.mark.parametrize("caller", ["numpy", "fastiou-1-thread", "fastiou-all-threads"])
def test_fused_argmax(benchmark, logits, caller):
    y_true, scores = logits
    benchmark.group = "fused argmax (8, 19, 512, 1024) float32"
    function = {"numpy": lambda: numpy_argmax_confusion(y_true, scores),
                "fastiou-1-thread": lambda: fastiou_argmax_confusion(y_true, scores, 1),
                "fastiou-all-threads": lambda: fastiou_argmax_confusion(y_true, scores, ALL)}[caller]
    benchmark.pedantic(function, rounds=3, warmup_rounds=1)


@pytest.mark.parametrize("caller", ["numpy", "fastiou-1-thread", "fastiou-all-threads"])
def test_binary_iou(benchmark, masks, caller):
    outputs, labels = masks
    benchmark.group = "binary_iou (64, 1, 256, 256) bool"
    function = {"numpy": lambda: numpy_binary_iou(outputs, labels),
                "fastiou-1-thread": lambda: fastiou_binary_iou(outputs, labels, 1),
                "fastiou-all-threads": lambda: fastiou_binary_iou(outputs, labels, ALL)}[caller]
    benchmark(function)


@pytest.mark.parametrize("caller", ["confusion_matrix", "ConfusionMatrix.update"])
def test_update_overhead(benchmark, caller):
    rng = np.random.default_rng(0)
    y_true = rng.integers(0, 19, 256).astype(np.uint8)
    y_pred = rng.integers(0, 19, 256).astype(np.uint8)
    accumulator = fastiou.ConfusionMatrix(19)
    benchmark.group = "ConfusionMatrix.update overhead (256 uint8 labels)"
    function = {"confusion_matrix": lambda: fastiou.confusion_matrix(y_true, y_pred, 19),
                "ConfusionMatrix.update": lambda: accumulator.update(y_true, y_pred)}[caller]
    benchmark(function)
