# Inline helpers shared by the counting kernels (_confusion.pyx, _weighted.pyx,
# _byte_tables.pyx): the rules for a pair outside [0, C), each thread's slice of the pairs,
# and per-thread rows padded to cache lines and added up after a parallel region.

from cython.parallel cimport prange
from libc.stdint cimport int64_t, uint16_t, uint64_t

from fastiou._shared._fused cimport acc_t, label_t
from fastiou._shared._openmp cimport omp_get_num_threads, omp_get_thread_num

cdef enum:
    # int64 (or double) slots in a 64-byte cache line: per-thread rows are padded to it
    LINE = 8
    # entries of the rows that sum_rows adds up (and writes) in one piece on several threads
    SUM_BLOCK = 4096


cdef struct ThreadSlice:
    Py_ssize_t tid  # the thread's number in its team
    Py_ssize_t start  # its pairs are [start, end)
    Py_ssize_t end


cdef inline ThreadSlice thread_slice(Py_ssize_t n) noexcept nogil:
    """The calling OpenMP thread's contiguous slice of `n` pairs: the team splits them into
    slices of equal size (to one pair), in thread order."""
    cdef ThreadSlice part
    cdef Py_ssize_t team = omp_get_num_threads()
    part.tid = omp_get_thread_num()
    part.start = n * part.tid // team
    part.end = n * (part.tid + 1) // team
    return part


cdef inline Py_ssize_t chunk_count(Py_ssize_t n, int n_threads,
                                   Py_ssize_t chunk_pairs) noexcept nogil:
    """How many chunks of about `chunk_pairs` pairs the `n_threads` threads take in turn
    (dynamic scheduling, for exact integer counts only): at least one a thread, and one
    for a single thread."""
    if n_threads == 1:
        return 1
    return n // chunk_pairs if n // chunk_pairs > n_threads else n_threads


cdef inline Py_ssize_t chunk_start(Py_ssize_t n, Py_ssize_t n_chunks,
                                   Py_ssize_t chunk) noexcept nogil:
    """Where chunk `chunk` of `n` pairs cut into `n_chunks` starts (`n` for chunk
    `n_chunks`): equal chunks to a block of 64 pairs, each starting on a block (the first
    ``n % n_chunks`` one pair longer before the rounding, so that no product can overflow)."""
    cdef Py_ssize_t share = n // n_chunks, extra = n % n_chunks
    if chunk >= n_chunks:
        return n
    return (chunk * share + (chunk if chunk < extra else extra)) & ~<Py_ssize_t>63


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


# what per-thread rows hold: counts (int64 or uint16: narrow tables) or weights
ctypedef fused row_t:
    uint16_t
    int64_t
    double


cdef inline void add_row_block(const row_t* rows, Py_ssize_t n_rows, Py_ssize_t row_stride,
                               Py_ssize_t start, Py_ssize_t end, acc_t* out,
                               bint overwrite) noexcept nogil:
    """sum_rows (below) for the entries [start, end), one row after another."""
    cdef Py_ssize_t j, r
    cdef Py_ssize_t first = 1 if overwrite else 0
    if overwrite:
        for j in range(start, end):
            out[j] = <acc_t>rows[j]
    for r in range(first, n_rows):
        for j in range(start, end):
            out[j] += <acc_t>rows[r * row_stride + j]


cdef inline void sum_rows(const row_t* rows, Py_ssize_t n_rows, Py_ssize_t row_stride,
                          Py_ssize_t size, acc_t* out, int n_threads,
                          bint overwrite=False) noexcept nogil:
    """out[j] += sum over rows r of rows[r * row_stride + j], for j < size; with `overwrite`
    out[j] = that sum (`out` need not be initialised then, and n_rows must be at least 1)."""
    cdef Py_ssize_t block
    if n_threads > 1 and size >= 65536:
        for block in prange((size + SUM_BLOCK - 1) // SUM_BLOCK, num_threads=n_threads,
                            schedule="static"):
            add_row_block(rows, n_rows, row_stride, block * SUM_BLOCK,
                          min(size, block * SUM_BLOCK + SUM_BLOCK), out, overwrite)
    else:
        add_row_block(rows, n_rows, row_stride, 0, size, out, overwrite)


cdef inline void drop_ignored_rows(const label_t* ignore, Py_ssize_t n_ignore,
                                   uint64_t n_classes, acc_t* matrix) noexcept nogil:
    """Zero the rows of ignore values inside [0, C): the fast loops counted them."""
    cdef Py_ssize_t k, j
    cdef uint64_t row
    for k in range(n_ignore):
        row = <uint64_t>ignore[k]
        if row < n_classes:
            for j in range(<Py_ssize_t>n_classes):
                matrix[row * n_classes + j] = 0
