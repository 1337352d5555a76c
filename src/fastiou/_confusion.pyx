"""Confusion-matrix kernels over two flat, contiguous label arrays of one dtype.

Private: the public wrappers in ``fastiou._core`` validate and convert the input, resolve
the thread count and call these. Every kernel returns the same four things:

``matrix``
    ``(C, C)`` counts (int64, or float64 with weights), rows = truth, columns = prediction.
``miss``
    ``(C,)`` count of pairs whose truth is the class but whose prediction is outside
    ``[0, C)``; such pairs never enter ``matrix``.
``n_bad_true``
    number of pairs whose truth is outside ``[0, C)`` and not an ignore value.
``n_bad_pred``
    number of pairs with a valid truth and a prediction outside ``[0, C)`` (``miss.sum()``
    without weights).

Pairs whose truth is an ignore value are dropped before anything else is looked at.
No label is ever used as an index unless it lies in ``[0, C)``.
"""

from cython.parallel cimport parallel, prange
from libc.stdint cimport (
    int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t, uint32_t, uint64_t,
)

import numpy as np

from fastiou._openmp cimport omp_get_num_threads, omp_get_thread_num

ctypedef fused label_t:
    uint8_t
    int8_t
    uint16_t
    int16_t
    uint32_t
    int32_t
    uint64_t
    int64_t

ctypedef fused acc_t:
    int64_t
    double

cdef enum:
    # int64 (or double) slots in a 64-byte cache line: per-thread rows are padded to it
    LINE = 8
    # interleaved copies of a thread's histogram, so that a run of identical pairs does not
    # serialise on one counter; used while the copies fit in SMALL_TABLE_BYTES
    COPIES = 4
    SMALL_TABLE_BYTES = 1 << 18
    # one-byte labels: a pair (t, p) is the 16-bit index (t << 8) | p of a 65536-bin table
    BYTE_TABLE = 65536
    BYTE_TABLE_COPIES = 2
    # below this many pairs the byte table costs more (zeroing, folding) than it saves
    BYTE_TABLE_MIN_PAIRS = 1 << 19


