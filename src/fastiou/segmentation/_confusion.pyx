"""Confusion-matrix kernels over two flat, contiguous label arrays of one dtype.

Private: the public wrappers in ``fastiou.segmentation._core`` validate and convert the input, resolve
the thread count and call these (weighted counts: ``fastiou.segmentation._weighted``). Every kernel
returns the same four things:

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

How the unweighted kernel counts (measurements in ``benchmarks/README.md``):

- The threads take chunks of 256K pairs in turn (a thread the OS keeps waiting holds up
  one chunk, not half the call), each in blocks of 64 (the C loops are in
  ``include/fastiou_label_kernels.h``, the SIMD level from ``fastiou.segmentation._simd``).
  With AVX-512 a block's pairs become 32-bit codes ``t * C + p`` with a mask of the lanes
  inside ``[0, C)`` (compared at the labels' own width); the codes are compared against the
  block's first pair, its last pair and, while many lanes remain, the first lane left that
  its neighbour repeats (the start of a run, not a lone wrong pair), each match adding a
  popcount to one counter; the codes of the lanes left over are compressed
  into a queue that is added in batches (asking for each counter's cache line ahead when
  the matrix is larger than the cache). Only lanes outside ``[0, C)`` go one by one. With
  AVX2 the labels are compared at their own width and the lanes left over go one by one.
  After a block without runs the next blocks skip the reference pairs. Without SIMD
  (another CPU or compiler) the Cython loop :func:`count_range` does all of it.
- One-byte labels from ``BYTE_TABLE_MIN_PAIRS`` pairs on go to ``fastiou.segmentation._byte_tables``:
  16-bit pair codes counted into per-thread tables with no range check at all, folded into
  classes afterwards.
- Several threads with SIMD (AVX2 or AVX-512) and an int64 matrix over 4 MiB (725 to
  65,535 classes, :func:`uses_narrow_tables`): every thread counts into a uint16 table of
  its own, a quarter of an int64 table's bytes to zero, keep in cache and add up; a counter
  that would pass 65535 is emptied into a small log of the thread's. The tables, then the
  logs, make the result afterwards (no zeroing of the result first, no shared write while
  counting).
- Other inputs: thread 0 counts into the result itself, the others into private int64 rows
  (padded to cache lines) that are added to it afterwards; in-range ignore rows are zeroed
  at the end. Integer sums in any order: the result never depends on the thread count.

The simplest correct loop, the oracle of the tests, is ``fastiou.segmentation._naive``.
"""

from cython.parallel cimport parallel, prange
from libc.string cimport memset
from libc.stdint cimport int8_t, int64_t, uint8_t, uint16_t, uint64_t

import numpy as np

from fastiou.segmentation._byte_tables cimport count_byte_labels
from fastiou.segmentation._counting cimport (
    LINE, chunk_count, chunk_start, count_outside, drop_ignored_rows, padded, sum_rows,
)
from fastiou._shared._fused cimport label_t
from fastiou._shared._openmp cimport omp_get_thread_num
from fastiou._shared._team cimport TeamClock, team_close, team_enter, team_leave, team_open
from fastiou.segmentation._simd cimport label_prefetch, simd_level

cdef enum:
    # interleaved copies of a thread's histogram, so that a run of identical pairs does not
    # serialise on one counter; used while the copies fit in SMALL_TABLE_BYTES
    COPIES = 4
    SMALL_TABLE_BYTES = 1 << 18
    # below this many pairs the byte tables cost more (checking and folding their rows)
    # than they save: on Cityscapes-like maps (fastiou.demo) 128x256 22 us either way,
    # 256x512 44 -> 33 us and 512x512 86 -> 48 us with the tables; on the smoothest
    # maps the tables lose 5-8 us from 2**17 to 2**18 pairs
    BYTE_TABLE_MIN_PAIRS = 1 << 17

# the pairs of a chunk, the unit the threads take in turn (dynamic scheduling): a thread the
# OS keeps waiting, or one whose pairs cost more, leaves its chunks to the others (2 threads,
# 16x1024x1024: 0.80-0.94 the time of one slice a thread at 1000 classes, 0.78 for int64 at
# 19 classes); `_set_chunk_pairs` changes it for the tests
cdef Py_ssize_t chunk_pairs = 1 << 18


