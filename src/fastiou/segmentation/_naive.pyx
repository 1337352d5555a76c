"""The simplest correct confusion-matrix loop, serial: the oracle of the tests for the fast
kernels of ``fastiou.segmentation._confusion`` and ``_weighted`` (same outputs).

A module of its own so that it is compiled with light optimisation (``COLD_MODULES`` in
setup.py): it runs only in the tests, and its 16 fused specialisations at ``-O3`` made
``_confusion`` the slowest file of the build.
"""

from libc.stdint cimport int64_t, uint64_t

import numpy as np

from fastiou._shared._fused cimport acc_t, label_t


cdef void naive_loop(const label_t[::1] y_true, const label_t[::1] y_pred,
                     const label_t[::1] ignore, const double[::1] weights,
                     acc_t[:, ::1] matrix, acc_t[::1] miss, int64_t* bad) noexcept nogil:
    cdef Py_ssize_t i, k
    cdef uint64_t t, p, n_classes = <uint64_t>matrix.shape[0]
    cdef acc_t w = 1
    cdef bint ignored
    for i in range(y_true.shape[0]):
        if acc_t is double:
            w = weights[i]
        ignored = False
        for k in range(ignore.shape[0]):
            ignored = ignored or y_true[i] == ignore[k]
        if ignored:
            continue
        t = <uint64_t>y_true[i]
        p = <uint64_t>y_pred[i]
        if t >= n_classes:
            bad[0] += 1
        elif p >= n_classes:
            bad[1] += 1
            miss[t] += w
        else:
            matrix[t, p] += w


def naive_confusion_counts(const label_t[::1] y_true, const label_t[::1] y_pred,
                           Py_ssize_t num_classes, const label_t[::1] ignore, weights=None):
    """The simplest correct loop, serial: the oracle for the fast kernels. Same outputs as
    `confusion_counts`, or as ``_weighted.weighted_confusion_counts`` given `weights`."""
    cdef int64_t bad[2]
    bad[0] = bad[1] = 0
    if weights is None:
        matrix = np.zeros((num_classes, num_classes), dtype=np.int64)
        miss = np.zeros(num_classes, dtype=np.int64)
        naive_loop[label_t, int64_t](y_true, y_pred, ignore, None, matrix, miss, bad)
    else:
        matrix = np.zeros((num_classes, num_classes), dtype=np.float64)
        miss = np.zeros(num_classes, dtype=np.float64)
        naive_loop[label_t, double](y_true, y_pred, ignore, weights, matrix, miss, bad)
    return matrix, miss, int(bad[0]), int(bad[1])
