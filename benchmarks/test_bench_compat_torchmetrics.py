"""pytest-benchmark timings of ``bench_compat_torchmetrics.py``'s workloads: each compat
function in one group with the fastiou core call it wraps (and torchmetrics when installed).

Run with ``pytest benchmarks/test_bench_compat_torchmetrics.py`` (not part of the test suite).
"""

import pytest

from bench_compat_torchmetrics import workloads

WORKLOADS = workloads(scale=0.5)


@pytest.mark.parametrize("caller", ["compat", "core", "torchmetrics"])
@pytest.mark.parametrize("name", list(WORKLOADS))
def test_compat_torchmetrics(benchmark, name, caller):
    compat_call, core_call, torch_call = WORKLOADS[name]
    function = {"compat": compat_call, "core": core_call, "torchmetrics": torch_call}[caller]
    if function is None:
        pytest.skip("torchmetrics is not installed (or the workload has no torchmetrics call)")
    benchmark.group = name
    if caller == "torchmetrics":
        benchmark.pedantic(function, rounds=3, warmup_rounds=1)
    else:
        benchmark(function)
