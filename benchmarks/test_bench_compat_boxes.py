"""pytest-benchmark timings of the box compatibility profiles beside the fastiou calls
they correspond to.

Run: ``pytest benchmarks/test_bench_compat_boxes.py --benchmark-only``; each group holds a
compat call and its core call (``benchmarks/bench_compat_boxes.py`` prints the same pairs
as ratios, with the peers' own times).
"""

import pytest

from bench_compat_boxes import workloads

ROWS = workloads(1000)
IDS = [f"{profile}-{name}" for profile, name, *_ in ROWS]


@pytest.mark.parametrize("row", ROWS, ids=IDS)
def test_compat(benchmark, row):
    profile, name, compat, _, _ = row
    benchmark.group = f"{profile} {name}"
    benchmark(compat)


@pytest.mark.parametrize("row", ROWS, ids=IDS)
def test_core(benchmark, row):
    profile, name, _, core, _ = row
    benchmark.group = f"{profile} {name}"
    benchmark(core)