def _set_chunk_pairs(Py_ssize_t pairs):
    """Test hook: the threads take chunks of `pairs` pairs (rounded to blocks of 64);
    returns the old value."""
    global chunk_pairs
    if pairs < 1:
        raise ValueError(f"`pairs` must be at least 1, got {pairs}")
    old, chunk_pairs = chunk_pairs, pairs
    return old


def _byte_table_min_pairs():
    """Test hook: from how many pairs one-byte labels are counted into the byte tables."""
    return BYTE_TABLE_MIN_PAIRS


def uses_narrow_tables(Py_ssize_t num_classes):
    """Whether a call on several threads counts `num_classes` classes into per-thread uint16
    tables (at this machine's SIMD level; see the C header), not int64 ones. For labels wider
    than a byte: one-byte labels take the byte tables from ``BYTE_TABLE_MIN_PAIRS`` pairs on,
    and below that the wrappers run 725+ classes on one thread (a direct kernel call on more
    threads gets int64 tables)."""
    return num_classes > 0 and bool(fiou_uses_narrow_tables(simd_level(), <uint64_t>num_classes,
                                                            sizeof(uint64_t)))


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


cdef inline bint count_range_simd(int level, const label_t* t, const label_t* p,
                                  Py_ssize_t start, Py_ssize_t end, uint64_t n_classes,
                                  const label_t* ignore, Py_ssize_t n_ignore, int64_t* hist,
                                  uint16_t* narrow, int64_t* miss, int64_t* bad,
                                  Py_ssize_t ahead) noexcept nogil:
    """The run-aware SIMD loop for `label_t` (at SIMD `level`, labels asked for `ahead`
    bytes ahead); False when this machine has none."""
    return fiou_count_labels(level, sizeof(label_t), (<label_t>-1) < 0, t, p, start, end,
                             n_classes, ignore, n_ignore, hist, narrow, miss, bad, ahead)