cdef inline Py_ssize_t padded(Py_ssize_t size) noexcept nogil:
    """`size` rounded up to whole cache lines, plus one line of separation."""
    return ((size + LINE - 1) // LINE + 1) * LINE


cdef inline bint is_ignored(label_t value, const label_t* ignore,
                            Py_ssize_t n_ignore) noexcept nogil:
    cdef Py_ssize_t k
    for k in range(n_ignore):
        if value == ignore[k]:
            return True
    return False


cdef inline void count_outside(label_t t, uint64_t n_classes, acc_t weight,
                               const label_t* ignore, Py_ssize_t n_ignore,
                               acc_t* miss, int64_t* bad) noexcept nogil:
    """Book a pair whose truth or prediction lies outside [0, C): nothing here indexes
    with the prediction, and the truth only after its range check."""
    if is_ignored(t, ignore, n_ignore):
        return
    if <uint64_t>t >= n_classes:
        bad[0] += 1
    else:
        bad[1] += 1
        miss[<uint64_t>t] += weight


cdef void count_range(const label_t* y_true, const label_t* y_pred,
                      Py_ssize_t start, Py_ssize_t end, uint64_t n_classes,
                      const label_t* ignore, Py_ssize_t n_ignore,
                      int64_t* hist, Py_ssize_t copy_stride,
                      int64_t* miss, int64_t* bad) noexcept nogil:
    """Unweighted counts of pairs [start, end). Four pairs per step go to four interleaved
    histogram copies (`copy_stride` apart; 0 when there is one copy). A label is cast to
    uint64 before its range check, so negative labels are out of range too."""
    cdef int64_t* h0 = hist
    cdef int64_t* h1 = hist + copy_stride
    cdef int64_t* h2 = hist + 2 * copy_stride
    cdef int64_t* h3 = hist + 3 * copy_stride
    cdef uint64_t t0, t1, t2, t3, p0, p1, p2, p3
    cdef Py_ssize_t i = start
    cdef Py_ssize_t j
    while i + 4 <= end:
        t0 = <uint64_t>y_true[i]
        t1 = <uint64_t>y_true[i + 1]
        t2 = <uint64_t>y_true[i + 2]
        t3 = <uint64_t>y_true[i + 3]
        p0 = <uint64_t>y_pred[i]
        p1 = <uint64_t>y_pred[i + 1]
        p2 = <uint64_t>y_pred[i + 2]
        p3 = <uint64_t>y_pred[i + 3]
        if ((t0 < n_classes) & (p0 < n_classes) & (t1 < n_classes) & (p1 < n_classes)
                & (t2 < n_classes) & (p2 < n_classes) & (t3 < n_classes) & (p3 < n_classes)):
            h0[t0 * n_classes + p0] += 1
            h1[t1 * n_classes + p1] += 1
            h2[t2 * n_classes + p2] += 1
            h3[t3 * n_classes + p3] += 1
        else:
            for j in range(i, i + 4):
                t0 = <uint64_t>y_true[j]
                p0 = <uint64_t>y_pred[j]
                if (t0 < n_classes) & (p0 < n_classes):
                    h0[t0 * n_classes + p0] += 1
                else:
                    count_outside(y_true[j], n_classes, <int64_t>1, ignore, n_ignore, miss, bad)
        i += 4
    while i < end:
        t0 = <uint64_t>y_true[i]
        p0 = <uint64_t>y_pred[i]
        if (t0 < n_classes) & (p0 < n_classes):
            h0[t0 * n_classes + p0] += 1
        else:
            count_outside(y_true[i], n_classes, <int64_t>1, ignore, n_ignore, miss, bad)
        i += 1


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


cdef void count_bytes(const uint8_t* y_true, const uint8_t* y_pred,
                      Py_ssize_t start, Py_ssize_t end, int64_t* table) noexcept nogil:
    """Count the 16-bit pair codes (t << 8) | p of [start, end): no compare at all."""
    cdef int64_t* t0 = table
    cdef int64_t* t1 = table + BYTE_TABLE
    cdef Py_ssize_t i = start
    while i + 2 <= end:
        t0[(<Py_ssize_t>y_true[i] << 8) | y_pred[i]] += 1
        t1[(<Py_ssize_t>y_true[i + 1] << 8) | y_pred[i + 1]] += 1
        i += 2
    if i < end:
        t0[(<Py_ssize_t>y_true[i] << 8) | y_pred[i]] += 1


cdef void sum_rows(acc_t* rows, Py_ssize_t n_rows, Py_ssize_t row_stride,
                   Py_ssize_t size, acc_t* out, int n_threads) noexcept nogil:
    """out[j] += sum over rows r of rows[r * row_stride + j], for j < size."""
    cdef Py_ssize_t j, r
    cdef acc_t total
    if n_threads > 1 and size >= 65536:
        for j in prange(size, num_threads=n_threads, schedule="static"):
            total = 0
            for r in range(n_rows):
                total = total + rows[r * row_stride + j]
            out[j] += total
    else:
        for r in range(n_rows):
            for j in range(size):
                out[j] += rows[r * row_stride + j]


cdef void fold_byte_table(const int64_t* table, label_t sample, uint64_t n_classes,
                          const label_t* ignore, Py_ssize_t n_ignore,
                          int64_t* matrix, int64_t* miss, int64_t* bad) noexcept nogil:
    """Apply ignore and range rules to a 65536-bin table of one-byte pair codes.
    `sample` only selects the label type (how a byte decodes: signed or not)."""
    cdef Py_ssize_t code
    cdef int64_t count
    cdef label_t t, p
    for code in range(BYTE_TABLE):
        count = table[code]
        if count == 0:
            continue
        t = <label_t>(<uint8_t>(code >> 8))
        p = <label_t>(<uint8_t>(code & 0xFF))
        if is_ignored(t, ignore, n_ignore):
            continue
        if <uint64_t>t >= n_classes:
            bad[0] += count
        elif <uint64_t>p >= n_classes:
            bad[1] += count
            miss[<uint64_t>t] += count
        else:
            matrix[<uint64_t>t * n_classes + <uint64_t>p] += count


cdef void drop_ignored_rows(const label_t* ignore, Py_ssize_t n_ignore,
                            uint64_t n_classes, acc_t* matrix) noexcept nogil:
    """Zero the rows of ignore values inside [0, C): the fast loops counted them."""
    cdef Py_ssize_t k, j
    cdef uint64_t row
    for k in range(n_ignore):
        row = <uint64_t>ignore[k]
        if row < n_classes:
            for j in range(<Py_ssize_t>n_classes):
                matrix[row * n_classes + j] = 0


def confusion_counts(const label_t[::1] y_true, const label_t[::1] y_pred,
                     Py_ssize_t num_classes, const label_t[::1] ignore, int n_threads):
    """Unweighted counts (see the module docstring) with `n_threads` >= 1 threads."""
    cdef Py_ssize_t n = y_true.shape[0]
    cdef Py_ssize_t n_ignore = ignore.shape[0]
    cdef Py_ssize_t cc = num_classes * num_classes
    cdef uint64_t n_classes = <uint64_t>num_classes
    matrix = np.zeros((num_classes, num_classes), dtype=np.int64)
    miss = np.zeros(num_classes, dtype=np.int64)
    bad = np.zeros((n_threads, LINE), dtype=np.int64)
    if n == 0:
        return matrix, miss, 0, 0
    cdef int64_t[:, ::1] matrix_v = matrix
    cdef int64_t[::1] miss_v = miss
    cdef int64_t[:, ::1] bad_v = bad
    cdef const label_t* t_ptr = &y_true[0]
    cdef const label_t* p_ptr = &y_pred[0]
    cdef const label_t* ig_ptr = &ignore[0] if n_ignore > 0 else NULL
    cdef int64_t[:, ::1] scratch_v
    cdef int64_t[::1] table_v
    cdef int64_t* rows
    cdef Py_ssize_t stride, copies, copy, copy_stride, tid, team, start, end
    cdef label_t sample = 0

    if (label_t is uint8_t or label_t is int8_t) and n >= BYTE_TABLE_MIN_PAIRS:
        stride = padded(BYTE_TABLE_COPIES * BYTE_TABLE)
        scratch = np.zeros((n_threads, stride), dtype=np.int64)
        table = np.zeros(BYTE_TABLE, dtype=np.int64)
        scratch_v = scratch
        table_v = table
        rows = &scratch_v[0, 0]
        with nogil:
            with parallel(num_threads=n_threads):
                tid = omp_get_thread_num()
                team = omp_get_num_threads()
                start = n * tid // team
                end = n * (tid + 1) // team
                count_bytes(<const uint8_t*>t_ptr, <const uint8_t*>p_ptr, start, end,
                            rows + tid * stride)
            for copy in range(BYTE_TABLE_COPIES):
                sum_rows(rows + copy * BYTE_TABLE, n_threads, stride, BYTE_TABLE,
                         &table_v[0], n_threads)
            fold_byte_table(&table_v[0], sample, n_classes, ig_ptr, n_ignore,
                            &matrix_v[0, 0], &miss_v[0], &bad_v[0, 0])
    else:
        copies = COPIES if COPIES * cc * 8 <= SMALL_TABLE_BYTES else 1
        copy_stride = cc if copies > 1 else 0
        stride = padded(copies * cc + num_classes)
        scratch = np.zeros((n_threads, stride), dtype=np.int64)
        scratch_v = scratch
        rows = &scratch_v[0, 0]
        with nogil:
            with parallel(num_threads=n_threads):
                tid = omp_get_thread_num()
                team = omp_get_num_threads()
                start = n * tid // team
                end = n * (tid + 1) // team
                count_range(t_ptr, p_ptr, start, end, n_classes, ig_ptr, n_ignore,
                            rows + tid * stride, copy_stride,
                            rows + tid * stride + copies * cc, &bad_v[tid, 0])
            for copy in range(copies):
                sum_rows(rows + copy * cc, n_threads, stride, cc, &matrix_v[0, 0], n_threads)
            sum_rows(rows + copies * cc, n_threads, stride, num_classes, &miss_v[0], 1)
            drop_ignored_rows(ig_ptr, n_ignore, n_classes, &matrix_v[0, 0])
    totals = bad.sum(axis=0)
    return matrix, miss, int(totals[0]), int(totals[1])


def weighted_confusion_counts(const label_t[::1] y_true, const label_t[::1] y_pred,
                              const double[::1] weights, Py_ssize_t num_classes,
                              const label_t[::1] ignore, int n_threads):
    """Weighted counts (float64 `matrix` and `miss`) with `n_threads` >= 1 threads."""
    cdef Py_ssize_t n = y_true.shape[0]
    cdef Py_ssize_t n_ignore = ignore.shape[0]
    cdef Py_ssize_t cc = num_classes * num_classes
    cdef uint64_t n_classes = <uint64_t>num_classes
    matrix = np.zeros((num_classes, num_classes), dtype=np.float64)
    miss = np.zeros(num_classes, dtype=np.float64)
    bad = np.zeros((n_threads, LINE), dtype=np.int64)
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
    scratch = np.zeros((n_threads, stride), dtype=np.float64)
    cdef double[:, ::1] scratch_v = scratch
    cdef double* rows = &scratch_v[0, 0]
    cdef Py_ssize_t tid, team, start, end
    with nogil:
        with parallel(num_threads=n_threads):
            tid = omp_get_thread_num()
            team = omp_get_num_threads()
            start = n * tid // team
            end = n * (tid + 1) // team
            count_range_weighted(t_ptr, p_ptr, w_ptr, start, end, n_classes, ig_ptr,
                                 n_ignore, rows + tid * stride, rows + tid * stride + cc,
                                 &bad_v[tid, 0])
        sum_rows(rows, n_threads, stride, cc, &matrix_v[0, 0], n_threads)
        sum_rows(rows + cc, n_threads, stride, num_classes, &miss_v[0], 1)
        drop_ignored_rows(ig_ptr, n_ignore, n_classes, &matrix_v[0, 0])
    totals = bad.sum(axis=0)
    return matrix, miss, int(totals[0]), int(totals[1])


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
    """The simplest correct loop, serial: the oracle for the fast kernels above. Same
    outputs as `confusion_counts`, or as `weighted_confusion_counts` given `weights`."""
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
