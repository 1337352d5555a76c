"""pytest-benchmark timings of the scikit-learn and mmseg compat profiles, each in one group
with the core fastiou call it wraps (the workloads of ``bench_compat_sklearn_mmseg.py``).

Run with ``pytest benchmarks/test_bench_compat_sklearn_mmseg.py`` (not part of the test suite).
"""

import pytest

from bench_compat_sklearn_mmseg import N_PIXELS, cases

CASES = {name: (compat_call, core_call) for name, compat_call, core_call in cases(N_PIXELS // 4)}


@pytest.mark.parametrize("side", ["compat", "core"])
@pytest.mark.parametrize("name", list(CASES))
def test_compat_against_core(benchmark, name, side):
    compat_call, core_call = CASES[name]
    if side == "core" and core_call is None:
        pytest.skip(f"{name} computes on (C,) areas: no counting call to compare with")
    benchmark.group = name
    benchmark.pedantic(compat_call if side == "compat" else core_call, rounds=5, warmup_rounds=1)
