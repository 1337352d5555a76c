"""A child forked after fastiou used OpenMP threads still finishes (on one thread, one warning)."""

import multiprocessing
import sys
import warnings

import numpy as np
import pytest

import fastiou
from fastiou._shared import _team
from fastiou._shared._threads import ForkedThreadsWarning

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork start method")

LABELS = np.random.default_rng(0).integers(0, 19, 1 << 20).astype(np.int32)


def _count_in_child(n_threads):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        first = fastiou.confusion_matrix(LABELS, LABELS, 19, n_threads=n_threads)
        second = fastiou.confusion_matrix(LABELS, LABELS, 19, n_threads=n_threads)
    kinds = [w.category.__name__ for w in caught]
    return int(first.sum()), int(second.sum()), kinds


@pytest.mark.parametrize("n_threads", [2, -1, None])
def test_forked_child_after_parallel_call_finishes(n_threads):
    fastiou.confusion_matrix(LABELS, LABELS, 19, n_threads=2)   # the parent starts a thread team
    _team._forget()  # on a busy machine that team may have turned the default to one thread
    with multiprocessing.get_context("fork").Pool(1) as pool:
        first, second, kinds = pool.apply_async(_count_in_child, (n_threads,)).get(timeout=60)
    assert first == second == LABELS.size
    asks_for_threads = n_threads is not None or fastiou._shared._threads.openmp_max_threads() > 1
    if fastiou.openmp_enabled() and asks_for_threads:
        assert kinds == [ForkedThreadsWarning.__name__]   # one warning, not one per call


def test_parent_keeps_its_threads_and_warns_nothing():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fastiou.confusion_matrix(LABELS, LABELS, 19, n_threads=2)
    assert fastiou._shared._threads.resolve_n_threads(2) == 2
