"""One-byte labels counted into tables of pair codes, and those tables folded into classes.

Private: ``_confusion.confusion_counts`` sends uint8 and int8 labels here from
``BYTE_TABLE_MIN_PAIRS`` pairs on (:func:`count_byte_labels`), and ``_png_pairs`` counts
PNG pairs into the same tables. Both return what ``_confusion`` describes.

- The 16-bit code ``(t << 8) | p`` of a pair indexes per-thread uint32 tables with no range
  check at all. The SIMD loops (``include/fastiou_byte_kernels.h``) add a block's runs by
  popcount; with AVX-512 the codes of its other lanes are compressed into a buffer that one
  branch-free loop counts into two alternating tables. Without SIMD a plain loop counts
  every pair (:func:`count_bytes`).
- The tables are flushed into int64 before they could wrap (:func:`count_bytes_flushed`).
- The fold (:func:`fold_byte_tables`) adds the copies up and maps every table row through
  per-byte class tables, which carry the ignore and range rules, label maps too: the
  class of each byte value as truth and as prediction (:func:`add_mapped_row`). It leaves
  the uint32 tables zero, so that they are reused without being cleared.
"""

import threading

import numpy as np

from libc.stdint cimport int8_t, int64_t, uint8_t, uint32_t

from cython.parallel cimport parallel, prange

from fastiou._shared._team cimport TeamClock, team_close, team_enter, team_leave, team_open
from fastiou.segmentation._counting cimport chunk_count, chunk_start, padded
from fastiou._shared._openmp cimport omp_get_thread_num
from fastiou.segmentation._simd cimport FIOU_MASKED_IGNORES, simd_level


# uint32 byte tables are flushed into int64 at least this often (a private test hook,
# `_set_byte_flush_interval`, lowers it); it must stay below 2**32
cdef Py_ssize_t byte_flush_interval = (1 << 32) - 1


cdef Py_ssize_t flush_interval() noexcept nogil:
    """At most this many pairs go into a uint32 table between flushes."""
    return byte_flush_interval


def _set_byte_flush_interval(Py_ssize_t pairs):
    """Test hook: flush the uint32 byte tables every `pairs` pairs; returns the old value."""
    global byte_flush_interval
    if not 0 < pairs < (1 << 32):
        raise ValueError(f"`pairs` must lie in [1, 2**32), got {pairs}")
    old, byte_flush_interval = byte_flush_interval, pairs
    return old


cdef void count_bytes(const uint8_t* y_true, const uint8_t* y_pred,
                      Py_ssize_t start, Py_ssize_t end, uint32_t* table) noexcept nogil:
    """Count the 16-bit pair codes (t << 8) | p of [start, end) into two interleaved
    uint32 tables: no compare at all (the scalar path)."""
    cdef uint32_t* t0 = table
    cdef uint32_t* t1 = table + BYTE_TABLE
    cdef Py_ssize_t i = start
    while i + 2 <= end:
        t0[(<Py_ssize_t>y_true[i] << 8) | y_pred[i]] += 1
        t1[(<Py_ssize_t>y_true[i + 1] << 8) | y_pred[i + 1]] += 1
        i += 2
    if i < end:
        t0[(<Py_ssize_t>y_true[i] << 8) | y_pred[i]] += 1


cdef inline uint32_t take_copies(uint32_t* table, Py_ssize_t copies, Py_ssize_t j) noexcept nogil:
    """The sum of counter `j` over `copies` uint32 tables, zeroing it: in uint32, so that the
    copies may wrap as long as their sum is a whole count below 2**32."""
    cdef uint32_t total = 0
    cdef Py_ssize_t copy
    for copy in range(copies):
        total += table[copy * BYTE_TABLE + j]
        table[copy * BYTE_TABLE + j] = 0
    return total


cdef void flush_byte_table(uint32_t* table, Py_ssize_t copies, int64_t* total) noexcept nogil:
    """Add `copies` uint32 tables into the int64 `total` and zero them."""
    cdef Py_ssize_t j
    for j in range(BYTE_TABLE):
        total[j] += take_copies(table, copies, j)


