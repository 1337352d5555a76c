"""Equivalence of the fast kernels, the naive kernel and the NumPy reference."""

import threading

import numpy as np
import pytest

import fastiou
from fastiou import reference
from fastiou.segmentation import _naive
from fastiou.segmentation._core import count_pairs, prepare_pairs

from cases import CASES, reference_counts

THREAD_COUNTS = [1, 2, 3, 7, None, -1]


def _assert_counts_equal(actual, expected):
    matrix, miss, n_bad_true, n_bad_pred = actual
    assert matrix.dtype == expected[0].dtype and miss.dtype == expected[1].dtype
    np.testing.assert_array_equal(matrix, expected[0])
    np.testing.assert_array_equal(miss, expected[1])
    assert (n_bad_true, n_bad_pred) == expected[2:]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_fast_equals_naive_equals_reference(case):
    expected = reference_counts(case)
    fast = count_pairs(case.y_true, case.y_pred, case.num_classes, ignore_index=case.ignore_index,
                       sample_weight=case.sample_weight, out_of_range="miss")
    _assert_counts_equal(fast, expected)
    pairs = prepare_pairs(case.y_true, case.y_pred, case.ignore_index, case.sample_weight)
    naive = _naive.naive_confusion_counts(pairs.y_true, pairs.y_pred, case.num_classes,
                                              pairs.ignore, pairs.weights)
    _assert_counts_equal(naive, expected)
    assert case.inputs_unchanged()


@pytest.mark.parametrize("case", [c for c in CASES if "outofrange" not in c.id and "allbytes" not in c.id
                                  and "mixed" not in c.id and "weights" not in c.id],
                         ids=lambda c: c.id)
def test_public_confusion_matrix_on_valid_labels(case):
    expected = reference_counts(case)[0]
    result = fastiou.confusion_matrix(case.y_true, case.y_pred, case.num_classes,
                                      ignore_index=case.ignore_index)
    assert result.dtype == np.int64 and result.shape == (case.num_classes,) * 2
    np.testing.assert_array_equal(result, expected)
    assert case.inputs_unchanged()


@pytest.mark.parametrize("case", [c for c in CASES if c.id.endswith(("n131073", "n524291", "n524293"))
                                  or "weights-full-n131075" in c.id], ids=lambda c: c.id)
def test_thread_count_does_not_change_counts(case):
    results = [count_pairs(case.y_true, case.y_pred, case.num_classes, ignore_index=case.ignore_index,
                           sample_weight=case.sample_weight, n_threads=n, out_of_range="miss")
               for n in THREAD_COUNTS]
    for other in results[1:]:
        _assert_counts_equal(other, results[0])


def test_threadpoolctl_limit_gives_same_result():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    rng = np.random.default_rng(3)
    t = rng.integers(0, 19, 2 ** 20).astype(np.uint8)
    p = rng.integers(0, 19, 2 ** 20).astype(np.uint8)
    expected = fastiou.confusion_matrix(t, p, 19)
    with threadpoolctl.threadpool_limits(limits=1, user_api="openmp"):
        limited = fastiou.confusion_matrix(t, p, 19)
    np.testing.assert_array_equal(limited, expected)


def test_concurrent_python_threads_give_identical_results():
    rng = np.random.default_rng(4)
    t = rng.integers(0, 21, (4, 300, 400)).astype(np.int32)
    p = rng.integers(0, 21, (4, 300, 400)).astype(np.int32)
    expected = reference.confusion_matrix(t, p, 21, [3])
    results = [None] * 8
    barrier = threading.Barrier(8)

    def work(slot):
        barrier.wait()
        results[slot] = [fastiou.confusion_matrix(t, p, 21, ignore_index=3, n_threads=2)
                         for _ in range(5)]

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for per_thread in results:
        for matrix in per_thread:
            np.testing.assert_array_equal(matrix, expected)


@pytest.mark.parametrize("dtype", ["uint8", "int16"])
def test_more_than_2_to_the_31_elements(dtype):
    """Counts past the int32 index range stay exact (lazily allocated zero pages)."""
    n = 2 ** 31 + 1001
    t = np.zeros(n, dtype=dtype)
    p = np.zeros(n, dtype=dtype)
    t[-1] = p[-1] = 2            # the very last element
    t[2 ** 31 + 7] = 1           # just past 2**31
    p[2 ** 31 + 7] = 2
    t[2 ** 31 - 1] = 3           # just below it
    result = fastiou.confusion_matrix(t, p, 4, n_threads=-1)
    expected = np.zeros((4, 4), dtype=np.int64)
    expected[0, 0] = n - 3
    expected[2, 2] = expected[1, 2] = expected[3, 0] = 1
    np.testing.assert_array_equal(result, expected)


def test_torch_tensors_are_accepted_without_copy():
    torch = pytest.importorskip("torch")
    t = torch.randint(0, 6, (3, 17, 19))
    p = torch.randint(0, 6, (3, 17, 19))
    np.testing.assert_array_equal(fastiou.confusion_matrix(t, p, 6),
                                  reference.confusion_matrix(t.numpy(), p.numpy(), 6))


@pytest.mark.parametrize("dtype,layout", [("uint8", "C"), ("int32", "F"), ("bool", "C"), ("int64", "C")])
def test_no_temporary_the_size_of_the_input(dtype, layout):
    """Contiguous input of a supported dtype is counted in place (NumPy allocations are traced)."""
    import tracemalloc

    rng = np.random.default_rng(5)
    shape = (16, 1024, 1024)   # fixed-size scratch (the 65,536-bin pair tables) stays far below this
    t = np.asarray(rng.integers(0, 2, shape).astype(dtype), order=layout)
    p = np.asarray(rng.integers(0, 2, shape).astype(dtype), order=layout)
    fastiou.confusion_matrix(t, p, 2)
    tracemalloc.start()
    try:
        fastiou.confusion_matrix(t, p, 2, ignore_index=[1, 255])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < t.nbytes // 2, f"peak allocation {peak} bytes for {t.nbytes}-byte inputs"
