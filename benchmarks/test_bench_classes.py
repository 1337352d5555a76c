"""pytest-benchmark timings of issue 16's many-class lines (``benchmarks/bench_classes.py``
prints the ratios): 1000 classes against the lean bincount, 3,688 (ADE20K-full) and 20,000
classes, each in one group with fastiou on every core.

Run with ``pytest benchmarks/test_bench_classes.py`` (not part of the test suite); the
20,000-class line needs about 3 GiB for its result.
"""

import numpy as np
import pytest

import fastiou
from fastiou._shared._threads import resolve_n_threads
from fastiou.evaluate._bench import Workload, make_label_maps


@pytest.fixture(scope="module", params=[1000, 3688, 20000])
def maps(request):
    classes = request.param
    return classes, make_label_maps(Workload("h", f"{classes} classes, int32", (16, 1024, 1024),
                                             classes, "int32"))


def test_fastiou(benchmark, maps):
    classes, (t, p) = maps
    benchmark.group = f"{classes} classes, int32, 16x1024x1024"
    benchmark(fastiou.confusion_matrix, t, p, classes, n_threads=resolve_n_threads(-1))


def test_lean_bincount(benchmark, maps):
    classes, (t, p) = maps
    if classes > 1000:
        pytest.skip("the bincount line is the 1000-class one")
    benchmark.group = f"{classes} classes, int32, 16x1024x1024"
    benchmark(lambda: np.bincount((classes * t + p).ravel(), minlength=classes * classes))