cdef void count_bytes_flushed(int level, const uint8_t* y_true, const uint8_t* y_pred,
                              Py_ssize_t start, Py_ssize_t end, const uint8_t* ignore,
                              int n_ignore, Py_ssize_t flush_every, Py_ssize_t copies,
                              uint32_t* table, int64_t* total, Py_ssize_t* pending) noexcept nogil:
    """Count [start, end) into the uint32 `table`s, which already hold `pending[0]` pairs:
    when they hold `flush_every` pairs and more remain, they are added into the int64
    `total` and zeroed, so that no counter can overflow (`total` is only touched when more
    than `flush_every` pairs were counted in all). The SIMD loops may leave out pairs whose
    truth is one of the `n_ignore` `ignore` bytes (the fold drops those codes anyway)."""
    cdef Py_ssize_t chunk_end
    while start < end:
        if pending[0] == flush_every:
            flush_byte_table(table, copies, total)
            pending[0] = 0
        chunk_end = end if end - start <= flush_every - pending[0] else \
            start + flush_every - pending[0]
        if not fiou_count_bytes(level, y_true, y_pred, start, chunk_end, ignore, n_ignore,
                                table):
            count_bytes(y_true, y_pred, start, chunk_end, table)
        pending[0] += chunk_end - start
        start = chunk_end


# Per Python thread, the tables are kept between calls: fresh arrays of this size are
# mapped afresh by malloc, and faulting their pages in cost more than the counting itself
# below a few million pairs (383 us of fixed cost per call, measured).
cdef object _reusable = threading.local()


cdef object reusable_array(str name, Py_ssize_t size, dtype, bint zeroed):
    """A flat array of at least `size` items of `dtype` kept for this Python thread, one per
    `name`: its contents are whatever the last user left, zeros when first allocated if
    `zeroed`."""
    array = getattr(_reusable, name, None)
    if array is None or array.shape[0] < size:
        array = np.zeros(size, dtype=dtype) if zeroed else np.empty(size, dtype=dtype)
        setattr(_reusable, name, array)
    return array[:size]


def _byte_tables_are_zero():
    """Test hook: whether this Python thread's byte tables are all zero between calls (or
    not allocated yet), as every call must leave them."""
    array = getattr(_reusable, "byte_tables", None)
    return array is None or not array.any()