def confusion_counts(const label_t[::1] y_true, const label_t[::1] y_pred,
                     Py_ssize_t num_classes, const label_t[::1] ignore, int n_threads):
    """Unweighted counts (see the module docstring) with `n_threads` >= 1 threads."""
    cdef Py_ssize_t n = y_true.shape[0]
    cdef Py_ssize_t n_ignore = ignore.shape[0]
    cdef Py_ssize_t cc = num_classes * num_classes
    cdef uint64_t n_classes = <uint64_t>num_classes
    if (label_t is uint8_t or label_t is int8_t) and n >= BYTE_TABLE_MIN_PAIRS:
        return count_byte_labels(<const uint8_t*>&y_true[0], <const uint8_t*>&y_pred[0], n,
                                 label_t is int8_t, num_classes,
                                 <const uint8_t*>&ignore[0] if n_ignore > 0 else NULL,
                                 n_ignore, n_threads, chunk_pairs)
    cdef int level = simd_level()
    cdef Py_ssize_t ahead = label_prefetch()
    # with several threads and a matrix larger than the cache, each thread counts into a
    # uint16 table of its own and logs the counters that overflow (see the C header); the
    # tables and logs then make the result, which is not zeroed first
    cdef bint use_narrow = (n_threads > 1 and n > 0
                            and fiou_uses_narrow_tables(level, n_classes, sizeof(label_t)))
    matrix, miss, bad = output_arrays(num_classes, n_threads, not use_narrow)
    if n == 0:
        return matrix, miss, 0, 0
    cdef int64_t[:, ::1] matrix_v = matrix
    cdef int64_t[::1] miss_v = miss
    cdef int64_t[:, ::1] bad_v = bad
    cdef const label_t* t_ptr = &y_true[0]
    cdef const label_t* p_ptr = &y_pred[0]
    cdef const label_t* ig_ptr = &ignore[0] if n_ignore > 0 else NULL
    cdef int64_t[:, ::1] scratch_v
    cdef int64_t* rows
    cdef int64_t* hist
    cdef int64_t* hist_miss
    cdef uint16_t[:, ::1] narrow_v
    cdef uint16_t* narrow_rows
    cdef uint16_t* narrow
    cdef int64_t[:, ::1] overflow_v
    cdef bint direct
    cdef Py_ssize_t n_rows, stride, narrow_stride, copies, copy, copy_stride, table, tid
    cdef Py_ssize_t chunk, start, end
    cdef Py_ssize_t n_chunks = chunk_count(n, n_threads, chunk_pairs)
    cdef int me  # the thread's number in its team
    cdef TeamClock clock

    if level > 0:
        copies = 1
    else:
        copies = COPIES if COPIES * cc * 8 <= SMALL_TABLE_BYTES else 1
    copy_stride = cc if copies > 1 else 0
    # the int64 counters of a thread's scratch row: none with narrow tables, just its miss
    table = 0 if use_narrow else copies * cc
    stride = padded(table + num_classes)
    # with one histogram copy, thread 0 counts straight into `matrix` and `miss`; the
    # other threads zero their own scratch rows (in parallel, first touch)
    direct = copies == 1
    n_rows = n_threads - direct
    scratch = scratch_rows(n_rows, stride)
    scratch_v = scratch
    rows = &scratch_v[0, 0]
    narrow_stride = 4 * padded((cc + 3) // 4) if use_narrow else 0
    narrow_v = np.empty((n_threads if use_narrow else 1, narrow_stride or 1), dtype=np.uint16)
    narrow_rows = &narrow_v[0, 0]
    # a thread's overflow log: its length, then (code, count) pairs of more than 65535 pairs each
    overflow_v = np.zeros((n_threads, 2 * (n // 65536) + 1 if use_narrow else 1), dtype=np.int64)
    with nogil:
        clock = team_open(n_threads)
        with parallel(num_threads=n_threads):
            me = omp_get_thread_num()
            team_enter(&clock)
            if direct and me == 0:
                hist = &matrix_v[0, 0]
                hist_miss = &miss_v[0]
            else:
                hist = rows + (me - direct) * stride
                hist_miss = hist + table
                memset(hist, 0, stride * sizeof(int64_t))
            narrow = NULL
            if use_narrow:
                hist = &overflow_v[me, 0]
                narrow = narrow_rows + me * narrow_stride
                memset(narrow, 0, narrow_stride * sizeof(uint16_t))
            for chunk in prange(n_chunks, schedule="dynamic"):
                start = chunk_start(n, n_chunks, chunk)
                end = chunk_start(n, n_chunks, chunk + 1)
                if not count_range_simd(level, t_ptr, p_ptr, start, end, n_classes, ig_ptr,
                                        n_ignore, hist, narrow, hist_miss, &bad_v[me, 0],
                                        ahead):
                    count_range(t_ptr, p_ptr, start, end, n_classes, ig_ptr, n_ignore, hist,
                                copy_stride, hist_miss, &bad_v[me, 0])
            team_leave(&clock)
        team_close(&clock)
        if use_narrow:
            sum_rows(narrow_rows, n_threads, narrow_stride, cc, &matrix_v[0, 0], n_threads, True)
            add_overflow(overflow_v, &matrix_v[0, 0])
        if n_rows:
            for copy in range(copies if table else 0):
                sum_rows(rows + copy * cc, n_rows, stride, cc, &matrix_v[0, 0], n_threads)
            sum_rows(rows + table, n_rows, stride, num_classes, &miss_v[0], 1)
        drop_ignored_rows(ig_ptr, n_ignore, n_classes, &matrix_v[0, 0])
    for tid in range(1, n_threads):
        bad_v[0, 0] += bad_v[tid, 0]
        bad_v[0, 1] += bad_v[tid, 1]
    return matrix, miss, int(bad_v[0, 0]), int(bad_v[0, 1])


# The NumPy work of confusion_counts, outside it: code in a fused function is compiled once
# per label dtype (8 times), these once

cdef tuple output_arrays(Py_ssize_t num_classes, int n_threads, bint zeroed_matrix):
    """(matrix, miss, bad): the int64 results (the matrix uninitialised unless
    `zeroed_matrix`) and per-thread bad-label counters, zeroed."""
    return ((np.zeros if zeroed_matrix else np.empty)((num_classes, num_classes), dtype=np.int64),
            np.zeros(num_classes, dtype=np.int64),
            np.zeros((n_threads, LINE), dtype=np.int64))


cdef void add_overflow(const int64_t[:, ::1] logs, int64_t* matrix) noexcept nogil:
    """Add the counts of the threads' overflow logs (narrow tables) to `matrix`."""
    cdef Py_ssize_t tid, entry
    for tid in range(logs.shape[0]):
        for entry in range(logs[tid, 0]):
            matrix[logs[tid, 1 + 2 * entry]] += logs[tid, 2 + 2 * entry]


cdef object scratch_rows(Py_ssize_t n_rows, Py_ssize_t stride):
    """Uninitialised int64 rows of `stride` for `n_rows` threads (one line when none)."""
    return np.empty((n_rows if n_rows else 1, stride if n_rows else LINE), dtype=np.int64)
