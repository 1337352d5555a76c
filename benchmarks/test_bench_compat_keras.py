"""pytest-benchmark timings of ``fastiou.compat.keras`` (``update_state`` + ``result``) beside
the core fastiou call each class wraps, one group a workload (see ``bench_compat_keras.py``,
which prints the ratios of one run).

Run with ``pytest benchmarks/test_bench_compat_keras.py`` (not part of the test suite).
"""

import pytest

from bench_compat_keras import compat_call, workloads

WORKLOADS = workloads(scale=0.5)


@pytest.mark.parametrize("index", range(len(WORKLOADS)), ids=[w[0].split(",")[0] for w in WORKLOADS])
@pytest.mark.parametrize("caller", ["compat", "core"])
def test_compat_keras(benchmark, index, caller):
    name, factory, args, core = WORKLOADS[index]
    benchmark.group = name
    benchmark(compat_call(factory, args) if caller == "compat" else core)