cdef object byte_tables(Py_ssize_t n_threads, Py_ssize_t copies):
    """This Python thread's uint32 tables of one-byte pair codes, a ``(n_threads, stride)``
    array holding `copies` tables per OpenMP thread, all zero: every call leaves them so
    (the fold zeroes each row it finds counted), which spares zeroing 512 KiB per call."""
    cdef Py_ssize_t table_stride = 2 * padded(copies * BYTE_TABLE // 2)
    return reusable_array("byte_tables", n_threads * table_stride, np.uint32,
                          True).reshape(n_threads, table_stride)


cdef object flushed_byte_tables(Py_ssize_t n_threads, Py_ssize_t n):
    """Zeroed int64 tables the uint32 ones are flushed into, one per thread, when a call
    counts `n` pairs, more than a uint32 table may hold (else a dummy)."""
    if n <= byte_flush_interval:
        return np.zeros((1, 1), dtype=np.int64)
    return np.zeros((n_threads, padded(BYTE_TABLE)), dtype=np.int64)


cdef inline bint row_counted(const uint32_t* row) noexcept nogil:
    """Whether any of the 256 counters of `row` is not zero (a loop the compiler vectorises)."""
    cdef uint32_t any_count = 0
    cdef Py_ssize_t pb
    for pb in range(256):
        any_count |= row[pb]
    return any_count != 0


cdef void add_mapped_row(const int64_t* row, Py_ssize_t n_values, int64_t truth_class,
                         const int64_t* pred_classes, Py_ssize_t num_classes, int64_t* matrix,
                         int64_t* miss, int64_t* bad) noexcept nogil:
    """Add the counts ``row[v]`` of the pairs (one truth value, prediction value v) to the
    (C, C) `matrix`: `truth_class` is the truth value's class, negative when it is ignored
    (the row is dropped) and >= C when out of range (the row goes to ``bad[0]``);
    ``pred_classes[v]`` is v's class, outside [0, C) when out of range (``bad[1]`` and the
    truth class's `miss`)."""
    cdef Py_ssize_t v
    cdef int64_t pred_class, total = 0
    if truth_class < 0:
        return
    if truth_class >= num_classes:
        for v in range(n_values):
            total += row[v]
        bad[0] += total
        return
    for v in range(n_values):
        if row[v] == 0:
            continue
        pred_class = pred_classes[v]
        if 0 <= pred_class < num_classes:
            matrix[truth_class * num_classes + pred_class] += row[v]
        else:
            bad[1] += row[v]
            miss[truth_class] += row[v]


cdef void label_byte_classes(bint is_signed, Py_ssize_t num_classes, const uint8_t* ignore,
                             Py_ssize_t n_ignore, int64_t* truth_classes,
                             int64_t* pred_classes) noexcept nogil:
    """The classes of the 256 one-byte labels (int8 when `is_signed`, else uint8), as
    :func:`add_mapped_row` takes them: the label itself inside [0, C), -1 for an ignore
    value (one of the `n_ignore` bytes `ignore`) as truth, C (truth) or -1 (prediction)
    outside."""
    cdef Py_ssize_t b, k
    cdef Py_ssize_t value
    cdef bint inside, ignored
    for b in range(256):
        value = <int8_t>(<uint8_t>b) if is_signed else b
        inside = 0 <= value < num_classes
        pred_classes[b] = value if inside else -1
        ignored = False
        for k in range(n_ignore):
            ignored = ignored or ignore[k] == b
        if ignored:
            truth_classes[b] = -1
        else:
            truth_classes[b] = value if inside else num_classes


cdef void fold_byte_tables(uint32_t* tables, Py_ssize_t n_tables, Py_ssize_t stride,
                           Py_ssize_t copies, const int64_t* rows, Py_ssize_t n_rows,
                           Py_ssize_t row_stride, const uint8_t* seen,
                           const int64_t* truth_classes, const int64_t* pred_classes,
                           Py_ssize_t num_classes, int64_t* matrix, int64_t* miss,
                           int64_t* bad) noexcept nogil:
    """Map the 65536-bin tables of one-byte pair codes (t << 8) | p through the byte
    classes (:func:`add_mapped_row`) into the (C, C) `matrix`: `n_tables` uint32 tables
    `stride` apart, each in `copies` copies, plus `n_rows` int64 tables (flushed counts)
    `row_stride` apart; the uint32 tables are left all zero. A truth byte whose uint32 and
    int64 rows are all zero is skipped after a vectorised check (label maps hold a few
    dozen of the 256 values), or at once when `seen` (NULL: unknown) says it never came."""
    cdef Py_ssize_t tb, pb, r, c
    cdef int64_t row[256]
    cdef const int64_t* flushed
    cdef bint counted
    for tb in range(256):
        if seen != NULL and not seen[tb]:
            continue
        counted = False
        for r in range(n_tables):
            for c in range(copies):
                counted = counted or row_counted(tables + r * stride + c * BYTE_TABLE + (tb << 8))
        for r in range(n_rows):
            flushed = rows + r * row_stride + (tb << 8)
            for pb in range(256):
                counted = counted or flushed[pb] != 0
        if not counted:
            continue
        for pb in range(256):
            row[pb] = 0
        for r in range(n_tables):
            for pb in range(256):
                row[pb] += take_copies(tables + r * stride, copies, (tb << 8) + pb)
        for r in range(n_rows):
            flushed = rows + r * row_stride + (tb << 8)
            for pb in range(256):
                row[pb] += flushed[pb]
        add_mapped_row(row, 256, truth_classes[tb], pred_classes, num_classes, matrix, miss, bad)


cdef tuple mapped_outputs(Py_ssize_t num_classes):
    """Zeroed outputs for :func:`add_mapped_row`: the (C, C) matrix, `miss` and the two bad
    counts."""
    return (np.zeros((num_classes, num_classes), dtype=np.int64),
            np.zeros(num_classes, dtype=np.int64), np.zeros(2, dtype=np.int64))


def fold_counts(const int64_t[:, ::1] counts, const int64_t[::1] truth_classes,
                const int64_t[::1] pred_classes, Py_ssize_t num_classes):
    """Map a (V, V) matrix of counted value pairs (V <= 256) through the value classes of
    :func:`add_mapped_row` (length >= V) into (C, C); returns what
    ``_confusion.confusion_counts`` returns."""
    cdef Py_ssize_t n_values = counts.shape[0], tb
    if counts.shape[1] != n_values or truth_classes.shape[0] < n_values or \
            pred_classes.shape[0] < n_values:
        raise ValueError(f"a ({counts.shape[0]}, {counts.shape[1]}) matrix of value pairs "
                         f"does not fit {truth_classes.shape[0]} and {pred_classes.shape[0]} classes")
    matrix, miss, bad = mapped_outputs(num_classes)
    cdef int64_t[:, ::1] matrix_v = matrix
    cdef int64_t[::1] miss_v = miss
    cdef int64_t[::1] bad_v = bad
    for tb in range(n_values):
        add_mapped_row(&counts[tb, 0], n_values, truth_classes[tb], &pred_classes[0],
                       num_classes, &matrix_v[0, 0], &miss_v[0], &bad_v[0])
    return matrix, miss, int(bad_v[0]), int(bad_v[1])


cdef tuple count_byte_labels(const uint8_t* y_true, const uint8_t* y_pred, Py_ssize_t n,
                             bint is_signed, Py_ssize_t num_classes, const uint8_t* ignore,
                             Py_ssize_t n_ignore, int n_threads, Py_ssize_t chunk_pairs):
    """Unweighted counts of `n` > 0 one-byte label pairs (int8 when `is_signed`) with
    `n_threads` threads, which take chunks of about `chunk_pairs` pairs in turn and count
    them into tables of their own; the `n_ignore` ignore values are given as their bytes.
    Returns what ``_confusion.confusion_counts`` returns."""
    cdef int level = simd_level()
    cdef Py_ssize_t copies = fiou_byte_tables(level)
    cdef int masked_ignores = <int>(n_ignore if n_ignore < FIOU_MASKED_IGNORES
                                    else FIOU_MASKED_IGNORES)
    cdef uint32_t[:, ::1] narrow_v = byte_tables(n_threads, copies)
    cdef uint32_t* narrow_rows = &narrow_v[0, 0]
    cdef Py_ssize_t table_stride = narrow_v.shape[1]
    cdef Py_ssize_t flush_every = byte_flush_interval
    cdef int64_t[:, ::1] scratch_v = flushed_byte_tables(n_threads, n)
    cdef int64_t* rows = &scratch_v[0, 0]
    cdef Py_ssize_t stride = scratch_v.shape[1] if n > flush_every else 0
    cdef int me  # the thread's number in its team
    cdef Py_ssize_t chunk, pending
    cdef Py_ssize_t n_chunks = chunk_count(n, n_threads, chunk_pairs)
    cdef int64_t truth_classes[256]
    cdef int64_t pred_classes[256]
    matrix, miss, bad = mapped_outputs(num_classes)
    cdef int64_t[:, ::1] matrix_v = matrix
    cdef int64_t[::1] miss_v = miss
    cdef int64_t[::1] bad_v = bad
    cdef TeamClock clock
    with nogil:
        clock = team_open(n_threads)
        with parallel(num_threads=n_threads):
            me = omp_get_thread_num()
            team_enter(&clock)
            pending = 0
            for chunk in prange(n_chunks, schedule="dynamic"):
                count_bytes_flushed(level, y_true, y_pred, chunk_start(n, n_chunks, chunk),
                                    chunk_start(n, n_chunks, chunk + 1), ignore, masked_ignores,
                                    flush_every, copies, narrow_rows + me * table_stride,
                                    rows + me * stride, &pending)
            team_leave(&clock)
        team_close(&clock)
        label_byte_classes(is_signed, num_classes, ignore, n_ignore, truth_classes,
                           pred_classes)
        fold_byte_tables(narrow_rows, n_threads, table_stride, copies, rows,
                         n_threads if stride else 0, stride, NULL, truth_classes, pred_classes,
                         num_classes, &matrix_v[0, 0], &miss_v[0], &bad_v[0])
    return matrix, miss, int(bad_v[0]), int(bad_v[1])
