import os

# Keras 3 reads its backend once, at its first import (any test module's); torch is installed
# for the differential tests and TensorFlow is not
os.environ.setdefault("KERAS_BACKEND", "torch")

import pytest  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402
from fastiou._shared import _team  # noqa: E402

settings.register_profile(
    "ci", max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=100, deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


@pytest.fixture(autouse=True)
def _no_thread_env_leak(monkeypatch):
    """Tests that set OMP_NUM_THREADS do it through monkeypatch, never for the whole session.
    Every test starts with the cores counted as free (fastiou._shared._team): on a busy
    machine an earlier test's thread team may have turned the default to one thread."""
    _team._forget()
    yield
