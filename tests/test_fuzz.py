"""A short differential fuzz run inside the suite (tools/fuzz.py runs the same targets long)."""

import numpy as np
import pytest

from fuzz_targets import TARGETS

CASES_PER_TARGET = 600


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_random_byte_strings(name):
    rng = np.random.default_rng(20261122)
    target = TARGETS[name]
    for _ in range(CASES_PER_TARGET):
        data = rng.integers(0, 256, rng.integers(0, 4096)).astype(np.uint8).tobytes()
        target(data)
