"""Weighted confusion-matrix kernel: each pair adds its float64 weight.

Private: ``fastiou.segmentation._core`` validates and converts the input (weights as a contiguous float64
array the length of the labels) and calls :func:`weighted_confusion_counts`, which returns
what ``fastiou.segmentation._confusion`` describes with a float64 `matrix` and `miss`. Each thread sums
one contiguous slice into its own float64 rows (padded to cache lines), added up afterwards
in thread order.
"""

from cython.parallel cimport parallel
from libc.stdint cimport int64_t, uint64_t

import numpy as np

from fastiou.segmentation._counting cimport (
    LINE, ThreadSlice, count_outside, drop_ignored_rows, padded, sum_rows, thread_slice,
)
from fastiou._shared._fused cimport label_t
from fastiou._shared._team cimport TeamClock, team_close, team_enter, team_leave, team_open


cdef void count_range_weighted(const label_t* y_true, const label_t* y_pred,
                               const double* weights, Py_ssize_t start, Py_ssize_t end,
                               uint64_t n_classes, const label_t* ignore, Py_ssize_t n_ignore,
                               double* hist, double* miss, int64_t* bad) noexcept nogil:
    """Weighted counts of pairs [start, end) into one float64 histogram."""
    cdef uint64_t t, p
    cdef Py_ssize_t i
    for i in range(start, end):
        t = <uint64_t>y_true[i]
        p = <uint64_t>y_pred[i]
        if (t < n_classes) & (p < n_classes):
            hist[t * n_classes + p] += weights[i]
        else:
            count_outside(y_true[i], n_classes, weights[i], ignore, n_ignore, miss, bad)


def weighted_confusion_counts(const label_t[::1] y_true, const label_t[::1] y_pred,
                              const double[::1] weights, Py_ssize_t num_classes,
                              const label_t[::1] ignore, int n_threads):
    """Weighted counts (float64 `matrix` and `miss`) with `n_threads` >= 1 threads."""
    cdef Py_ssize_t n = y_true.shape[0]
    cdef Py_ssize_t n_ignore = ignore.shape[0]
    cdef Py_ssize_t cc = num_classes * num_classes
    cdef uint64_t n_classes = <uint64_t>num_classes
    matrix, miss, bad = output_arrays(num_classes, n_threads)
    if n == 0:
        return matrix, miss, 0, 0
    cdef double[:, ::1] matrix_v = matrix
    cdef double[::1] miss_v = miss
    cdef int64_t[:, ::1] bad_v = bad
    cdef const label_t* t_ptr = &y_true[0]
    cdef const label_t* p_ptr = &y_pred[0]
    cdef const double* w_ptr = &weights[0]
    cdef const label_t* ig_ptr = &ignore[0] if n_ignore > 0 else NULL
    cdef Py_ssize_t stride = padded(cc + num_classes)
    scratch = zeroed_rows(n_threads, stride)
    cdef double[:, ::1] scratch_v = scratch
    cdef double* rows = &scratch_v[0, 0]
    cdef ThreadSlice part
    cdef TeamClock clock
    with nogil:
        clock = team_open(n_threads)
        with parallel(num_threads=n_threads):
            part = thread_slice(n)
            team_enter(&clock)
            count_range_weighted(t_ptr, p_ptr, w_ptr, part.start, part.end, n_classes, ig_ptr,
                                 n_ignore, rows + part.tid * stride,
                                 rows + part.tid * stride + cc, &bad_v[part.tid, 0])
            team_leave(&clock)
        team_close(&clock)
        sum_rows(rows, n_threads, stride, cc, &matrix_v[0, 0], n_threads)
        sum_rows(rows + cc, n_threads, stride, num_classes, &miss_v[0], 1)
        drop_ignored_rows(ig_ptr, n_ignore, n_classes, &matrix_v[0, 0])
    return with_bad_totals(matrix, miss, bad)


# The NumPy work of weighted_confusion_counts, outside it: code in a fused function is
# compiled once per label dtype (8 times), these once

cdef tuple output_arrays(Py_ssize_t num_classes, int n_threads):
    """(matrix, miss, bad): the zeroed float64 results and per-thread bad-label counters."""
    return (np.zeros((num_classes, num_classes), dtype=np.float64),
            np.zeros(num_classes, dtype=np.float64),
            np.zeros((n_threads, LINE), dtype=np.int64))


cdef object zeroed_rows(int n_threads, Py_ssize_t stride):
    return np.zeros((n_threads, stride), dtype=np.float64)


cdef tuple with_bad_totals(matrix, miss, bad):
    totals = bad.sum(axis=0)
    return matrix, miss, int(totals[0]), int(totals[1])
