"""pytest-benchmark timings of the confusion-matrix workloads of ``fastiou bench``.

Run with ``pytest benchmarks/`` (not part of the test suite). Each workload is timed for
the NumPy reference and for fastiou with one thread and with all threads, in one group,
so ``--benchmark-compare``-style tables show the ratios of one run.
"""

import pytest

from fastiou._shared._threads import resolve_n_threads
from fastiou.evaluate._bench import WORKLOADS, fastiou_call, make_label_maps, reference_call

CALLERS = {
    "numpy": lambda w, t, p: reference_call(w, t, p),
    "fastiou-1-thread": lambda w, t, p: fastiou_call(w, t, p, 1),
    "fastiou-all-threads": lambda w, t, p: fastiou_call(w, t, p, resolve_n_threads(-1)),
}


@pytest.fixture(scope="module", params=WORKLOADS, ids=lambda w: w.key)
def workload_maps(request):
    return request.param, make_label_maps(request.param)


@pytest.mark.parametrize("caller", list(CALLERS))
def test_confusion_matrix(benchmark, workload_maps, caller):
    workload, (y_true, y_pred) = workload_maps
    benchmark.group = f"({workload.key}) {workload.description}"
    benchmark(CALLERS[caller], workload, y_true, y_pred)
